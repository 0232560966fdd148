"""Optimistic concurrency: the version an If-Match header asked for."""

from collections.abc import Collection

from config.errors import PreconditionFailedError

# What If-Match asked for: one version, any of several (a list of tags), or None (anything).
ExpectedVersion = int | Collection[int] | None


def version_check(obj, expected_version: ExpectedVersion) -> None:
    """Raise PreconditionFailedError unless the object is at the expected version (one, or
    any of several: an If-Match list)."""
    if expected_version is None:
        return
    expected = {expected_version} if isinstance(expected_version, int) else expected_version
    if obj.version not in expected:
        raise PreconditionFailedError(extra={"version": obj.version})

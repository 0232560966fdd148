"""The OpenAPI schema tells the truth (checked by the contract test, tests/test_contract.py).

drf-spectacular documents what a view declares; this AutoSchema adds what the plumbing does to
every operation, so no view has to repeat it:
- the error responses the base classes can give, each with the one error body
  (config/api/errors.py): 400, 401, 403, 404, 409, 412, 413, 415, 422, 429 — plus those a
  view's own rules give, which it lists in `error_statuses`;
- the `Idempotency-Key` request header of tenant POSTs and the `Idempotent-Replayed` response
  header of their replays; `If-Match` and `ETag` where a view declares it honours them
  (`if_match` / `etag`: a set of action or method names);
- output serializers as response bodies (a tenant viewset's `serializer_class`), input
  serializers as request bodies (`input_serializers`);
- descriptions only from what an operation declares (`extend_schema(description=…)` or the
  handler's docstring), never a view class's docstring, which is written for developers.
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_doc
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from config.api.errors import validation_error_body
from config.api.tags import tag_for

_WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    code = serializers.CharField(
        help_text="Stable machine-readable code: invalid, parse_error, not_found, "
        "permission_denied, not_authenticated, throttled, or a domain code such as "
        "invalid_status_transition."
    )
    errors = serializers.DictField(
        required=False,
        help_text="Validation errors (code `invalid`): messages by field; nested fields nest.",
    )
    extra = serializers.DictField(
        required=False, help_text="Machine-readable context of a domain error."
    )

    class Meta:
        ref_name = "Error"


_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field (code `invalid`), or the body, a filter, a "
    "cursor or a header could not be read.",
    401: "No credentials, or credentials that are not valid (any more).",
    403: "Your role (or credential kind) does not allow this.",
    404: "No such tenant, not a member, or no such object in this tenant (one answer for all).",
    409: "The object's state does not allow this, or a request with the same Idempotency-Key "
    "is still running.",
    412: "If-Match names a version that is no longer current.",
    413: "The request body is larger than the limit.",
    415: "The body's media type is not accepted here.",
    422: "The Idempotency-Key was used before with a different request.",
    429: "A quota was exceeded; retry after `Retry-After` seconds.",
}

# One example body per error status (what a client will see).
_EXAMPLES = {
    400: validation_error_body(
        {
            "subject": ["This field is required."],
            "priority": ['"urgent" is not a valid choice.'],
        }
    ),
    401: {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
    403: {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    },
    404: {"detail": "Not found.", "code": "not_found"},
    409: {
        "detail": "A ticket cannot go from closed to open.",
        "code": "invalid_status_transition",
        "extra": {"from": "closed", "to": "open"},
    },
    412: {
        "detail": "The resource changed since you read it.",
        "code": "precondition_failed",
        "extra": {"version": 4},
    },
    413: {"detail": "Request body too large (limit 1048576 bytes).", "code": "request_too_large"},
    415: {
        "detail": 'Unsupported media type "text/plain" in request.',
        "code": "unsupported_media_type",
    },
    422: {
        "detail": "This Idempotency-Key was used with a different request.",
        "code": "idempotency_key_reused",
    },
    429: {
        "detail": "Request was throttled. Expected available in 42 seconds.",
        "code": "throttled",
    },
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes a retry safe: the same key with the same request replays the stored "
    "response for 24 hours (1-255 printable ASCII characters).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='Only act if the object is still at this version: its ETag ("3"), a list '
    'of them ("3", "4") or *. A stale version is a 412.',
)


# A summary per operation when the view gives none: verb by method (and list or one object).
_VERBS = {"GET": "Get", "POST": "Create", "PUT": "Replace", "PATCH": "Change", "DELETE": "Delete"}
_RESOURCE_NAMES = {"t": "tenants", "help": "help center", "kb": "knowledge base"}
_NOT_PLURAL = ("business hours", "help center", "knowledge base", "search", "summary", "status")


# Where the method-and-path rule reads badly: (method, path after /api/v1/ without the
# tenant) -> summary.
_SUMMARIES = {
    ("GET", "/"): "Service root",
    ("POST", "auth/token/"): "Log in (get a token)",
    ("POST", "auth/logout/"): "Log out (revoke this token)",
    ("POST", "auth/logout-all/"): "Log out everywhere (revoke every token)",
    ("POST", "auth/password/"): "Change password",
    ("POST", "auth/password-reset/"): "Request a password reset",
    ("POST", "auth/password-reset/confirm/"): "Reset password",
    ("POST", "auth/register/"): "Register",
    ("POST", "auth/verify-email/"): "Verify email address",
    ("POST", "auth/invitations/accept/"): "Accept an invitation",
    ("GET", "auth/me/"): "Get me and my memberships",
    ("GET", "t/{tenant_slug}/"): "Get tenant",
    ("PATCH", "t/{tenant_slug}/"): "Change tenant",
    ("DELETE", "t/{tenant_slug}/"): "Deactivate tenant",
    ("POST", "t/{tenant_slug}/tickets/bulk/"): "Change tickets in bulk",
    ("POST", "t/{tenant_slug}/tickets/{number}/comments/"): "Add comment or internal note",
    ("POST", "t/{tenant_slug}/tickets/{number}/attachments/"): "Upload attachment",
    ("GET", "t/{tenant_slug}/tickets/{number}/events/"): "List ticket history",
    ("GET", "t/{tenant_slug}/tickets/{number}/attachments/{id}/download/"): "Download attachment",
    ("GET", "t/{tenant_slug}/tickets/{number}/suggestions/"): "Suggest articles for ticket",
    ("GET", "t/{tenant_slug}/customers/{id}/export/"): "Export customer data (GDPR)",
    ("POST", "t/{tenant_slug}/customers/{id}/erase/"): "Erase customer (GDPR)",
    ("GET", "t/{tenant_slug}/exports/{id}/download/"): "Download export",
    ("POST", "t/{tenant_slug}/business-hours/import-holidays/"): "Import public holidays",
    ("POST", "t/{tenant_slug}/members/{id}/availability/"): "Set member availability",
    ("POST", "t/{tenant_slug}/notifications/{id}/read/"): "Mark notification read",
    ("POST", "t/{tenant_slug}/notifications/read-all/"): "Mark all notifications read",
    ("POST", "t/{tenant_slug}/inbound-email/"): "Receive an email (raw MIME)",
    ("GET", "t/{tenant_slug}/inbound-email/secret/"): "Get inbound email secret",
    ("POST", "t/{tenant_slug}/inbound-email/secret/"): "Rotate inbound email secret",
    ("POST", "t/{tenant_slug}/webhooks/{id}/rotate-secret/"): "Rotate webhook secret",
    ("GET", "t/{tenant_slug}/kb/search/"): "Search articles",
    ("GET", "help/{tenant_slug}/search/"): "Search published articles",
    ("GET", "help/{tenant_slug}/categories/"): "List categories",
    ("POST", "help/{tenant_slug}/articles/{article_slug}/feedback/"): "Rate an article",
    ("POST", "help/{tenant_slug}/requests/"): "Submit a support request",
}


def _singular(noun: str) -> str:
    if noun.endswith(_NOT_PLURAL) or noun.endswith("ss"):
        return noun
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    return noun[:-1] if noun.endswith("s") else noun


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        return [tag_for(self.path)]

    def get_summary(self) -> str | None:
        """The view's own summary, else one made from the method and the path: "List
        tickets", "Get ticket", "Create customer", "Merge ticket", "Change business hours"."""
        summary = super().get_summary()
        if summary:
            return summary
        relative = "/" if self.path == "/" else self.path.removeprefix("/api/v1/")
        if (self.method, relative) in _SUMMARIES:
            return _SUMMARIES[(self.method, relative)]
        parts = [p for p in self.path.strip("/").split("/") if p not in ("api", "v1")]
        parts = [p for p in parts if p != "{tenant_slug}"]
        if not parts:
            return "API root (v1)"
        words = [_RESOURCE_NAMES.get(p, p.replace("-", " ")) for p in parts]
        on_object = parts[-1].startswith("{")
        if on_object:
            noun = _singular(words[-2]) if len(words) > 1 else "object"
            return f"{_VERBS.get(self.method, self.method.title())} {noun}"
        if len(parts) > 1 and parts[-2].startswith("{") and self.method != "GET":
            # An action on one object: POST tickets/{number}/merge/ -> "Merge ticket".
            owner = _singular(words[-3]) if len(words) > 2 else ""
            return f"{words[-1].capitalize()} {owner}".strip()
        noun = words[-1]
        if self.method == "GET":
            return f"List {noun}" if self._is_list_view() else f"Get {noun}"
        if self.method == "POST":
            return f"Create {_singular(noun)}"
        return f"{_VERBS.get(self.method, self.method.title())} {noun}"

    def map_parsers(self):
        # The API speaks JSON: a view that parses JSON documents JSON only (it also takes
        # forms, for the browsable API's HTML forms, but a client should not pick those).
        # Views that parse something else (uploads: multipart, inbound email: message/rfc822)
        # document what they take.
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _declares(self, attribute: str) -> bool:
        names = getattr(self.view, attribute, ())
        return (getattr(self.view, "action", None) or self.method.lower()) in names

    @property
    def _in_tenant(self) -> bool:
        return "{tenant_slug}" in self.path

    def get_description(self) -> str:
        action_or_method = getattr(
            self.view, getattr(self.view, "action", None) or self.method.lower(), None
        )
        return get_doc(action_or_method) if action_or_method is not None else ""

    def get_response_serializers(self):
        view = self.view
        if getattr(view, "input_serializers", None) is not None and self.method != "DELETE":
            return view.serializer_class  # what tenant viewsets answer with
        return super().get_response_serializers()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        # Public routes (no authenticators) keep no idempotency records.
        if self._in_tenant and self.method == "POST" and self.view.get_authenticators():
            parameters.append(IDEMPOTENCY_KEY)
            parameters.append(
                OpenApiParameter(
                    "Idempotent-Replayed",
                    str,
                    OpenApiParameter.HEADER,
                    enum=["true"],
                    description="Present on a replay of a stored response.",
                    response=[200, 201, 202],
                )
            )
        if self._declares("if_match"):
            parameters.append(IF_MATCH)
        if self._declares("etag"):
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    required=True,
                    description='The object\'s version as an entity tag ("3"), for If-Match.',
                    response=[200, 201],
                )
            )
        return parameters

    def _error_codes(self) -> list[int]:
        has_body = (
            self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        )
        authenticated = bool(self.view.get_authenticators())
        # What a view's own rules add (a login refused for an unverified address is a 403).
        codes = {429, *getattr(self.view, "error_statuses", ())}
        if authenticated:
            codes |= {401, 403}
        if has_body or self.method == "GET" or self._in_tenant:
            codes.add(400)  # bodies, filters, cursors, malformed headers (Idempotency-Key)
        if has_body:
            codes |= {413, 415}
        if self._in_tenant or "{" in self.path:
            codes.add(404)
        if self._in_tenant and self.method in _WRITES:
            codes.add(409)
        if self._in_tenant and self.method == "POST" and authenticated:
            codes.add(422)  # Idempotency-Key reuse
        if self._declares("if_match"):
            codes.add(412)
        return sorted(codes)

    def _bad_request_example(self) -> dict:
        """A 400 as this operation gives it (the body the error handler builds): its body's
        required fields missing, an unknown field in a body without required ones, or an
        unreadable cursor on a list; the generic example otherwise."""
        serializer = (
            force_instance(self.get_request_serializer())
            if self.method in ("POST", "PUT", "PATCH")
            else None
        )
        fields = getattr(serializer, "fields", None) if serializer is not None else None
        if fields:
            required = [
                name for name, field in fields.items() if field.required and not field.read_only
            ]
            if required:
                return validation_error_body(
                    {name: ["This field is required."] for name in required[:2]}
                )
            return validation_error_body({"colour": ["Unknown field."]})
        if self.method == "GET" and self._is_list_view():
            return {"detail": "Invalid cursor", "code": "invalid_cursor"}
        return _EXAMPLES[400]

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code in self._error_codes():
            if str(code) not in bodies:
                response = {
                    **self._get_response_for_code(ErrorSerializer, str(code)),
                    "description": _DESCRIPTIONS[code],
                }
                example = self._bad_request_example() if code == 400 else _EXAMPLES[code]
                for content in response.get("content", {}).values():
                    content["example"] = example
                bodies[str(code)] = response
        return bodies

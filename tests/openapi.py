"""The OpenAPI schema as the generator makes it (drf-spectacular, public, no request), made
once per test process: generating it takes seconds, and the test modules that use it
(test_schema, test_schema_examples, test_contract) only read it. Each caller gets its own deep
copy, so nothing one of them might change reaches another."""

import copy
import functools


@functools.cache
def _generated() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def generated_schema() -> dict:
    return copy.deepcopy(_generated())

"""Reading the API's error shape in tests."""


def field_errors(response) -> dict:
    """The per-field messages of a validation error, after checking the shape around them:
    400, `{"detail": <a sentence>, "code": "invalid", "errors": {field: [messages]}}`."""
    body = response.json()
    assert response.status_code == 400, body
    assert set(body) == {"detail", "code", "errors"}, body
    assert body["code"] == "invalid", body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body["errors"]

"""Our webhook signatures against the reference receiver: the `standardwebhooks` library
(Standard Webhooks' own Python implementation) must accept exactly what we send."""

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from integrations.webhooks.signing import secret_generate, signed_headers

BODY = b'{"data":{"number":7},"timestamp":"2026-11-30T12:00:00Z","type":"ticket.created"}'
MSG_ID = "0193f6f2-5c1e-7a3b-9d4e-1f2a3b4c5d6e"


def _headers(secrets, *, timestamp=None, body=BODY):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return signed_headers(secrets, msg_id=MSG_ID, timestamp=timestamp, body=body)


def test_a_new_secret_has_the_prefix_and_at_least_24_random_bytes():
    first, second = secret_generate(), secret_generate()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) >= 24
    assert first != second


def test_the_reference_library_verifies_what_we_send():
    secret = secret_generate()

    payload = Webhook(secret).verify(BODY, _headers([secret]))

    assert payload == {
        "data": {"number": 7},
        "timestamp": "2026-11-30T12:00:00Z",
        "type": "ticket.created",
    }


def test_the_headers_carry_the_id_and_the_attempt_time():
    headers = _headers([secret_generate()], timestamp=1_800_000_000)

    assert headers["webhook-id"] == MSG_ID
    assert headers["webhook-timestamp"] == "1800000000"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"


def test_during_a_rotation_both_secrets_verify():
    old, new = secret_generate(), secret_generate()
    headers = _headers([new, old])

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(BODY, headers)
    assert Webhook(old).verify(BODY, headers)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b.replace(b"7", b"8")), id="body-changed"),
        pytest.param(lambda h, b: ({**h, "webhook-id": "other"}, b), id="id-changed"),
        pytest.param(
            lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
            id="timestamp-changed",
        ),
    ],
)
def test_any_change_to_what_was_signed_fails_verification(tamper):
    secret = secret_generate()
    headers, body = tamper(_headers([secret]), BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_another_endpoints_secret_does_not_verify():
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_generate()).verify(BODY, _headers([secret_generate()]))


def test_an_old_attempt_time_is_refused_by_the_receiver():
    secret = secret_generate()

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, _headers([secret], timestamp=int(time.time()) - 3600))

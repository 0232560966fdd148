"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec v1.0.0).

The signed content is `{webhook-id}.{webhook-timestamp}.{body}` with the exact bytes sent;
the signature is `v1,<base64 HMAC-SHA256>` under the secret's key (the base64 after `whsec_`).
During a secret rotation the header carries one signature per valid secret, space-separated,
and a receiver accepts the message when any of them verifies.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the spec's prefix, not a secret)
SECRET_BYTES = 32  # the spec asks for at least 24 (192 bits)
USER_AGENT = "Tenantdesk-Webhooks/1"


def secret_generate() -> str:
    """A new endpoint secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of id.timestamp.body>` under `secret`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(
    secrets_in_use: list[str], *, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The request headers of one attempt, signed with every secret in use."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, msg_id=msg_id, timestamp=timestamp, body=body)
            for secret in secrets_in_use
        ),
    }

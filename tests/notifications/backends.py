"""Email backends that fail the way providers fail, for the failover tests. Set
`FailingBackend.error` to the exception the next sends raise; every attempt is recorded."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    error: Exception | None = None
    attempts: list = []

    def send_messages(self, email_messages):
        FailingBackend.attempts.extend(email_messages)
        if FailingBackend.error is not None:
            raise FailingBackend.error
        return len(email_messages)

"""Outbound webhooks: signing (Standard Webhooks), the fan-out of events to endpoints, and
delivery through the outbox and the SSRF-guarded HTTP client."""

"""Celery's Redis transport, publishing through one Redis client per channel.

kombu's Redis channel builds a new `redis.Redis` client object for every message it publishes
(`Channel._create_client`, through `conn_or_acquire`): about 0.2 ms of CPU per enqueue, a
third of what an enqueue costs (bench/RESULTS.md). A client is a thread-safe handle on the
channel's connection pool, so one client per channel sends the same commands over the same
connections. The settings select this transport for `redis://` broker URLs only
(CELERY_BROKER_TRANSPORT); `rediss://` keeps kombu's own, which turns TLS on from the scheme.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _publishing_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the consumer's client: kombu keeps one already
            return super()._create_client(asynchronous=True)
        client = self._publishing_client
        if client is None or client.connection_pool is not self.pool:
            client = self._publishing_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel


def transport_for(broker_url: str) -> str | None:
    """CELERY_BROKER_TRANSPORT for a broker URL: this module's for plain Redis, else kombu's
    choice from the URL's scheme (None)."""
    return "config.broker:Transport" if broker_url.startswith("redis://") else None

"""The broker transport (config/broker.py): kombu's Redis transport, publishing through one
Redis client per channel, on the real Redis broker."""

import pytest
import redis
from kombu import Connection, Exchange, Producer, Queue

from config.broker import Transport, transport_for
from config.celery import app

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("redis://127.0.0.1:6379/0", "config.broker:Transport"),
        ("rediss://cache.example:6380/0", None),  # kombu's own: TLS from the scheme
        ("amqp://guest@localhost//", None),
        ("memory://", None),
    ],
)
def test_the_transport_is_ours_for_plain_redis_only(url, transport):
    assert transport_for(url) == transport


@pytest.fixture
def clients_made(monkeypatch):
    made = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    return made


def _publish_three(transport, made) -> tuple[int, int]:
    """Publish three messages on a fresh queue; return (clients made by the publishes, the
    messages the queue holds)."""
    queue = Queue("tenantdesk-test-broker", Exchange("tenantdesk-test-broker"), "broker")
    options = app.conf.broker_transport_options
    with Connection(app.conf.broker_url, transport=transport, transport_options=options) as conn:
        channel = conn.default_channel
        producer = Producer(channel, exchange=queue.exchange, routing_key="broker")
        queue(channel).declare()
        queue(channel).purge()
        before = len(made)
        for n in range(3):
            producer.publish({"n": n}, declare=[queue])
        published = len(made) - before
        held = queue(channel).purge()
    return published, held


def test_publishing_reuses_one_client_per_channel(clients_made):
    assert app.conf.broker_transport == "config.broker:Transport"  # what the settings chose

    published, held = _publish_three(Transport, clients_made)

    assert held == 3
    assert published <= 1


def test_kombus_own_transport_makes_a_client_per_message(clients_made):
    # Negative control: the count above would catch the per-message clients.
    published, held = _publish_three("redis", clients_made)

    assert held == 3
    assert published >= 3

"""Real processes for the fault tests (tests/test_outbox_integration.py): a Celery worker as a
subprocess (so it can be killed with SIGKILL), a private redis-server (so it can be stopped
without touching the Redis every other test uses) and a local SMTP server (aiosmtpd) that
records what it receives and can hold a message in DATA, as a slow provider would.

The worker runs the test settings with TENANTDESK_TEST_WORKER_DB (config/settings/test.py):
the test database of this process, the broker and key prefix of this test run, email through
EMAIL_URL, tasks run for real. Everything here waits on conditions, never on a fixed sleep.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connections

ROOT = Path(settings.BASE_DIR)
WAIT_TIMEOUT = 30.0  # generous: the suite shares two cores with coverage and another worker


def wait_for(predicate: Callable[[], bool], *, what: str, timeout: float = WAIT_TIMEOUT) -> None:
    """Poll `predicate` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting until {what}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- SMTP ------------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler: keeps every message whose DATA arrived. While `hold()` is on, the
    server answers DATA only once `release()` is called: the sender waits mid-send, where a
    worker can be killed after the provider has the message but before it heard back."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._held = threading.Event()
        self.waiting = 0  # DATA commands answered only after release()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def with_message_id(self, message_id: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["Message-ID"] == message_id]

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            # The whole message is here: the server has it, whatever happens to the reply.
            self._messages.append(message)
            held = self._held.is_set()
            if held:
                self.waiting += 1
        while held and self._held.is_set():
            await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port, in a thread; `url` is its EMAIL_URL."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, ready_timeout=WAIT_TIMEOUT
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self.mailbox.release()
        self._controller.stop()


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server on a free port, without persistence: a restart loses every
    message it held, as a crashed Redis without AOF does."""

    def __init__(self):
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> "RedisServer":
        # No persistence: what it holds when it stops is gone.
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()]
        self._process = subprocess.Popen(  # noqa: S603 (a fixed command line, no shell)
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, what=f"the private Redis answers on port {self.port}")
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None


# --- Celery worker -----------------------------------------------------------------------------


class WorkerProcess:
    """`celery -A config worker --pool solo` in a subprocess, on this test's database and
    broker; its output goes to a file, shown when a test fails."""

    def __init__(self, *, env: dict[str, str], queue: str):
        self.name = f"chaos-{uuid.uuid4().hex[:8]}@%h"
        descriptor, log = tempfile.mkstemp(prefix="tdworker-", suffix=".log")
        os.close(descriptor)
        self.log = Path(log)
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
        command += ["-Q", queue, "-n", self.name, "--loglevel", "INFO"]
        # No mingle/gossip/heartbeat: nothing to synchronise with, a faster start.
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> int:
        """SIGKILL: no warm shutdown, no ack, no cleanup — a worker lost mid-task."""
        os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def worker_env(*, email_url: str, broker_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a worker subprocess: this process's (the test run id, the xdist
    worker, the media directory: the same broker key prefix), plus the test database's name,
    the SMTP server and anything in `extra` (OUTBOX_LEASE_SECONDS=…)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TENANTDESK_TEST_WORKER_DB": connections["default"].settings_dict["NAME"],
        "EMAIL_URL": email_url,
        "LOG_LEVEL": "INFO",
        **extra,
    }
    if broker_url is not None:
        env["TEST_CELERY_BROKER_URL"] = broker_url
    return env

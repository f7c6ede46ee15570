"""The MQTT ingestion worker: gateway batches from the broker into the database, acknowledged only
after they are committed.

Topics: a gateway publishes one JSON batch (see monitoring/ingest.py for the payload) per message, QoS 1,
to `zhiben/v1/readings/{partition}/{enterprise_id}`, partition = enterprise_id % 16. A worker subscribes
to its partitions through shared subscriptions, `$share/zhiben/zhiben/v1/readings/{p}/+`, with an MQTT 5
persistent session (clean start off, a session expiry), so messages published while it is down wait at
the broker.

At least once, stored once: the worker turns off paho's automatic acknowledgement, takes up to `batch`
messages (or what arrived within `linger_s`), ingests them in one transaction, commits, and only then
acknowledges them. Killed before the commit, the broker delivers them again; killed after the commit
but before the acknowledgement, they come again and are recognised as duplicates, because the engine
state committed with the readings says how far each sensor got.

Deployment: run one worker per set of partitions (`--partitions 0-7`, `--partitions 8-15`); each
enterprise's messages then reach one worker in order. Two workers on the same partitions share the
messages (the broker alternates); that stays correct (the sensors' state rows are locked per batch,
and a reading that arrives after a later one is stored but not evaluated), only less orderly. The
broker's per-client queue must hold what arrives while a worker is down: Mosquitto's default
`max_queued_messages 1000` drops QoS 1 messages beyond it, so raise it (0 = no limit) in production.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.orm import Session, sessionmaker

from zhiben.db.uow import UnitOfWork
from zhiben.kit.clock import Clock
from zhiben.monitoring import hazard_link
from zhiben.monitoring.ingest import MAX_LETTER_CHARS, Ingestor, IngestReport, Message
from zhiben.monitoring.models import DeadLetter

log = logging.getLogger(__name__)
PARTITIONS = 16
TOPIC_PREFIX = "zhiben/v1/readings"
SHARE_GROUP = "zhiben"
SESSION_EXPIRY_S = 7 * 24 * 3600
RETRIES = 3


def topic_for(enterprise_id: int, prefix: str = TOPIC_PREFIX) -> str:
    return f"{prefix}/{enterprise_id % PARTITIONS}/{enterprise_id}"


def parse_partitions(text: str) -> list[int]:
    """'0-7', '3', '0,2,4-6' or 'all' → partition numbers."""
    if text.strip() == "all":
        return list(range(PARTITIONS))
    found: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        first, last = int(low), int(high or low)
        if not 0 <= first <= last < PARTITIONS:
            raise ValueError(f"partitions are 0 to {PARTITIONS - 1}: {part!r}")
        found.update(range(first, last + 1))
    return sorted(found)


def enterprise_of(topic: str, prefix: str = TOPIC_PREFIX) -> int | None:
    head, _, rest = topic.rpartition("/")
    partition, _, _ = head.rpartition("/")
    if partition != prefix or not rest.isdigit():
        return None
    return int(rest)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Broker:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"a broker URL looks like mqtt://host:1883, not {url!r}")
        return cls(parts.hostname, parts.port or 1883)


class MqttWorker:
    def __init__(
        self,
        broker: Broker,
        factory: sessionmaker[Session],
        clock: Clock,
        partitions: Sequence[int],
        client_id: str,
        *,
        batch: int = 50,
        linger_s: float = 0.2,
        on_batch: Callable[[IngestReport], None] | None = None,
        prefix: str = TOPIC_PREFIX,
        group: str = SHARE_GROUP,
    ) -> None:
        self.prefix, self.group = prefix, group
        self.broker, self.factory, self.clock = broker, factory, clock
        self.partitions, self.batch, self.linger_s, self.on_batch = (
            list(partitions),
            batch,
            linger_s,
            on_batch,
        )
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stopping = threading.Event()
        self.ingestor = Ingestor()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.enable_logger(log)  # paho speaks at DEBUG through our logger
        self.client.manual_ack_set(True)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, message: self.inbox.put(message)
        self.totals = IngestReport()

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _p: object
    ) -> None:
        log.info("connected to %s:%d (%s)", self.broker.host, self.broker.port, reason)
        client.subscribe([(f"$share/{self.group}/{self.prefix}/{p}/+", 1) for p in self.partitions])

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect(self.broker.host, self.broker.port, clean_start=False, properties=properties)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()

    def _take(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self.inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        taken, deadline = [first], time.monotonic() + self.linger_s
        while len(taken) < self.batch:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                taken.append(self.inbox.get(timeout=left))
            except queue.Empty:
                break
        return taken

    def process(self, taken: Sequence[mqtt.MQTTMessage]) -> IngestReport:
        messages = []
        for m in taken:
            enterprise_id = enterprise_of(m.topic, self.prefix)
            # An unreadable topic is a message without an enterprise: the ingestor dead-letters it.
            messages.append(
                Message(enterprise_id if enterprise_id is not None else 0, "mqtt", m.topic, bytes(m.payload))
            )
        with UnitOfWork(self.factory, self.clock) as uow:
            report = self.ingestor.ingest(uow.session, messages)
            # Patterns a standard names (e.g. coal article 5), for this batch's sensors only: another
            # worker's enterprises are its own to lock.
            hazard_link.hazards_from_alarms(uow.session, report.sensor_ids)
        for m in taken:  # committed: now the broker may forget them
            self.client.ack(m.mid, m.qos)
        return report

    def process_safely(self, taken: Sequence[mqtt.MQTTMessage]) -> IngestReport:
        """A failed batch is retried (a deadlock or a lost connection passes); one that keeps failing is
        taken apart, and a message that fails on its own is dead-lettered and acknowledged, so one bad
        message never stops the worker or holds up the others."""
        for attempt in range(RETRIES):
            try:
                return self.process(taken)
            except Exception:
                log.exception("batch of %d failed (attempt %d)", len(taken), attempt + 1)
                time.sleep(0.2 * 2**attempt)
        report = IngestReport()
        for m in taken:
            for attempt in range(RETRIES):
                try:
                    report.add(self.process([m]))
                    break
                except Exception as exc:
                    log.exception("message on %s failed (attempt %d)", m.topic, attempt + 1)
                    time.sleep(0.2 * 2**attempt)
                    error = exc
            else:
                self._give_up(m, error)
                report.dead_letters += 1
        return report

    def _give_up(self, m: mqtt.MQTTMessage, error: Exception) -> None:
        with UnitOfWork(self.factory, self.clock) as uow:
            uow.session.add(
                DeadLetter(
                    received_at=self.clock.now(),
                    channel="mqtt",
                    origin=m.topic[:300],
                    reason=f"failed {RETRIES} times: {type(error).__name__}: {error}"[:500],
                    payload=bytes(m.payload)[: MAX_LETTER_CHARS * 4].decode("utf-8", "replace")[
                        :MAX_LETTER_CHARS
                    ],
                )
            )
        self.client.ack(m.mid, m.qos)

    def run(self) -> IngestReport:
        """Ingest until stop() (or SIGTERM / SIGINT when run from the command line)."""
        self.start()
        try:
            while not self.stopping.is_set():
                taken = self._take()
                if not taken:
                    continue
                report = self.process_safely(taken)
                self.totals.add(report)
                if self.on_batch:
                    self.on_batch(report)
        finally:
            self.client.loop_stop()
            self.client.disconnect()
        return self.totals


def forget_session(broker: Broker, client_id: str) -> None:
    """End a worker's persistent session at the broker (its subscriptions and queued messages)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    client.connect(broker.host, broker.port, clean_start=True, properties=properties)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


def stop_on_signals(worker: MqttWorker) -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

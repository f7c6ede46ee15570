"""The notifier port: how an escalation (报警升级) reaches people. A log adapter, a webhook adapter and
a fake for tests.

A notifier raises on failure; the escalation job catches it, keeps the escalation and records the
failure in the alarm's log. Escalation messages are at-least-once: should the job's transaction fail
after a message went out, the next run escalates (and notifies) again.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Escalation:
    """An alarm that was not acknowledged within its response time."""

    alarm_id: int
    enterprise_id: int
    county_code: str
    sensor_id: int
    sensor_code: str
    condition: str
    priority: str
    annunciated_at: datetime
    deadline_at: datetime
    escalated_at: datetime

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("annunciated_at", "deadline_at", "escalated_at"):
            out[name] = getattr(self, name).isoformat()
        return out


class Notifier(Protocol):
    def notify(self, escalation: Escalation) -> None:
        """Send the escalation, or raise saying why it could not be sent."""


class NotifyError(Exception):
    """The notifier could not deliver (the reason goes into the alarm's log)."""


class LogNotifier:
    """Writes each escalation to the application log (the embedded default)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    def notify(self, escalation: Escalation) -> None:
        self._log.warning(
            "alarm %s escalated: %s %s on sensor %s (enterprise %s), unacknowledged since %s",
            escalation.alarm_id,
            escalation.priority,
            escalation.condition,
            escalation.sensor_code,
            escalation.enterprise_id,
            escalation.annunciated_at.isoformat(),
        )


class WebhookNotifier:
    """POSTs the escalation as JSON to a URL; any answer other than 2xx, or no answer within
    `timeout_s`, is a failure."""

    def __init__(self, url: str, timeout_s: float = 5.0, headers: dict[str, str] | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(
                "the webhook URL must be http:// or https://"
            )  # S310: no file: or custom schemes
        self.url, self.timeout_s = url, timeout_s
        self.headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}

    def notify(self, escalation: Escalation) -> None:
        body = json.dumps({"event": "alarm.escalated", **escalation.as_json()}, ensure_ascii=False)
        data = body.encode()
        request = urllib.request.Request(self.url, data=data, headers=self.headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                status = int(response.status)
        except OSError as exc:  # URLError, HTTPError, timeouts, refused connections
            raise NotifyError(f"webhook {self.url}: {exc}") from exc
        if not 200 <= status < 300:
            raise NotifyError(f"webhook {self.url} answered {status}")


@dataclass
class FakeNotifier:
    """Records every escalation; fails with `failure` when it is set."""

    sent: list[Escalation] = field(default_factory=list)
    failure: str | None = None

    def notify(self, escalation: Escalation) -> None:
        if self.failure is not None:
            raise NotifyError(self.failure)
        self.sent.append(escalation)

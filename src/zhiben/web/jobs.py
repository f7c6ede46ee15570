"""Long operations started from a page (imports, re-determinations) run in a worker thread; the page polls
their progress with htmx. The work itself commits all-or-nothing in its own unit of work, so a crash or a
restart loses no half-done change; only the progress report lives in memory, per process."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
MAX_KEPT = 200  # finished jobs remembered per process, oldest dropped first


@dataclass
class Job:
    id: str
    owner: int  # the user who started it: nobody else may read its progress or result
    kind: str
    done: int = 0
    total: int = 0
    finished: bool = False
    result: Any = None
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def progress(self, done: int, total: int) -> None:
        with self.lock:
            self.done, self.total = done, total

    @property
    def percent(self) -> int:
        return 100 if self.finished else int(100 * self.done / self.total) if self.total else 0


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(
        self, owner: int, kind: str, work: Callable[[Job], Any], describe_error: Callable[[Exception], str]
    ) -> Job:
        job = Job(secrets.token_urlsafe(12), owner, kind)

        def run() -> None:
            try:
                job.result = work(job)
            except Exception as exc:  # the page shows why; the unit of work has rolled back
                log.exception("%s job %s failed", kind, job.id)
                job.error = describe_error(exc)
            finally:
                job.finished = True

        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].finished:
                    break
                del self._jobs[oldest]
        threading.Thread(target=run, name=f"zhiben-{kind}-{job.id}", daemon=True).start()
        return job

    def get(self, owner: int, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

"""A sampling profiler for the benches: where a set of threads spends its wall time.

Every `interval` seconds it takes each thread's stack (``sys._current_frames``) and counts,
per thread group, the innermost frame (what the thread is doing: a SQLite call, a lock
wait, a sleep) and the innermost frame of our own code (who asked for it). Wall time, not
CPU: a thread blocked on a lock or on the database counts where it waits, which is the point.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

OURS = ("/layers/", "/bench/")


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    short = path.split("site-packages/")[-1] if "site-packages/" in path else path
    for marker in ("/src/layers/", "/bench/"):
        if marker in short:
            short = short.split(marker, 1)[1]
    return f"{short}:{code.co_name}"


def _ours(frame: FrameType | None) -> str:
    while frame is not None:
        path = frame.f_code.co_filename
        if any(marker in path for marker in OURS) and "_sampler" not in path:
            return _where(frame)
        frame = frame.f_back
    return "(no frame of ours)"


class Sampler:
    """Samples the threads `group` names (thread → group name, or None to skip)."""

    def __init__(
        self, group: Callable[[threading.Thread], str | None], interval: float = 0.02
    ) -> None:
        self.group = group
        self.interval = interval
        self.leaf: dict[str, Counter[str]] = {}
        self.ours: dict[str, Counter[str]] = {}
        self.samples: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            threads = {t.ident: t for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                thread = threads.get(ident)
                if thread is None or thread is self._thread:
                    continue
                name = self.group(thread)
                if name is None:
                    continue
                self.samples[name] += 1
                self.leaf.setdefault(name, Counter())[_where(frame)] += 1
                self.ours.setdefault(name, Counter())[_ours(frame)] += 1

    def report(self, name: str, top: int = 8) -> str:
        total = self.samples[name] or 1
        lines = [f"  {name}: {self.samples[name]} samples"]
        views = (("innermost frame", self.leaf), ("innermost frame of ours", self.ours))
        for title, counter in views:
            lines.append(f"    by {title}:")
            for where, count in counter.get(name, Counter()).most_common(top):
                lines.append(f"      {count / total:6.1%}  {where}")
        return "\n".join(lines)


class WriterLockMeter:
    """How long the app engine's SQLite writer lock (`layers.kit.db.make_engine`) is waited for
    and held: the lock (a closure variable of the engine's ``begin`` hook) is swapped for a
    timing proxy while the meter runs."""

    def __init__(self, engine: Any) -> None:
        self.waits: list[float] = []
        self.holds: list[float] = []
        self.started = time.perf_counter()
        self.stopped: float | None = None
        self._cell = self._writer_cell(engine)
        self._lock = self._cell.cell_contents
        meter = self
        acquired_at = threading.local()

        class TimedLock:
            def acquire(self, *args: Any, **kwargs: Any) -> bool:
                asked = time.perf_counter()
                got = bool(meter._lock.acquire(*args, **kwargs))
                acquired_at.value = time.perf_counter()
                if meter.stopped is None:
                    meter.waits.append(acquired_at.value - asked)
                return got

            def release(self) -> None:
                held = getattr(acquired_at, "value", None)
                meter._lock.release()
                if held is not None and meter.stopped is None:
                    meter.holds.append(time.perf_counter() - held)

        self._cell.cell_contents = TimedLock()

    @staticmethod
    def _writer_cell(engine: Any) -> Any:
        for listener in engine.dispatch.begin:
            fn = getattr(listener, "__wrapped__", listener)
            names = fn.__code__.co_freevars
            if fn.__name__ == "_on_begin" and "writer" in names:
                return fn.__closure__[names.index("writer")]
        raise RuntimeError("the engine has no writer lock (not SQLite?)")

    def stop(self) -> None:
        self.stopped = time.perf_counter()
        self._cell.cell_contents = self._lock

    def report(self, per: int, unit: str) -> str:
        if not self.holds:
            return "  writer lock: no write transactions"
        wall = (self.stopped or time.perf_counter()) - self.started
        holds, waits = sorted(self.holds), sorted(self.waits)

        def pct(values: list[float], q: float) -> float:
            return values[min(len(values) - 1, int(len(values) * q))] * 1000

        return (
            f"  writer lock: {len(holds)} write transactions ({len(holds) / per:.1f} per {unit}),"
            f" held {sum(holds) / wall:.0%} of {wall:.1f} s; hold p50 {pct(holds, 0.5):.1f} ms,"
            f" p99 {pct(holds, 0.99):.1f} ms; wait for it p50 {pct(waits, 0.5):.1f} ms,"
            f" p99 {pct(waits, 0.99):.1f} ms, mean {sum(waits) / len(waits) * 1000:.1f} ms"
        )


class CpuMeter:
    """CPU seconds spent over an interval by this process and by the whole machine (the rest
    is PostgreSQL, when local, and whatever else runs)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        self.start = self._read()

    @classmethod
    def _own(cls) -> float:
        times = os.times()
        return times.user + times.system

    @classmethod
    def _machine(cls) -> float:
        with open("/proc/stat") as handle:
            fields = [int(f) for f in handle.readline().split()[1:8]]
        return (sum(fields) - fields[3] - fields[4]) / cls.TICK  # all but idle and iowait

    def _read(self) -> tuple[float, float, float]:
        return time.perf_counter(), self._own(), self._machine()

    def report(self, per: int, unit: str) -> str:
        end = self._read()
        wall, ours, machine = (b - a for a, b in zip(self.start, end, strict=True))
        return (
            f"  CPU over {wall:.1f} s: this process {ours:.1f} s ({ours / wall:.2f} cores, "
            f"{ours / per * 1000:.1f} ms a {unit}); the rest of the machine (the database, "
            f"anything else) {(machine - ours) / wall:.2f} cores; {os.cpu_count()} cores"
        )

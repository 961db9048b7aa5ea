"""Progress a user can see anywhere: a tqdm bar on a terminal, timed lines elsewhere.

tqdm draws its bar with carriage returns and, asked to decide by itself
(``disable=None``), switches itself off when stderr is not a terminal: a study run
under ``nohup``, piped through ``tee`` or in CI then prints nothing for an hour.
:func:`progress_bar` keeps tqdm for terminals and otherwise returns a
:class:`LineProgress`, which prints one plain line every ``every`` seconds (the
environment variable ``LOSSLAB_PROGRESS_SECONDS``, default 10) and one when it
closes::

    train: 3,400/12,000 steps (28%), 212 steps/s, 16 s elapsed, ETA 41 s, 2/8 members

Both take the same calls: ``update(n)``, ``set_postfix_str(text)``, ``close()`` and
``with``. The rate is the average since the start (a long run's ETA then does not
jump with each noisy interval) over the work done in this process: work a resumed run
finished before (reported with :func:`resumed`) counts toward the total, not the rate.
A run resumed at 5,120 of 100,000 steps printed "169 steps/s, ETA 9 min" 31 s in,
while it trained at 4 steps/s; it now prints the 4 and an ETA of hours.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["LineProgress", "progress_bar", "resumed", "seconds_between_lines"]

DEFAULT_SECONDS = 10.0


def seconds_between_lines() -> float:
    """``LOSSLAB_PROGRESS_SECONDS`` (a number >= 0), else 10 s."""
    raw = os.environ.get("LOSSLAB_PROGRESS_SECONDS", "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_SECONDS
    return value if value >= 0 else DEFAULT_SECONDS


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


class LineProgress:
    """One progress line every ``every`` seconds and one at the end (see the module)."""

    def __init__(
        self,
        total: float,
        desc: str,
        unit: str,
        every: float | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.every = seconds_between_lines() if every is None else every
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.n = 0
        self.initial = 0  # work done before this process (a resumed run): not in the rate
        self.postfix = ""
        self.started = clock()
        self.last = self.started
        self.closed = False

    def line(self) -> str:
        elapsed = self.clock() - self.started
        parts = [f"{self.desc}: {self.n:,}/{self.total:,} {self.unit}s"]
        if self.total:
            parts[0] += f" ({100 * self.n / self.total:.0f}%)"
        here = self.n - self.initial  # done by this process
        if elapsed > 0 and here > 0:
            rate = here / elapsed
            parts.append(f"{rate:,.3g} {self.unit}s/s")
        parts.append(f"{_duration(elapsed)} elapsed")
        if elapsed > 0 and here > 0 and self.n < self.total:
            parts.append(f"ETA {_duration((self.total - self.n) * elapsed / here)}")
        if self.postfix:
            parts.append(self.postfix)
        return ", ".join(parts)

    def _print(self) -> None:
        print(self.line(), file=self.stream, flush=True)
        self.last = self.clock()

    def update(self, n: float = 1) -> None:
        self.n += n
        if self.clock() - self.last >= self.every:
            self._print()

    def resumed(self, n: float) -> None:
        """``n`` units done before this process started: counted, not in the rate."""
        self.n += n
        self.initial += n

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._print()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Off:
    """No progress at all (``--quiet``)."""

    n = 0
    total = 0

    def update(self, n: float = 1) -> None:
        self.n += n

    def resumed(self, n: float) -> None:
        self.n += n

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Off:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(
    total: float,
    desc: str,
    unit: str,
    enabled: bool = True,
    stream: TextIO | None = None,
    **tqdm_options: Any,
) -> Any:
    """A tqdm bar where ``stream`` (default stderr) is a terminal, a :class:`LineProgress`
    elsewhere, nothing when ``enabled`` is false. ``tqdm_options`` (``leave``,
    ``bar_format``, ...) go to tqdm only."""
    if not enabled:
        return _Off()
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        from tqdm import tqdm

        class Bar(tqdm):
            def resumed(self, n: float) -> None:
                """tqdm's own ``initial``: counted, left out of the rate."""
                self.initial += n
                self.n += n
                self.last_print_n = self.n
                self.refresh()

        return Bar(total=total, desc=desc, unit=unit, file=stream, **tqdm_options)
    return LineProgress(total, desc, unit, stream=stream)


def resumed(progress: Callable[[int], Any], n: int) -> None:
    """Tell ``progress`` (a bar's ``update``, or any callable taking a count) that ``n``
    units were done before this process: a bar from :func:`progress_bar` counts them
    toward its total but not its rate; any other callable just gets ``progress(n)``."""
    bar = getattr(progress, "__self__", None)
    if getattr(progress, "__name__", "") == "update" and hasattr(bar, "resumed"):
        bar.resumed(n)
    else:
        progress(n)

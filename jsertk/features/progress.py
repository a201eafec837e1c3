"""Progress lines for long loops: live on a terminal, one line every half minute in a log file."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Counts items (and seconds of audio) and prints rate and time left now and then."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, interval: float | None = None):
        self.total, self.label = total, label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.interval = interval if interval is not None else (0.5 if self.tty else 30.0)
        self.done = 0
        self.audio_s = 0.0
        self.start = self._last = time.monotonic()

    def update(self, n: int = 1, audio_s: float = 0.0) -> None:
        self.done += n
        self.audio_s += audio_s
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._print(self.line(now), final=False)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.start, 1e-9)
        pct = 100.0 * self.done / self.total if self.total else 100.0
        text = f"{self.label}: {self.done}/{self.total} ({pct:.0f}%)"
        if self.audio_s:
            text += f", {self.audio_s / 3600:.3f} h audio, {self.audio_s / elapsed:.0f}x real time"
        if 0 < self.done < self.total:
            text += f", {_clock(elapsed * (self.total - self.done) / self.done)} left"
        else:
            text += f", {_clock(elapsed)} elapsed"
        return text

    def close(self) -> None:
        self._print(self.line(), final=True)

    def _print(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

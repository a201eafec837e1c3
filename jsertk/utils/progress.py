"""The progress reporter of every long loop: tqdm, live on a terminal and one plain line every
half minute in a log file (no carriage-return redraws there), with audio throughput when known."""
from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress(tqdm):
    """`tqdm` over `total` items; `update(n, audio_s)` also counts seconds of audio and shows the
    hours done and the speed as a multiple of real time."""

    def __init__(self, total: int | None, desc: str, unit: str = "utt", stream: TextIO | None = None,
                 interval: float | None = None):
        stream = stream if stream is not None else sys.stderr
        tty = getattr(stream, "isatty", lambda: False)()
        self.audio_s = 0.0
        super().__init__(total=total, desc=desc, unit=unit, file=stream if tty else _NewlineWriter(stream),
                         leave=True, ascii=not tty,
                         dynamic_ncols=tty, mininterval=interval if interval is not None else (0.5 if tty else 30.0),
                         maxinterval=max(30.0, interval or 0.0), miniters=1, smoothing=0.1)

    def update(self, n: int = 1, audio_s: float = 0.0) -> bool | None:
        if audio_s:
            self.audio_s += audio_s
            elapsed = max(self.format_dict["elapsed"], 1e-9)
            self.set_postfix_str(f"{self.audio_s / 3600:.3f} h audio, {self.audio_s / elapsed:.0f}x real time",
                                 refresh=False)
        return super().update(n)


class _NewlineWriter:
    """Turns tqdm's carriage-return redraws into one line each (for a log file)."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip("\n")
        if text.strip():
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()

"""A one-line progress bar for management commands (plain stderr, no dependency)."""

from __future__ import annotations

import time

BAR_WIDTH = 30


class ProgressBar:
    """``[#######-------]  1,200/10,000 patients  12.0 s  100 patients/s`` on one line of
    ``stream`` (a management command's ``self.stderr``); call it with (done, total)."""

    def __init__(self, stream, unit: str) -> None:
        self.stream = stream
        self.unit = unit
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        filled = BAR_WIDTH if not total else round(BAR_WIDTH * min(done, total) / total)
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r  [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:,}/{total:,} {self.unit}"
            f"  {elapsed:.1f} s  {rate:,.0f} {self.unit}/s",
            ending="",
        )
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        self.stream.write("")

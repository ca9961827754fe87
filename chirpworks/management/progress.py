"""A tqdm progress bar on stderr for management commands (hidden when there is nothing to do)."""

from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """``progress(done, total)`` callback for services; use as a context manager."""

    def __init__(self, stream: TextIO, unit: str) -> None:
        self.stream = stream
        self.unit = unit
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, unit=self.unit, file=self.stream, disable=total == 0)
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

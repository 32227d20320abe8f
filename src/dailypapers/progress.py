"""How long jobs report progress, so that the CLI can draw a bar without the jobs knowing of it."""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    """Told how much work was just finished (records or bytes), and the total once it is known."""

    def __call__(self, advance: int, *, total: int | None = None) -> None: ...

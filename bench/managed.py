"""A process the bench starts and must always stop: ``with Server(...) as server:``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Managed:
    """Started on entering the block; stopped on leaving it, also when starting fails halfway
    or the run is interrupted. Subclasses give ``start`` and ``stop``."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

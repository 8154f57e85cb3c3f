"""Run the same work in several threads released at the same instant: the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(work: Callable[[int], Any], count: int) -> tuple[list[Any], list[BaseException]]:
    """Call ``work(0)`` … ``work(count - 1)`` in ``count`` threads that start together; return
    what they returned and what they raised. Each thread closes its own database connection."""
    start = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results.append(work(n))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors

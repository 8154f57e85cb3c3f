"""Server CPU time, read from ``/proc``: the user and system time of a process tree (a process
and every descendant), so that a figure can say how many CPU milliseconds the server spent per
request. Far less sensitive to a noisy shared machine than latency: a request that waits for a
core costs wall time, not CPU time.

A process's own ``utime + stime`` counts while it runs; ``cutime + cstime`` holds the time of
children it has already reaped (a live child is counted on its own, never twice)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
#: Clock ticks per second of the times in ``/proc/<pid>/stat``.
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcessTimes:
    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def ticks(self) -> int:
        """Its own time and that of its reaped children."""
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcessTimes:
    """One ``/proc/<pid>/stat`` line. The command name (field 2) is in parentheses and may
    itself hold spaces and parentheses, so the fields are counted from the last ``)``."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()
    # tail starts at field 3 (state): ppid is field 4, utime..cstime fields 14..17.
    return ProcessTimes(
        pid=pid,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


def tree_ticks(root: int, processes: Iterable[ProcessTimes]) -> int:
    """The ticks of ``root`` and every descendant among ``processes``."""
    children: dict[int, list[ProcessTimes]] = {}
    by_pid: dict[int, ProcessTimes] = {}
    for process in processes:
        by_pid[process.pid] = process
        children.setdefault(process.ppid, []).append(process)
    if root not in by_pid:
        return 0
    total, stack = 0, [by_pid[root]]
    while stack:
        process = stack.pop()
        total += process.ticks
        stack.extend(children.get(process.pid, ()))
    return total


def read_processes(proc: Path = PROC) -> list[ProcessTimes]:
    """Every process's times now (processes that end meanwhile are skipped)."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found.append(parse_stat((entry / "stat").read_text()))
        except (OSError, ValueError, IndexError):
            continue
    return found


def tree_cpu_ms(root: int | None) -> float:
    """CPU milliseconds spent so far by the process tree of ``root`` (0 without one)."""
    if root is None:
        return 0.0
    return tree_ticks(root, read_processes()) * 1000 / TICKS_PER_S


def tree_rss_kb(root: int | None, proc: Path = PROC) -> int:
    """Resident memory (kB) of the process tree of ``root`` now: the server's footprint, to
    show that a streamed export does not grow it with its rows."""
    if root is None:
        return 0
    processes = read_processes(proc)
    children: dict[int, list[int]] = {}
    for process in processes:
        children.setdefault(process.ppid, []).append(process.pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            status = (proc / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        stack.extend(children.get(pid, ()))
    return total


def per_request(cpu_ms: float, requests: int) -> float | None:
    """CPU milliseconds per request, or None when nothing was answered."""
    return round(cpu_ms / requests, 2) if requests > 0 else None

"""CPU accounting the benchmarks share: a process's seconds, the PostgreSQL server's, and the machine's.

On 2 shared cores a benchmark's figures mean little without knowing whether the machine was saturated
and by whom: the hub's processes, the database, the clients, or what no process the bench follows spent
(PostgreSQL backends that ended, the kernel's loopback traffic).
"""

from __future__ import annotations

import os
from pathlib import Path


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds the PostgreSQL server's processes (postmaster, backends, background workers) have used
    so far. A backend that exits takes its seconds with it; the hub's connection pools keep theirs open."""
    used = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                used += process_cpu(int(proc.name))
        except OSError:  # the process ended meanwhile
            continue
    return used


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat: all but idle and iowait),
    whoever spent them."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")

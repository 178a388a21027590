"""CPU seconds, descriptors, threads and memory of a process and its descendants, read
from ``/proc`` from the outside (the benchmarks charge a client's whole tree, ffmpeg
children included, and nothing else)."""

import contextlib
import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of one process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and every living descendant."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], cpu[int(entry.name)] = found
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(cpu.get(pid, 0.0) for pid in tree)


def _tree(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    found = [root]
    if children.exists():
        for pid in children.read_text().split():
            found += _tree(int(pid))
    return found


def resources(root: int) -> dict[str, float]:
    """Open file descriptors, threads and resident memory of ``root`` and its children."""
    fds = threads = rss_kb = 0
    for pid in _tree(root):
        with contextlib.suppress(OSError):
            fds += len(os.listdir(f"/proc/{pid}/fd"))
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kb += int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads += int(line.split()[1])
    return {"fds": fds, "threads": threads, "rss_mb": round(rss_kb / 1024, 1)}

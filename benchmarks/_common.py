"""Shared helpers for the benchmark scripts: timing, peak memory, result tables and JSON output."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _timed(fn: Callable[[], Any]) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def timeit(fn: Callable[[], Any], repeats: int = 3, warmup: int = 1) -> float:
    """Fastest wall time of ``fn`` in seconds over ``repeats`` runs (synchronising CUDA).

    The minimum is the least noisy estimate on a shared machine: interference only ever adds time.
    """
    for _ in range(warmup):
        fn()
    return min(_timed(fn) for _ in range(repeats))


def timeit_interleaved(
    fns: dict[str, Callable[[], Any]], repeats: int = 3, warmup: int = 1
) -> dict[str, float]:
    """Fastest wall time of each function, run round-robin so that load drift hits all of them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_timed(fn))
    return {name: min(values) for name, values in times.items()}


def _proc_status_mb(field: str) -> float | None:
    """A memory line of ``/proc/self/status`` (``VmHWM``, ``VmRSS``) in MB; None where /proc is
    unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB: since the last :func:`reset_peak_rss` where Linux allows
    it."""
    peak = _proc_status_mb("VmHWM")
    return (
        peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )  # Linux: KB


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and all its children now, in MB (processes that exit meanwhile
    count 0): what a command run as a subprocess holds, spaCy or DataLoader workers included."""
    import psutil

    try:
        process = psutil.Process(pid)
        processes = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for proc in processes:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB (0 where /proc is unavailable)."""
    return _proc_status_mb("VmRSS") or 0.0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (Linux ≥ 4.0: ``5`` into ``/proc/self/clear_refs``) so that a later
    :func:`peak_rss_mb` covers only what ran after it, not model loading. False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def print_table(rows: list[dict[str, Any]], title: str, flush: bool = False) -> None:
    """Print rows as an aligned text table."""
    if not rows:
        return
    keys = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_fmt(row.get(k, "")) for k in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print(f"\n{title}")
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)), flush=flush)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` (with machine info) and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), "argv": sys.argv[1:], **payload}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
    return path

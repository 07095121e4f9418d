"""Resumable pipelines: named steps whose JSON results are cached, so an interrupted run continues where it
stopped (the demo and the experiment recipes are sequences of such steps).

Usage::

    steps = StepRunner("runs/x/steps")
    corpus = steps.run("corpus", lambda: {"file": build_corpus()})   # skipped on a re-run: the cached dict
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError
from lingualift.io_utils import atomic_write_json


class StepRunner:
    """Runs named steps once, caching each step's JSON-serialisable result in ``steps_dir/<name>.json``."""

    def __init__(self, steps_dir: str | Path, log: Callable[[str], None] = print, fresh: bool = False):
        self.steps_dir = Path(steps_dir)
        self.log = log
        self.fresh = fresh
        self.results: dict[str, Any] = {}

    def done(self, name: str) -> bool:
        """Whether ``name`` finished in this or an earlier run."""
        return (self.steps_dir / f"{name}.json").is_file() and not self.fresh

    def recorded(self, name: str) -> dict[str, Any] | None:
        """The cached result of a finished step as recorded (its output files unchecked), or None: what a
        report quotes about a step it does not need to run again."""
        if name not in self.results and self.done(name):
            self.results[name] = json.loads((self.steps_dir / f"{name}.json").read_text(encoding="utf-8"))
        return self.results.get(name)

    def run(
        self,
        name: str,
        fn: Callable[[], dict[str, Any]],
        outputs: Sequence[str] = (),
        settings: Any = None,
    ) -> dict[str, Any]:
        """The cached result of step ``name``, or ``fn()``'s (timed, then written atomically).

        ``outputs``: keys of the result naming files or directories the later steps read; a cached result
        whose outputs are gone (a fresh checkout keeps the step records, not the scratch files) runs again.
        ``settings``: the JSON-serialisable settings the step's result depends on, recorded with it; a cached
        result made with other settings is refused (never reused silently, never overwritten).
        """
        marker = self.steps_dir / f"{name}.json"
        result = json.loads(marker.read_text(encoding="utf-8")) if self.done(name) else None
        if result is not None and settings is not None:
            recorded, current = result.get("settings"), json.loads(json.dumps(settings))
            if recorded != current:
                raise ConfigError(
                    f"step {name!r} finished earlier with other settings ({marker}: {recorded} != now"
                    f" {current}); restore them, or delete {marker} (and the records of the steps after it)"
                    " to recompute"
                )
        missing = [str(result[key]) for key in outputs if result and not Path(result[key]).exists()]
        if result is not None and not missing:
            self.log(f"[{name}] done in an earlier run (cached: {marker})")
        else:
            if missing:
                self.log(f"[{name}] cached, but its outputs are gone ({', '.join(missing)}): running again")
            self.log(f"[{name}] running ...")
            start = time.perf_counter()
            result = fn()
            if settings is not None:
                result["settings"] = json.loads(json.dumps(settings))
            result["seconds"] = round(time.perf_counter() - start, 1)
            atomic_write_json(marker, result)
            self.log(f"[{name}] finished in {result['seconds']:.1f}s")
        self.results[name] = result
        return result

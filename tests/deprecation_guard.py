"""Fail a test when lingualift code triggers a deprecation warning, wherever the warning is attributed.

pytest's ``filterwarnings = error::FutureWarning:lingualift`` only matches warnings *attributed* to a
lingualift module, i.e. when the ``stacklevel`` of the ``warn()`` call lands on our frame. transformers'
deprecation decorators warn with ``stacklevel=2``, and a model is called through ``nn.Module.__call__``, so
a deprecated argument we pass to ``self.language_model(...)`` is attributed to
``torch/nn/modules/module.py`` (or to ``transformers/utils/generic.py``), never to us. This plugin looks at
the whole frame stack instead: a DeprecationWarning / PendingDeprecationWarning / FutureWarning that reaches
display while a lingualift frame is on the stack fails the test phase (setup, call, teardown) or the
collection it happened in.

Not ours, so not failed: warnings raised while a third-party module is being imported (module-level code of a
dependency, even when the import statement is ours: the dependency warns whatever we do with it), and warnings
that pytest's filters or a ``warnings.catch_warnings`` block in lingualift already silence.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from collections.abc import Generator, Iterable
from pathlib import Path
from types import FrameType

import pytest

DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _package_dir() -> Path:
    spec = importlib.util.find_spec("lingualift")  # located without importing (no transformers import here)
    assert spec is not None and spec.origin is not None, "lingualift is not importable"
    return Path(spec.origin).resolve().parent


class DeprecationGuard:
    """pytest plugin; ``roots``: the directories whose frames count as "our code" (default: lingualift/)."""

    def __init__(self, roots: Iterable[str | os.PathLike] | None = None):
        dirs = [Path(root) for root in (roots or [_package_dir()])]
        self.roots = tuple({str(path) + os.sep for d in dirs for path in (d.absolute(), d.resolve())})

    # ------------------------------------------------------------------ which warnings are ours
    def _ours(self, frame: FrameType | None) -> str | None:
        """``file:line`` of the innermost lingualift frame on the stack, unless a dependency's import-time
        code lies between it and the warning."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.roots):
                return f"{filename}:{frame.f_lineno}"
            if frame.f_code.co_name == "<module>" and not filename.startswith("<"):
                return None  # a third-party module's import-time code (importlib frames are "<frozen ...>")
            frame = frame.f_back
        return None

    def _watch(self) -> tuple[list[str], object]:
        caught: list[str] = []
        previous = warnings._showwarnmsg
        # nested guards (pytester runs) report to the innermost one only; any other hook below stays in place
        delegate = getattr(previous, "_guard_delegate", previous)

        def show(message: warnings.WarningMessage) -> None:
            if issubclass(message.category, DEPRECATIONS):
                where = self._ours(sys._getframe(1))
                if where is not None:
                    caught.append(
                        f"{message.category.__name__}: {message.message}\n"
                        f"    triggered through {where} (attributed to {message.filename}:{message.lineno})"
                    )
            delegate(message)

        show._guard_delegate = delegate  # type: ignore[attr-defined]
        warnings._showwarnmsg = show  # called by warnings.warn for every warning that passes the filters
        return caught, previous

    @staticmethod
    def _message(caught: list[str]) -> str:
        return "deprecation warning(s) triggered by lingualift code (use the current API):\n" + "\n".join(
            dict.fromkeys(caught)
        )

    def _guarded(self) -> Generator[None, object, object]:
        caught, previous = self._watch()
        try:
            result = yield
        finally:
            warnings._showwarnmsg = previous
        if caught:
            pytest.fail(self._message(caught), pytrace=False)
        return result

    # ------------------------------------------------------------------ hooks
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guarded())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guarded())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guarded())

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, object, object]:
        caught, previous = self._watch()
        try:
            report = yield
        finally:
            warnings._showwarnmsg = previous
        if caught and report.outcome != "failed":
            report.outcome = "failed"
            report.longrepr = self._message(caught)
        return report

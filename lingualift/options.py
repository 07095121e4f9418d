"""Options objects for the wide entry points: one dataclass holds an entry point's settings, their defaults
and their checks (in ``__post_init__``), and keyword settings given beside it override single fields.

``evaluate(model, "sib200", options, limit=50)`` is ``evaluate(model, "sib200", replace(options, limit=50))``;
an unknown keyword is refused with the closest valid name instead of a bare ``TypeError``.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, TypeVar

from lingualift.errors import ConfigError

OptionsT = TypeVar("OptionsT")


def with_settings(
    options_type: type[OptionsT], options: OptionsT | None, settings: dict[str, Any]
) -> OptionsT:
    """``options`` (or the defaults) with ``settings`` applied field by field, then checked."""
    if options is not None and not isinstance(options, options_type):
        raise ConfigError(
            f"options must be a {options_type.__name__}, got {type(options).__name__} ({options!r}); pass"
            f" settings by keyword (e.g. data_dir=...) or build {options_type.__name__}(...)"
        )
    known = [f.name for f in dataclasses.fields(options_type)]  # type: ignore[arg-type]
    for key in settings:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; valid settings: {', '.join(known)}"
            raise ConfigError(f"unknown {options_type.__name__} setting {key!r}{hint}")
    if options is None:
        return options_type(**settings)
    return dataclasses.replace(options, **settings) if settings else options  # type: ignore[type-var]

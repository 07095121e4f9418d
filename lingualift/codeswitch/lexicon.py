"""Bilingual lexicons for code-switching: load ``source<TAB>target<TAB>score`` TSV files (or mappings) into
lookups.

A lexicon maps an English word (matched case-insensitively) to its candidate translations, best score first.
Files may list several candidate lines per source word (the k best of lexicon induction) and may be
hand-written: blank lines and ``#`` comments are skipped, a ``source<TAB>target<TAB>score`` header line is
allowed, and a line with only two columns gets score 1.0. The target language comes from the file name
(``en-fr.tsv`` -> ``fr``) or from an explicit ``lang=path`` spec.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from lingualift.errors import ConfigError, InputDataError
from lingualift.lexicon.output import read_lexicon

Candidates = tuple[tuple[str, float], ...]
LexiconSource = Union[str, os.PathLike, Mapping[str, Any], "Lexicon"]

_FILENAME_PAIR = re.compile(r"^(?P<src>[A-Za-z]{2,3})[-_](?P<tgt>[A-Za-z]{2,3})(?:[-_.].*)?$")


@dataclass
class Lexicon:
    """English -> ``lang`` word translations: ``entries[word_lower]`` is a tuple of ``(target, score)``, best
    first."""

    lang: str
    entries: dict[str, Candidates] = field(default_factory=dict)
    origin: str = "<mapping>"

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.entries

    def candidates(self, word: str) -> Candidates:
        """Translations of ``word`` (case-insensitive), best score first; empty when the word is not
        covered."""
        return self.entries.get(word.lower(), ())


def _merge(pairs: Iterable[tuple[str, str, float]]) -> dict[str, Candidates]:
    """Group (source, target, score) triples by lower-cased source; keep the best score of duplicates;
    sort."""
    grouped: dict[str, dict[str, float]] = {}
    for source, target, score in pairs:
        targets = grouped.setdefault(source.lower(), {})
        if target not in targets or score > targets[target]:
            targets[target] = score
    # sorted() is stable: equal scores keep file order
    return {src: tuple(sorted(tg.items(), key=lambda kv: -kv[1])) for src, tg in grouped.items()}


def lang_from_filename(path: str | os.PathLike) -> str:
    """Target language of an ``en-XX.tsv`` style file name; a clear error when the name says nothing or is
    not en-XX."""
    name = Path(path).name
    match = _FILENAME_PAIR.match(name)
    if not match:
        raise ConfigError(
            f"cannot tell the language of lexicon {path}: name it like 'en-fr.tsv' or pass it as 'fr={path}'"
        )
    src, tgt = match["src"].lower(), match["tgt"].lower()
    if src != "en":
        raise ConfigError(
            f"lexicon {path} looks like a {src}->{tgt} lexicon, "
            f"but the code-switcher needs English-source lexicons"
            f" (en-XX); pass it as 'LANG={path}' if its source side really is English"
        )
    return tgt


def load_lexicon(path: str | os.PathLike, lang: str | None = None) -> Lexicon:
    """A ``source<TAB>target<TAB>score`` file (:func:`lingualift.lexicon.output.read_lexicon`, the one reader)
    as the code-switcher's lexicon of language ``lang`` (default: from an ``en-XX.tsv`` name)."""
    path = Path(path)
    lang = lang or lang_from_filename(path)
    triples = read_lexicon(path)
    return Lexicon(lang=lang, entries=_merge(triples), origin=str(path))


def lexicon_from_mapping(lang: str, mapping: Mapping[str, Any]) -> Lexicon:
    """Build a lexicon from ``{word: target}``, ``{word: [target, ...]}`` or
    ``{word: [(target, score), ...]}``.

    Lists without scores are ranked by position (first = best).
    """
    triples: list[tuple[str, str, float]] = []
    for source, value in mapping.items():
        items = [value] if isinstance(value, str) else list(value)
        for rank, item in enumerate(items):
            if isinstance(item, str):
                target, score = item, float(len(items) - rank)
            elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
                target, score = item[0], float(item[1])
            else:
                raise InputDataError(
                    f"lexicon {lang!r}: entry {source!r} must be a target string or (target, score) pairs, "
                    f"got {item!r}"
                )
            if not str(source).strip() or not target.strip():
                raise InputDataError(f"lexicon {lang!r}: empty word in entry {source!r} -> {target!r}")
            triples.append((str(source).strip(), target.strip(), score))
    if not triples:
        raise InputDataError(f"lexicon {lang!r} is empty")
    return Lexicon(lang=lang, entries=_merge(triples), origin=f"<mapping {lang}>")


def parse_lexicon_spec(spec: str) -> tuple[str | None, str]:
    """Split a CLI spec ``fr=path/en-fr.tsv`` into ``("fr", path)``; a bare path gives ``(None, path)``."""
    head, sep, tail = spec.partition("=")
    if sep and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?", head):
        return head, tail
    return None, spec


def resolve_lexicons(
    lexicons: Mapping[str, LexiconSource] | Iterable[LexiconSource | str],
) -> dict[str, Lexicon]:
    """Normalise the accepted forms (dict lang -> path/mapping/Lexicon, or a list of paths/``lang=path``
    specs)."""
    resolved: dict[str, Lexicon] = {}
    if isinstance(lexicons, Mapping):
        items: list[tuple[str | None, Any]] = list(lexicons.items())
    elif isinstance(lexicons, (str, os.PathLike)):
        items = [parse_lexicon_spec(str(lexicons))]
    else:
        items = [
            parse_lexicon_spec(str(x)) if isinstance(x, (str, os.PathLike)) else (None, x) for x in lexicons
        ]
    for lang, source in items:
        if isinstance(source, Lexicon):
            lexicon = source if lang in (None, source.lang) else Lexicon(lang, source.entries, source.origin)
        elif isinstance(source, Mapping):
            if lang is None:
                raise ConfigError(
                    "a lexicon given as a mapping needs its language code: pass {'fr': mapping}"
                )
            lexicon = lexicon_from_mapping(lang, source)
        elif isinstance(source, (str, os.PathLike)):
            lexicon = load_lexicon(source, lang)
        else:
            raise ConfigError(f"unsupported lexicon {source!r}: expected a path, a mapping or a Lexicon")
        if lexicon.lang in resolved:
            raise ConfigError(
                f"two lexicons for language {lexicon.lang!r} "
                f"({resolved[lexicon.lang].origin} and {lexicon.origin})"
            )
        resolved[lexicon.lang] = lexicon
    if not resolved:
        raise ConfigError("no lexicon given: pass at least one en-XX lexicon")
    return resolved

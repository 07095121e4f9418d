"""Part-of-speech groups that select which words the code-switcher may replace (paper's POS ablations).

Each group maps to Universal POS tags as spaCy's attribute ruler assigns them. A selection is written as names
joined by ``+`` or ``,`` (``noun+verb``, ``adp+noun``, ``noun,verb``) and means the union of the groups.
Proper nouns, numerals, symbols and punctuation belong to no group: they are never replaced.
"""

from __future__ import annotations

from collections.abc import Iterable

from lingualift.errors import ConfigError

POS_GROUPS: dict[str, frozenset[str]] = {
    "noun": frozenset({"NOUN"}),
    "verb": frozenset({"VERB"}),
    "adj": frozenset({"ADJ"}),
    "adv": frozenset({"ADV"}),
    "adp": frozenset({"ADP"}),
    "pron": frozenset({"PRON"}),
    "aux": frozenset({"AUX"}),
    "cconj": frozenset({"CCONJ"}),
}
UPOS_TO_GROUP: dict[str, str] = {upos: group for group, tags in POS_GROUPS.items() for upos in tags}
# groups made (almost) only of stop words: with stop words protected they have next to nothing to replace
FUNCTION_WORD_GROUPS = frozenset({"adp", "pron", "aux", "cconj"})


def parse_pos_groups(pos: str | Iterable[str] | None) -> frozenset[str]:
    """``"noun+verb"`` / ``["noun", "verb"]`` / ``None`` (= every group) -> the set of selected group
    names."""
    if pos is None:
        return frozenset(POS_GROUPS)
    parts = (
        pos.replace("+", ",").split(",")
        if isinstance(pos, str)
        else [piece for item in pos for piece in str(item).replace("+", ",").split(",")]
    )
    names = [p.strip().lower() for p in parts if p.strip()]
    if not names:
        raise ConfigError(
            f"empty POS selection {pos!r}; choose from {', '.join(POS_GROUPS)} (e.g. 'noun+verb')"
        )
    unknown = [n for n in names if n not in POS_GROUPS]
    if unknown:
        raise ConfigError(
            f"unknown POS group(s) {', '.join(map(repr, unknown))} in {pos!r}; "
            f"expected names from {', '.join(POS_GROUPS)} joined by '+' or ','"
        )
    return frozenset(names)

"""Replacement statistics of a code-switching run, per language and POS group, with the reasons words were
kept.

The measured *replaced share* (replaced / eligible words) is what ``ratio`` controls; the skip counts show
where the other tokens went (entities, numbers, stop words, words missing from the lexicon, ...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lingualift.codeswitch.pos import POS_GROUPS
from lingualift.codeswitch.switcher import SKIP_REASONS, SwitchResult


@dataclass
class LanguageStats:
    """Counters for one target language."""

    sentences: int = 0
    switched_sentences: int = 0
    tokens: int = 0
    eligible: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    @property
    def replaced_share(self) -> float:
        total = sum(self.eligible.values())
        return sum(self.replaced.values()) / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "switched_sentences": self.switched_sentences,
            "tokens": self.tokens,
            "eligible": sum(self.eligible.values()),
            "replaced": sum(self.replaced.values()),
            "replaced_share": round(self.replaced_share, 6),
            "eligible_by_pos": dict(self.eligible),
            "replaced_by_pos": dict(self.replaced),
            "skipped": dict(self.skipped),
        }


@dataclass
class SwitchStats:
    """Accumulate :class:`SwitchResult` objects; ``format_table()`` prints the per-language / per-POS
    summary."""

    languages: dict[str, LanguageStats] = field(default_factory=dict)

    def add(self, result: SwitchResult) -> None:
        stats = self.languages.setdefault(result.lang, LanguageStats())
        stats.sentences += 1
        stats.switched_sentences += bool(result.replacements)
        stats.eligible.update(result.eligible)
        stats.replaced.update(r.pos for r in result.replacements)
        stats.skipped.update(result.skipped)
        stats.tokens += sum(result.eligible.values()) + sum(result.skipped.values())

    @property
    def eligible(self) -> int:
        return sum(sum(s.eligible.values()) for s in self.languages.values())

    @property
    def replaced(self) -> int:
        return sum(sum(s.replaced.values()) for s in self.languages.values())

    @property
    def replaced_share(self) -> float:
        return self.replaced / self.eligible if self.eligible else 0.0

    def state(self) -> dict[str, Any]:
        """Every counter, losslessly (what a resumed build continues from; :meth:`from_state`)."""
        return {
            lang: {
                "sentences": s.sentences,
                "switched_sentences": s.switched_sentences,
                "tokens": s.tokens,
                "eligible": dict(s.eligible),
                "replaced": dict(s.replaced),
                "skipped": dict(s.skipped),
            }
            for lang, s in self.languages.items()
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SwitchStats:
        """The statistics :meth:`state` recorded."""
        return cls(
            {
                lang: LanguageStats(
                    sentences=int(v["sentences"]),
                    switched_sentences=int(v["switched_sentences"]),
                    tokens=int(v["tokens"]),
                    eligible=Counter(v["eligible"]),
                    replaced=Counter(v["replaced"]),
                    skipped=Counter(v["skipped"]),
                )
                for lang, v in state.items()
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "replaced": self.replaced,
            "replaced_share": round(self.replaced_share, 6),
            "languages": {lang: s.to_dict() for lang, s in self.languages.items()},
        }

    def format_table(self) -> str:
        """Two plain-text tables: per language (with skip reasons) and per language x POS group."""
        head = ["lang", "sentences", "tokens", "eligible", "replaced", "share", *SKIP_REASONS]
        rows = [head]
        for lang, s in self.languages.items():
            rows.append(
                [
                    lang,
                    s.sentences,
                    s.tokens,
                    sum(s.eligible.values()),
                    sum(s.replaced.values()),
                    f"{s.replaced_share:.3f}",
                    *(s.skipped.get(r, 0) for r in SKIP_REASONS),
                ]
            )
        pos_rows = [["lang", "pos", "eligible", "replaced", "share"]]
        for lang, s in self.languages.items():
            for group in POS_GROUPS:
                if s.eligible.get(group):
                    pos_rows.append(
                        [
                            lang,
                            group,
                            s.eligible[group],
                            s.replaced.get(group, 0),
                            f"{s.replaced.get(group, 0) / s.eligible[group]:.3f}",
                        ]
                    )
        return _render(rows) + "\n\n" + _render(pos_rows)


def _render(rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

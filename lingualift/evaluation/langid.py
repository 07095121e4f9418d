"""Lightweight response-language check for the off-target rate: Unicode script, then English-vs-target words.

What it detects, precisely:

1. **Script mismatch.** The letters of the response (Unicode category L*, digits and punctuation ignored) are
   counted per script (from the Unicode character name: LATIN, CYRILLIC, BENGALI, CJK→Han,
   HIRAGANA/KATAKANA→Kana, HANGUL, ...). The response is off-target when its majority script is not the query
   language's script. Japanese accepts Han or Kana but needs some Kana (a kana-free CJK reply reads as
   Chinese); Chinese is off-target when more than 5% of its letters are Kana; Korean accepts Hangul with Han.
2. **English reply in a Latin-script language.** When the scripts agree, the language is Latin-script and not
   English, the words are scored with wordfreq unigram frequencies: off-target when the English log-likelihood
   beats the target language's. For Latin-script languages wordfreq lacks (sw, af, eu, ha, lb, ...),
   off-target when at least 60% of the words are frequent English words (wordfreq Zipf >= 3).

It does not tell apart two non-English languages sharing a script (a Spanish reply to a Portuguese query, a
Russian reply to a Ukrainian one). Responses without letters (only numbers) are undetermined (``None``) and
are left out of the off-target rate.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import cache

from lingualift.languages import get_language

_NAME_TO_SCRIPT = {
    "CJK": "Han",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "HALFWIDTH": "Kana",
    "HANGUL": "Hangul",
}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_FLOOR = 1e-8  # wordfreq frequency given to unseen words


def letter_scripts(text: str) -> Counter:
    """Count the letters of ``text`` per Unicode script (first word of the character name, with CJK
    merges)."""
    counts: Counter = Counter()
    for ch in text:
        if not unicodedata.category(ch).startswith("L"):
            continue
        name = unicodedata.name(ch, "")
        if not name:
            continue
        first = name.split(" ", 1)[0]
        if first == "HALFWIDTH" and "KATAKANA" not in name:
            first = "HANGUL" if "HANGUL" in name else "LATIN"
        counts[_NAME_TO_SCRIPT.get(first, first.title())] += 1
    return counts


def dominant_script(text: str) -> str | None:
    """The script with the most letters in ``text``; None when it has no letters."""
    counts = letter_scripts(text)
    return counts.most_common(1)[0][0] if counts else None


@cache
def _wordfreq_languages() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages())


def _english_log_odds(words: list[str], lang: str) -> float:
    """Sum over words of log P_en(w) − log P_lang(w) under wordfreq unigram frequencies."""
    import wordfreq

    return sum(
        math.log(max(wordfreq.word_frequency(w, "en"), _FLOOR))
        - math.log(max(wordfreq.word_frequency(w, lang), _FLOOR))
        for w in words
    )


def _mostly_english(words: list[str]) -> bool:
    import wordfreq

    hits = sum(wordfreq.zipf_frequency(w, "en") >= 3.0 for w in words)
    return hits >= 0.6 * len(words)


def is_off_target(response: str, language: str) -> bool | None:
    """True if ``response`` is not written in ``language`` (see the module docstring); None if undecidable."""
    counts = letter_scripts(response)
    if not counts:
        return None
    expected = get_language(language).script
    script = counts.most_common(1)[0][0]
    total = sum(counts.values())
    if expected == "Japanese":
        return not (script in ("Han", "Kana") and counts["Kana"] > 0)
    if expected == "Han":
        return script != "Han" or counts["Kana"] > 0.05 * total
    if expected == "Hangul":
        return script not in ("Hangul",)
    if script != expected:
        return True
    if expected != "Latin" or language == "en":
        return False
    words = [w.lower() for w in _WORD.findall(response)]
    if not words:
        return None
    if language in _wordfreq_languages():
        return _english_log_odds(words, language) > 0
    return _mostly_english(words)

"""Numeric answer extraction for math word problems (MGSM, MSVAMP, MMWP), robust to every script's digits.

Why: models answer in many languages and scripts (Bengali ১২৫, Thai ๑๒๐, full-width ３, Arabic-Indic ٣), with
thousands separators and decimal commas. A missing number is a *failure* (``value=None``), never 0.0, so a
gold answer of 0 is not a free hit (the MindMerger bug).

Two passes, as in lm-eval's strict/flexible split:

* **strict**: the first number after the last answer marker (``####``, "The answer is", ``\\boxed{}`` or the
  answer phrase of any MGSM language: "Die Antwort ist", "答案是", "উত্তর হল", ...);
* **flexible**: the strict answer when there is one, else the last number in the response.

Number parsing: NFKC, then every Unicode decimal digit mapped to ASCII; minus signs (``-``, U+2212) count only
when not glued to a preceding word/number (so ``5-3`` is 5 and 3). Separators: with both ``,`` and ``.`` the
later one is the decimal point; a repeated separator groups thousands (``1,234,567``, ``1.234.567``); a single
``,`` before exactly three digits groups thousands (``2,125`` = 2125), other single ``,`` are decimal
(``2,5``); a single ``.`` is decimal unless the language writes ``.`` for thousands (de, es, id, it, nl, pt,
...); thin and no-break spaces and apostrophes between three-digit groups group thousands (``1 000``,
``1'000``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# languages that write "1.234,5" (dot thousands, comma decimal)
DOT_THOUSANDS_LANGUAGES = frozenset(
    [
        "af",
        "ca",
        "da",
        "de",
        "el",
        "es",
        "eu",
        "hr",
        "hu",
        "id",
        "is",
        "it",
        "mk",
        "nb",
        "nl",
        "pt",
        "ro",
        "sk",
        "sl",
        "sr",
        "tr",
        "vi",
    ]
)

# Answer phrases ("the answer is") of the MGSM exemplars in every language, plus common variants.
ANSWER_MARKERS: tuple[str, ...] = (
    "####",
    "the answer is",
    "the final answer is",
    "final answer:",
    "answer:",
    "die antwort ist",
    "die antwort lautet",
    "antwort:",
    "la respuesta es",
    "respuesta:",
    "la réponse est",
    "réponse :",
    "réponse:",
    "答えは",
    "答え：",
    "答案是",
    "答案：",
    "答案为",
    "ответ —",
    "ответ:",
    "ответ -",
    "ответ",
    "jibu ni",
    "jibu:",
    "సమాధానం",
    "คำตอบคือ",
    "คำตอบ:",
    "উত্তর হল",
    "উত্তর:",
    "উত্তর",
)

_SPACE_THOUSANDS = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\ufe63": "-", "\u066b": ".", "\u066c": ","})
_NUMBER = re.compile(r"(?P<sign>(?<![\w)\]])-)?(?P<body>\d{1,3}(?:'\d{3})+(?!\d)|\d+(?:[.,]\d+)*)")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
# markers go through the same NFKC as responses (Thai SARA AM decomposes under NFKC)
_MARKER_RE = re.compile(
    "|".join(
        re.escape(unicodedata.normalize("NFKC", m).lower())
        for m in sorted(ANSWER_MARKERS, key=len, reverse=True)
    )
)


@dataclass(frozen=True)
class ExtractedAnswer:
    """The number read from a response and how: ``method`` is ``strict``, ``flexible`` or None (no number)."""

    value: float | None
    method: str | None
    text: str | None = None

    @property
    def found(self) -> bool:
        return self.value is not None


def normalize_digits(text: str) -> str:
    """NFKC + every Unicode decimal digit mapped to ASCII + Unicode minus/Arabic separators to ASCII."""
    text = _SPACE_THOUSANDS.sub("'", text)
    text = unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def parse_number(token: str, language: str | None = None) -> float | None:
    """Parse one number token (ASCII digits, optional leading ``-``) following the separator rules above."""
    negative = token.startswith("-")
    body = token.lstrip("-+")
    if not body or not body[0].isdigit():
        return None
    if "'" in body:
        body = body.replace("'", "")
    elif "," in body and "." in body:
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        body = body.replace(thousands, "").replace(decimal, ".")
    else:
        for sep in (",", "."):
            count = body.count(sep)
            if count == 0:
                continue
            groups = body.split(sep)
            grouped = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3 and groups[0] != "0"
            if count > 1:
                if not grouped:
                    return None
                body = body.replace(sep, "")
            elif grouped and (sep == "," or (language or "") in DOT_THOUSANDS_LANGUAGES):
                body = body.replace(sep, "")
            else:
                body = body.replace(sep, ".")
    try:
        value = float(body)
    except ValueError:
        return None
    return -value if negative else value


def find_numbers(text: str, language: str | None = None) -> list[tuple[float, str]]:
    """All numbers in ``text`` (already digit-normalised) as ``(value, token)`` in reading order."""
    found = []
    for match in _NUMBER.finditer(text):
        token = (match.group("sign") or "") + match.group("body")
        value = parse_number(token, language)
        if value is not None:
            found.append((value, token))
        else:  # an ungroupable list such as "3,5,7": read each piece as its own number
            found.extend((float(piece), piece) for piece in re.split(r"[.,]", match.group("body")))
    return found


def extract_answer(response: str, language: str | None = None) -> ExtractedAnswer:
    """Read the final numeric answer from a model response (strict marker pass, then the last number)."""
    text = normalize_digits(response or "")
    boxed = _BOXED.findall(text)
    if boxed:
        numbers = find_numbers(boxed[-1], language)
        if numbers:
            return ExtractedAnswer(numbers[0][0], "strict", numbers[0][1])
    lowered = text.lower()
    markers = list(_MARKER_RE.finditer(lowered))
    if markers:
        numbers = find_numbers(lowered[markers[-1].end() :], language)
        if numbers:
            return ExtractedAnswer(numbers[0][0], "strict", numbers[0][1])
    numbers = find_numbers(text, language)
    if numbers:
        return ExtractedAnswer(numbers[-1][0], "flexible", numbers[-1][1])
    return ExtractedAnswer(None, None, None)


def parse_gold(answer: str | float, source: str = "gold answer") -> float:
    """Parse a gold answer (``"2,125"``, ``"8.0"``, ``12``) to float; raises ValueError naming ``source``."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return float(answer)
    numbers = find_numbers(normalize_digits(str(answer).strip()))
    if len(numbers) != 1:
        raise ValueError(f"{source}: expected one number, got {answer!r}")
    return numbers[0][0]


def answers_match(predicted: float | None, gold: float, rel_tol: float = 1e-4, abs_tol: float = 1e-4) -> bool:
    """Numeric equality with tolerance; ``None`` (no number extracted) is always wrong."""
    if predicted is None or math.isnan(predicted):
        return False
    return math.isclose(predicted, gold, rel_tol=rel_tol, abs_tol=abs_tol)

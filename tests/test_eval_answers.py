"""Numeric answer extraction: every MGSM/MSVAMP language's digits and answer phrases, signs, separators,
failures."""

from __future__ import annotations

import pytest

from lingualift.evaluation.answers import (
    answers_match,
    extract_answer,
    normalize_digits,
    parse_gold,
    parse_number,
)

# (language, response, expected value, expected method)
LANGUAGE_CASES = [
    ("en", "Roger has 5 balls. 2 cans of 3 is 6. 5 + 6 = 11. The answer is 11.", 11, "strict"),
    ("de", "5 + 6 = 11. Die Antwort ist 11.", 11, "strict"),
    ("es", "5 + 6 = 11. La respuesta es 11.", 11, "strict"),
    ("fr", "5 + 6 = 11. La réponse est 11.", 11, "strict"),
    ("ru", "5 + 6 = 11. Ответ — 11.", 11, "strict"),
    ("sw", "5 + 6 = 11. Jibu ni 11.", 11, "strict"),
    ("zh", "5 + 6 = 11。答案是 11。", 11, "strict"),
    ("ja", "5+6=11。答えは11です。", 11, "strict"),
    ("te", "5+6=11. సమాధానం 11.", 11, "strict"),
    ("th", "ดังนั้น 5 + 6 = 11 คำตอบคือ 11", 11, "strict"),
    ("bn", "5 + 6 = 11। উত্তর হল 11।", 11, "strict"),
    # native digits of each script
    ("bn", "উত্তর হল ১২৫।", 125, "strict"),
    ("th", "คำตอบคือ ๑๒๐ ลูก", 120, "strict"),
    ("te", "సమాధానం ౪౨.", 42, "strict"),
    ("ja", "答えは１８です。", 18, "strict"),
    ("zh", "答案是１８。", 18, "strict"),
    ("hi", "उत्तर ४५ है", 45, "flexible"),
    ("ar", "الجواب هو ٣٦", 36, "flexible"),
    # phrasing without a marker: the last number
    ("en", "She sells 16 - 3 - 4 = 9 eggs, so she makes 9 * 2 = 18 dollars", 18, "flexible"),
    ("sw", "Anauza mayai 9 kwa $2 kila moja, anapata dola 18", 18, "flexible"),
]


@pytest.mark.parametrize("language,response,expected,method", LANGUAGE_CASES)
def test_every_language_digits_and_phrasing(language, response, expected, method):
    answer = extract_answer(response, language)
    assert answer.value == pytest.approx(expected)
    assert answer.method == method


@pytest.mark.parametrize(
    "response,language,expected",
    [
        ("The answer is -5.", "en", -5.0),
        ("The answer is −7", "en", -7.0),  # U+2212 minus
        ("x = -0.5", "en", -0.5),
        ("5-3=2", "en", 2.0),  # a hyphen between numbers is not a sign
        ("The answer is 2.5 hours.", "en", 2.5),
        ("La réponse est 2,5 heures.", "fr", 2.5),
        ("The answer is 2,125.", "en", 2125.0),
        ("The answer is $1,234,567.", "en", 1234567.0),
        ("Die Antwort ist 1.500.", "de", 1500.0),
        ("Die Antwort ist 1.234,5", "de", 1234.5),
        ("The answer is 1,234.5", "en", 1234.5),
        ("It costs 1.500 dollars", "en", 1.5),  # English: a single dot is a decimal point
        ("La réponse est 1\u202f000.", "fr", 1000.0),  # narrow no-break space groups thousands
        ("Die Antwort ist 1'000", "de", 1000.0),
        ("#### 72", None, 72.0),
        ("blah 3 and 4 #### 1,000", None, 1000.0),
        ("so \\boxed{42} and then 7", None, 42.0),
        ("The answer is 0.", "en", 0.0),
    ],
)
def test_signs_decimals_separators_and_markers(response, language, expected):
    assert extract_answer(response, language).value == pytest.approx(expected)


def test_strict_pass_prefers_marker_over_last_number():
    answer = extract_answer("The answer is 18. Check: 16 - 3 - 4 = 9, 9 * 2 = 18, step 3", "en")
    assert (answer.value, answer.method) == (18.0, "strict")
    flexible = extract_answer("16 - 3 - 4 = 9 and 9 * 2 = 18", "en")
    assert (flexible.value, flexible.method) == (18.0, "flexible")


@pytest.mark.parametrize("response", ["", "I do not know.", "答案是很多", "The answer is unknown", "   \n"])
def test_no_number_is_a_failure_not_zero(response):
    answer = extract_answer(response, "en")
    assert answer.value is None and answer.method is None and not answer.found
    assert not answers_match(answer.value, 0.0)  # the MindMerger bug: never a free hit when gold is 0


def test_normalize_and_parse_helpers():
    assert normalize_digits("১২৫ ๑๒๐ ౪౨ ४५ ٣٦ １８") == "125 120 42 45 36 18"
    assert parse_number("1.234", "de") == 1234.0 and parse_number("1.234", "en") == 1.234
    assert parse_number("0,125", "en") == 0.125  # a leading 0 group is never a thousands group
    assert parse_gold("2,125") == 2125.0 and parse_gold("8.0") == 8.0 and parse_gold(12) == 12.0
    with pytest.raises(ValueError, match="expected one number"):
        parse_gold("twelve")
    assert answers_match(18.00001, 18.0) and not answers_match(18.1, 18.0)

"""Instruction strings and input/response formats shared by the stage-1/stage-2 data and by evaluation.

Import these constants and helpers (do not retype the strings) so that what stage 2 teaches is what evaluation
asks and extracts: math responses end with ``The answer is N.`` (MGSM-style zero-shot chain of thought), NLI
inputs are ``Premise: ...\\nHypothesis: ...`` answered by a label word, multiple-choice inputs list
``A. text`` lines and are answered by the option label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lingualift.errors import ConfigError

STAGE1_INSTRUCTION_TEMPLATE = "Translate the following {language} text into English:"

MATH_INSTRUCTION = (
    "Solve the following math problem step by step. "
    'Finish your response with "The answer is" followed by the final number.'
)
MATH_ANSWER_PHRASE = "The answer is"

NLI_INSTRUCTION = (
    "Read the premise and the hypothesis. Does the premise entail the hypothesis, contradict it, or neither? "
    "Answer with one word: entailment, neutral or contradiction."
)
NLI_LABELS = ("entailment", "neutral", "contradiction")  # MultiNLI/XNLI integer labels 0, 1, 2

MCQA_INSTRUCTION = (
    "Answer the following multiple-choice question. Reply with the label of the correct option only."
)


def language_name(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """English name of an ISO 639-1 code: ``overrides`` first, then :mod:`lingualift.languages`."""
    if overrides and code in overrides:
        return overrides[code]
    from lingualift.languages import LANGUAGES

    if code not in LANGUAGES:
        raise ConfigError(
            f"no English name known for language code {code!r}; "
            f"give one with language_names={{{code!r}: 'Name'}}"
            f" (CLI: --language-name {code}=Name); known codes: {', '.join(sorted(LANGUAGES))}"
        )
    return LANGUAGES[code].name


def stage1_instruction(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """``Translate the following French text into English:`` for ``code="fr"``."""
    return STAGE1_INSTRUCTION_TEMPLATE.format(language=language_name(code, overrides))


def format_math_response(reasoning: str, answer: str) -> str:
    """Chain-of-thought response ending in ``The answer is {answer}.`` (what evaluation's strict extraction
    reads)."""
    reasoning = reasoning.strip()
    final = f"{MATH_ANSWER_PHRASE} {answer}."
    return f"{reasoning}\n{final}" if reasoning else final


def format_nli_input(premise: str, hypothesis: str) -> str:
    return f"Premise: {premise}\nHypothesis: {hypothesis}"


def format_mcqa_input(stem: str, choices: Sequence[tuple[str, str]]) -> str:
    """Question stem then one ``{label}. {text}`` line per option."""
    return stem + "\n" + "\n".join(f"{label}. {text}" for label, text in choices)

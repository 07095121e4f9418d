"""Translation likelihood through the model: how well the LLM reads a non-English sentence, before any task
data.

Stage 1 trains the bridge so that the LLM can restate, in English, what the encoder read. Its direct measure
is the negative log-likelihood per token of the English Tatoeba translation given the source sentence under
the stage-1 instruction (``Translate the following French text into English:``), for the bridged model (source
read through the encoder) and for the plain LLM (source read as text) through identical prompts. Lower is
better; ``perplexity`` is ``exp(nll_per_token)``. A few greedy translations are kept as examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lingualift.data.prompts import stage1_instruction
from lingualift.evaluation.backends import load_backend
from lingualift.evaluation.benchmarks import load_tatoeba_pairs


def translation_likelihood(
    model: Any,
    data_dir: str | Path | None,
    languages: Sequence[str],
    limit: int | None = 100,
    batch_size: int = 16,
    examples: int = 2,
    max_new_tokens: int = 32,
) -> dict[str, dict[str, Any]]:
    """``{lang: {n, tokens, nll_per_token, perplexity, examples}}`` on Tatoeba xx→en pairs.

    ``model`` is anything :func:`lingualift.evaluation.load_backend` takes (a checkpoint directory, a
    ``(model, processor)`` pair, a backend). ``examples`` greedy translations per language are recorded with
    their source and reference, and scored with sacrebleu's chrF (``chrf``, over those ``examples``).
    """
    backend = load_backend(model)
    results: dict[str, dict[str, Any]] = {}
    for lang in languages:
        source, english = load_tatoeba_pairs(Path(data_dir) if data_dir is not None else None, lang, limit)
        instruction = stage1_instruction(lang)
        total, tokens = 0.0, 0
        for start in range(0, len(source), batch_size):
            chunk = slice(start, start + batch_size)
            n = len(source[chunk])
            for logprob, count in backend.score_responses([instruction] * n, source[chunk], english[chunk]):
                total += logprob
                tokens += count
        nll = -total / max(tokens, 1)
        shown = min(examples, len(source))
        outputs = backend.generate([instruction] * shown, source[:shown], max_new_tokens) if shown else []
        results[lang] = {
            "n": len(source),
            "tokens": tokens,
            "nll_per_token": round(nll, 4),
            "perplexity": round(math.exp(min(nll, 50.0)), 2),
            "examples": [
                {"source": s, "reference": e, "output": o.strip()}
                for s, e, o in zip(source[:shown], english[:shown], outputs)
            ],
        }
        if shown:
            results[lang]["chrf"] = corpus_chrf([o.strip() for o in outputs], english[:shown])
            results[lang]["chrf_n"] = shown
    return results


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu corpus chrF (character 6-grams, beta 2) of greedy translations, one reference each."""
    from sacrebleu.metrics import CHRF

    return round(float(CHRF().corpus_score(list(hypotheses), [list(references)]).score), 2)

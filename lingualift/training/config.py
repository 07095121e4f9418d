"""Run configuration for the two training stages: an OmegaConf structured config (this module's dataclasses
are the schema) loaded from YAML plus OmegaConf dotlist `key=value` overrides.

Why a schema: a typo in a 7B run's YAML should fail in a second, naming the key, not after the model has
loaded. `load_config(path, overrides)` parses and type-checks a config through OmegaConf (unknown key, wrong
type: OmegaConf's conversions, e.g. ``"10"`` for an int), then each section checks its own values in its
``__post_init__`` and :class:`RunConfig` the rules across sections (stage 2 without its stage-1 bridge
checkpoint, a plain run with a bridge setting, ...); files are checked last (missing data file, incomplete
checkpoint, output directory). Every problem is a :class:`~lingualift.errors.ConfigError` naming the key or
file and the fix; nothing here imports or loads a model.

A config has four sections::

    model:    architecture (bridged, or plain: the LLM alone), encoder / llm (hub id, local dir,
              ``artefact:NAME`` or ``tiny:KIND``), bridge, lengths, attention
    data:     train_file / eval_file (JSONL records {instruction, input, output})
    training: optimisation, batch sizes, precision, logging, checkpointing, resume
    stage:    name (align = stage 1, task = stage 2), the freezing policy (the paper's ablations), LoRA, and
              the stage-1 bridge checkpoint stage 2 starts from

The paper's baselines are configs of stage ``task``: Mono-SFT is ``model.architecture: plain`` (the LLM
fine-tuned on the same English records, the input inlined as text); "w/o language alignment" is a bridged run
with no stage-1 checkpoint (``stage.require_bridge_checkpoint: false``) that trains the fresh bridge with the
LLM (``stage.train_bridge: true``).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from lingualift.artefacts import ARTEFACTS
from lingualift.errors import CheckpointError, ConfigError
from lingualift.modeling.configuration import BRIDGE_ACTIVATIONS, BRIDGE_TYPES
from lingualift.modeling.stages import STAGES
from lingualift.modeling.tiny import ENCODER_FAMILIES, LLM_FAMILIES
from lingualift.persistence.checkpoints import BRIDGE_WEIGHTS, CHECKPOINT_META

# the choices a YAML value may take, from the modules that define them (Literal of a tuple = of its items)
StageName = Literal[STAGES]
BridgeType = Literal[BRIDGE_TYPES]
BridgeActivation = Literal[BRIDGE_ACTIVATIONS]
# bridged: frozen encoder + bridge + LLM (LinguaLIFT); plain: the LLM alone, the task input inlined as text in
# the same prompt template (the Mono-SFT baseline, trained in stage "task" and evaluated as a plain causal LM)
Architecture = Literal["bridged", "plain"]
ARCHITECTURES = get_args(Architecture)
SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "warmup_stable_decay",
)
ATTENTION_IMPLEMENTATIONS = ("auto", "sdpa", "eager", "flash_attention_2")
DTYPES = ("auto", "float32", "bfloat16", "float16")
REPORT_TARGETS = ("auto", "none", "tensorboard", "wandb")
ARTEFACT_PREFIX = "artefact:"
TINY_PREFIX = "tiny:"
# a directory is a complete stage-1 bridge checkpoint when it holds these (save_bridge renames its temp dir
# into place only when done)
BRIDGE_CHECKPOINT_FILES = (BRIDGE_WEIGHTS, "config.json", CHECKPOINT_META)


@dataclass
class ModelConfig:
    """Which frozen encoder and LLM to bridge, and how.

    ``encoder``/``llm`` take a hub id, a local directory, ``artefact:smollm2`` / ``artefact:multilingual-e5``
    (local conversions made by :mod:`lingualift.artefacts`) or ``tiny:mt5`` / ``tiny:llama`` (tiny random
    models built on the fly, for tests and smoke runs). In stage 2 they default to the bases named by the
    bridge checkpoint. ``architecture: plain`` trains the LLM alone (no encoder, no bridge): the Mono-SFT
    baseline. ``bridge_hidden_size``: the width of the hidden layers of an ``mlp2``/``mlp3`` bridge (null: the
    LLM's hidden size); ``bridge_activation`` its activation (null: gelu). Both shape a fresh bridge; with a
    ``stage.bridge_checkpoint`` the checkpoint's are used, and a different value set here is an error.
    """

    architecture: Architecture = "bridged"
    encoder: str | None = None
    llm: str | None = None
    bridge_type: BridgeType = "mlp2"
    bridge_hidden_size: int | None = None
    bridge_activation: BridgeActivation | None = None
    max_input_length: int = 512
    max_length: int = 1024
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "float32"
    # memoise the frozen encoder's states per training row up to this many MB of CPU memory (0: off); pays off
    # from the second epoch on, for datasets whose encoder states fit in memory
    encoder_cache_mb: float = 0.0
    # ParScale (architecture plain): P > 1 runs the LLM as P parallel streams with learnable prefixes and a
    # learned aggregation (lingualift.modeling.parscale); 1 = off
    parscale_streams: int = 1
    parscale_prefix_length: int = 48
    parscale_smoothing: float = 0.0

    def __post_init__(self) -> None:
        _check_finite("model", self)
        _check_positive(
            "model", self, ("max_input_length", "max_length", "parscale_streams"), ("bridge_hidden_size",)
        )
        if self.encoder_cache_mb < 0:
            raise ConfigError(f"model.encoder_cache_mb: expected >= 0 (0 = off), got {self.encoder_cache_mb}")
        if self.parscale_prefix_length < 0:
            raise ConfigError(
                f"model.parscale_prefix_length: expected >= 0, got {self.parscale_prefix_length}"
            )
        if not 0.0 <= self.parscale_smoothing < 1.0:
            raise ConfigError(
                f"model.parscale_smoothing: expected a number in [0, 1), got {self.parscale_smoothing}"
            )
        for key, ref in (("model.encoder", self.encoder), ("model.llm", self.llm)):
            _check_model_reference(key, ref)


@dataclass
class DataConfig:
    """Training (and optional evaluation) records: JSONL with ``instruction``, ``input`` and ``output``."""

    train_file: str = ""
    eval_file: str | None = None
    max_samples: int | None = None

    def __post_init__(self) -> None:
        _check_positive("data", self, (), ("max_samples",))


@dataclass
class TrainingConfig:
    """Optimisation, batching, precision, logging and checkpointing (mapped onto HF ``TrainingArguments``).

    ``global_batch_size`` is the number of examples per optimizer step over all processes; gradient
    accumulation is derived as ``global_batch_size / (per_device_batch_size * world_size)``.
    """

    output_dir: str = ""
    num_train_epochs: float = 3.0
    max_steps: int = -1
    learning_rate: float = 2e-5
    lr_scheduler_type: str = "constant"
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    global_batch_size: int = 8
    per_device_batch_size: int = 8
    bf16: bool | Literal["auto"] = "auto"
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    seed: int = 42
    logging_steps: int = 10
    save_steps: int = 500
    save_total_limit: int | None = 2
    eval_steps: int | None = None
    eval_on_start: bool = False  # also score data.eval_file before the first step (the curve's step 0)
    resume: bool = False
    overwrite_output_dir: bool = False
    report_to: list[str] | str = field(default_factory=lambda: ["auto"])  # auto: TensorBoard/W&B if installed
    dataloader_num_workers: int = 0

    def __post_init__(self) -> None:
        _check_finite("training", self)
        _check_positive(
            "training",
            self,
            ("global_batch_size", "per_device_batch_size", "logging_steps", "save_steps"),
            ("eval_steps",),
        )
        if self.learning_rate <= 0:
            raise ConfigError(f"training.learning_rate: expected > 0, got {self.learning_rate}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(
                f"training.warmup_ratio: expected a fraction in [0, 1), got {self.warmup_ratio}"
            )
        if self.weight_decay < 0:
            raise ConfigError(f"training.weight_decay: expected >= 0, got {self.weight_decay}")
        if self.max_grad_norm < 0:
            raise ConfigError(
                f"training.max_grad_norm: expected >= 0 (0 = no clipping), got {self.max_grad_norm}"
            )
        _check_optimizer(self.optim)
        if self.num_train_epochs <= 0 and self.max_steps <= 0:
            raise ConfigError("training.num_train_epochs / training.max_steps: one of them must be positive")
        if self.lr_scheduler_type not in SCHEDULERS:
            raise ConfigError(
                f"training.lr_scheduler_type: unknown scheduler {self.lr_scheduler_type!r}; expected one of"
                f" {', '.join(SCHEDULERS)}"
            )
        if isinstance(self.report_to, str):
            self.report_to = [self.report_to]
        for target in self.report_to:
            if target not in REPORT_TARGETS:
                raise ConfigError(
                    f"training.report_to: unknown target {target!r}; expected some of"
                    f" {', '.join(REPORT_TARGETS)}"
                )
        if self.global_batch_size % self.per_device_batch_size:
            raise ConfigError(
                f"training.global_batch_size={self.global_batch_size} is not a multiple of"
                f" training.per_device_batch_size={self.per_device_batch_size}"
            )

    def gradient_accumulation_steps(self, world_size: int) -> int:
        """Micro-batches per optimizer step on each process; ConfigError when the global batch does not
        split."""
        per_step = self.per_device_batch_size * world_size
        if self.global_batch_size % per_step:
            raise ConfigError(
                f"training.global_batch_size={self.global_batch_size} is not divisible by"
                f" training.per_device_batch_size={self.per_device_batch_size} x world size {world_size}"
                f" (= {per_step}); change one of them"
            )
        return self.global_batch_size // per_step


@dataclass
class LoraConfig:
    """LoRA adapter on the LLM for stage 2 (the frozen base stays byte-identical)."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"
    merge_on_save: bool = False  # final stage-2 output: full merged checkpoint instead of bridge + adapter

    def __post_init__(self) -> None:
        _check_finite("stage.lora", self)
        if self.r <= 0 or self.alpha <= 0 or not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"stage.lora: expected r > 0, alpha > 0 and 0 <= dropout < 1, got {self}")

    def options(self) -> dict[str, Any]:
        """Keyword options for ``model.configure_stage(lora=...)``."""
        return {
            "r": self.r,
            "alpha": self.alpha,
            "dropout": self.dropout,
            "target_modules": self.target_modules,
        }


@dataclass
class StageConfig:
    """Which stage this run is and its freezing policy.

    Defaults follow the paper: ``align`` trains only the bridge; ``task`` fine-tunes the LLM from a stage-1
    bridge checkpoint with the bridge frozen. The ablations are the flags: ``train_llm: true`` in stage 1,
    ``train_bridge: true`` in stage 2 (with ``train_llm: false`` to freeze the LLM), and
    ``require_bridge_checkpoint: false`` with ``train_bridge: true`` (w/o language alignment: no stage 1, the
    fresh bridge trains with the LLM; a frozen fresh bridge is refused).
    """

    name: StageName = "align"
    train_bridge: bool | None = None
    train_llm: bool | None = None
    lora: LoraConfig | None = None
    bridge_checkpoint: str | None = None
    require_bridge_checkpoint: bool | None = None

    def __post_init__(self) -> None:
        if self.lora is not None and not self.effective_train_llm:
            raise ConfigError(
                "stage.lora: a LoRA adapter is set but stage.train_llm is false (nothing to adapt); to"
                " freeze the LLM set stage.lora=null as well"
            )

    @property
    def effective_train_bridge(self) -> bool:
        """Whether the bridge trains (explicit flag, else the stage default)."""
        return self.train_bridge if self.train_bridge is not None else self.name == "align"

    @property
    def effective_train_llm(self) -> bool:
        """Whether the LLM (or its LoRA adapter) trains (explicit flag, else the stage default)."""
        return self.train_llm if self.train_llm is not None else self.name == "task"

    @property
    def needs_bridge_checkpoint(self) -> bool:
        """Whether this run must start from a stage-1 bridge checkpoint (stage 2 by default)."""
        if self.require_bridge_checkpoint is not None:
            return self.require_bridge_checkpoint
        return self.name == "task"


@dataclass
class RunConfig:
    """A whole training run: ``model``, ``data``, ``training`` and ``stage`` sections."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    stage: StageConfig = field(default_factory=StageConfig)
    source = None  # the file the config came from, for messages (a plain attribute: not a config key)

    def __post_init__(self) -> None:
        """The checks across sections (each section checked its own values when it was built)."""
        if self.model.architecture == "plain":
            _check_plain(self)
        else:
            if self.model.parscale_streams > 1:
                raise ConfigError(
                    f"model.parscale_streams: {self.model.parscale_streams} needs model.architecture=plain;"
                    " for a bridged model save the ParScale LLM (save_pretrained) and name that directory as"
                    " model.llm"
                )
            _check_bridged(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (what `save` writes)."""
        return dataclasses.asdict(self)

    def save(self, path: str | os.PathLike) -> None:
        """Write the resolved config as YAML, atomically (kept beside checkpoints for reproducibility)."""
        from lingualift.io_utils import atomic_write_text

        atomic_write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))


REQUIRED_KEYS = ("data.train_file", "training.output_dir", "stage.name")

# ------------------------------------------------------------------------------------------------------------
# parsing (OmegaConf: the schema above, YAML, dotted overrides) and the checks the sections share


def _type_name(annotation: Any) -> str:
    """Human-readable name of an annotation for error messages."""
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(annotation))
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if annotation is type(None):
        return "null"
    if dataclasses.is_dataclass(annotation):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _schema_at(dotted: str) -> tuple[type | None, Any]:
    """``(section class, field annotation)`` of a dotted key of :class:`RunConfig` (None where unknown)."""
    cls: Any = RunConfig
    annotation: Any = None
    for part in dotted.split("."):
        options = [a for a in get_args(cls) if dataclasses.is_dataclass(a)] if get_origin(cls) else [cls]
        section = options[0] if options and dataclasses.is_dataclass(options[0]) else None
        if section is None:
            return None, None
        annotation = typing.get_type_hints(section).get(part.split("[")[0])
        if annotation is None:
            return section, None
        cls = annotation
    return section, annotation


def _value_at(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def _config_error(exc: Exception, raw: dict[str, Any], source: str | None) -> ConfigError:
    """An OmegaConf error as a ConfigError naming the dotted key, what it expects and how to fix it."""
    from omegaconf.errors import ConfigKeyError, MissingMandatoryValue

    key = str(getattr(exc, "full_key", "") or "")
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not key:
        return ConfigError(f"{source or 'config'}: {first_line}")
    if isinstance(exc, MissingMandatoryValue):
        return ConfigError(f"{key}: required key is missing{f' in {source}' if source else ''}")
    if isinstance(exc, ConfigKeyError):
        parent = key.rpartition(".")[0]
        section, _ = _schema_at(f"{parent}.x") if parent else (RunConfig, None)
        known = [f.name for f in dataclasses.fields(section)] if section else []
        close = difflib.get_close_matches(key.rpartition(".")[2], known, n=1)
        hint = f"; did you mean {parent + '.' if parent else ''}{close[0]}?" if close else ""
        return ConfigError(
            f"{key}: unknown key (known keys{' of ' + parent if parent else ''}: {', '.join(known)}){hint}"
        )
    _, annotation = _schema_at(key)
    value = _value_at(raw, key)
    if annotation is None:
        return ConfigError(f"{key}: {first_line}")
    expected = ("one of " if get_origin(annotation) is Literal else "") + _type_name(annotation)
    return ConfigError(f"{key}: expected {expected}, got {type(value).__name__} {value!r}")


def apply_overrides(tree: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``tree`` with ``key=value`` overrides applied (dotted keys, YAML values: ``training.resume=true``;
    OmegaConf's dotlist grammar), as a new plain mapping."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    for item in overrides:
        dotted = item.split("=", 1)[0].strip()
        if "=" not in item:
            raise ConfigError(
                f"override {item!r}: expected KEY=VALUE with a dotted key, e.g. training.max_steps=10"
            )
        if not dotted or any(not part for part in dotted.split(".")):
            raise ConfigError(f"override {item!r}: empty key")
    try:
        merged = OmegaConf.merge(OmegaConf.create(tree), OmegaConf.from_dotlist(list(overrides)))
        result = OmegaConf.to_container(merged)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "")
        raise ConfigError(
            f"override {key or ', '.join(overrides)}: {str(exc).splitlines()[0]}"
            " (a section cannot be set to a value, nor a value given keys)"
        ) from None
    assert isinstance(result, dict)
    return result


def config_from_dict(tree: dict[str, Any], source: str | None = None) -> RunConfig:
    """Validate a raw config tree against the schema (types, then each section's and the cross-section
    checks) and return the :class:`RunConfig` (no file-system checks)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(tree, dict):
        raise ConfigError(
            f"{source or 'config'}: expected a mapping at the top level, got {type(tree).__name__}"
        )
    try:
        config = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(RunConfig), tree))
    except OmegaConfBaseException as exc:
        raise _config_error(exc, tree, source) from None
    assert isinstance(config, RunConfig)
    config.source = source
    for dotted in REQUIRED_KEYS:
        section, name = dotted.split(".")
        if name not in (tree.get(section) or {}):
            raise ConfigError(f"{dotted}: required key is missing{f' in {source}' if source else ''}")
    return config


def _check_finite(section_name: str, section: Any) -> None:
    """NaN/inf pass every range comparison: refuse them before any other check."""
    for item in dataclasses.fields(section):
        value = getattr(section, item.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{section_name}.{item.name}: expected a finite number, got {value}")


def _check_positive(
    section_name: str, section: Any, required: Sequence[str], optional: Sequence[str] = ()
) -> None:
    """Fields that must be positive integers (``optional`` ones may also be null)."""
    for name in required:
        if getattr(section, name) <= 0:
            raise ConfigError(
                f"{section_name}.{name}: expected a positive integer, got {getattr(section, name)}"
            )
    for name in optional:
        value = getattr(section, name)
        if value is not None and value <= 0:
            raise ConfigError(f"{section_name}.{name}: expected a positive integer or null, got {value}")


def _check_bridged(config: RunConfig) -> None:
    """``model.architecture: bridged``: what trains, and where the bridge and the bases come from."""
    m, s = config.model, config.stage
    if m.bridge_type == "linear" and m.bridge_hidden_size is not None and not s.bridge_checkpoint:
        raise ConfigError(
            f"model.bridge_hidden_size: {m.bridge_hidden_size}, but a linear bridge has no hidden layer;"
            " remove model.bridge_hidden_size or set model.bridge_type=mlp2 (or mlp3)"
        )
    if not (s.effective_train_llm or s.effective_train_bridge):
        raise ConfigError(
            "stage.train_llm / stage.train_bridge: both are false, nothing would train (to train the bridge"
            " with the LLM frozen, set stage.train_bridge=true)"
        )
    if s.bridge_checkpoint is None and (m.encoder is None or m.llm is None):
        missing = "model.encoder" if m.encoder is None else "model.llm"
        raise ConfigError(f"{missing}: required unless stage.bridge_checkpoint names the bases")
    if s.needs_bridge_checkpoint and not s.bridge_checkpoint:
        raise ConfigError(
            f"stage.bridge_checkpoint: stage {s.name!r} starts from a stage-1 bridge checkpoint but none is"
            " set (set stage.bridge_checkpoint=DIR, or stage.require_bridge_checkpoint=false with"
            " stage.train_bridge=true for the w/o-language-alignment ablation)"
        )
    if not s.bridge_checkpoint and not s.effective_train_bridge:
        raise ConfigError(
            f"stage.train_bridge: stage {s.name!r} has no stage.bridge_checkpoint, so its bridge is freshly"
            " initialised, and it is frozen: the LLM would learn from random projections of the encoder. Set"
            " stage.train_bridge=true (the w/o-language-alignment ablation) or stage.bridge_checkpoint=DIR"
            " (the final/ directory of a stage-1 run)"
        )


def _check_optimizer(name: str) -> None:
    """``training.optim`` must be one of transformers' optimizer names (checked here, before models load)."""
    from transformers.training_args import OptimizerNames

    known = [o.value for o in OptimizerNames]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigError(
            f"training.optim: unknown optimizer {name!r}; {hint}expected one of transformers' optimizers,"
            f" e.g. adamw_torch (the default), adamw_torch_fused, adafactor, sgd"
        )


def _check_plain(config: RunConfig) -> None:
    """``model.architecture: plain`` (Mono-SFT): the LLM alone, fine-tuned in stage ``task``; no bridge."""
    m, s = config.model, config.stage
    plain = "model.architecture=plain (the LLM alone, no encoder or bridge)"
    if s.name != "task":
        raise ConfigError(
            f"stage.name: {plain} trains on task records in stage 'task', got {s.name!r}; set stage.name=task"
        )
    if m.llm is None:
        raise ConfigError(f"model.llm: required for {plain}: the LLM to fine-tune")
    for key, value in (
        ("model.encoder", repr(m.encoder) if m.encoder else None),
        ("model.bridge_hidden_size", m.bridge_hidden_size),
        ("model.bridge_activation", repr(m.bridge_activation) if m.bridge_activation else None),
        ("stage.bridge_checkpoint", repr(s.bridge_checkpoint) if s.bridge_checkpoint else None),
        ("stage.train_bridge", "true" if s.train_bridge else None),
        ("stage.require_bridge_checkpoint", "true" if s.require_bridge_checkpoint else None),
    ):
        if value is not None:
            raise ConfigError(
                f"{key}: {value} is set, but {plain} has no encoder or bridge; remove {key}, or set"
                " model.architecture=bridged"
            )
    if m.encoder_cache_mb > 0:
        raise ConfigError(
            f"model.encoder_cache_mb: {m.encoder_cache_mb} but {plain} has no encoder to cache; set it to 0"
        )
    if m.parscale_streams > 1 and s.lora:
        raise ConfigError(
            "stage.lora: a LoRA adapter on a ParScale model (model.parscale_streams > 1) is not supported;"
            " set stage.lora=null (stage.train_llm=false trains the prefixes and the aggregator only)"
        )
    if not s.effective_train_llm and m.parscale_streams == 1:
        raise ConfigError(
            f"stage.train_llm: false, but the LLM is all {plain} trains; remove the flag (with"
            " model.parscale_streams > 1 it trains the ParScale prefixes and aggregator only)"
        )


def _check_model_reference(key: str, ref: str | None) -> None:
    """Validate the ``artefact:`` / ``tiny:`` schemes of a model reference."""
    if ref is None:
        return
    if not ref.strip():
        raise ConfigError(f"{key}: empty model reference")
    if ref.startswith(ARTEFACT_PREFIX) and ref[len(ARTEFACT_PREFIX) :] not in ARTEFACTS:
        raise ConfigError(f"{key}: unknown artefact {ref!r}; expected one of {', '.join(ARTEFACTS)}")
    if ref.startswith(TINY_PREFIX):
        kinds = ENCODER_FAMILIES if key == "model.encoder" else LLM_FAMILIES
        if ref[len(TINY_PREFIX) :] not in kinds:
            raise ConfigError(
                f"{key}: unknown tiny model {ref!r}; expected tiny: + one of {', '.join(kinds)}"
            )


def check_paths(config: RunConfig) -> None:
    """File-system checks: data files exist, the bridge checkpoint is complete, the output dir is safe to
    use."""
    for key, path in (("data.train_file", config.data.train_file), ("data.eval_file", config.data.eval_file)):
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"{key}: data file not found: {path}")
    from lingualift.hub import check_local_source

    for key, ref in (("model.encoder", config.model.encoder), ("model.llm", config.model.llm)):
        if ref and not ref.startswith((TINY_PREFIX, ARTEFACT_PREFIX)):
            try:  # a local path that does not exist (a Hub id is left to the loader)
                check_local_source(ref, what=key.split(".")[1])
            except CheckpointError as exc:
                raise ConfigError(f"{key}: {exc}") from None
    checkpoint = config.stage.bridge_checkpoint
    if checkpoint:
        from lingualift.hub import local_directory

        try:  # a local directory or a Hub id (offline: the local Hub cache), the rule of every loader
            folder = local_directory(checkpoint, what="bridge checkpoint")
        except CheckpointError as exc:
            raise ConfigError(f"stage.bridge_checkpoint: {exc}") from None
        missing = [name for name in BRIDGE_CHECKPOINT_FILES if not (folder / name).is_file()]
        if missing:
            raise ConfigError(
                f"stage.bridge_checkpoint: {checkpoint} is not a complete bridge checkpoint (missing"
                f" {', '.join(missing)}); point it at the final/ directory a stage-1 run writes"
            )
        _check_bridge_shape(config.model, folder)
    _check_output_dir(config)


def _check_bridge_shape(m: ModelConfig, checkpoint: Path) -> None:
    """``model.bridge_hidden_size`` / ``model.bridge_activation``, when set, must be the bridge checkpoint's
    (its weights are loaded as they are, so a different value would be silently ignored)."""
    try:
        saved = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"stage.bridge_checkpoint: {checkpoint}/config.json is not readable JSON ({exc})"
        ) from None
    hidden = saved.get("bridge_hidden_size") or (saved.get("text_config") or {}).get("hidden_size")
    for key, wanted, have in (
        ("model.bridge_hidden_size", m.bridge_hidden_size, hidden),
        ("model.bridge_activation", m.bridge_activation, saved.get("bridge_activation", "gelu")),
    ):
        if wanted is not None and wanted != have:
            raise ConfigError(
                f"{key}: {wanted!r}, but the bridge checkpoint {checkpoint} was trained with {have!r}; remove"
                f" {key} (stage 2 uses the checkpoint's bridge) or set it to {have!r}"
            )


def _check_output_dir(config: RunConfig) -> None:
    """The output policy (docs/ARCHITECTURE.md) of ``training.output_dir``: a directory lingualift did not
    make is refused; earlier checkpoints or a finished ``final/`` need ``training.resume`` (a finished run is
    then returned as it is) or ``training.overwrite_output_dir`` (``final/`` replaced only when the new one is
    saved)."""
    from lingualift.errors import OutputError
    from lingualift.io_utils import check_output_path
    from lingualift.training.checkpointing import FINAL_DIR, is_run_directory, list_checkpoints

    t = config.training
    out = Path(t.output_dir)
    overwrite_hint = "training.overwrite_output_dir=true"
    try:
        check_output_path(
            out, directory=True, created_marker=is_run_directory, overwrite=True, what="training output"
        )
    except OutputError as exc:
        raise ConfigError(f"training.output_dir: {exc}") from None
    final = out / FINAL_DIR
    if final.is_symlink() or final.is_file() or (final.is_dir() and any(final.iterdir())):  # not empty
        from lingualift.persistence.checkpoints import CHECKPOINT_MARKERS, check_checkpoint_output

        if t.resume:
            if not (final.is_dir() and any((final / name).is_file() for name in CHECKPOINT_MARKERS)):
                raise ConfigError(
                    f"training.output_dir: {final} is not a complete lingualift checkpoint (no"
                    f" {' or '.join(CHECKPOINT_MARKERS)}), so training.resume=true cannot return it; move it"
                    " away or pick another training.output_dir"
                )
        elif t.overwrite_output_dir:
            try:
                check_checkpoint_output(final, overwrite=True, hint=overwrite_hint)
            except OutputError as exc:
                raise ConfigError(f"training.output_dir: {exc}") from None
        else:
            raise ConfigError(
                f"training.output_dir: {out} already holds a finished run ({final}); set training.resume=true"
                " to return it without training, training.overwrite_output_dir=true to train again and"
                " replace it, or pick another directory"
            )
    if out.is_dir() and not (t.resume or t.overwrite_output_dir):
        existing = list_checkpoints(out, complete_only=False)
        if existing:
            raise ConfigError(
                f"training.output_dir: {out} already holds checkpoints ({existing[-1].name}); set"
                " training.resume=true to continue, training.overwrite_output_dir=true to start over, or pick"
                " another directory"
            )


def read_config_tree(path: str | os.PathLike, flag: str = "--config") -> dict[str, Any]:
    """The raw ``{section: {key: value}}`` mapping of a YAML config file (not yet validated); ``flag`` names
    the option the path came from in errors."""
    if not Path(path).is_file():
        raise ConfigError(f"{flag}: config file not found: {path}")
    try:
        with open(path, encoding="utf-8") as handle:
            tree = yaml.safe_load(handle) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(tree).__name__}")
    return tree


def load_config(
    path: str | os.PathLike | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    tree: dict[str, Any] | None = None,
    check_files: bool = True,
) -> RunConfig:
    """Load a YAML config (or a raw ``tree``), apply ``key=value`` overrides, validate; raises ConfigError.

    Nothing here imports a model: every error in the config surfaces before any weight is read.
    """
    source = None
    if tree is None:
        if path is None:
            raise ConfigError("no config given: pass --config FILE")
        source = str(path)
        tree = read_config_tree(path)
    else:
        import copy

        tree = copy.deepcopy(tree)
        if not isinstance(tree, dict):
            raise ConfigError(f"config: expected a mapping at the top level, got {type(tree).__name__}")
    tree = apply_overrides(tree, overrides)
    config = config_from_dict(tree, source=source)
    if check_files:
        check_paths(config)
    return config


__all__ = [
    "ARCHITECTURES",
    "DataConfig",
    "LoraConfig",
    "ModelConfig",
    "RunConfig",
    "StageConfig",
    "TrainingConfig",
    "apply_overrides",
    "check_paths",
    "config_from_dict",
    "load_config",
    "read_config_tree",
]

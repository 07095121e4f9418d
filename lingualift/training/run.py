"""The two training stages end to end: `run_stage1(config)` (bridge alignment) and `run_stage2(config)`
(task).

Both follow one path: validate the config (before any weight is read), build or load the bridged model, apply
the stage's freezing policy, build the length-grouped dataset, train with :class:`LinguaLiftTrainer`, and save
the stage's checkpoint form into ``<output_dir>/final`` (stage 1: bridge checkpoint; stage 2: full checkpoint,
or bridge + LoRA adapter). Launch the same code with ``python``, ``accelerate launch`` or
``lingualift train``.

The paper's baselines take the same path in stage 2: ``model.architecture: plain`` (Mono-SFT) trains the LLM
alone on the same records and prompts, the input inlined as text, and saves a plain HF checkpoint or PEFT
adapter; a bridged run with no bridge checkpoint and ``stage.train_bridge: true`` is "w/o language alignment".
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError
from lingualift.modeling.stages import STAGE_ALIASES
from lingualift.training.checkpointing import FINAL_DIR, RUN_CONFIG_NAME, RUN_RESULT_NAME
from lingualift.training.config import ARTEFACT_PREFIX, TINY_PREFIX, RunConfig, check_paths, config_from_dict

logger = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What a finished stage run produced."""

    output_dir: Path
    final_dir: Path
    global_step: int
    train_loss: float
    trainable_parameters: list[str] = field(default_factory=list)
    resumed_from: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    trainer: Any = field(default=None, repr=False)  # the LinguaLiftTrainer (model, optimizer) for inspection
    already_complete: bool = False  # training.resume found this run finished: nothing was trained


def world_size() -> int:
    """Number of training processes (set by ``accelerate launch``/``torchrun``; 1 for plain ``python``)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def validate_for_stage(config: RunConfig, runner: str) -> int:
    """Check the config fits ``runner`` ("stage1"/"stage2") and this launch; returns gradient accumulation
    steps."""
    # re-validate the whole config: a RunConfig changed in code after load_config fails here, not mid-run
    config_from_dict(config.to_dict(), source=config.source)
    expected = STAGE_ALIASES[runner]
    if config.stage.name != expected:
        raise ConfigError(
            f"stage.name: {runner} runs stage {expected!r} but the config says {config.stage.name!r}"
            f" (use the {'stage1' if config.stage.name == 'align' else 'stage2'} recipe for it)"
        )
    check_paths(config)
    return config.training.gradient_accumulation_steps(world_size())


def _bf16(setting: bool | str) -> bool:
    import torch

    if setting == "auto":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if setting and not (torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
        raise ConfigError("training.bf16: bf16 is set but no bf16-capable GPU is available (use bf16: auto)")
    return bool(setting)


def _report_to(targets: list[str]) -> list[str]:
    """Resolve ``auto``: TensorBoard and W&B when installed (progress bars are always on)."""
    if targets == ["none"] or not targets:
        return []
    resolved: list[str] = []
    for target in targets:
        if target == "auto":
            resolved += [
                name
                for name, module in (("tensorboard", "tensorboard"), ("wandb", "wandb"))
                if importlib.util.find_spec(module) is not None
            ]
        elif target != "none":
            resolved.append(target)
    return list(dict.fromkeys(resolved))


def _torch_dtype(name: str):
    import torch

    if name == "auto":
        return (
            torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
        )
    return getattr(torch, name)


def resolve_sources(config: RunConfig) -> tuple[str | None, str | None]:
    """Turn ``artefact:``/``tiny:`` references into local directories (built once, main process first)."""
    from accelerate import PartialState

    encoder, llm = config.model.encoder, config.model.llm
    tiny_encoder = encoder[len(TINY_PREFIX) :] if encoder and encoder.startswith(TINY_PREFIX) else None
    tiny_llm = llm[len(TINY_PREFIX) :] if llm and llm.startswith(TINY_PREFIX) else None
    with PartialState().main_process_first():
        if tiny_encoder or tiny_llm:
            from lingualift.modeling.tiny import build_tiny_components

            enc_dir, llm_dir = build_tiny_components(
                Path(config.training.output_dir) / "tiny_components",
                encoder=tiny_encoder or "mt5",
                llm=tiny_llm or "llama",
                seed=config.training.seed,
            )
            encoder = str(enc_dir) if tiny_encoder else encoder
            llm = str(llm_dir) if tiny_llm else llm
        encoder = _artefact_dir(encoder)
        llm = _artefact_dir(llm)
    return encoder, llm


def _artefact_dir(ref: str | None) -> str | None:
    if not ref or not ref.startswith(ARTEFACT_PREFIX):
        return ref
    from lingualift import artefacts

    name = ref[len(ARTEFACT_PREFIX) :]
    loader = {"smollm2": artefacts.smollm2_dir, "multilingual-e5": artefacts.multilingual_e5_dir}[name]
    return str(loader())


def build_model(config: RunConfig) -> tuple[Any, Any]:
    """``(model, processor)`` of this run: the bridged model (fresh bridge, or loaded from stage 1) with its
    processor, or with ``model.architecture: plain`` the LLM alone (``AutoModelForCausalLM``) with the
    plain-LLM processor, which inlines the task input exactly as the evaluator prompts a plain causal LM."""
    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    encoder, llm = resolve_sources(config)
    m = config.model
    dtype = _torch_dtype(m.dtype)
    attn = None if m.attn_implementation == "auto" else m.attn_implementation
    if m.architecture == "plain":
        from lingualift.modeling.components import load_llm

        model = load_llm(llm, dtype=dtype, attn_implementation=attn)
        if m.parscale_streams > 1:
            from lingualift.modeling import ParScaleForCausalLM

            model = ParScaleForCausalLM.from_base(
                model,
                parscale_streams=m.parscale_streams,
                prefix_length=m.parscale_prefix_length,
                aggregation_smoothing=m.parscale_smoothing,
            )
        return model, LinguaLiftProcessor.for_plain_llm(llm, max_length=m.max_length)
    if config.stage.bridge_checkpoint:
        model = LinguaLiftForCausalLM.from_bridge(
            config.stage.bridge_checkpoint, encoder=encoder, llm=llm, dtype=dtype, attn_implementation=attn
        )
        processor = LinguaLiftProcessor.from_pretrained(config.stage.bridge_checkpoint)
        processor.max_input_length = m.max_input_length
        processor.max_length = m.max_length
    else:
        processor = LinguaLiftProcessor.from_components(
            encoder, llm, max_input_length=m.max_input_length, max_length=m.max_length
        )
        model = LinguaLiftForCausalLM.from_components(
            encoder=encoder,
            llm=llm,
            processor=processor,
            bridge_type=m.bridge_type,
            bridge_hidden_size=m.bridge_hidden_size,  # None: the LLM's hidden size
            bridge_activation=m.bridge_activation or "gelu",
            dtype=dtype,
            attn_implementation=attn,
        )
    if m.encoder_cache_mb > 0:
        model.enable_encoder_cache(m.encoder_cache_mb)
    return model, processor


def _bridge_card_data(config: RunConfig) -> dict[str, Any]:
    """The model-card data of the stage-1 bridge this run starts from (its stages, languages), which the run
    extends; empty for a fresh bridge."""
    if not config.stage.bridge_checkpoint:
        return {}
    from lingualift.hub import local_directory
    from lingualift.persistence.model_card import load_card_data

    return load_card_data(local_directory(config.stage.bridge_checkpoint))


def training_arguments(config: RunConfig, gradient_accumulation_steps: int):
    """Map the ``training`` section onto HF ``TrainingArguments``."""
    import torch
    from transformers import TrainingArguments

    t = config.training
    has_eval = config.data.eval_file is not None
    return TrainingArguments(
        output_dir=t.output_dir,
        per_device_train_batch_size=t.per_device_batch_size,
        per_device_eval_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=gradient_accumulation_steps,
        num_train_epochs=t.num_train_epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler_type,
        warmup_steps=t.warmup_ratio,  # a float < 1 is a fraction of the total steps
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=t.optim,
        bf16=_bf16(t.bf16),
        activation_checkpointing=t.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        seed=t.seed,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=(t.eval_steps or t.save_steps) if has_eval else None,
        eval_on_start=has_eval and t.eval_on_start,
        report_to=_report_to(t.report_to) or "none",
        disable_tqdm=False,
        remove_unused_columns=False,
        dataloader_num_workers=t.dataloader_num_workers,
        dataloader_pin_memory=torch.cuda.is_available(),
        include_num_input_tokens_seen="non_padding",
        ddp_find_unused_parameters=False,
    )


@contextlib.contextmanager
def full_parameters(trainer) -> Iterable[None]:
    """Gather sharded parameters (DeepSpeed ZeRO-3, FSDP) so the final save sees whole tensors."""
    if trainer.is_deepspeed_enabled:
        import deepspeed

        with deepspeed.zero.GatheredParameters(list(trainer.model.parameters()), modifier_rank=None):
            yield
    elif trainer.is_fsdp_enabled:
        from torch.distributed.fsdp import FullyShardedDataParallel

        with FullyShardedDataParallel.summon_full_params(trainer.model_wrapped, writeback=False):
            yield
    else:
        yield


def _prepare_output_dir(config: RunConfig, is_main: bool) -> Path | None:
    """Clear interrupted saves; pick the checkpoint to resume from (or wipe old ones when overwriting)."""
    from lingualift.training.callbacks import STEP_LOG_NAME
    from lingualift.training.checkpointing import clear_staging, last_complete_checkpoint, list_checkpoints

    out = Path(config.training.output_dir)
    resume_from = last_complete_checkpoint(out, verify=True) if config.training.resume else None
    if resume_from is not None:
        _refuse_changed_settings(config, out / RUN_CONFIG_NAME, resume_from)
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
        clear_staging(out)
        if not config.training.resume and config.training.overwrite_output_dir:
            for old in list_checkpoints(out, complete_only=False):
                shutil.rmtree(old, ignore_errors=True)
            (out / STEP_LOG_NAME).unlink(missing_ok=True)
        config.save(out / RUN_CONFIG_NAME)
    if config.training.resume:
        if resume_from is None:
            logger.warning("training.resume: no complete checkpoint in %s, starting from scratch", out)
        else:
            logger.warning("training.resume: resuming from %s", resume_from)
    return resume_from


# settings a resumed run may change: they do not alter what is trained or how (bookkeeping and reporting only)
RESUMABLE_CHANGES = frozenset(
    {
        "training.resume",
        "training.overwrite_output_dir",
        "training.output_dir",  # a run directory that was moved or copied
        "training.logging_steps",
        "training.report_to",
        "training.save_steps",
        "training.save_total_limit",
    }
)


# settings a resumed run may raise when its learning rate is constant: no schedule depends on the total, and
# the data order depends only on the seed and the epoch, so the resumed steps are exactly the steps a run
# started with the larger budget would have taken (an extension, not a different run)
EXTENDABLE_BUDGET = ("training.max_steps", "training.num_train_epochs")


def _budget_extension(config: RunConfig, saved: Path | dict[str, Any]) -> list[str]:
    """The budget keys raised since ``saved`` (a run config file or its tree) when that is the only change
    and the lr is constant, else []."""
    changed = [key for key in _changed_settings(config, saved) if key not in RESUMABLE_CHANGES]
    if not changed or not set(changed) <= set(EXTENDABLE_BUDGET):
        return []
    before = _setting_values(saved, ["training.lr_scheduler_type", *EXTENDABLE_BUDGET])
    t = config.training
    if before["training.lr_scheduler_type"] != "constant" or t.lr_scheduler_type != "constant":
        return []
    old_steps, old_epochs = (
        int(before["training.max_steps"] or -1),
        float(before["training.num_train_epochs"]),
    )
    if old_steps > 0:  # max_steps governed the old run: the new one must train more steps
        grew = t.max_steps > old_steps or (t.max_steps <= 0 and t.num_train_epochs > 0)
    else:
        grew = t.max_steps > 0 or t.num_train_epochs > old_epochs
    return changed if grew else []


def _refuse_changed_settings(config: RunConfig, saved: Path, resume_from: Path) -> None:
    """A run resumes only with the settings it started with: the optimizer, scheduler and data order in the
    checkpoint were made with them, and ``run_config.yaml``/the model card would otherwise record values the
    weights were not trained with. One exception: a larger budget for a constant-lr run extends it
    (:data:`EXTENDABLE_BUDGET`)."""
    extension = _budget_extension(config, saved)
    if extension:
        logger.warning(
            "training.resume: extending %s (constant learning rate) with a larger budget: %s",
            resume_from,
            ", ".join(
                f"{key} -> {config.to_dict()['training'][key.split('.', 1)[1]]!r}" for key in extension
            ),
        )
        return
    changed = [key for key in _changed_settings(config, saved) if key not in RESUMABLE_CHANGES]
    if changed:
        before, now = _setting_values(saved, changed, config), config.to_dict()
        detail = ", ".join(
            f"{key}: {before.get(key)!r} -> {now.get(key.split('.')[0], {}).get(key.split('.', 1)[1])!r}"
            for key in changed
        )
        raise ConfigError(
            f"training.resume: {resume_from} was trained with other settings than this config ({detail});"
            f" resume with the values in {saved}, or start over with training.overwrite_output_dir=true, or"
            " choose another training.output_dir"
        )


def _settings_tree(saved: Path | dict[str, Any]) -> dict[str, Any] | None:
    """A saved run config as its ``{section: {key: value}}`` tree (None when the file is unreadable)."""
    if isinstance(saved, dict):
        return saved
    import yaml

    try:
        return yaml.safe_load(saved.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None


def _setting_values(
    saved: Path | dict[str, Any], keys: list[str], config: RunConfig | None = None
) -> dict[str, Any]:
    """Values of dotted ``keys`` in a saved run config; with ``config``, a key the saved file lacks (added to
    lingualift since) reads as its default."""
    tree = _settings_tree(saved) or {}
    return {key: _saved_setting(tree, *key.split(".", 1), config) for key in keys}


def _saved_setting(tree: dict[str, Any], section: str, key: str, config: RunConfig | None) -> Any:
    """``section.key`` of a saved run-config tree; with ``config``, a key the file lacks (a setting added to
    lingualift after the run was saved) reads as its default: the value the run had."""
    held = tree.get(section) or {}
    if key in held or config is None:
        return held.get(key)
    return _setting_default(config, section, key)


def _changed_settings(config: RunConfig, saved: Path | dict[str, Any]) -> list[str]:
    """Dotted keys whose value differs between ``config`` and the run config saved in ``saved``."""
    before = _settings_tree(saved)
    if before is None:
        return []
    now = config.to_dict()
    ignored = {"training.resume", "training.overwrite_output_dir"}
    return [
        f"{section}.{key}"
        for section in sorted(set(before) | set(now))
        if isinstance(before.get(section, {}), dict) and isinstance(now.get(section, {}), dict)
        for key in sorted(set(before.get(section, {})) | set(now.get(section, {})))
        if f"{section}.{key}" not in ignored
        and _saved_setting(before, section, key, config) != now.get(section, {}).get(key)
    ]


def _setting_default(config: RunConfig, section: str, key: str) -> Any:
    """The default of ``section.key`` in the run config schema (None when it has none)."""
    import dataclasses

    part = getattr(config, section, None)
    for item in dataclasses.fields(part) if dataclasses.is_dataclass(part) else ():
        if item.name == key:
            if item.default is not dataclasses.MISSING:
                return item.default
            if item.default_factory is not dataclasses.MISSING:
                return item.default_factory()
    return None


def completed_run(config: RunConfig) -> StageResult | None:
    """The finished run in ``training.output_dir`` (its ``final/`` checkpoint and recorded step, loss and
    metrics), or None when it has not finished. What ``training.resume=true`` returns instead of training."""
    out = Path(config.training.output_dir)
    final = out / FINAL_DIR
    if not (final.is_dir() and any(final.iterdir())):
        return None
    import json

    try:
        record = json.loads((out / RUN_RESULT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a run finished before run_result.json existed: the model card's record
        from lingualift.persistence.model_card import load_card_data

        stages = load_card_data(final).get("stages") or [{}]
        record = {"global_step": stages[-1].get("steps", 0), "train_loss": stages[-1].get("train_loss")}
    # the settings final/ was trained with: run_config.yaml already holds a larger budget once an extension
    # has started, so an extension interrupted before its end is told by run_result.json's record
    finished_with: Path | dict[str, Any] = record.get("config") or out / RUN_CONFIG_NAME
    if _budget_extension(config, finished_with):
        return None  # a constant-lr run given more steps: resume from its last checkpoint
    steps = int(record.get("global_step") or 0)
    if (
        "config" not in record  # a record from before the settings were kept in it
        and config.training.lr_scheduler_type == "constant"
        and 0 < steps < config.training.max_steps
    ):
        return None  # final/ holds fewer steps than this budget: an extension was interrupted
    changed = _changed_settings(config, finished_with)
    logger.warning(
        "training.resume: %s is a finished run (step %s); returning it without training%s"
        " (training.overwrite_output_dir=true trains again)",
        final,
        record.get("global_step"),
        f" although these settings changed since: {', '.join(changed)}" if changed else "",
    )
    return StageResult(
        output_dir=out,
        final_dir=final,
        global_step=int(record.get("global_step") or 0),
        train_loss=float(record["train_loss"]) if record.get("train_loss") is not None else float("nan"),
        trainable_parameters=list(record.get("trainable_parameters", [])),
        metrics=dict(record.get("metrics", {})),
        already_complete=True,
    )


def _record_result(
    out: Path, config: RunConfig, global_step: int, train_loss: float, trainable: list[str], metrics: dict
) -> None:
    """Write ``run_result.json`` (after ``final/``): what :func:`completed_run` returns on a later resume,
    with the settings ``final/`` was trained with."""
    import json

    from lingualift.io_utils import atomic_write_json

    record = {
        "final_dir": FINAL_DIR,
        "global_step": global_step,
        "train_loss": train_loss,
        "trainable_parameters": trainable,
        "metrics": json.loads(json.dumps(metrics, default=str)),
        "config": json.loads(json.dumps(config.to_dict(), default=str)),
    }
    atomic_write_json(out / RUN_RESULT_NAME, record)


def run_stage(config: RunConfig, runner: str, callbacks: Iterable[Any] = ()) -> StageResult:
    """Validate, build, train and save one stage (shared by :func:`run_stage1` and :func:`run_stage2`).

    Output policy (checked before any model loads): a finished run in ``training.output_dir`` is returned as
    it is with ``training.resume=true`` and replaced (when the new ``final/`` is saved) only with
    ``training.overwrite_output_dir=true``; without either it is refused, as is a directory lingualift did
    not make.
    """
    accumulation = validate_for_stage(
        config, runner
    )  # every config error surfaces here, before any model loads
    if config.training.resume:
        finished = completed_run(config)
        if finished is not None:
            return finished
    from transformers import set_seed

    from lingualift.training.callbacks import STEP_LOG_NAME, JsonStepLogCallback
    from lingualift.training.data import InstructionCollator, build_dataset, load_records
    from lingualift.training.trainer import LinguaLiftTrainer

    # the data is read and checked before the output directory or any model is touched
    train_records = load_records(config.data.train_file, config.data.max_samples)
    eval_records = load_records(config.data.eval_file) if config.data.eval_file else None
    args = training_arguments(config, accumulation)
    is_main = args.process_index == 0
    resume_from = _prepare_output_dir(config, is_main)
    set_seed(config.training.seed)  # the fresh bridge's initialisation depends on it
    model, processor = build_model(config)
    stage = config.stage
    plain = config.model.architecture == "plain"
    lora = stage.lora.options() if stage.lora else None
    if plain:
        from lingualift.modeling.stages import configure_plain_llm

        if config.model.parscale_streams > 1:  # recycling (prefixes + aggregator) or all of it
            trainable = model.configure_parscale_stage(train_llm=stage.effective_train_llm)
        else:
            model, trainable = configure_plain_llm(model, lora=lora)  # PEFT-wrapped with LoRA
        card_data: dict[str, Any] = {}
    else:
        trainable = model.configure_stage(
            stage.name,
            lora=lora,
            train_llm=stage.effective_train_llm,
            train_bridge=stage.effective_train_bridge,
        )
        card_data = _bridge_card_data(config)
    train_dataset = build_dataset(train_records, processor)
    eval_dataset = build_dataset(eval_records, processor) if eval_records is not None else None
    out = Path(config.training.output_dir)
    trainer = LinguaLiftTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=InstructionCollator(processor),
        callbacks=[JsonStepLogCallback(out / STEP_LOG_NAME), *callbacks],
        global_batch_size=config.training.global_batch_size,
    )
    output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    final = out / FINAL_DIR
    metrics = dict(output.metrics)
    # how the run was spread (recorded, so that a 1-process and a sharded run can be told apart afterwards)
    metrics["distributed"] = {
        "type": str(trainer.accelerator.distributed_type.value),
        "processes": trainer.accelerator.num_processes,
        "fsdp": bool(trainer.is_fsdp_enabled),
        "deepspeed": bool(trainer.is_deepspeed_enabled),
    }
    if getattr(model, "encoder_cache", None) is not None:
        stats = model.encoder_cache.stats
        metrics["encoder_cache"] = stats.to_dict()
        logger.info(
            "encoder cache: %d rows served from memory, %d encoded, %.1f MB held, %d rows over the budget",
            stats.hits,
            stats.misses,
            stats.bytes / 2**20,
            stats.not_stored,
        )
    record_stage_in_card(card_data, config, output.global_step, float(output.training_loss))
    merge = bool(stage.lora and stage.lora.merge_on_save)
    # else final/ did not exist (checked up front), or this run made it and has now been extended
    overwrite = config.training.overwrite_output_dir or bool(resume_from and (out / FINAL_DIR).is_dir())
    with full_parameters(trainer):
        if trainer.args.should_save:
            from lingualift.persistence.checkpoints import save_bridge, save_checkpoint, save_plain_checkpoint

            if plain:
                save_plain_checkpoint(
                    model, final, processor, merge_lora=merge, card_data=card_data, overwrite=overwrite
                )
            elif stage.name == "align":
                save_bridge(model, final, processor=processor, overwrite=overwrite, card_data=card_data)
            else:
                save_checkpoint(
                    model,
                    final,
                    processor=processor,
                    merge_lora=merge,
                    overwrite=overwrite,
                    card_data=card_data,
                )
            _record_result(out, config, output.global_step, float(output.training_loss), trainable, metrics)
    trainer.accelerator.wait_for_everyone()
    return StageResult(
        output_dir=out,
        final_dir=final,
        global_step=output.global_step,
        train_loss=float(output.training_loss),
        trainable_parameters=trainable,
        resumed_from=resume_from,
        metrics=metrics,
        trainer=trainer,
    )


def stage_card_name(config: RunConfig) -> str:
    """How the model card names this run's stage (the baselines say which one they are)."""
    if config.stage.name == "align":
        return "stage 1 (language alignment)"
    if config.model.architecture == "plain":
        return "Mono-SFT (plain LLM on the task data)"
    if not config.stage.bridge_checkpoint:
        return "stage 2 (task transfer, w/o language alignment: fresh bridge)"
    return "stage 2 (task transfer)"


def record_stage_in_card(card: dict[str, Any], config: RunConfig, steps: int, train_loss: float) -> None:
    """Add this stage (data, languages, schedule, result) to ``card`` (a model's card data) for the saved
    model card."""
    from lingualift.io_utils import iter_jsonl

    s = config.stage
    languages = {str(r["lang"]) for _, r in iter_jsonl(config.data.train_file) if r.get("lang")}
    card["languages"] = sorted(set(card.get("languages", [])) | languages)
    bridge = s.effective_train_bridge and config.model.architecture == "bridged"
    llm = "LoRA adapter" if s.lora else "LLM" if s.effective_train_llm else None
    card.setdefault("stages", []).append(
        {
            "name": stage_card_name(config),
            "train_file": Path(config.data.train_file).name,
            "trains": ", ".join(part for part in ("bridge" if bridge else None, llm) if part),
            "steps": steps,
            "learning_rate": config.training.learning_rate,
            "scheduler": config.training.lr_scheduler_type,
            "global_batch_size": config.training.global_batch_size,
            "train_loss": round(train_loss, 4),
        }
    )


def run_stage1(config: RunConfig, callbacks: Iterable[Any] = ()) -> StageResult:
    """Stage 1 (language alignment): train the bridge on code-switched translation records."""
    return run_stage(config, "stage1", callbacks)


def run_stage2(config: RunConfig, callbacks: Iterable[Any] = ()) -> StageResult:
    """Stage 2 (task transfer): fine-tune the LLM (or a LoRA adapter) from a stage-1 bridge checkpoint."""
    return run_stage(config, "stage2", callbacks)


__all__ = ["StageResult", "build_model", "run_stage", "run_stage1", "run_stage2", "training_arguments"]

"""Training stages as freezing policies, applied in one place.

- ``align`` (stage 1, language alignment): the bridge (projection + boundary embeddings) trains; encoder and
  LLM are frozen, though gradients flow *through* the frozen LLM to the bridge. Ablation: ``train_llm=True``.
- ``task`` (stage 2, task transfer): the LLM trains (full) or a LoRA adapter on it (``lora={...}``); the
  bridge is frozen. Ablations: ``train_bridge=True`` (keep training the bridge; also the fresh bridge of the
  w/o-alignment run), with ``train_llm=False`` to freeze the LLM.
The encoder is frozen in every stage. The plain-LLM baseline (Mono-SFT: no encoder, no bridge) has its own
policy, :func:`configure_plain_llm`, with the same LoRA settings as a bridged stage 2.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lingualift.errors import ConfigError

STAGES = ("align", "task")
# what the command line and recipes call the stages ("stage1" / "stage2") -> the stage
STAGE_ALIASES = {"stage1": "align", "1": "align", "stage2": "task", "2": "task"}
LORA_KEYS = ("r", "alpha", "dropout", "target_modules", "bias")


def _lora_config(options: dict[str, Any]):
    from peft import LoraConfig

    unknown = sorted(set(options) - set(LORA_KEYS))
    if unknown:
        raise ConfigError(
            f"lora: unknown key(s) {', '.join(unknown)}; expected any of {', '.join(LORA_KEYS)}"
        )
    return LoraConfig(
        task_type="CAUSAL_LM",
        r=int(options.get("r", 16)),
        lora_alpha=int(options.get("alpha", 32)),
        lora_dropout=float(options.get("dropout", 0.05)),
        target_modules=options.get("target_modules", "all-linear"),
        bias=options.get("bias", "none"),
    )


@contextmanager
def quiet_peft_deprecations() -> Iterator[None]:
    """Silence the FutureWarning PEFT triggers by reading transformers' deprecated
    ``is_gradient_checkpointing`` (PEFT ≤ 0.21 with transformers 5.x): it is about PEFT's code, and nothing a
    lingualift user can act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def attach_lora(model: Any, options: dict[str, Any]) -> None:
    """Wrap ``model.language_model`` in a PEFT LoRA adapter (idempotent)."""
    if model.has_lora:
        return
    from peft import get_peft_model

    with quiet_peft_deprecations():
        model.language_model = get_peft_model(model.language_model, _lora_config(options))


def merge_lora(model: Any) -> None:
    """Fold a LoRA adapter into the LLM weights and unwrap it (for a plain full checkpoint)."""
    if model.has_lora:
        model.language_model = model.language_model.merge_and_unload()
        model.config.text_config = model.language_model.config


def configure_stage(
    model: Any,
    stage: str,
    lora: dict[str, Any] | None = None,
    train_llm: bool | None = None,
    train_bridge: bool | None = None,
) -> list[str]:
    """Set ``requires_grad`` for ``stage``; returns the names of the trainable parameters."""
    stage = STAGE_ALIASES.get(str(stage), str(stage))
    if stage not in STAGES:
        raise ConfigError(
            f"stage: unknown stage {stage!r}; expected one of {', '.join(STAGES)} (or stage1/stage2)"
        )
    if train_llm is None:
        train_llm = stage == "task"
    if train_bridge is None:
        train_bridge = stage == "align"
    if lora and not train_llm:
        raise ConfigError(
            "lora is set but train_llm is false: a LoRA adapter only makes sense when the LLM trains"
        )
    model.requires_grad_(False)
    if lora:
        attach_lora(model, dict(lora))
        for name, param in model.language_model.named_parameters():
            param.requires_grad_("lora_" in name)
    elif train_llm:
        model.language_model.requires_grad_(True)
    if train_bridge:
        model.bridge.requires_grad_(True)
    model.encoder.requires_grad_(False)
    trainable = [name for name, param in model.named_parameters() if param.requires_grad]
    if not trainable:
        raise ConfigError(
            f"stage {stage!r} with train_llm={train_llm}, train_bridge={train_bridge} trains nothing"
        )
    return trainable


def configure_plain_llm(model: Any, lora: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
    """Stage-2 policy of a plain causal LM (the Mono-SFT baseline): all its weights train, or, with ``lora``,
    only a LoRA adapter built exactly as :func:`attach_lora` builds the bridged model's. Returns the model to
    train (PEFT-wrapped with LoRA) and the names of its trainable parameters."""
    if lora:
        from peft import get_peft_model

        with quiet_peft_deprecations():
            model = get_peft_model(model, _lora_config(dict(lora)))
        for name, param in model.named_parameters():
            param.requires_grad_("lora_" in name)
    else:
        model.requires_grad_(True)
    return model, [name for name, param in model.named_parameters() if param.requires_grad]

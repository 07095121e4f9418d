"""`LinguaLiftForCausalLM`: frozen multilingual encoder → alignment bridge → decoder LLM, as one HF model.

The processor writes ``<enc_start>``, N × ``<enc>``, ``<enc_end>`` into the LLM sequence. Here the LLM ids are
embedded (placeholder ids swapped for a harmless id, so the LLM's embedding matrix is never resized), the
bridged encoder states are scattered into the ``<enc>`` positions and the boundary embeddings into
``<enc_start>`` / ``<enc_end>``; padding, positions, labels and the KV cache then follow the LLM's ordinary
path, which is what makes ``generate()`` and batched == unbatched decoding work. The encoder runs only on the
prefill step.

Example::

    processor = LinguaLiftProcessor.from_components(encoder="google/mt5-xl", llm="meta-llama/Llama-2-7b-hf")
    model = LinguaLiftForCausalLM.from_components(
        encoder="google/mt5-xl", llm="meta-llama/Llama-2-7b-hf", processor=processor
    )
    batch = processor(["Answer step by step."], ["Swali kwa Kiswahili ..."])
    out = model.generate(**batch, max_new_tokens=256)
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from functools import cache as _memoize
from typing import Any

import torch
from torch import nn
from transformers import AutoModelForCausalLM, GenerationMixin, PreTrainedModel

from lingualift.errors import ConfigError, InputDataError
from lingualift.modeling.bridge import LanguageAlignmentBridge
from lingualift.modeling.components import (
    Source,
    WrapsLanguageModel,
    build_encoder_from_config,
    fingerprint,
    load_encoder,
    load_llm,
)
from lingualift.modeling.configuration import LinguaLiftConfig
from lingualift.modeling.encoder_cache import EncoderCache


class LinguaLiftPreTrainedModel(PreTrainedModel):
    """Base class wiring :class:`LinguaLiftConfig` into the transformers model machinery."""

    config_class = LinguaLiftConfig
    base_model_prefix = ""
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_compile_fullgraph = False

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, LanguageAlignmentBridge):
            module.reset_parameters(
                std=float(getattr(self.config.text_config, "initializer_range", 0.02) or 0.02)
            )
            return
        for child_name in ("encoder", "language_model"):
            child = getattr(self, child_name, None)
            if isinstance(child, PreTrainedModel) and any(m is module for m in child.modules()):
                child._init_weights(module)
                return


class LinguaLiftForCausalLM(WrapsLanguageModel, LinguaLiftPreTrainedModel, GenerationMixin):
    """Encoder-bridged causal LM (LinguaLIFT). See the module docstring for the data flow."""

    def __init__(
        self,
        config: LinguaLiftConfig,
        encoder: PreTrainedModel | None = None,
        language_model: PreTrainedModel | None = None,
    ):
        # PreTrainedModel.__init__ resets the sub-configs' attention implementation: keep the parts' own
        attn = {
            "encoder": encoder.config._attn_implementation if encoder is not None else None,
            "llm": language_model.config._attn_implementation if language_model is not None else None,
        }
        super().__init__(config)
        self.encoder = encoder if encoder is not None else build_encoder_from_config(config.encoder_config)
        self.bridge = LanguageAlignmentBridge(config)
        self.language_model = (
            language_model
            if language_model is not None
            else AutoModelForCausalLM.from_config(config.text_config)
        )
        self._check_widths()
        # share the sub-configs so later changes (attention implementation, ...) stay in sync
        self.config.encoder_config = self.encoder.config
        self.config.text_config = self.language_model.config
        for part, sub_config in (("encoder", self.encoder.config), ("llm", self.language_model.config)):
            if attn[part] is not None or sub_config._attn_implementation is None:
                sub_config._attn_implementation = attn[part] or self.config._attn_implementation or "sdpa"
        self.encoder.requires_grad_(False)
        self.encoder.eval()
        self.encoder_cache: EncoderCache | None = None  # see enable_encoder_cache
        self.post_init()

    def _check_widths(self) -> None:
        enc_width = int(self.encoder.config.hidden_size)
        llm_width = int(self.language_model.get_input_embeddings().weight.shape[1])
        if enc_width != self.bridge.in_features:
            raise ConfigError(
                f"hidden size mismatch: the encoder outputs {enc_width}-d states but the bridge expects"
                f" {self.bridge.in_features}-d (encoder_config.hidden_size)"
            )
        if llm_width != self.bridge.out_features:
            raise ConfigError(
                f"hidden size mismatch: the LLM embeds tokens in {llm_width}-d but the bridge outputs"
                f" {self.bridge.out_features}-d (text_config.hidden_size)"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_components(
        cls,
        encoder: Source,
        llm: Source,
        processor: Any,
        bridge_type: str = "mlp2",
        bridge_hidden_size: int | None = None,
        bridge_activation: str = "gelu",
        encoder_revision: str | None = None,
        llm_revision: str | None = None,
        dtype: torch.dtype | str | None = None,
        encoder_dtype: torch.dtype | str | None = None,
        attn_implementation: str | None = None,
    ) -> LinguaLiftForCausalLM:
        """Assemble a fresh bridged model from an encoder and an LLM (hub ids, local dirs or model objects).

        The bridge is newly initialised; ``processor`` (``LinguaLiftProcessor.from_components`` of the same
        sources) fixes the placeholder token ids. Model and processor are separate objects, as in
        transformers: the model never builds or holds one.
        """
        placeholder_ids = getattr(processor, "placeholder_token_ids", None)
        if not isinstance(placeholder_ids, dict):
            raise ConfigError(
                "from_components needs the processor of the same encoder and LLM, got"
                f" {type(processor).__name__}; build it with"
                " LinguaLiftProcessor.from_components(encoder, llm)"
            )
        encoder_model = load_encoder(encoder, encoder_revision, dtype=encoder_dtype or dtype)
        llm_model = load_llm(llm, llm_revision, dtype=dtype, attn_implementation=attn_implementation)
        config = LinguaLiftConfig(
            encoder_config=encoder_model.config,
            text_config=llm_model.config,
            bridge_type=bridge_type,
            bridge_hidden_size=bridge_hidden_size,
            bridge_activation=bridge_activation,
            encoder_name_or_path=_name_of(encoder),
            encoder_revision=encoder_revision,
            llm_name_or_path=_name_of(llm),
            llm_revision=llm_revision,
            base_fingerprints={"encoder": fingerprint(encoder_model), "llm": fingerprint(llm_model)},
            **placeholder_ids,
        )
        return cls(config, encoder=encoder_model, language_model=llm_model)

    def train(self, mode: bool = True) -> LinguaLiftForCausalLM:
        """Like ``nn.Module.train`` but the frozen encoder always stays in eval mode (no dropout)."""
        super().train(mode)
        self.encoder.eval()
        return self

    @property
    def has_lora(self) -> bool:
        """Whether the LLM is wrapped by a PEFT LoRA adapter (stage 2 with ``lora=...``)."""
        return hasattr(self.language_model, "peft_config")

    def enable_encoder_cache(self, max_megabytes: float = 1024.0) -> EncoderCache:
        """Memoise the frozen encoder's states per input row, up to ``max_megabytes`` (CPU memory).

        For training over several epochs on a dataset small enough to keep its encoder states: every epoch
        after the first skips the encoder for the cached rows. See :mod:`lingualift.modeling.encoder_cache`.
        """
        self.encoder_cache = EncoderCache(max_megabytes)
        return self.encoder_cache

    def disable_encoder_cache(self) -> None:
        """Drop the encoder cache and its memory."""
        self.encoder_cache = None

    def encode(
        self, encoder_input_ids: torch.Tensor, encoder_attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Frozen encoder (no autograd graph) → bridge: ``(batch, n_enc, d_llm)`` bridged states."""
        return self.bridge(self._encoder_states(encoder_input_ids, encoder_attention_mask))

    def _encoder_states(
        self, encoder_input_ids: torch.Tensor, encoder_attention_mask: torch.Tensor | None
    ) -> torch.Tensor:
        """The frozen encoder's last hidden states (no autograd graph; from the encoder cache when on)."""
        with torch.no_grad():
            if self.encoder_cache is not None:
                return self.encoder_cache.encode(self.encoder, encoder_input_ids, encoder_attention_mask)
            return self.encoder(
                input_ids=encoder_input_ids, attention_mask=encoder_attention_mask
            ).last_hidden_state

    def embed_inputs(
        self,
        input_ids: torch.Tensor,
        encoder_input_ids: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """LLM input embeddings with bridged encoder states and boundary embeddings merged in."""
        start_id, enc_id, end_id = self.config.placeholder_token_ids
        is_enc = input_ids == enc_id
        is_start = input_ids == start_id
        is_end = input_ids == end_id
        special = is_enc | is_start | is_end
        embedding = self.get_input_embeddings()
        if not bool(special.any()):  # decoding steps and plain text
            return embedding(input_ids)
        embeds = embedding(input_ids.masked_fill(special, 0))
        states = None
        if bool(is_enc.any()):
            if encoder_input_ids is None:
                raise InputDataError(
                    "input_ids contain <enc> placeholders but no encoder_input_ids were given"
                )
            if encoder_attention_mask is None:
                encoder_attention_mask = torch.ones_like(encoder_input_ids)
            n_placeholders = is_enc.sum(dim=1)
            n_encoder = encoder_attention_mask.sum(dim=1)
            if n_placeholders.shape != n_encoder.shape or not torch.equal(
                n_placeholders, n_encoder.to(n_placeholders)
            ):
                raise InputDataError(
                    "placeholder count does not match the encoder length: <enc> tokens per row "
                    f"{n_placeholders.tolist()} vs encoder tokens per row {n_encoder.tolist()}"
                )
            states = self._encoder_states(encoder_input_ids, encoder_attention_mask)
        # one bridge call maps the states and places them and the boundary embeddings (FSDP: one gather)
        return self.bridge(states, embeds, encoder_attention_mask, (is_start, is_enc, is_end))

    # ------------------------------------------------------------------ forward / generation
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_input_ids: torch.LongTensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Any = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        past_key_values: Any = None,
        **kwargs: Any,
    ):
        """Run the LLM on merged embeddings; returns the LLM's ``CausalLMOutputWithPast`` (loss when labels).

        The KV cache comes as ``cache`` (what ``generate()`` passes from transformers 5.24) or as
        ``past_key_values`` (its name before); it reaches the LLM under the name that LLM's ``forward`` takes.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise InputDataError("pass exactly one of input_ids or inputs_embeds")
        if cache is not None and past_key_values is not None and cache is not past_key_values:
            raise InputDataError("pass the KV cache once: as cache or as past_key_values, not both")
        if cache is None:
            cache = past_key_values
        if inputs_embeds is None:
            self._check_length(input_ids, cache)
            inputs_embeds = self.embed_inputs(input_ids, encoder_input_ids, encoder_attention_mask)
        kwargs[_cache_keyword(self.language_model)] = cache
        return self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=position_ids,
            labels=labels,
            use_cache=use_cache,
            logits_to_keep=logits_to_keep,
            **kwargs,
        )

    def _check_length(self, input_ids: torch.Tensor, cache: Any) -> None:
        limit = getattr(self.config.text_config, "max_position_embeddings", None)
        if limit is None:
            return
        past = cache.get_seq_length() if cache is not None and hasattr(cache, "get_seq_length") else 0
        if input_ids.shape[1] + past > limit:
            raise InputDataError(
                f"sequence of {input_ids.shape[1] + past} tokens is longer than the LLM's"
                f" max_position_embeddings={limit}; lower the processor's max_length"
            )

    def prepare_inputs_for_generation(
        self, *args: Any, is_first_iteration: bool | None = False, **kwargs: Any
    ):
        """Standard preparation; the encoder inputs are dropped after the prefill step (cache holds them)."""
        inputs = super().prepare_inputs_for_generation(*args, is_first_iteration=is_first_iteration, **kwargs)
        if not is_first_iteration and kwargs.get("use_cache", True):
            inputs.pop("encoder_input_ids", None)
            inputs.pop("encoder_attention_mask", None)
        return inputs

    def _reorder_cache(self, past_key_values: Any, beam_idx: torch.LongTensor) -> Any:
        """Beam search's cache reordering: the LLM's own where it has one (a P-stream ParScale LLM keeps P
        rows per beam), else the cache's."""
        llm = self.language_model
        llm = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
        if hasattr(llm, "_reorder_cache"):
            return llm._reorder_cache(past_key_values, beam_idx)
        past_key_values.reorder_cache(beam_idx)
        return past_key_values

    # ------------------------------------------------------------------ training stages and checkpoints
    def configure_stage(self, stage: str, **options: Any) -> list[str]:
        """Apply a stage's freezing policy (see :func:`lingualift.modeling.stages.configure_stage`)."""
        from lingualift.modeling.stages import configure_stage

        return configure_stage(self, stage, **options)

    def save_bridge(
        self,
        save_directory: str | os.PathLike,
        processor: Any,
        overwrite: bool = False,
        card_data: dict[str, Any] | None = None,
    ) -> None:
        """Write a bridge checkpoint (bridge weights + config naming the bases + both tokenizers from
        ``processor``); an existing lingualift checkpoint there is replaced only with ``overwrite``, anything
        else is refused. ``card_data``: languages, stages, evaluation for the model card."""
        _persistence("save_bridge")(
            self, save_directory, processor=processor, overwrite=overwrite, card_data=card_data
        )

    def save_checkpoint(
        self,
        save_directory: str | os.PathLike,
        processor: Any,
        merge_lora: bool = False,
        overwrite: bool = False,
        card_data: dict[str, Any] | None = None,
    ) -> None:
        """Write the stage-2 form: full ``save_pretrained`` (LoRA merged on request) or bridge + adapter; an
        existing lingualift checkpoint there is replaced only with ``overwrite``."""
        _persistence("save_checkpoint")(
            self,
            save_directory,
            processor=processor,
            merge_lora=merge_lora,
            overwrite=overwrite,
            card_data=card_data,
        )

    def push_to_hub(
        self,
        repo_id: str,
        processor: Any = None,
        merge_lora: bool = False,
        card_data: dict[str, Any] | None = None,
        **hub_kwargs: Any,
    ):
        """Push the checkpoint (weights or adapter, config, both tokenizers from ``processor``, model card) to
        the Hugging Face Hub."""
        return _persistence("push_checkpoint_to_hub")(
            self, repo_id, processor=processor, merge_lora=merge_lora, card_data=card_data, **hub_kwargs
        )

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *model_args: Any, **kwargs: Any):
        """transformers' loader, taking every lingualift form: a full checkpoint loads as usual; a bridge or
        bridge + LoRA checkpoint (directory or Hub id, e.g. through ``AutoModelForCausalLM``) loads onto its
        bases through :func:`~lingualift.persistence.checkpoints.load_checkpoint`."""
        source = pretrained_model_name_or_path
        if isinstance(source, (str, os.PathLike)) and not model_args and "subfolder" not in kwargs:
            return _persistence("from_pretrained")(cls, source, super().from_pretrained, **kwargs)
        return super().from_pretrained(source, *model_args, **kwargs)

    @classmethod
    def from_bridge(
        cls,
        directory: str | os.PathLike,
        encoder: Source | None = None,
        llm: Source | None = None,
        **kwargs: Any,
    ):
        """Load a bridge checkpoint (directory or Hub id) onto its base encoder and LLM (recorded ones unless
        given; checked)."""
        return _persistence("load_bridge")(directory, encoder=encoder, llm=llm, **kwargs)

    @classmethod
    def from_checkpoint(cls, directory: str | os.PathLike, **kwargs: Any):
        """Load any lingualift checkpoint form (bridge, bridge + LoRA adapter, full) from a directory or a Hub
        id (``revision=`` optional); its processor: ``LinguaLiftProcessor.from_pretrained`` of the same
        source."""
        return _persistence("load_checkpoint")(directory, **kwargs)


# Saving and loading every checkpoint form lives in lingualift.persistence, which imports this module and, on
# import (``import lingualift`` does it), registers its functions here: the model never imports persistence.
_PERSISTENCE: dict[str, Callable[..., Any]] = {}


def register_persistence(**functions: Callable[..., Any]) -> None:
    """Called by :mod:`lingualift.persistence`: the functions behind the model's save/load methods."""
    _PERSISTENCE.update(functions)


def _persistence(name: str) -> Callable[..., Any]:
    if name not in _PERSISTENCE:  # only when lingualift/__init__.py did not run, which importing never skips
        raise RuntimeError(f"{name}: lingualift.persistence is not registered; import lingualift first")
    return _PERSISTENCE[name]


def _cache_keyword(language_model: nn.Module) -> str:
    """The keyword the LLM's ``forward`` takes the KV cache under: ``cache`` from transformers 5.24 on,
    ``past_key_values`` before (5.24 to 5.39 still accept the old name, with a FutureWarning)."""
    base = language_model.get_base_model() if hasattr(language_model, "get_base_model") else language_model
    return _forward_cache_keyword(type(base))


@_memoize
def _forward_cache_keyword(model_class: type) -> str:
    parameters = inspect.signature(model_class.forward).parameters
    if "cache" in parameters:
        return "cache"
    if "past_key_values" in parameters:
        return "past_key_values"
    # neither named (a forward taking **kwargs only): the name generate() uses in this transformers version
    generation_parameters = inspect.signature(GenerationMixin.prepare_inputs_for_generation).parameters
    return "cache" if "cache" in generation_parameters else "past_key_values"


def _name_of(source: Source) -> str | None:
    if isinstance(source, PreTrainedModel):
        return source.name_or_path or None
    return str(source)


__all__ = ["LinguaLiftForCausalLM", "LinguaLiftPreTrainedModel"]

"""Loading the frozen encoder and the decoder LLM from hub ids, local directories or model objects.

The encoder is always built with its encoder-only class (``MT5EncoderModel`` for mT5, ``AutoModel`` without a
pooler for BERT/XLM-R-style models): the unused decoder of a seq2seq checkpoint is never loaded.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig, PreTrainedModel

from lingualift.errors import CheckpointError, ConfigError
from lingualift.hub import check_local_source
from lingualift.modeling.configuration import LinguaLiftConfig

_T5_ENCODERS = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}

_DECODER_ONLY_TYPES = frozenset(
    (
        "llama mistral mixtral qwen2 qwen3 gemma gemma2 gemma3 gemma3_text gpt2 phi phi3 opt falcon "
        "gpt_neox olmo"
    ).split()
)

Source = str | os.PathLike | PreTrainedModel


def encoder_class_for(config: PretrainedConfig) -> type[PreTrainedModel]:
    """The encoder-only model class for an encoder config (T5 family → ``*EncoderModel``, else
    AutoModel's)."""
    import transformers

    if config.model_type in _T5_ENCODERS:
        return getattr(transformers, _T5_ENCODERS[config.model_type])
    from transformers.models.auto.modeling_auto import MODEL_MAPPING

    try:
        cls = MODEL_MAPPING[type(config)]
    except (KeyError, ValueError) as exc:
        raise ConfigError(
            f"encoder model type {config.model_type!r} has no transformers encoder class: {exc}; pass a"
            " multilingual text encoder (mT5, XLM-R, multilingual-e5, ...)"
        ) from None
    if getattr(config, "is_decoder", False) or config.model_type in _DECODER_ONLY_TYPES:
        raise ConfigError(
            f"encoder: {config.model_type!r} is a decoder-only LLM, not a text encoder; pass the multilingual"
            " encoder (mT5, XLM-R, multilingual-e5, ...) as the encoder and the LLM as the LLM"
        )
    return cls


def check_roles(
    encoder: Any, llm: Any, encoder_revision: str | None = None, llm_revision: str | None = None
) -> None:
    """Before any weights or tokenizers load (configs only): ``encoder`` is a text encoder and ``llm`` a
    causal LM; paths and Hub ids are checked, objects are left to their loaders."""
    if isinstance(encoder, (str, os.PathLike)):
        encoder_class_for(_config_of(encoder, encoder_revision, "encoder"))
    if isinstance(llm, (str, os.PathLike)):
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

        config = _config_of(llm, llm_revision, "LLM")
        # transformers' causal LMs and those registered with AutoModelForCausalLM (a ParScale LLM), but not a
        # bridged model itself
        if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING or isinstance(config, LinguaLiftConfig):
            raise ConfigError(
                f"llm: {os.fspath(llm)!r} is a {config.model_type!r} model, which is not a causal LM"
                " (AutoModelForCausalLM cannot load it); pass a decoder LLM (Llama, Qwen2, Gemma, GPT-2, ...)"
                " as the LLM and the multilingual encoder as the encoder"
            )


def _config_of(source: str | os.PathLike, revision: str | None, what: str) -> PretrainedConfig:
    check_local_source(source, what=what)
    try:
        return AutoConfig.from_pretrained(os.fspath(source), revision=revision)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{what} {os.fspath(source)!r}: cannot read its config.json ({exc})") from None


def _encoder_kwargs(cls: type[PreTrainedModel]) -> dict[str, Any]:
    return (
        {"add_pooling_layer": False}
        if "add_pooling_layer" in inspect.signature(cls.__init__).parameters
        else {}
    )


def build_encoder_from_config(config: PretrainedConfig) -> PreTrainedModel:
    """A randomly initialised encoder-only model for ``config`` (used when loading a full checkpoint)."""
    cls = encoder_class_for(config)
    return cls._from_config(config, **_encoder_kwargs(cls))


def load_encoder(
    source: Source, revision: str | None = None, dtype: torch.dtype | str | None = None
) -> PreTrainedModel:
    """The frozen multilingual encoder from a hub id, a local directory or a model object."""
    if not isinstance(source, PreTrainedModel):
        check_local_source(source, what="encoder")
    if isinstance(source, PreTrainedModel):
        if (
            source.config.is_encoder_decoder
        ):  # e.g. MT5ForConditionalGeneration: keep only its encoder weights
            cls = encoder_class_for(source.config)
            encoder = cls(source.config)
            encoder.load_state_dict(source.state_dict(), strict=False)
            encoder.config._name_or_path = source.name_or_path
            return encoder.to(source.dtype)
        return source
    try:
        config = AutoConfig.from_pretrained(str(source), revision=revision)
    except OSError as exc:
        raise CheckpointError(f"encoder: cannot load a config from {source!s}: {exc}") from None
    cls = encoder_class_for(config)
    with _readable_weights(source, "encoder"):
        return cls.from_pretrained(str(source), revision=revision, dtype=dtype, **_encoder_kwargs(cls))


@contextmanager
def _readable_weights(source: Source, what: str) -> Iterator[None]:
    """A weight file transformers cannot parse (a truncated Hub download) reported with the source and the
    fix; local directories are checked earlier, file by file (:func:`check_local_source`)."""
    from safetensors import SafetensorError

    try:
        yield
    except SafetensorError as exc:
        raise CheckpointError(
            f"{what} {source!s}: its weights cannot be read ({exc}); a truncated download or a foreign file:"
            " download it again (`hf download <repo> --force-download`) or pass a complete local copy"
        ) from None


def default_attn_implementation() -> str:
    """``flash_attention_2`` when flash-attn is installed and a GPU is present, else PyTorch SDPA."""
    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def load_llm(
    source: Source,
    revision: str | None = None,
    dtype: torch.dtype | str | None = None,
    attn_implementation: str | None = None,
) -> PreTrainedModel:
    """The decoder LLM (``AutoModelForCausalLM``) from a hub id, a local directory or a model object."""
    if not isinstance(source, PreTrainedModel):
        check_local_source(source, what="LLM")
    if isinstance(source, PreTrainedModel):
        if source.get_output_embeddings() is None:
            raise ConfigError(f"llm: {type(source).__name__} has no LM head; pass an AutoModelForCausalLM")
        return source
    try:
        with _readable_weights(source, "llm"):
            return AutoModelForCausalLM.from_pretrained(
                str(source),
                revision=revision,
                dtype=dtype,
                attn_implementation=attn_implementation or default_attn_implementation(),
            )
    except OSError as exc:
        raise CheckpointError(f"llm: cannot load a causal LM from {source!s}: {exc}") from None


def fingerprint(model: PreTrainedModel, rows: int = 4, cols: int = 8) -> list[float]:
    """A few input-embedding values: identifies the base weights a bridge was trained on, robust to dtype."""
    weight = model.get_input_embeddings().weight
    return [round(float(v), 3) for v in weight[:rows, :cols].detach().float().flatten().cpu()]


def fingerprints_match(expected: list[float], actual: list[float], tol: float = 2e-2) -> bool:
    """Whether two fingerprints agree up to the rounding of a bf16/fp16 reload."""
    return len(expected) == len(actual) and all(
        abs(a - b) <= tol * max(1.0, abs(a)) for a, b in zip(expected, actual)
    )


class WrapsLanguageModel:
    """Mixin of a model that wraps a causal LM as ``self.language_model`` (the bridged model, the ParScale
    wrapper): the input/output embeddings and the decoder are the wrapped LLM's, for ``generate``,
    ``resize_token_embeddings`` and weight tying."""

    language_model: PreTrainedModel

    def get_input_embeddings(self) -> torch.nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: torch.nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    def get_output_embeddings(self) -> torch.nn.Module | None:
        return self.language_model.get_output_embeddings()

    def get_decoder(self) -> PreTrainedModel:
        return self.language_model

"""`LinguaLiftConfig`: the composite configuration of an encoder-bridged LLM (LLaVA pattern).

It nests the frozen multilingual encoder's config (``encoder_config``) and the decoder LLM's config
(``text_config``), each resolved through the transformers Auto config mapping, plus the settings of the
language alignment layer (the "bridge") and the ids of the placeholder tokens the processor writes into the
LLM sequence.
"""

from __future__ import annotations

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from lingualift.errors import ConfigError

BRIDGE_TYPES = ("linear", "mlp2", "mlp3")
BRIDGE_ACTIVATIONS = ("gelu", "relu", "silu", "tanh")


class LinguaLiftConfig(PreTrainedConfig):
    """Configuration of :class:`~lingualift.LinguaLiftForCausalLM`.

    Example::

        from transformers import AutoConfig
        from lingualift import LinguaLiftConfig
        config = LinguaLiftConfig(encoder_config=AutoConfig.for_model("mt5", d_model=64),
                                  text_config=AutoConfig.for_model("llama", hidden_size=64),
                                  bridge_type="mlp2", enc_token_id=32001, enc_start_token_id=32000,
                                  enc_end_token_id=32002)
    """

    model_type = "lingualift"
    sub_configs_defaults = {  # noqa: RUF012 (read-only class table, as in transformers)
        "encoder_config": SubConfigSpec(config_class=AutoConfig, model_type="mt5"),
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="llama"),
    }

    encoder_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    # language alignment layer
    bridge_type: str = "mlp2"
    bridge_hidden_size: int | None = None  # None: the LLM hidden size
    bridge_activation: str = "gelu"
    # placeholder token ids in the LLM sequence (added special tokens of the LLM tokenizer; never embedded)
    enc_token_id: int | None = None
    enc_start_token_id: int | None = None
    enc_end_token_id: int | None = None
    # provenance of the frozen bases (what a bridge checkpoint must be loaded onto)
    encoder_name_or_path: str | None = None
    encoder_revision: str | None = None
    llm_name_or_path: str | None = None
    llm_revision: str | None = None
    base_fingerprints: dict | None = None
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.bridge_type not in BRIDGE_TYPES:
            raise ConfigError(
                f"bridge_type: unknown bridge type {self.bridge_type!r}; "
                f"expected one of {', '.join(BRIDGE_TYPES)}"
            )
        if self.bridge_activation not in BRIDGE_ACTIVATIONS:
            raise ConfigError(
                f"bridge_activation: unknown activation {self.bridge_activation!r};"
                f" expected one of {', '.join(BRIDGE_ACTIVATIONS)}"
            )
        if self.bridge_hidden_size is not None and int(self.bridge_hidden_size) <= 0:
            raise ConfigError(
                f"bridge_hidden_size: expected a positive integer, got {self.bridge_hidden_size!r}"
            )
        # like LlavaConfig: the composite ties its LM head when the wrapped LLM does
        if not self.tie_word_embeddings and getattr(self.text_config, "tie_word_embeddings", False):
            self.tie_word_embeddings = True

    @property
    def encoder_hidden_size(self) -> int:
        """Width of the encoder's final hidden states (``d_model`` for T5-style encoders)."""
        return int(self.encoder_config.hidden_size)

    @property
    def llm_hidden_size(self) -> int:
        """Width of the LLM's input embeddings."""
        return int(self.text_config.hidden_size)

    @property
    def placeholder_token_ids(self) -> tuple[int, int, int]:
        """``(enc_start, enc, enc_end)`` ids; raises a clear error when the processor never set them."""
        ids = (self.enc_start_token_id, self.enc_token_id, self.enc_end_token_id)
        if any(i is None for i in ids):
            raise ConfigError(
                "enc_start_token_id/enc_token_id/enc_end_token_id are not set: build the model with"
                " LinguaLiftForCausalLM.from_components(..., processor=processor) so they match the tokenizer"
            )
        return tuple(int(i) for i in ids)  # type: ignore[return-value]


__all__ = ["BRIDGE_TYPES", "LinguaLiftConfig"]

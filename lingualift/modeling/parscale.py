"""ParScale (Chen et al., 2025, "Parallel Scaling Law for Language Models") for any HF causal LM.

P streams run the same decoder as one batch of ``P × batch`` rows. Stream ``p`` differs from the others
only by its learnable prefix: ``prefix_length`` key/value vectors per layer that every token of the stream
can attend to (prefix tuning, inserted as a pre-filled KV cache, so it works for every family whose
attention reads a transformers ``Cache``: Llama, Qwen2, Gemma, GPT-2, ...). A small network reads the P
streams' final hidden states at each position and gives softmax weights over the streams (smoothed:
``(1 - ε) w + ε / P``, so no stream is starved); the output is the weighted mixture of the P next-token
distributions, returned as log-probabilities in ``logits``.

Data flow of one forward::

    input_ids (B, T) ──repeat──▶ (P·B, T) ──decoder (prefix KV of stream p in its rows)──▶ hidden (P·B, T, H)
    hidden ──lm_head──▶ P next-token distributions;  hidden ──aggregator──▶ weights (B, T, P)
    log Σ_p w_p · softmax(logits_p) ──▶ logits (B, T, V)

Rows are stream-major (row ``p·B + b``), the prefixes sit in the KV cache ahead of the tokens and are cached
once; positions count the real tokens only (the prefix has none). With ``P = 1`` and no prefix the wrapper is
the base model (its own logits). Beam search is not supported (greedy and sampling are).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, DynamicCache, GenerationMixin, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec
from transformers.modeling_outputs import CausalLMOutputWithPast
from transformers.modeling_utils import PreTrainedModel

from lingualift.errors import ConfigError
from lingualift.modeling.components import WrapsLanguageModel
from lingualift.modeling.modeling import _cache_keyword

# the output field holding the KV cache: ``cache`` from transformers 5.24 on (``past_key_values`` is renamed
# there with a deprecation warning), ``past_key_values`` before
_OUTPUT_CACHE_FIELD = (
    "cache" if "cache" in getattr(CausalLMOutputWithPast, "__dataclass_fields__", {}) else "past_key_values"
)


class ParScaleConfig(PreTrainedConfig):
    """Configuration of :class:`ParScaleForCausalLM`: the wrapped LLM's config (``text_config``) and the
    ParScale settings.

    ``parscale_streams`` (P), ``prefix_length`` (learnable key/value vectors per stream and layer; the paper
    uses 48), ``aggregator_hidden_size`` (width of the weighting network's hidden layer; None: the LLM
    width), ``aggregation_smoothing`` (ε of the smoothed stream weights).
    """

    model_type = "lingualift_parscale"
    sub_configs_defaults = {  # noqa: RUF012 (read-only class table, as in transformers)
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="llama"),
    }

    text_config: dict | PreTrainedConfig | None = None
    parscale_streams: int = 2
    prefix_length: int = 48
    aggregator_hidden_size: int | None = None
    aggregation_smoothing: float = 0.0
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        for name in ("parscale_streams", "prefix_length"):
            value = getattr(self, name)
            low = 1 if name == "parscale_streams" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
        if self.aggregator_hidden_size is not None and int(self.aggregator_hidden_size) < 1:
            raise ConfigError(
                f"aggregator_hidden_size: expected a positive integer, got {self.aggregator_hidden_size!r}"
            )
        if not 0.0 <= float(self.aggregation_smoothing) < 1.0:
            raise ConfigError(
                f"aggregation_smoothing: expected a number in [0, 1), got {self.aggregation_smoothing!r}"
            )
        if not self.tie_word_embeddings and getattr(self.text_config, "tie_word_embeddings", False):
            self.tie_word_embeddings = True

    # the wrapped decoder's sizes, read through: code that sizes things by an LLM config (a bridge's output
    # width, position limits) works on a ParScale LLM unchanged
    @property
    def hidden_size(self) -> int:
        return int(self.text_config.hidden_size)

    @property
    def vocab_size(self) -> int:
        return int(self.text_config.vocab_size)

    @property
    def max_position_embeddings(self) -> int | None:
        return getattr(self.text_config, "max_position_embeddings", None)

    @property
    def initializer_range(self) -> float:
        return float(getattr(self.text_config, "initializer_range", 0.02) or 0.02)


def _attention_shape(config: PreTrainedConfig) -> tuple[int, int, int]:
    """``(layers, key/value heads, head dim)`` of a decoder config (Llama/Qwen2/Gemma/GPT-2 names)."""
    layers = int(config.num_hidden_layers)
    heads = int(config.num_attention_heads)
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    return layers, kv_heads, head_dim


class ParScaleForCausalLM(WrapsLanguageModel, PreTrainedModel, GenerationMixin):
    """A causal LM run as P parallel streams with learnable prefixes and a dynamic aggregation of their
    next-token distributions. Build one around a pretrained LLM with :meth:`from_base`."""

    config_class = ParScaleConfig
    base_model_prefix = ""
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_attention_backend = True

    def __init__(self, config: ParScaleConfig, language_model: PreTrainedModel | None = None):
        attn = language_model.config._attn_implementation if language_model is not None else None
        super().__init__(config)
        self.language_model = (
            language_model
            if language_model is not None
            else AutoModelForCausalLM.from_config(config.text_config)
        )
        self.config.text_config = self.language_model.config
        streams, length = config.parscale_streams, config.prefix_length
        layers, kv_heads, head_dim = _attention_shape(self.language_model.config)
        self.prefix_keys = self.prefix_values = None
        if streams > 1 and length > 0:
            self.prefix_keys = nn.Parameter(torch.zeros(layers, streams, kv_heads, length, head_dim))
            self.prefix_values = nn.Parameter(torch.zeros(layers, streams, kv_heads, length, head_dim))
        self.aggregator = None
        if streams > 1:
            width = int(self.language_model.config.hidden_size)
            hidden = int(config.aggregator_hidden_size or width)
            self.aggregator = nn.Sequential(
                nn.Linear(streams * width, hidden), nn.SiLU(), nn.Linear(hidden, streams)
            )
        self.post_init()
        # PreTrainedModel.__init__/post_init reset the wrapped config's attention implementation: keep its own
        text = self.language_model.config
        text._attn_implementation = (
            attn or text._attn_implementation or self.config._attn_implementation or "sdpa"
        )

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if module is self:
            std = float(getattr(self.language_model.config, "initializer_range", 0.02) or 0.02)
            if self.prefix_keys is not None:
                nn.init.normal_(self.prefix_keys, std=std)
                nn.init.normal_(self.prefix_values, std=std)
            return
        if self.aggregator is not None and any(m is module for m in self.aggregator.modules()):
            if module is self.aggregator[-1]:
                # the last layer starts at zero: uniform stream weights, so a recycled model starts as the
                # average of its streams
                nn.init.zeros_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            return
        if any(m is module for m in self.language_model.modules()):
            self.language_model._init_weights(module)

    @classmethod
    def from_base(
        cls,
        base: str | PreTrainedModel,
        parscale_streams: int = 2,
        prefix_length: int = 48,
        aggregator_hidden_size: int | None = None,
        aggregation_smoothing: float = 0.0,
        **load_kwargs: Any,
    ) -> ParScaleForCausalLM:
        """Wrap a pretrained causal LM (Hub id, directory or model) as a P-stream model with fresh prefixes
        and aggregator: the starting point of ParScale's "recycling" post-training."""
        model = (
            base
            if isinstance(base, PreTrainedModel)
            else AutoModelForCausalLM.from_pretrained(base, **load_kwargs)
        )
        config = ParScaleConfig(
            text_config=model.config,
            parscale_streams=parscale_streams,
            prefix_length=prefix_length,
            aggregator_hidden_size=aggregator_hidden_size,
            aggregation_smoothing=aggregation_smoothing,
        )
        return cls(config, language_model=model)

    # ------------------------------------------------------------------ training stages
    def configure_parscale_stage(self, train_llm: bool = False) -> list[str]:
        """``recycling`` (``train_llm=False``): only the prefixes and the aggregator train; with ``train_llm``
        the LLM trains too. Returns the trainable parameter names."""
        for name, param in self.named_parameters():
            param.requires_grad_(train_llm or not name.startswith("language_model."))
        return [name for name, param in self.named_parameters() if param.requires_grad]

    # ------------------------------------------------------------------ forward
    @property
    def _is_plain(self) -> bool:
        return self.config.parscale_streams == 1 and self.prefix_keys is None

    def _prefix_cache(self, batch: int) -> DynamicCache:
        """A KV cache holding stream p's prefix in rows ``p·batch .. (p+1)·batch - 1`` of every layer."""
        cache = DynamicCache(config=self.language_model.config)
        if self.prefix_keys is None:
            return cache
        for layer in range(self.prefix_keys.shape[0]):
            keys = self.prefix_keys[layer].repeat_interleave(batch, dim=0)  # (P·B, kv, L, d)
            values = self.prefix_values[layer].repeat_interleave(batch, dim=0)
            dtype = self.language_model.dtype
            cache.update(keys.to(dtype), values.to(dtype), layer)
        return cache

    def _reorder_cache(self, past_key_values: DynamicCache, beam_idx: torch.LongTensor) -> DynamicCache:
        """Beam search's reordering of the N = batch·beams rows, applied to each stream's block of N rows
        (the cache holds stream p's row n at ``p·N + n``)."""
        if self._is_plain:
            past_key_values.reorder_cache(beam_idx)
            return past_key_values
        rows = beam_idx.shape[0]
        offsets = torch.arange(self.config.parscale_streams, device=beam_idx.device) * rows
        past_key_values.reorder_cache((offsets[:, None] + beam_idx[None, :]).reshape(-1))
        return past_key_values

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        cache: Any = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        return_stream_weights: bool = False,
        past_key_values: Any = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs: Any,
    ) -> CausalLMOutputWithPast:
        """Aggregated next-token log-probabilities of the P streams in ``logits`` (the base model's own logits
        when ``P = 1`` without prefix); ``labels`` give the mean token NLL of the mixture as ``loss``. The KV
        cache comes as ``cache`` (transformers >= 5.24) or ``past_key_values`` (its name before)."""
        past_key_values = cache if cache is not None else past_key_values
        if self._is_plain:
            if past_key_values is not None:
                kwargs[_cache_keyword(self.language_model)] = past_key_values
            return self.language_model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                inputs_embeds=inputs_embeds,
                labels=labels,
                use_cache=use_cache,
                logits_to_keep=logits_to_keep,
                **kwargs,
            )
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("pass exactly one of input_ids and inputs_embeds")
        if labels is not None and not (isinstance(logits_to_keep, int) and logits_to_keep == 0):
            raise ConfigError("labels need the logits of every position: pass logits_to_keep=0 with labels")
        streams = self.config.parscale_streams
        prefix = self.prefix_keys.shape[3] if self.prefix_keys is not None else 0
        batch, length = (input_ids if input_ids is not None else inputs_embeds).shape[:2]
        device = (input_ids if input_ids is not None else inputs_embeds).device
        if past_key_values is None or past_key_values.get_seq_length() == 0:
            past_key_values, past = self._prefix_cache(batch), 0
        else:
            past = past_key_values.get_seq_length() - prefix
        if attention_mask is None:
            attention_mask = torch.ones(batch, past + length, dtype=torch.long, device=device)
        positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, -length:]
        full_mask = torch.cat([attention_mask.new_ones(batch, prefix), attention_mask], dim=1)
        decoder = self.language_model.base_model
        output = decoder(
            input_ids=input_ids.repeat(streams, 1) if input_ids is not None else None,
            inputs_embeds=inputs_embeds.repeat(streams, 1, 1) if inputs_embeds is not None else None,
            attention_mask=full_mask.repeat(streams, 1),
            position_ids=positions.repeat(streams, 1),
            cache_position=torch.arange(prefix + past, prefix + past + length, device=device),
            use_cache=True,
            **{_cache_keyword(decoder): past_key_values},
        )
        hidden = output.last_hidden_state  # (P·B, T, H)
        # as HF causal LMs: distributions for the last ``logits_to_keep`` positions only (0: all), or for the
        # given positions; the aggregator weighs each position from its own hidden states, so keeping fewer
        # positions changes no kept value
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        hidden = hidden[:, keep]
        length = hidden.shape[1]
        logits = self.language_model.get_output_embeddings()(hidden).float()
        softcap = getattr(self.language_model.config, "final_logit_softcapping", None)
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        width = hidden.shape[-1]
        per_stream = hidden.view(streams, batch, length, width).permute(1, 2, 0, 3)  # (B, T, P, H)
        weights = torch.softmax(self.aggregator(per_stream.reshape(batch, length, -1)).float(), dim=-1)
        smoothing = float(self.config.aggregation_smoothing)
        weights = (1.0 - smoothing) * weights + smoothing / streams
        log_probs = torch.log_softmax(logits, dim=-1).view(streams, batch, length, -1).permute(1, 2, 0, 3)
        mixture = torch.logsumexp(log_probs + torch.log(weights).unsqueeze(-1), dim=2)  # (B, T, V)
        loss = None
        if labels is not None:
            # the Trainer passes the token count of the whole accumulated batch: sum / count, as HF LMs do
            num_items = kwargs.get("num_items_in_batch")
            loss = nn.functional.nll_loss(
                mixture[:, :-1].reshape(-1, mixture.shape[-1]),
                labels[:, 1:].reshape(-1).to(mixture.device),
                ignore_index=-100,
                reduction="mean" if num_items is None else "sum",
            )
            if num_items is not None:
                loss = loss / torch.as_tensor(num_items, device=loss.device, dtype=loss.dtype)
        cached = past_key_values if use_cache is not False else None
        result = CausalLMOutputWithPast(loss=loss, logits=mixture, **{_OUTPUT_CACHE_FIELD: cached})
        if return_stream_weights:
            result["stream_weights"] = weights
        return result


__all__ = ["ParScaleConfig", "ParScaleForCausalLM"]

"""The language alignment layer: maps frozen encoder states into the LLM's input-embedding space.

It also owns the two trainable boundary embeddings ``<enc_start>``/``<enc_end>`` that wrap the mapped states,
so that stage 1 (language alignment) trains this module and nothing else.
"""

from __future__ import annotations

import torch
from torch import nn

from lingualift.errors import ConfigError
from lingualift.modeling.configuration import BRIDGE_TYPES, LinguaLiftConfig

_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh}


def bridge_parameter_count(
    bridge_type: str, d_in: int, d_out: int, hidden: int | None = None, boundaries: bool = True
) -> int:
    """Closed-form parameter count of :class:`LanguageAlignmentBridge` (weights and biases).

    ``linear``: ``d_in·d_out + d_out``; ``mlp2``: ``(d_in + 1)·h + (h + 1)·d_out``; ``mlp3``:
    ``(d_in + 1)·h + (h + 1)·h + (h + 1)·d_out``, with ``h = hidden or d_out`` (the config's
    ``bridge_hidden_size``, default the LLM width); ``boundaries`` adds the two ``d_out`` boundary
    embeddings. Example: ``bridge_parameter_count("linear", 1024, 4096, boundaries=False)`` -> 4,198,400.
    """
    h = int(hidden or d_out)
    if bridge_type == "linear":
        proj = (d_in + 1) * d_out
    elif bridge_type == "mlp2":
        proj = (d_in + 1) * h + (h + 1) * d_out
    elif bridge_type == "mlp3":
        proj = (d_in + 1) * h + (h + 1) * h + (h + 1) * d_out
    else:
        raise ConfigError(
            f"bridge_type: unknown bridge type {bridge_type!r}; expected one of {', '.join(BRIDGE_TYPES)}"
        )
    return proj + (2 * d_out if boundaries else 0)


class LanguageAlignmentBridge(nn.Module):
    """``linear`` | ``mlp2`` (default) | ``mlp3`` projection from encoder width to LLM width, plus
    boundaries."""

    def __init__(self, config: LinguaLiftConfig):
        super().__init__()
        d_in, d_out = config.encoder_hidden_size, config.llm_hidden_size
        hidden = int(config.bridge_hidden_size or d_out)
        act = _ACTIVATIONS[config.bridge_activation]
        if config.bridge_type == "linear":
            layers: list[nn.Module] = [nn.Linear(d_in, d_out)]
        elif config.bridge_type == "mlp2":
            layers = [nn.Linear(d_in, hidden), act(), nn.Linear(hidden, d_out)]
        else:  # mlp3
            layers = [
                nn.Linear(d_in, hidden),
                act(),
                nn.Linear(hidden, hidden),
                act(),
                nn.Linear(hidden, d_out),
            ]
        self.proj = nn.Sequential(*layers)
        self.enc_start = nn.Parameter(torch.zeros(d_out))
        self.enc_end = nn.Parameter(torch.zeros(d_out))
        self.reset_parameters(std=float(getattr(config.text_config, "initializer_range", 0.02) or 0.02))

    @torch.no_grad()
    def reset_parameters(self, std: float = 0.02) -> None:
        """Xavier-uniform projections with zero bias; boundary embeddings ~ N(0, std) like LLM embedding
        rows."""
        for module in self.proj:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.enc_start, std=std)
        nn.init.normal_(self.enc_end, std=std)

    @property
    def in_features(self) -> int:
        return self.proj[0].in_features

    @property
    def out_features(self) -> int:
        return self.enc_start.shape[0]

    def forward(
        self,
        encoder_states: torch.Tensor | None,
        embeds: torch.Tensor | None = None,
        encoder_mask: torch.Tensor | None = None,
        placeholders: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor | None:
        """Map ``(batch, length, d_encoder)`` states to ``(batch, length, d_llm)``.

        With ``embeds`` (the LLM's input embeddings) and ``placeholders`` (the ``<enc_start>``, ``<enc>``,
        ``<enc_end>`` position masks), return ``embeds`` with the mapped states of the ``encoder_mask`` rows
        written at the ``<enc>`` positions and the boundary embeddings at theirs. All of the bridge's
        parameters are used inside this call, so a sharded bridge (FSDP) gathers them once for all of it.
        """
        mapped = None if encoder_states is None else self.proj(encoder_states.to(self.proj[0].weight.dtype))
        if embeds is None:
            return mapped
        assert placeholders is not None
        is_start, is_enc, is_end = placeholders
        if mapped is not None:
            rows = mapped[encoder_mask.bool()] if encoder_mask is not None else mapped.flatten(0, 1)
            embeds = embeds.masked_scatter(is_enc.unsqueeze(-1), rows.to(embeds.dtype))
        embeds = torch.where(is_start.unsqueeze(-1), self.enc_start.to(embeds.dtype), embeds)
        return torch.where(is_end.unsqueeze(-1), self.enc_end.to(embeds.dtype), embeds)

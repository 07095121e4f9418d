"""Saving, loading and publishing every checkpoint form (bridge, bridge + LoRA, full; plain LLM and plain
adapter for the Mono-SFT baseline) and their model cards.

This package imports the model and the processor; nothing in :mod:`lingualift.modeling` imports it back. The
model's HF-style methods (``save_bridge``, ``save_checkpoint``, ``push_to_hub``, ``from_pretrained``,
``from_bridge``, ``from_checkpoint``) call the functions registered here on import.
"""

from lingualift.modeling.modeling import register_persistence
from lingualift.persistence.checkpoints import (
    CHECKPOINT_META,
    FORMS,
    PLAIN_FORMS,
    ResolvedCheckpoint,
    from_pretrained,
    load_bridge,
    load_checkpoint,
    load_plain_llm,
    load_with_processor,
    push_checkpoint_to_hub,
    record_evaluation,
    resolve_checkpoint,
    save_bridge,
    save_checkpoint,
    save_plain_checkpoint,
)
from lingualift.persistence.model_card import load_card_data

register_persistence(
    save_bridge=save_bridge,
    save_checkpoint=save_checkpoint,
    push_checkpoint_to_hub=push_checkpoint_to_hub,
    from_pretrained=from_pretrained,
    load_bridge=load_bridge,
    load_checkpoint=load_checkpoint,
)

__all__ = [
    "CHECKPOINT_META",
    "FORMS",
    "PLAIN_FORMS",
    "ResolvedCheckpoint",
    "load_bridge",
    "load_card_data",
    "load_checkpoint",
    "load_plain_llm",
    "load_with_processor",
    "push_checkpoint_to_hub",
    "record_evaluation",
    "resolve_checkpoint",
    "save_bridge",
    "save_checkpoint",
    "save_plain_checkpoint",
]

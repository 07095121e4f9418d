"""The model, batch and loss shared by ``tests/test_fsdp.py`` and its FSDP worker (one definition)."""

from __future__ import annotations

import torch

EXAMPLES = [
    ("Translate the following French text into English:", "Le chat dort.", "The cat sleeps."),
    ("Translate the following French text into English:", "Il pleut ce matin.", "It rains this morning."),
    ("Answer the question.", "Combien font deux et trois ?", "Two and three make five."),
    ("Answer the question.", "Où est la gare ?", "The station is near the river."),
]


def build(components: str, stage: str):
    """A tiny bridged model (deterministic bridge) configured for ``stage`` (``align``: the bridge trains;
    ``task``: the LLM trains), and its processor."""
    from pathlib import Path

    import lingualift  # noqa: F401  (registers persistence)
    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    root = Path(components)
    torch.manual_seed(0)
    encoder, llm = root / "tiny-mt5-encoder", root / "tiny-llama-32-llm"
    processor = LinguaLiftProcessor.from_components(encoder, llm)
    model = LinguaLiftForCausalLM.from_components(encoder=encoder, llm=llm, processor=processor)
    model.configure_stage(stage)
    return model, processor


def summed_loss(model, processor, examples) -> torch.Tensor:
    """Sum (not mean) of the response tokens' cross-entropy: additive over a split of the batch."""
    instructions, inputs, responses = (list(column) for column in zip(*examples))
    batch = processor(instructions, inputs, responses=responses)
    output = model(**batch)
    logits, labels = output.logits[:, :-1], batch["labels"][:, 1:]
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100, reduction="sum"
    )

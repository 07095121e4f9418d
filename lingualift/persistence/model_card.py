"""Model cards: every saved checkpoint gets a ``README.md`` describing bases, languages, training and
evaluation.

The facts come from the config (bases, bridge) and the card data, a dict that training and evaluation
fill (``languages``, ``stages`` (list of dicts), ``evaluation`` (markdown or
``{benchmark: {lang: accuracy}}``)). The card data is also saved as ``lingualift_card.json`` so later stages
extend rather than replace it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lingualift.io_utils import atomic_write_json, atomic_write_text

CARD_DATA_FILE = "lingualift_card.json"


def load_card_data(directory: str | Path) -> dict[str, Any]:
    """The card data saved beside a checkpoint (empty when none)."""
    path = Path(directory) / CARD_DATA_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _training_section(stages: list[dict[str, Any]]) -> str:
    if not stages:
        return "Not trained yet (freshly assembled bridge)."
    lines = []
    for stage in stages:
        facts = ", ".join(f"{k}: {v}" for k, v in stage.items() if k not in ("name",))
        lines.append(f"**{stage.get('name', 'stage')}** — {facts}")
    return "\n\n".join(lines)


def _evaluation_section(evaluation: Any) -> str:
    if not evaluation:
        return "No evaluation recorded."
    if isinstance(evaluation, str):
        return evaluation
    blocks = []
    for benchmark, scores in evaluation.items():
        langs = sorted(scores)
        blocks.append(
            f"**{benchmark}** (accuracy, %)\n\n| "
            + " | ".join(langs)
            + " |\n|"
            + "---|" * len(langs)
            + "\n| "
            + " | ".join(f"{100 * float(scores[l]):.1f}" for l in langs)
            + " |"
        )
    return "\n\n".join(blocks)  # a blank line ends each table before the next heading


def hub_base_model(name_or_path: str | None) -> str | None:
    """The Hub id to name as ``base_model``: the id itself; for a local copy made by
    :mod:`lingualift.artefacts`, the model it copies; None for any other local directory (the Hub accepts
    only repo ids there)."""
    if not name_or_path:
        return None
    from lingualift.artefacts import MARKER_FILE

    path = Path(name_or_path).expanduser()
    if (path / MARKER_FILE).is_file():
        try:
            return json.loads((path / MARKER_FILE).read_text(encoding="utf-8")).get("upstream")
        except (OSError, json.JSONDecodeError):
            return None
    return None if path.exists() else name_or_path


@dataclass(frozen=True)
class ModelFacts:
    """What a model card states about the model itself, read off the model by the caller
    (:func:`lingualift.persistence.checkpoints.model_facts`): the card renders data, never a model."""

    llm: str | None
    params: int
    encoder: str | None = None
    encoder_revision: str | None = None
    llm_revision: str | None = None
    bridge_type: str | None = None
    bridge_hidden_size: int | None = None
    bridge_activation: str | None = None
    bridge_params: int = 0
    adapter_params: int = 0


def render_model_card(
    facts: ModelFacts,
    form: str,
    card_data: dict[str, Any],
    title: str | None = None,
    location: str | None = None,
) -> str:
    """The model card text of a bridged model saved in checkpoint ``form`` at ``location`` (a directory or
    Hub id); ``card_data``: languages, stages and evaluation recorded for it."""
    languages = list(card_data.get("languages", []))
    bases = [b for b in map(hub_base_model, (facts.encoder, facts.llm)) if b]
    template = resources.files("lingualift").joinpath("templates/model_card.md").read_text(encoding="utf-8")
    fields = {
        "title": title or card_data.get("title") or "lingualift model",
        "location": location or "path/or/hub-id",
        "languages_yaml": ("language:\n" + "".join(f"- {l}\n" for l in languages)) if languages else "",
        "base_models_yaml": "".join(f"- {b}\n" for b in bases) or "- unknown\n",
        "encoder": facts.encoder,
        "encoder_revision": facts.encoder_revision or "default",
        "llm": facts.llm,
        "llm_revision": facts.llm_revision or "default",
        "bridge_type": facts.bridge_type,
        "bridge_hidden_size": facts.bridge_hidden_size,
        "bridge_activation": facts.bridge_activation,
        "form": form,
        "n_params": f"{facts.params:,}",
        "n_bridge": f"{facts.bridge_params:,}",
        "languages": _bullets(languages, "Any language the encoder covers; none recorded for training."),
        "training": _training_section(list(card_data.get("stages", []))),
        "evaluation": _evaluation_section(card_data.get("evaluation")),
    }
    return template.format(**fields)


PLAIN_FORM_TEXT = {
    "plain": "full `save_pretrained` checkpoint of the LLM, loads with `AutoModelForCausalLM`",
    "plain+lora": "PEFT LoRA adapter on the base LLM named in `adapter_config.json`",
}


def render_plain_model_card(
    facts: ModelFacts, form: str, card_data: dict[str, Any], location: str | None = None
) -> str:
    """The model card text of a plain causal LM (the Mono-SFT baseline) saved in ``form`` (``plain`` or
    ``plain+lora``) at ``location``."""
    if form not in PLAIN_FORM_TEXT:
        raise ValueError(f"form: expected one of {', '.join(PLAIN_FORM_TEXT)}, got {form!r}")
    languages = list(card_data.get("languages", []))
    template = resources.files("lingualift").joinpath("templates/model_card_plain.md").read_text("utf-8")
    fields = {
        "library_name": "peft" if form == "plain+lora" else "transformers",
        "title": card_data.get("title") or "lingualift Mono-SFT baseline",
        "location": location or "path/or/hub-id",
        "languages_yaml": ("language:\n" + "".join(f"- {l}\n" for l in languages)) if languages else "",
        "base_models_yaml": f"- {hub_base_model(facts.llm) or 'unknown'}\n",
        "llm": facts.llm,
        "form": form,
        "form_text": PLAIN_FORM_TEXT[form],
        "n_params": f"{facts.params:,}",
        "adapter_params": f", {facts.adapter_params:,} in the LoRA adapter" if facts.adapter_params else "",
        "languages": _bullets(languages, "None recorded for training."),
        "training": _training_section(list(card_data.get("stages", []))),
        "evaluation": _evaluation_section(card_data.get("evaluation")),
    }
    return template.format(**fields)


def write_model_card(
    directory: str | Path,
    text: str,
    card_data: dict[str, Any],
) -> None:
    """Write a rendered card as ``README.md`` and its data as ``lingualift_card.json`` into a checkpoint
    directory."""
    directory = Path(directory)
    atomic_write_text(directory / "README.md", text)
    atomic_write_json(directory / CARD_DATA_FILE, dict(card_data))

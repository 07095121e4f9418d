"""The two checkpoint forms of a bridged model, and the plain-LLM forms of the Mono-SFT baseline.

(a) *Bridge checkpoint* (stage 1): ``bridge.safetensors`` + ``config.json`` naming the base encoder and LLM
    (id, revision, weight fingerprints) + both tokenizers. Small, like a PEFT adapter.
(b) *Full checkpoint* (stage 2): ``save_pretrained`` of the composite (loadable with ``AutoModelForCausalLM``
    after ``import lingualift``), or, with LoRA, the bridge checkpoint plus the adapter in ``llm_adapter/``
    (merged into a full checkpoint on request).
(c) *Plain LLM* (Mono-SFT, no encoder or bridge): a standard Hugging Face causal-LM directory (``plain``) or
    a standard PEFT LoRA adapter directory whose ``adapter_config.json`` names the base (``plain+lora``), each
    with the LLM tokenizer and a model card; no ``lingualift_checkpoint.json``, so any HF/PEFT tool reads them
    and the evaluator loads them as plain causal LMs (:func:`load_plain_llm`).
Every form is written into a temporary directory that replaces the target only when complete, under the
output policy of :func:`lingualift.io_utils.check_output_path`: a new or empty directory is written; a
lingualift checkpoint (it holds ``lingualift_checkpoint.json`` or ``lingualift_card.json``) is replaced only
with ``overwrite=True``; any other non-empty directory is never touched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from lingualift.errors import CheckpointError
from lingualift.hub import local_directory, upload_folder
from lingualift.io_utils import atomic_directory, atomic_write_json, check_output_path
from lingualift.modeling.components import Source, fingerprint, fingerprints_match, load_encoder, load_llm
from lingualift.modeling.configuration import LinguaLiftConfig
from lingualift.persistence.model_card import (
    CARD_DATA_FILE,
    ModelFacts,
    load_card_data,
    render_model_card,
    render_plain_model_card,
    write_model_card,
)

BRIDGE_WEIGHTS = "bridge.safetensors"
ADAPTER_DIR = "llm_adapter"
CHECKPOINT_META = "lingualift_checkpoint.json"
FORMS = ("bridge", "bridge+lora", "full")
PLAIN_FORMS = ("plain", "plain+lora")
ADAPTER_CONFIG = "adapter_config.json"  # PEFT's file name
# files showing lingualift wrote a checkpoint directory (every form has its card data; the bridged forms also
# the metadata, written last and listing the directory's files)
CHECKPOINT_MARKERS = (CHECKPOINT_META, CARD_DATA_FILE)
HF_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def check_checkpoint_output(
    save_directory: str | os.PathLike, overwrite: bool = False, hint: str | None = None
) -> Path:
    """Whether a checkpoint may be saved to ``save_directory`` (the rule every ``save_*`` applies; call it
    early to fail before the work): new or empty, or a lingualift checkpoint and ``overwrite``; else
    OutputError."""
    extra = {"hint": hint} if hint else {}
    return check_output_path(
        save_directory, overwrite=overwrite, created_marker=CHECKPOINT_MARKERS, what="checkpoint", **extra
    )


def _checkpoint_directory(save_directory: str | os.PathLike, overwrite: bool):
    return atomic_directory(save_directory, overwrite=overwrite, marker=CHECKPOINT_MARKERS, what="checkpoint")


def _checked_processor(processor: Any) -> Any:
    """The processor to save beside the weights (a checkpoint must hold both tokenizers)."""
    if processor is None:
        raise CheckpointError(
            "no processor to save: pass processor=... (LinguaLiftProcessor.from_pretrained(<checkpoint>) or"
            " LinguaLiftProcessor.from_components(encoder, llm)); a checkpoint must hold both tokenizers"
        )
    return processor


def _write_meta(directory: Path, form: str, model: Any) -> None:
    """Write the metadata last: its presence means "complete", and it lists the checkpoint's own files."""
    files = sorted({entry.name for entry in directory.iterdir()} | {CHECKPOINT_META})
    atomic_write_json(
        directory / CHECKPOINT_META,
        {
            "form": form,
            "encoder": model.config.encoder_name_or_path,
            "llm": model.config.llm_name_or_path,
            "files": files,
        },
    )


def model_facts(model: Any) -> ModelFacts:
    """What the model card states about ``model``: a bridged model (bases, bridge, sizes) or a plain causal
    LM, PEFT-wrapped or not (its base, sizes without and within the LoRA adapter)."""
    config = getattr(model, "config", None)
    if isinstance(config, LinguaLiftConfig):
        return ModelFacts(
            llm=config.llm_name_or_path,
            llm_revision=config.llm_revision,
            encoder=config.encoder_name_or_path,
            encoder_revision=config.encoder_revision,
            bridge_type=config.bridge_type,
            bridge_hidden_size=config.bridge_hidden_size or config.llm_hidden_size,
            bridge_activation=config.bridge_activation,
            params=sum(p.numel() for p in model.parameters()),
            bridge_params=sum(p.numel() for p in model.bridge.parameters()),
        )
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    named = list(model.named_parameters())
    return ModelFacts(
        llm=base.name_or_path,
        params=sum(p.numel() for n, p in named if "lora_" not in n),
        adapter_params=sum(p.numel() for n, p in named if "lora_" in n),
    )


def _write_card(
    model: Any,
    directory: Path,
    form: str,
    card_data: dict[str, Any] | None,
    location: str | os.PathLike | None = None,
) -> None:
    """README.md and card data of a bridged checkpoint (``card_data``: languages, stages, evaluation;
    ``location``: how users load it; default the directory)."""
    data = dict(card_data or {})
    text = render_model_card(model_facts(model), form, data, location=str(location or directory))
    write_model_card(directory, text, data)


def _save_bridge_files(model: Any, directory: Path, processor: Any) -> None:
    state = {k: v.detach().contiguous().cpu() for k, v in model.bridge.state_dict().items()}
    save_file(state, str(directory / BRIDGE_WEIGHTS), metadata={"format": "pt", "lingualift": "bridge"})
    model.config.save_pretrained(directory)
    processor.save_pretrained(directory)


def save_bridge(
    model: Any,
    save_directory: str | os.PathLike,
    processor: Any = None,
    overwrite: bool = False,
    card_data: dict[str, Any] | None = None,
) -> None:
    """Write a bridge checkpoint (form a) atomically; an existing lingualift checkpoint there is replaced only
    with ``overwrite``, any other non-empty directory is refused."""
    processor = _checked_processor(processor)
    with _checkpoint_directory(save_directory, overwrite) as tmp:
        _save_bridge_files(model, tmp, processor)
        _write_card(model, tmp, "bridge", card_data, save_directory)
        _write_meta(tmp, "bridge", model)


def save_checkpoint(
    model: Any,
    save_directory: str | os.PathLike,
    processor: Any = None,
    merge_lora: bool = False,
    card_location: str | None = None,
    overwrite: bool = False,
    card_data: dict[str, Any] | None = None,
) -> None:
    """Write the stage-2 form: full, or bridge + LoRA adapter (merged into full when ``merge_lora``).

    ``card_location``: where the model card tells users to load it from (default: ``save_directory``).
    An existing lingualift checkpoint there is replaced only with ``overwrite``. ``card_data``: languages,
    stages, evaluation for the model card.
    """
    from lingualift.modeling.stages import merge_lora as merge

    processor = _checked_processor(processor)
    check_checkpoint_output(save_directory, overwrite)  # before merging: a refusal leaves the model as it was
    if model.has_lora and merge_lora:
        merge(model)
    with _checkpoint_directory(save_directory, overwrite) as tmp:
        if model.has_lora:
            _save_bridge_files(model, tmp, processor)
            model.language_model.save_pretrained(tmp / ADAPTER_DIR)
            form = "bridge+lora"
        else:
            model.save_pretrained(tmp)
            processor.save_pretrained(tmp)
            form = "full"
        _write_card(model, tmp, form, card_data, card_location or save_directory)
        _write_meta(tmp, form, model)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def checkpoint_form(directory: str | os.PathLike) -> str:
    """The form of a saved checkpoint; a clear error when ``directory`` is not a complete one.

    ``save_bridge``/``save_checkpoint`` write ``lingualift_checkpoint.json`` last (with the list of the
    checkpoint's files), so a directory holding ``bridge.safetensors`` without it is an interrupted or foreign
    save and is reported as such, never guessed; without the metadata only an HF ``save_pretrained`` of the
    composite (``config.json`` of model_type lingualift + weights) is accepted, as ``full``.
    """
    directory = Path(directory)
    meta = directory / CHECKPOINT_META
    if not meta.is_file():
        if (directory / BRIDGE_WEIGHTS).is_file():
            raise CheckpointError(
                f"{directory}: incomplete or foreign bridge checkpoint: it holds {BRIDGE_WEIGHTS} but no"
                f" {CHECKPOINT_META} (save_bridge/save_checkpoint write that file last, so this save did not"
                " finish or another tool wrote the directory); save the checkpoint again (save_bridge or"
                " `lingualift model build`) or point at a complete one"
            )
        if (directory / "config.json").is_file():
            config = _read_json(directory / "config.json")
            if config.get("model_type") == LinguaLiftConfig.model_type:
                if not any((directory / name).is_file() for name in HF_WEIGHT_FILES):
                    raise CheckpointError(
                        f"{directory}: incomplete full checkpoint: config.json names a lingualift model but"
                        f" there are no weights ({', '.join(HF_WEIGHT_FILES)}) and no {CHECKPOINT_META};"
                        " save the checkpoint again (save_checkpoint) or point at a complete one"
                    )
                check_config_matches_weights(directory, "full")
                return "full"
        plain = (directory / ADAPTER_CONFIG).is_file() or (directory / "config.json").is_file()
        raise CheckpointError(
            f"{directory}: not a lingualift checkpoint (no {CHECKPOINT_META}; expected a directory written by"
            " save_bridge/save_checkpoint)"
            + ("; it looks like a plain causal LM or PEFT adapter: use load_plain_llm" if plain else "")
        )
    data = _read_json(meta)
    form = data.get("form")
    if form not in FORMS:
        raise CheckpointError(f"{meta}: unknown checkpoint form {form!r}; expected one of {', '.join(FORMS)}")
    listed = data.get("files")
    missing = [name for name in listed if not (directory / name).exists()] if isinstance(listed, list) else []
    if missing:
        raise CheckpointError(
            f"{directory}: incomplete {form} checkpoint: {CHECKPOINT_META} lists {', '.join(missing)} but"
            " they are missing; restore them or save the checkpoint again"
        )
    check_config_matches_weights(directory, form)
    return form


def _saved_shape(directory: Path, form: str, name: str) -> tuple[Path, list[int]] | None:
    """(file, shape) of bridge tensor ``name`` as saved in a checkpoint of ``form`` (header read only)."""
    from safetensors import safe_open

    if form == "full":
        key, path = f"bridge.{name}", directory / "model.safetensors"
        index = directory / "model.safetensors.index.json"
        if index.is_file():
            shard = _read_json(index).get("weight_map", {}).get(key)
            path = directory / shard if isinstance(shard, str) else path
    else:
        key, path = name, directory / BRIDGE_WEIGHTS
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as handle:
        return (path, list(handle.get_slice(key).get_shape())) if key in handle.keys() else None


def check_config_matches_weights(directory: str | os.PathLike, form: str) -> None:
    """The widths ``config.json`` records must be the saved bridge's: an edited or swapped config would
    otherwise surface as transformers' size-mismatch dump (full form) or as a bridge refused for a wrong
    base."""
    directory = Path(directory)
    config = _read_json(directory / "config.json")
    text, encoder = config.get("text_config") or {}, config.get("encoder_config") or {}
    checks = (
        ("enc_start", 0, "text_config.hidden_size", text.get("hidden_size")),
        (
            "proj.0.weight",
            1,
            "encoder_config.d_model" if "d_model" in encoder else "encoder_config.hidden_size",
            encoder.get("d_model", encoder.get("hidden_size")),
        ),
    )
    for name, axis, field, recorded in checks:
        saved = _saved_shape(directory, form, name)
        if saved is None or not isinstance(recorded, int) or len(saved[1]) <= axis:
            continue
        path, shape = saved
        if shape[axis] != recorded:
            raise CheckpointError(
                f"{directory / 'config.json'}: {field}={recorded} but the saved bridge in {path.name} is"
                f" {shape[axis]} wide ({name} {shape}); config.json was edited or belongs to another"
                f" checkpoint: restore it ({field}={shape[axis]}) or save the checkpoint again"
            )


@dataclass(frozen=True)
class ResolvedCheckpoint:
    """A checkpoint source found on this machine: its directory and its form (one of :data:`FORMS` or
    :data:`PLAIN_FORMS`)."""

    directory: Path
    form: str

    @property
    def is_plain(self) -> bool:
        return self.form in PLAIN_FORMS


def resolve_checkpoint(source: str | os.PathLike, revision: str | None = None) -> ResolvedCheckpoint:
    """The one checkpoint resolver every loader uses: a local directory or a Hub id (``revision``; offline:
    the local Hub cache) -> its directory and form. Lingualift forms are checked by :func:`checkpoint_form`;
    an HF causal-LM directory is ``plain``, a PEFT adapter directory ``plain+lora``."""
    directory = local_directory(source, revision)
    return ResolvedCheckpoint(directory, detect_form(directory))


def detect_form(directory: str | os.PathLike) -> str:
    """The form of any checkpoint directory this package loads, lingualift or plain; else a clear error."""
    directory = Path(directory)
    if (directory / CHECKPOINT_META).is_file() or (directory / BRIDGE_WEIGHTS).is_file():
        return checkpoint_form(directory)
    if (directory / "config.json").is_file():
        if _read_json(directory / "config.json").get("model_type") == LinguaLiftConfig.model_type:
            return checkpoint_form(directory)
        if not any((directory / name).is_file() for name in HF_WEIGHT_FILES):
            raise CheckpointError(
                f"{directory}: config.json but no weights ({', '.join(HF_WEIGHT_FILES)}); an interrupted"
                " save or download: save or download the model again"
            )
        return "plain"
    if (directory / ADAPTER_CONFIG).is_file():
        return "plain+lora"
    found = ", ".join(sorted(p.name for p in directory.iterdir())[:10]) or "nothing"
    raise CheckpointError(
        f"{directory}: not a model checkpoint (no {CHECKPOINT_META}, config.json or {ADAPTER_CONFIG};"
        f" it holds: {found}); expected a lingualift checkpoint, a causal-LM directory or a PEFT adapter"
        " directory"
    )


def _check_base(kind: str, saved: Any, loaded: Any, saved_fp: list[float] | None, name: str | None) -> None:
    for attr in ("model_type", "hidden_size", "vocab_size"):
        want, got = getattr(saved, attr, None), getattr(loaded.config, attr, None)
        if want is not None and got is not None and want != got:
            raise CheckpointError(
                f"this bridge was trained on {kind} {name!r} ({attr}={want}) but is being loaded onto"
                f" {loaded.name_or_path!r} ({attr}={got}); a bridge only works on its own base {kind}"
            )
    if saved_fp and not fingerprints_match(saved_fp, fingerprint(loaded)):
        raise CheckpointError(
            f"this bridge was trained on {kind} {name!r} but {loaded.name_or_path!r} has different weights"
            f" (embedding fingerprint mismatch); load it onto the {kind} it was trained on"
        )


def load_bridge(
    directory: str | os.PathLike,
    encoder: Source | None = None,
    llm: Source | None = None,
    dtype: torch.dtype | str | None = None,
    attn_implementation: str | None = None,
    revision: str | None = None,
):
    """Rebuild a bridged model from a bridge checkpoint (directory or Hub id at ``revision``) on its
    recorded (or given, but checked) bases. Its processor: ``LinguaLiftProcessor.from_pretrained`` of the
    same source; its card data: :func:`load_card_data`."""
    from lingualift.modeling.modeling import LinguaLiftForCausalLM

    directory = local_directory(directory, revision)
    weights = directory / BRIDGE_WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{directory}: no {BRIDGE_WEIGHTS}; not a bridge checkpoint")
    check_config_matches_weights(directory, "bridge")
    config = LinguaLiftConfig.from_pretrained(str(directory))
    fps = config.base_fingerprints or {}
    encoder_model = load_encoder(
        encoder or recorded_base(config.encoder_name_or_path), config.encoder_revision, dtype=dtype
    )
    llm_model = load_llm(
        llm or recorded_base(config.llm_name_or_path),
        config.llm_revision,
        dtype=dtype,
        attn_implementation=attn_implementation,
    )
    _check_base(
        "encoder", config.encoder_config, encoder_model, fps.get("encoder"), config.encoder_name_or_path
    )
    _check_base("LLM", config.text_config, llm_model, fps.get("llm"), config.llm_name_or_path)
    config.encoder_config = encoder_model.config
    config.text_config = llm_model.config
    model = LinguaLiftForCausalLM(config, encoder=encoder_model, language_model=llm_model)
    state = load_file(str(weights))
    missing, unexpected = model.bridge.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"{weights}: bridge weights do not match the config (missing {missing}, unexpected {unexpected})"
        )
    model.bridge.to(next(iter(state.values())).dtype)
    return model


def from_pretrained(model_class: type, source: str | os.PathLike, hf_from_pretrained: Any, **kwargs: Any):
    """``LinguaLiftForCausalLM.from_pretrained`` for a directory or Hub id: a full checkpoint through
    transformers' own loader (``hf_from_pretrained``); the bridge forms through :func:`load_checkpoint`."""
    resolved = resolve_checkpoint(source, kwargs.get("revision"))
    if resolved.form != "full":
        return load_checkpoint(resolved.directory, dtype=kwargs.get("dtype"))
    return hf_from_pretrained(str(resolved.directory), **kwargs)


def load_checkpoint(
    source: str | os.PathLike,
    dtype: torch.dtype | str | None = None,
    revision: str | None = None,
    **kwargs: Any,
):
    """Load any lingualift form from a directory or Hub id: bridge, bridge + LoRA adapter (adapter attached,
    trainable off), or full."""
    from lingualift.modeling.modeling import LinguaLiftForCausalLM

    directory = local_directory(source, revision)
    form = checkpoint_form(directory)
    if form == "full":  # from_pretrained attaches the saved processor and card data
        return LinguaLiftForCausalLM.from_pretrained(str(directory), dtype=dtype)
    model = load_bridge(directory, dtype=dtype, **kwargs)
    if form == "bridge+lora":
        from peft import PeftModel

        from lingualift.modeling.stages import quiet_peft_deprecations

        with quiet_peft_deprecations():
            model.language_model = PeftModel.from_pretrained(
                model.language_model, str(directory / ADAPTER_DIR)
            )
    return model


def load_with_processor(
    source: str | os.PathLike,
    dtype: torch.dtype | str | None = None,
    revision: str | None = None,
) -> tuple[Any, Any]:
    """``(model, processor)`` from any checkpoint, directory or Hub id: a lingualift form (full, bridge,
    bridge + LoRA) with its saved ``LinguaLiftProcessor``, or a plain causal LM / PEFT LoRA adapter of one
    (:func:`load_plain_llm`) with the plain-LLM processor."""
    from lingualift.modeling.processing import LinguaLiftProcessor

    resolved = resolve_checkpoint(source, revision)
    if resolved.is_plain:
        return load_plain_llm(resolved.directory, dtype=dtype)
    model = load_checkpoint(resolved.directory, dtype=dtype)
    return model, LinguaLiftProcessor.from_pretrained(resolved.directory)


def save_plain_checkpoint(
    model: Any,
    save_directory: str | os.PathLike,
    processor: Any,
    merge_lora: bool = False,
    card_data: dict[str, Any] | None = None,
    card_location: str | None = None,
    overwrite: bool = False,
) -> str:
    """Write a plain causal LM (form c) atomically: its PEFT LoRA adapter, or (no adapter, or ``merge_lora``)
    the full ``save_pretrained`` checkpoint; plus the LLM tokenizer and a model card. Returns the form.
    An existing lingualift checkpoint there is replaced only with ``overwrite``."""
    from peft import PeftModel

    from lingualift.modeling.stages import quiet_peft_deprecations

    check_checkpoint_output(save_directory, overwrite)  # before merging: a refusal leaves the model as it was
    has_lora = isinstance(model, PeftModel)
    if has_lora and merge_lora:
        with quiet_peft_deprecations():
            model = model.merge_and_unload()
        has_lora = False
    form = "plain+lora" if has_lora else "plain"
    with _checkpoint_directory(save_directory, overwrite) as tmp:
        with quiet_peft_deprecations():
            model.save_pretrained(tmp)  # PEFT: adapter_config.json + adapter weights; else config + weights
        processor.llm_tokenizer.save_pretrained(tmp)
        data = dict(card_data or {})
        location = str(card_location or save_directory)
        write_model_card(
            tmp, render_plain_model_card(model_facts(model), form, data, location=location), data
        )
    return form


def recorded_base(recorded: str) -> str:
    """A base model as a checkpoint recorded it, made loadable on this machine: an existing directory or a
    Hub id as is; a lingualift artefact directory that is not at the recorded path here (a checkpoint made
    on another machine, or committed to a repository) becomes the same artefact in this machine's artefact
    cache, converted on demand. The base's fingerprint is checked after loading, so a different model is
    never accepted silently."""
    from lingualift import artefacts

    path = Path(recorded).expanduser()
    if path.is_dir():
        return recorded
    for key, spec in artefacts.ARTEFACTS.items():
        if path.name == spec.name:
            return str(artefacts.import_artefact(key))
    return recorded


def resolve_adapter_base(directory: str | os.PathLike) -> str:
    """The base LLM of a plain LoRA adapter directory: ``base_model_name_or_path`` of its
    ``adapter_config.json`` as recorded, or, when that was a lingualift artefact directory that is not at
    the recorded path on this machine, the same artefact in this machine's artefact cache (converted on
    demand)."""
    config_path = Path(directory) / ADAPTER_CONFIG
    try:
        base = json.loads(config_path.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, json.JSONDecodeError, AttributeError) as exc:
        raise CheckpointError(f"{config_path}: not a readable PEFT adapter config ({exc})") from None
    if not isinstance(base, str) or not base.strip():
        raise CheckpointError(
            f"{config_path}: field base_model_name_or_path is {base!r}; set it to the base LLM's Hub id or"
            " directory"
        )
    path = Path(base).expanduser()
    if path.is_dir():
        return str(path)
    resolved = recorded_base(base)
    if resolved != base:
        return resolved
    if path.is_absolute() or base.startswith((".", "~")) or base.count("/") >= 2:
        raise CheckpointError(
            f"{config_path}: base_model_name_or_path={base!r} does not exist on this machine; set it to the"
            " directory or Hub id of the LLM the adapter was trained on"
        )
    return base  # a Hub id


def load_plain_llm(
    source: str | os.PathLike, dtype: torch.dtype | str | None = None, revision: str | None = None
) -> tuple[Any, Any]:
    """``(causal LM, plain processor)`` from an HF causal-LM directory or a plain LoRA adapter directory
    (base from :func:`resolve_adapter_base`; adapter attached, not merged), either local or a Hub id. The
    processor inlines the task input in the prompt template the bridged model and the trained Mono-SFT model
    share."""
    from transformers import AutoModelForCausalLM

    from lingualift.modeling.processing import LinguaLiftProcessor

    path = local_directory(source, revision, what="model")
    source = str(path)
    if (path / ADAPTER_CONFIG).is_file() and not (path / "config.json").is_file():
        from peft import PeftModel

        from lingualift.modeling.stages import quiet_peft_deprecations

        base = resolve_adapter_base(path)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
        with quiet_peft_deprecations():
            model = PeftModel.from_pretrained(model, str(path))
        tokenizer = path if (path / "tokenizer_config.json").is_file() else base
    else:
        model = AutoModelForCausalLM.from_pretrained(str(source), dtype=dtype)
        tokenizer = source
    return model, LinguaLiftProcessor.for_plain_llm(str(tokenizer))


def push_checkpoint_to_hub(
    model: Any,
    repo_id: str,
    processor: Any = None,
    merge_lora: bool = False,
    commit_message: str | None = None,
    card_data: dict[str, Any] | None = None,
    **hub_kwargs: Any,
):
    """Save the stage-2 checkpoint form (with processor and model card) and push it as one commit."""
    import tempfile

    processor = _checked_processor(processor)  # before any work
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "checkpoint"
        # the card names the repo, not the temporary directory
        save_checkpoint(
            model,
            target,
            processor=processor,
            merge_lora=merge_lora,
            card_location=repo_id,
            card_data=card_data,
        )
        return upload_folder(target, repo_id, commit_message or "Upload LinguaLiftForCausalLM", **hub_kwargs)


def record_evaluation(
    model: Any, directory: str | Path, summary: dict[str, Any], name: str | None = None
) -> None:
    """Add one benchmark's per-language accuracy (a runner summary) to the card of checkpoint ``directory``,
    under ``name`` (default: the benchmark's)."""
    directory = Path(directory)
    form = checkpoint_form(directory)
    data = load_card_data(directory)
    scores = {
        lang: result["accuracy"] / 100.0
        for lang, result in summary["languages"].items()
        if result.get("accuracy") is not None
    }
    data.setdefault("evaluation", {})[name or summary["benchmark"]] = scores
    _write_card(model, directory, form, data)

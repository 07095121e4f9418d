"""Damaged checkpoints and malformed processor calls get a clear error through every loader: a truncated
``*.safetensors`` (an interrupted download or save) is named with the fix instead of safetensors' bare header
error, an edited width in ``config.json`` is caught before transformers' size-mismatch dump, and the processor
names a wrong argument type and counts (and logs once) what it truncates."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM

from lingualift import LinguaLiftForCausalLM
from lingualift.errors import CheckpointError, InputDataError
from lingualift.persistence.checkpoints import load_plain_llm


def _cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.fixture(scope="module")
def forms(tiny_bridged, tmp_path_factory) -> dict[str, Path]:
    """The tiny model's full and bridge checkpoints, intact."""
    root = tmp_path_factory.mktemp("forms")
    bridge = root / "bridge"
    tiny_bridged["model"].save_bridge(bridge, processor=tiny_bridged["processor"])
    return {"full": tiny_bridged["ckpt"], "bridge": bridge}


@pytest.mark.parametrize(
    ("form", "weights"), [("full", "model.safetensors"), ("bridge", "bridge.safetensors")]
)
@pytest.mark.parametrize(
    "load",
    [
        LinguaLiftForCausalLM.from_checkpoint,
        LinguaLiftForCausalLM.from_pretrained,
        AutoModelForCausalLM.from_pretrained,
    ],
    ids=["from_checkpoint", "from_pretrained", "AutoModelForCausalLM"],
)
def test_truncated_weights_are_named_by_every_loader(forms, form, weights, load, tmp_path):
    damaged = tmp_path / form
    shutil.copytree(forms[form], damaged)
    _cut_in_half(damaged / weights)
    size = (damaged / weights).stat().st_size
    with pytest.raises(CheckpointError) as info:
        load(str(damaged))
    message = str(info.value)
    assert message.startswith(f"{damaged / weights}: the checkpoint's weights cannot be read")
    assert f"{size:,} bytes" in message and "truncated" in message and "save it again" in message
    assert (damaged / weights).stat().st_size == size  # the damaged file is left as it was


def test_from_bridge_names_a_truncated_bridge(forms, tmp_path):
    damaged = tmp_path / "bridge"
    shutil.copytree(forms["bridge"], damaged)
    _cut_in_half(damaged / "bridge.safetensors")
    with pytest.raises(CheckpointError, match="bridge.safetensors: the checkpoint's weights cannot be read"):
        LinguaLiftForCausalLM.from_bridge(damaged)


def test_truncated_plain_adapter_is_named(tiny_bridged, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM as Auto

    adapter = tmp_path / "adapter"
    llm = Auto.from_pretrained(str(tiny_bridged["llm"]))
    get_peft_model(llm, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(adapter)
    load_plain_llm(adapter)  # intact: loads
    _cut_in_half(adapter / "adapter_model.safetensors")
    with pytest.raises(
        CheckpointError, match="adapter_model.safetensors: the model's weights cannot be read"
    ):
        load_plain_llm(adapter)


@pytest.mark.parametrize(
    ("form", "field", "factor"),
    [
        ("full", "text_config.hidden_size", 2),
        ("bridge", "text_config.hidden_size", 2),
        ("bridge", "d_model", 3),
    ],
)
def test_an_edited_width_in_config_json_is_named(forms, form, field, factor, tmp_path):
    damaged = tmp_path / form
    shutil.copytree(forms[form], damaged)
    config = json.loads((damaged / "config.json").read_text())
    section, key = (
        ("text_config", "hidden_size") if field.startswith("text") else ("encoder_config", "d_model")
    )
    saved = config[section][key]
    config[section][key] = saved * factor
    (damaged / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as info:
        LinguaLiftForCausalLM.from_checkpoint(damaged)
    assert str(info.value).startswith(
        f"{damaged / 'config.json'}: {section}.{key}={saved * factor} but the saved bridge"
    )
    assert f"is {saved} wide" in str(info.value) and f"restore it ({section}.{key}={saved})" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [((None, None), "instructions"), (("Translate:", None), "inputs"), (("Translate:", 3), "inputs")],
)
def test_processor_names_a_wrong_argument_type(tiny_bridged, args, named):
    with pytest.raises(InputDataError, match=f"processor: {named} must be a string or a list of strings"):
        tiny_bridged["processor"](*args)


def test_processor_counts_truncated_inputs_and_logs_the_first(tiny_bridged, caplog):
    from lingualift import LinguaLiftProcessor

    processor = LinguaLiftProcessor.from_pretrained(tiny_bridged["ckpt"])
    limit = processor.max_input_length
    texts = ["word " * 200, "short", "other " * 300]
    with caplog.at_level(logging.WARNING, logger="lingualift.modeling.processing"):
        batch = processor("Translate:", texts)
    assert processor.truncated == {"inputs": 2, "responses": 0}
    assert batch["encoder_input_ids"].shape[1] == limit
    warnings = [r.getMessage() for r in caplog.records if "max_input_length" in r.getMessage()]
    assert len(warnings) == 1  # the first truncation is logged, the second only counted
    assert (
        warnings[0].startswith("example 0: encoder input has") and f"max_input_length={limit}" in warnings[0]
    )
    processor("Translate:", "short")
    assert processor.truncated["inputs"] == 2  # inputs within the limit are not counted

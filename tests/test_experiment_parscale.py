"""The ParScale post-training study (recipes/configs/experiments/parscale_post_training_tiny.yaml) on the tiny
random Llama: equal steps and data for every P, held-out NLL equal to a direct computation, loss down for the
trained streams, resumable, and bad settings named before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lingualift.errors import ConfigError, InputDataError
from lingualift.experiments import ParScaleStudy, ParScaleStudyConfig, load_experiment_config
from lingualift.io_utils import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "recipes" / "configs" / "experiments" / "parscale_post_training_tiny.yaml"


def _config(tmp_path: Path, *overrides: str) -> ParScaleStudyConfig:
    return load_experiment_config(
        TINY,
        [
            f"work_dir={tmp_path / 'work'}",
            f"out={tmp_path / 'out'}",
            f"source={ROOT}/recipes/data/tiny_stage2.jsonl",
            *overrides,
        ],
        schema=ParScaleStudyConfig,
    )


def test_tiny_parscale_study_end_to_end_and_resume(tmp_path):
    from lingualift.evaluation.backends import load_backend
    from lingualift.experiments.parscale import heldout_nll

    study = ParScaleStudy(_config(tmp_path), log=lambda _: None)
    study.run()
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    data = results["data"]
    train, heldout = read_jsonl(data["train_file"]), read_jsonl(data["heldout_file"])
    assert (len(train), len(heldout)) == (8, 6)  # max_steps 2 x global batch 4; 6 held out
    assert not {r["input"] for r in train} & {r["input"] for r in heldout}
    rows = {row["streams"]: row for row in results["rows"]}
    assert set(rows) == {1, 2, 4}
    # P = 1 in recycling is the base model: nothing trained, its score is the base LLM's own
    base_llm = Path(study.work) / "train-P1" / "tiny_components" / "tiny-llama-32-llm"
    assert rows[1]["trained_parameters"] == 0 and rows[1]["final"] == rows[1]["start"]
    assert rows[1]["final"]["nll"] == pytest.approx(
        heldout_nll(load_backend(str(base_llm)), heldout, 3)["nll"], abs=1e-4
    )
    for p in (2, 4):
        row = rows[p]
        assert row["train"]["global_step"] == 2
        assert [step for step, _ in row["train"]["eval_curve"]] == [0, 1, 2]
        assert row["trained_parameters"] == row["added_parameters"] > 0
        assert row["final"]["nll"] < row["start"]["nll"]  # the prefixes and aggregator learned something
        assert row["final"]["tokens"] == row["start"]["tokens"] == rows[1]["start"]["tokens"]  # same text
        assert row["final_minus_p1"] == pytest.approx(row["final"]["nll"] - rows[1]["final"]["nll"], abs=1e-5)
    assert rows[4]["added_parameters"] > rows[2]["added_parameters"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "ParScaleStudy(config).run()" in report and f"| 4 | {rows[4]['parameters'] / 1e6:.1f}M" in report
    assert (tmp_path / "out" / "heldout_loss.png").read_bytes()[:4] == b"\x89PNG"

    before = (tmp_path / "out" / "results.json").read_bytes()
    messages: list[str] = []
    ParScaleStudy(_config(tmp_path), log=messages.append).run()
    assert not any("running" in m for m in messages)  # every step cached
    assert (tmp_path / "out" / "results.json").read_bytes() == before
    with pytest.raises(ConfigError, match="other settings"):
        ParScaleStudy(_config(tmp_path, "max_steps=3"), log=lambda _: None).run()
    assert (tmp_path / "out" / "results.json").read_bytes() == before

    # each stream of the trained P = 4 model alone; the mixture row is the study's own final score
    alone = ParScaleStudy(_config(tmp_path), log=lambda _: None).streams_alone(4)
    assert alone["rows"][0]["nll"] == rows[4]["final"]["nll"]
    assert [r["scored"] for r in alone["rows"][1:]] == [f"stream {p} alone" for p in range(4)]
    assert all(r["tokens"] == rows[4]["final"]["tokens"] for r in alone["rows"])
    best = min(r["nll"] for r in alone["rows"][1:])
    assert alone["mixture_minus_best_stream"] == pytest.approx(alone["rows"][0]["nll"] - best, abs=1e-5)
    assert "stream 3 alone" in (tmp_path / "out" / "streams_alone-P4.md").read_text()
    with pytest.raises(
        ConfigError, match=r"needs a trained and evaluated model of P >= 2.*trained here: \[2, 4\]"
    ):
        ParScaleStudy(_config(tmp_path), log=lambda _: None).streams_alone(1)
    assert (tmp_path / "out" / "results.json").read_bytes() == before
    from lingualift.experiments import main_parscale

    overrides = [
        f"work_dir={tmp_path / 'work'}",
        f"out={tmp_path / 'out'}",
        f"source={ROOT}/recipes/data/tiny_stage2.jsonl",
    ]
    assert main_parscale(["--config", str(TINY), "--streams-alone", "2", *overrides]) == 0
    assert "--streams-alone 2" in (tmp_path / "out" / "streams_alone-P2.md").read_text()


def test_a_single_stream_view_scores_that_stream_alone(tmp_path):
    """The view (two copies of stream p) gives stream p's own distribution: the one a model puts out when its
    aggregator weighs stream p alone (no smoothing, a dominant bias)."""
    import torch
    from transformers import AutoModelForCausalLM

    from lingualift.experiments.parscale import single_stream_view
    from lingualift.modeling import ParScaleForCausalLM
    from lingualift.modeling.tiny import build_tiny_components

    base = AutoModelForCausalLM.from_pretrained(build_tiny_components(tmp_path)[1]).eval()
    model = ParScaleForCausalLM.from_base(base, parscale_streams=3, prefix_length=2).eval()
    generator = torch.Generator().manual_seed(0)
    ids = torch.tensor([[5, 17, 40, 23, 61, 12, 9]])
    with torch.no_grad():
        for name, param in model.named_parameters():
            if not name.startswith("language_model."):
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
        model.aggregator[-1].weight.zero_()
        views = [single_stream_view(model, p).eval()(input_ids=ids).logits for p in range(3)]
        for p in range(3):
            model.aggregator[-1].bias.copy_(torch.full((3,), -1e4))
            model.aggregator[-1].bias[p] = 0.0
            assert (views[p] - model(input_ids=ids).logits).abs().max().item() <= 1e-4
    assert (views[0] - views[1]).abs().max().item() > 1e-2  # distinct streams: the check has teeth


def test_parscale_study_names_bad_settings_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match=r"streams must be distinct integers >= 1.*\[0, 2\]"):
        _config(tmp_path, "streams=[0,2]")
    with pytest.raises(ConfigError, match="heldout_examples must be >= 1"):
        _config(tmp_path, "heldout_examples=0")
    study = ParScaleStudy(_config(tmp_path, "max_steps=50"), log=lambda _: None)
    with pytest.raises(
        InputDataError, match=r"16 records, the study needs 200 for training.*lower max_steps"
    ):
        study.run()
    plain = _config(tmp_path, "stage_config=recipes/configs/stage2/tiny.yaml")
    with pytest.raises(ConfigError, match="model.architecture must be plain"):
        ParScaleStudy(plain, log=lambda _: None).run()
    assert not (tmp_path / "work").exists() and not (tmp_path / "out" / "results.json").exists()

"""The demo pipeline end to end in a reduced size (tiny models, small slices), and its resume behaviour."""

from __future__ import annotations

import json

import pytest

from lingualift.demo import DemoRun, DemoSettings

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_resumes(tmp_path, shared_data):
    settings = DemoSettings(
        out=tmp_path / "demo", data_dir=shared_data, tiny=True, lexicon_vocab=6000, stage1_sentences=24,
        stage1_steps=3, stage1_batch=4, stage2_examples=12, stage2_steps=2, stage2_batch=2, eval_languages=("fr", "sw"),
        eval_limit=2, tatoeba_limit=16, translation_limit=4, max_new_tokens=8,
    )
    logs: list[str] = []
    report = DemoRun(settings, log=logs.append).run()
    text = report.read_text(encoding="utf-8")
    steps = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "demo" / "steps").glob("*.json")}
    assert set(steps) == {"lexicon", "codeswitch", "stage2data", "model", "align-before", "stage1", "align-after",
                          "stage2", "evaluate", "report"}
    # the report quotes the measured numbers, not fixed text
    lexicon = steps["lexicon"]["languages"]["fr"]
    assert lexicon["entries"] > 100 and 0.0 <= lexicon["p_at_1_csls"] <= 1.0
    assert f"{100 * lexicon['p_at_1_csls']:.1f}" in text
    fr_after = steps["align-after"]["bridge"]["fr"]["accuracy"]
    assert f"{fr_after:.1f}" in text
    for system, result in (("bridged", steps["align-before"]["translation"]["bridged"]),
                           ("bare", steps["align-before"]["translation"]["bare"]),
                           ("after", steps["align-after"]["translation"]["bridged"])):
        assert set(result) == {"fr", "sw"} and result["fr"]["n"] == 4 and result["fr"]["nll_per_token"] > 0, system
        assert f"{result['fr']['nll_per_token']:.3f}" in text
    assert "NLL of the English translation through the bridge" in text
    assert steps["stage1"]["global_step"] == 3 and steps["stage2"]["global_step"] == 2
    assert "## What improved and what did not" in text and ("improved" in text or "did not" in text)
    for png in ("training_loss.png", "tatoeba_retrieval.png"):
        assert (tmp_path / "demo" / png).stat().st_size > 1000
    mgsm = steps["evaluate"]["systems"]["bare LLM"]["mgsm"]["languages"]
    assert set(mgsm) == {"fr", "sw"} and all(v["n"] == 2 for v in mgsm.values())
    # an interrupted run resumes: completed steps are not redone
    (tmp_path / "demo" / "steps" / "report.json").unlink()
    logs.clear()
    DemoRun(settings, log=logs.append).run()
    assert sum("cached" in line for line in logs) == 9
    assert any(line.startswith("[report] running") for line in logs)

"""The demo pipeline end to end in a reduced size (tiny models, small slices), and its resume behaviour."""

from __future__ import annotations

import json

import pytest

from lingualift.demo import DemoRun, DemoSettings

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_resumes(tmp_path, shared_data):
    settings = DemoSettings(
        out=tmp_path / "demo",
        data_dir=shared_data,
        tiny=True,
        lexicon_vocab=6000,
        stage1_sentences=24,
        stage1_steps=3,
        stage1_batch=4,
        stage2_examples=12,
        stage2_steps=2,
        stage2_batch=2,
        eval_languages=("fr", "sw"),
        eval_limit=2,
        xnli_limit=3,
        tatoeba_limit=16,
        translation_limit=4,
        max_new_tokens=8,
    )
    logs: list[str] = []
    report = DemoRun(settings, log=logs.append).run()
    text = report.read_text(encoding="utf-8")
    steps = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "demo" / "steps").glob("*.json")}
    assert set(steps) == {
        "lexicon",
        "codeswitch",
        "stage2data",
        "model",
        "align-before",
        "stage1",
        "align-after",
        "stage2",
        "evaluate",
        "report",
    }
    # the report quotes the measured numbers, not fixed text
    lexicon = steps["lexicon"]["languages"]["fr"]
    assert lexicon["entries"] > 100 and 0.0 <= lexicon["p_at_1_csls"] <= 1.0
    assert f"{100 * lexicon['p_at_1_csls']:.1f}" in text
    fr_after = steps["align-after"]["bridge"]["fr"]["accuracy"]
    assert f"{fr_after:.1f}" in text
    for system, result in (
        ("bridged", steps["align-before"]["translation"]["bridged"]),
        ("bare", steps["align-before"]["translation"]["bare"]),
        ("after", steps["align-after"]["translation"]["bridged"]),
    ):
        assert set(result) == {"fr", "sw"} and result["fr"]["n"] == 4 and result["fr"]["nll_per_token"] > 0, (
            system
        )
        assert f"{result['fr']['nll_per_token']:.3f}" in text
    assert "NLL of the English translation through the bridge" in text
    assert steps["stage1"]["global_step"] == 3 and steps["stage2"]["global_step"] == 2
    assert "## What improved and what did not" in text and ("improved" in text or "did not" in text)
    for png in ("training_loss.png", "tatoeba_retrieval.png"):
        assert (tmp_path / "demo" / png).stat().st_size > 1000
    card = (tmp_path / "demo" / "stage2" / "final" / "README.md").read_text(encoding="utf-8")
    assert "stage2/final/README.md" in text
    assert "**mgsm**" in card and "**xnli**" in card  # the evaluation is recorded in the model card
    assert " |\n\n**xnli**" in card  # each table ends before the next heading (else markdown merges them)
    assert "**tatoeba (bridge)**" in card and f"{fr_after:.1f}" in card.split("**tatoeba (bridge)**")[1]
    mgsm = steps["evaluate"]["systems"]["bare LLM"]["mgsm"]["languages"]
    assert set(mgsm) == {"fr", "sw"} and all(v["n"] == 2 for v in mgsm.values())
    xnli = steps["evaluate"]["systems"]["bare LLM"]["xnli"]["languages"]
    assert all(v["n"] == 3 for v in xnli.values()) and "**XNLI** (3 examples per language)" in text
    # an interrupted run resumes: completed steps are not redone
    (tmp_path / "demo" / "steps" / "report.json").unlink()
    logs.clear()
    DemoRun(settings, log=logs.append).run()
    assert sum("cached" in line for line in logs) == 9
    assert any(line.startswith("[report] running") for line in logs)


def test_demo_stage_configs_replace_the_cpu_sizes(tmp_path, shared_data):
    import argparse

    import yaml

    from lingualift.demo import _stage_size, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["demo", "--stage1-config", "recipes/configs/stage1/tiny.yaml", "--stage2-batch", "4"]
    )
    # a stage with a config follows the config's schedule unless a flag says otherwise; the other keeps the
    # defaults
    assert _stage_size(args, "stage1_steps") is None and _stage_size(args, "stage1_batch") is None
    assert (
        _stage_size(args, "stage2_steps") == DemoSettings.stage2_steps
        and _stage_size(args, "stage2_batch") == 4
    )

    stage1_config = tmp_path / "stage1.yaml"
    tree = yaml.safe_load(open("recipes/configs/stage1/tiny.yaml"))
    tree["training"].update(max_steps=2, learning_rate=1.25e-3)
    stage1_config.write_text(yaml.safe_dump(tree))
    stage2_config = tmp_path / "stage2.yaml"
    tree = yaml.safe_load(open("recipes/configs/stage2/tiny_lora.yaml"))
    tree["model"]["max_length"] = 768  # GSM8K answers are longer than the recipe's tiny records
    stage2_config.write_text(yaml.safe_dump(tree))
    settings = DemoSettings(
        out=tmp_path / "demo",
        data_dir=shared_data,
        tiny=True,
        lexicon_vocab=6000,
        stage1_sentences=24,
        stage1_steps=None,
        stage1_batch=None,
        stage1_config=stage1_config,
        stage2_examples=12,
        stage2_config=stage2_config,
        stage2_steps=1,
        stage2_batch=2,
        eval_languages=("fr",),
        eval_limit=1,
        xnli_limit=1,
        tatoeba_limit=8,
        translation_limit=2,
        max_new_tokens=4,
    )
    DemoRun(settings, log=lambda line: None).run()
    run1 = yaml.safe_load((tmp_path / "demo" / "stage1" / "run_config.yaml").read_text())
    assert (
        run1["training"]["learning_rate"] == 1.25e-3 and run1["training"]["max_steps"] == 2
    )  # from the config
    assert run1["training"]["global_batch_size"] == 8 and run1["model"]["max_input_length"] == 64
    assert run1["data"]["train_file"].endswith("stage1.jsonl") and "demo" in run1["training"]["output_dir"]
    run2 = yaml.safe_load((tmp_path / "demo" / "stage2" / "run_config.yaml").read_text())
    assert (
        run2["training"]["learning_rate"] == 5.0e-3 and run2["stage"]["lora"]["r"] == 8
    )  # the config's LoRA
    assert run2["training"]["max_steps"] == 1 and run2["training"]["global_batch_size"] == 2  # the flags win
    assert run2["stage"]["bridge_checkpoint"].endswith("stage1/final")


def test_report_significance_of_small_slices():
    from lingualift.demo_report import _significance

    def summary(hits_per_lang: list[int], n: int = 4) -> dict:
        return {
            "languages": {f"l{i}": {"accuracy": 100 * h / n, "n": n} for i, h in enumerate(hits_per_lang)}
        }

    # 10/12 vs 2/12 correct: Fisher's exact two-sided p = 0.0033
    text = _significance(summary([4, 3, 3]), summary([1, 1, 0]))
    assert "12 vs 12 questions" in text and "p = 0.00" in text and "significant at 5%" in text
    assert "not significant" in _significance(summary([1, 0, 0]), summary([2, 0, 0]))


def test_eval_languages_are_checked_before_any_work(tmp_path, capsys):
    """Each benchmark is evaluated on the --eval-languages it has; a language no evaluated benchmark has, or
    a benchmark left with none, stops the demo before anything is written (not after hours of training)."""
    from lingualift.errors import ConfigError

    out = tmp_path / "demo"
    run = DemoRun(DemoSettings(eval_languages=("bn", "te", "fr"), out=str(out)))
    run.check_languages()
    assert run.languages("mgsm") == ["bn", "te", "fr"] and run.languages("xnli") == ["fr"]
    assert "xnli has no bn, te: evaluated on fr" in capsys.readouterr().out
    with pytest.raises(
        ConfigError, match="--eval-languages: no language for mgsm, xnli; the benchmarks have"
    ):
        DemoRun(DemoSettings(eval_languages=("ko",), out=str(out))).run()
    with pytest.raises(ConfigError, match="unknown language code 'xx'"):
        DemoRun(DemoSettings(eval_languages=("fr", "xx"), out=str(out))).run()
    assert not out.exists()


def test_missing_data_is_listed_at_once_before_any_work(tmp_path):
    """A data directory without the benchmark files stops the demo at once, naming every missing file and
    folder (not after minutes of lexicon induction), and nothing is written."""
    from lingualift.errors import InputDataError

    data = tmp_path / "data"
    (data / "mgsm").mkdir(parents=True)
    out = tmp_path / "demo"
    with pytest.raises(InputDataError) as info:
        DemoRun(DemoSettings(data_dir=data, out=str(out))).run()
    message = str(info.value)
    assert message.startswith(f"{data}: the demo's data is missing (gsm8k/train.jsonl, xnli, tatoeba);")
    assert "--data-dir DIR" in message and "LINGUALIFT_DATA_DIR" in message
    assert not out.exists()


def test_without_a_data_dir_every_public_source_is_checked_offline_at_once(tmp_path):
    """No --data-dir: the demo reads GSM8K and the benchmarks from the Hub by name. Offline with an empty Hub
    cache it stops before any work, listing every source it could not read and the two fixes."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LINGUALIFT_DATA_DIR"}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    out = tmp_path / "demo"
    command = [sys.executable, "-m", "lingualift.cli", "demo", "--out", str(out), "--eval-languages", "fr,sw"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    message = done.stderr
    assert "no --data-dir given, so the demo reads its data from the public sources" in message
    assert "7 of them could not be read" in message  # gsm8k; mgsm, xnli and tatoeba in fr and sw
    for source in (
        "gsm8k (openai/gsm8k:main/train)",
        "mgsm/fr",
        "mgsm/sw",
        "xnli/fr",
        "xnli/sw",
        "tatoeba/fr",
        "tatoeba/sw",
    ):
        assert f"\n  {source}: " in message, source
    assert "connect once to fill the Hub cache" in message and "--data-dir DIR" in message
    assert "Traceback" not in message
    assert not out.exists()

"""The small-scale reproduction recipe: its statistics against hand computations, its corpus rules, its
config errors, and the whole pipeline end to end on tiny random models over the real benchmark files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lingualift.errors import ConfigError
from lingualift.experiments import load_experiment_config
from lingualift.experiments.config import SYSTEMS
from lingualift.experiments.report import paired_bootstrap

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "recipes" / "configs" / "experiments" / "small_scale_tiny.yaml"
FULL = ROOT / "recipes" / "configs" / "experiments" / "small_scale.yaml"


def test_paired_bootstrap_point_estimate_and_interval():
    a = {
        "x": {"1": True, "2": True, "3": False, "4": True},
        "y": {"1": False, "2": True, "3": True, "4": True},
    }
    b = {
        "x": {"1": False, "2": True, "3": False, "4": False},
        "y": {"1": False, "2": False, "3": True, "4": True},
    }
    result = paired_bootstrap(a, b, ["x", "y"], samples=4000, seed=0)
    # hand computation: x differs on items 1, 4 (+2 of 4), y on item 2 (+1 of 4) -> mean (50 + 25) / 2 = 37.5
    assert result["diff"] == 37.5 and result["items"] == 4 and result["languages"] == 2
    assert result["low"] <= 37.5 <= result["high"]
    assert result["low"] >= 0.0  # a never does worse than b on any item, so no resample can go below 0
    # identical systems: a degenerate interval at 0
    same = paired_bootstrap(a, a, ["x", "y"], samples=500)
    assert (same["diff"], same["low"], same["high"]) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_matches_a_reference_resampling():
    rng = np.random.default_rng(3)
    ids = [str(i) for i in range(50)]
    a = {"l": {i: bool(rng.random() < 0.7) for i in ids}}
    b = {"l": {i: bool(rng.random() < 0.5) for i in ids}}
    result = paired_bootstrap(a, b, ["l"], samples=2000, seed=7)
    diff = np.array([float(a["l"][i]) - float(b["l"][i]) for i in sorted(ids)])
    draws = np.random.default_rng(7).integers(0, 50, size=(2000, 50))
    reference = np.percentile(100 * diff[draws].mean(axis=1), [2.5, 97.5])
    assert result["low"] == pytest.approx(reference[0], abs=0.01)
    assert result["high"] == pytest.approx(reference[1], abs=0.01)


def test_configs_load_and_bad_values_are_named(tmp_path):
    full = load_experiment_config(FULL, ["data_dir=/data"])
    assert len(full.stage1_languages) >= 8
    assert set(full.training.system_configs) == set(SYSTEMS)
    for path in full.training.system_configs.values():
        assert (ROOT / path).is_file(), path
    with pytest.raises(ConfigError, match="corpus.ratio"):
        load_experiment_config(TINY, ["corpus.ratio=1.5"])
    with pytest.raises(ConfigError, match="sib200_split"):
        load_experiment_config(TINY, ["evaluation.sib200_split=train"])
    with pytest.raises(ConfigError, match="nosuchkey"):
        load_experiment_config(TINY, ["corpus.nosuchkey=3"])
    with pytest.raises(ConfigError, match="data_dir is not set"):
        load_experiment_config(TINY).data_path("sib200")


def test_stage1_corpus_holds_no_evaluation_sentence(shared_data):
    from lingualift.evaluation.benchmarks import load_benchmark
    from lingualift.experiments.small_scale import select_sentences

    config = load_experiment_config(FULL, [f"data_dir={shared_data}", "corpus.sentences=3000"])
    sentences, counts = select_sentences(config)
    assert len(sentences) == 3000 == sum(counts.values()) and len(set(sentences)) == 3000
    assert min(counts.values()) > 500  # balanced over the three sources
    evaluation = {
        ex.question
        for split in ("dev", "test")
        for ex in load_benchmark("sib200", "eng_Latn", shared_data / "sib200", split=split)
    }
    assert not evaluation & set(sentences)
    assert all(6 <= len(s.split()) <= 30 for s in sentences)
    again, _ = select_sentences(config)
    assert again == sentences  # seeded


@pytest.mark.slow
def test_tiny_pipeline_end_to_end_and_resume(shared_data, tmp_path):
    from lingualift.experiments import SmallScaleExperiment

    config = load_experiment_config(
        TINY, [f"data_dir={shared_data}", f"work_dir={tmp_path / 'work'}", f"out={tmp_path / 'out'}"]
    )
    results = SmallScaleExperiment(config, log=lambda _: None).run()
    assert (tmp_path / "out" / "report.md").is_file()
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    langs = {"en", "fr", "sw", "hi", "th", "yor_Latn"}
    assert set(data["languages"]) == langs
    for system in ("bare_llm", *SYSTEMS):
        assert set(data["accuracy"][system]) == langs
        for lang in langs:
            assert results[f"eval-{system}"]["splits"]["test"][lang]["n"] == 14
    assert (
        data["comparisons"]["lingualift-mono_sft"]["LR"]["languages"] == 3
    )  # sw, hi, th (yor_Latn: no level)
    for name in ("stage1_bridge", *SYSTEMS):
        assert (tmp_path / "out" / "checkpoints" / name).is_dir()
    stage1 = results["stage1data"]["summary"]["switching"]
    assert len(stage1["languages"]) == 4
    # a second run finds every step done and changes nothing
    before = (tmp_path / "out" / "results.json").read_bytes()
    SmallScaleExperiment(config, log=lambda _: None).run()
    assert (tmp_path / "out" / "results.json").read_bytes() == before
    # a report from the finished steps of a run stopped before the last evaluations names what is missing
    # (and, as in a fresh checkout, without the scratch files: nothing is rebuilt, the recorded corpus and
    # stage-1 data statistics are still quoted)
    for system in ("bare_llm", "wo_alignment"):
        (tmp_path / "out" / "steps" / f"eval-{system}.json").unlink()
    shutil.rmtree(tmp_path / "work")
    ran: list[str] = []
    SmallScaleExperiment(config, log=ran.append).report_so_far()
    assert not [line for line in ran if "running" in line] and not (tmp_path / "work").exists()
    partial = json.loads((tmp_path / "out" / "results.json").read_text())
    assert partial["stage1_data"] == data["stage1_data"] and partial["stage1_data"] is not None
    assert set(partial["accuracy"]) == {"lingualift", "mono_sft"}
    assert partial["missing_systems"] == ["w/o alignment", "bare LLM"]
    assert partial["accuracy"]["lingualift"] == data["accuracy"]["lingualift"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "**Not evaluated** (the run stopped before them): w/o alignment, bare LLM." in report


def test_corpus_chrf_is_sacrebleus_chrf():
    from sacrebleu import sentence_chrf

    from lingualift.evaluation.translation import corpus_chrf

    assert corpus_chrf(["The cat sat on the mat."], ["The cat sat on the mat."]) == 100.0
    partial = corpus_chrf(["The cat sat."], ["The dog sat on the mat."])
    assert 0.0 < partial < 100.0
    assert partial == round(sentence_chrf("The cat sat.", ["The dog sat on the mat."]).score, 2)


def test_step_runner_caches_reruns_missing_outputs_and_refuses_changed_settings(tmp_path):
    from lingualift.steps import StepRunner

    calls = []

    def make() -> dict:
        calls.append(1)
        out = tmp_path / "data.txt"
        out.write_text("x", encoding="utf-8")
        return {"file": str(out)}

    first = StepRunner(tmp_path / "steps", log=lambda _: None).run("data", make, ("file",), settings={"n": 1})
    again = StepRunner(tmp_path / "steps", log=lambda _: None).run("data", make, ("file",), settings={"n": 1})
    assert len(calls) == 1 and again["file"] == first["file"] and again["settings"] == {"n": 1}
    (tmp_path / "data.txt").unlink()  # a fresh checkout: the record is there, the scratch file is not
    StepRunner(tmp_path / "steps", log=lambda _: None).run("data", make, ("file",), settings={"n": 1})
    assert len(calls) == 2
    record = (tmp_path / "steps" / "data.json").read_bytes()
    with pytest.raises(ConfigError, match=r"step 'data' finished earlier with other settings.*delete"):
        StepRunner(tmp_path / "steps", log=lambda _: None).run("data", make, ("file",), settings={"n": 2})
    assert len(calls) == 2 and (tmp_path / "steps" / "data.json").read_bytes() == record


@pytest.mark.slow
def test_tiny_parallel_language_study(shared_data, tmp_path):
    """English plus parallel languages on tiny models: every mixture has the English-only run's size and
    steps, the English-only point is the small-scale run itself, and the analysis is the transfer analysis of
    the runs' own accuracies; a second run trains nothing."""
    from lingualift.experiments import ParallelStudy, ParallelStudyConfig

    study = ROOT / "recipes" / "configs" / "experiments" / "parallel_languages_tiny.yaml"
    base = [f"work_dir={tmp_path / 'base'}", f"out={tmp_path / 'base_out'}"]
    config = load_experiment_config(
        study,
        [
            f"data_dir={shared_data}",
            f"work_dir={tmp_path / 'work'}",
            f"out={tmp_path / 'out'}",
            f"base_overrides=[{','.join(base)}]",
        ],
        schema=ParallelStudyConfig,
    )
    runner = ParallelStudy(config, log=lambda _: None)
    analysis = runner.run()
    english = runner.base.need("stage2-mono_sft")
    for label in ("en+fr", "en+de", "en+fr+de"):
        data = runner.steps.results[f"data-{label}"]
        assert data["records"] == 701 and set(data["per_language"]) == set(label.split("+"))
        for system in ("mono_sft", "lingualift"):
            assert runner.steps.results[f"stage2-{system}-{label}"]["global_step"] == english["global_step"]
    for system in ("mono_sft", "lingualift"):
        result = analysis["systems"][system]
        assert list(result["runs"]) == ["en", "en+fr", "en+de", "en+fr+de"]
        assert set(result["scaling_points"]) == {1, 2, 3}
        english_scores = runner.scores(system, "en")
        french = runner.scores(system, "en+fr")
        assert result["matrix"]["gain"]["fr"]["hi"] == pytest.approx(french["hi"] - english_scores["hi"])
        # the interval's point estimate is the mean accuracy gain over the languages; the interval holds it
        gain = result["gain_intervals"]["en+fr"]
        want = np.mean([french[lang] - english_scores[lang] for lang in english_scores])
        assert gain["all"]["diff"] == pytest.approx(want, abs=0.01)
        assert gain["all"]["low"] <= gain["all"]["diff"] <= gain["all"]["high"]
        # de is not among the English-only run's languages: en, fr, hi are compared; fr is in the mixture
        assert [gain[g]["languages"] for g in ("all", "in mixture", "outside")] == [3, 1, 2]
        assert (tmp_path / "out" / system / "transfer.md").is_file()
    assert (tmp_path / "out" / "english_vs_parallel.png").read_bytes()[:4] == b"\x89PNG"
    before = (tmp_path / "out" / "mono_sft" / "transfer.json").read_bytes()
    ParallelStudy(config, log=lambda _: None).run()
    assert (tmp_path / "out" / "mono_sft" / "transfer.json").read_bytes() == before

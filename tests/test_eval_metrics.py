"""Metric functions against hand-computed values: TI/MTI, scaling law, Spearman, retrieval, averages,
language ID."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lingualift.errors import ConfigError, InputDataError
from lingualift.evaluation.alignment import retrieval_accuracy, spearman_correlation
from lingualift.evaluation.langid import dominant_script, is_off_target
from lingualift.evaluation.report import write_reports
from lingualift.evaluation.scoring import group_averages, summarize_language
from lingualift.evaluation.transfer import (
    fit_scaling_law,
    multilingual_transferability_index,
    transferability_index,
)

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transferability_index_by_hand():
    # ΔR: a=10, b=2 (reference, σ=pstdev(10,2)=4), c=-5 (alone: pooled σ=pstdev(10,2,-5))
    result = transferability_index(
        {"a": 50, "b": 60, "c": 40},
        {"a": 60, "b": 62, "c": 35},
        {"ref": ["a", "b"], "other": ["c"]},
        reference="ref",
    )
    di_ref = (50 / 90) * math.sqrt(10 / 4) + (40 / 90) * math.sqrt(2 / 4)
    pooled = math.sqrt(((10 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (-5 - 7 / 3) ** 2) / 3)
    di_other = -math.sqrt(5 / pooled)
    assert result["ref"]["DI"] == pytest.approx(di_ref) and result["ref"]["TI"] == pytest.approx(100.0)
    assert result["other"]["DI"] == pytest.approx(di_other)
    assert result["other"]["TI"] == pytest.approx(100 * di_other / di_ref)  # = -75.73
    assert result["other"]["TI"] == pytest.approx(-75.734, abs=1e-3)
    with pytest.raises(ConfigError, match="reference group 'math'"):
        transferability_index({"a": 1}, {"a": 2}, {"ref": ["a"]}, reference="math")
    with pytest.raises(InputDataError, match="no base and tuned score for: z"):
        transferability_index({"a": 1}, {"a": 2}, {"ref": ["a", "z"]}, reference="ref")


def test_multilingual_transferability_index_by_hand():
    result = multilingual_transferability_index(
        {"en": 50, "de": 40, "bn": 10, "sw": 20}, {"en": 70, "de": 50, "bn": 20, "sw": 20}, ["en", "de"]
    )
    di_train = (50 / 110) * math.sqrt(20 / 5) + (60 / 110) * math.sqrt(10 / 5)
    di_unseen = (90 / 170) * math.sqrt(10 / 5) + (80 / 170) * 0.0
    assert result["MTI"] == pytest.approx(100 * di_unseen / di_train)
    assert result["MTI"] == pytest.approx(44.553, abs=1e-3)
    with pytest.raises(ConfigError, match="MTI needs training and unseen"):
        multilingual_transferability_index({"en": 1}, {"en": 2}, ["en"])


def test_scaling_law_fit_leap_and_gap():
    points = {1: 30.0, 2: 40.0, 4: 40.0 * 2**0.5, 8: 80.0}  # exactly 28.28·N^0.5 for N >= 2
    fit = fit_scaling_law(points)
    assert fit["a"] == pytest.approx(40 / math.sqrt(2), rel=1e-6) and fit["b"] == pytest.approx(0.5, rel=1e-6)
    assert fit["r2"] == pytest.approx(1.0)
    assert fit["first_parallel_leap"] == pytest.approx(10.0)
    assert fit["monolingual_generalization_gap"] == pytest.approx(40 / math.sqrt(2) - 30.0)
    with pytest.raises(ConfigError, match=">= 2 points with N >= 2"):
        fit_scaling_law({1: 10.0, 2: 20.0})


def test_spearman_and_retrieval_accuracy():
    result = spearman_correlation(
        {"a": 1, "b": 2, "c": 3, "d": 4, "x": 9}, {"a": 10, "b": 30, "c": 20, "d": 40}
    )
    assert result["rho"] == pytest.approx(0.8) and result["n"] == 4  # 1 - 6·2/(4·15)
    with pytest.raises(ConfigError, match=">= 3 languages"):
        spearman_correlation({"a": 1, "b": 2}, {"a": 1, "b": 2})
    keys = np.eye(4, dtype=np.float32)
    queries = keys[[0, 1, 3, 2]]  # two of four hit
    assert retrieval_accuracy(queries, keys) == 50.0
    assert retrieval_accuracy(queries, keys, key_texts=["a", "b", "c", "c"]) == 100.0  # duplicates count


def test_group_averages_and_language_summary():
    groups = group_averages({"bn": 10.0, "sw": 20.0, "de": 60.0, "pt": 40.0})
    assert groups["resource_levels"] == {"LR": 15.0, "MR": 40.0, "HR": 60.0, "Avg": 32.5}
    assert (
        groups["families"]["Indo-European"] == pytest.approx(36.67)
        and groups["families"]["Niger-Congo"] == 20.0
    )
    assert groups["scripts"] == {"Bengali": 10.0, "Latin": 40.0}
    records = [
        {"correct": True, "correct_strict": True, "extraction_method": "strict", "off_target": False},
        {"correct": True, "correct_strict": False, "extraction_method": "flexible", "off_target": True},
        {"correct": False, "correct_strict": False, "extraction_method": None, "off_target": None},
        {"correct": False, "correct_strict": False, "extraction_method": "flexible", "off_target": False},
    ]
    summary = summarize_language(records, "math")
    assert summary == {
        "n": 4,
        "accuracy": 50.0,
        "strict_accuracy": 25.0,
        "extraction_failures": 1,
        "extraction_failure_rate": 25.0,
        "off_target_rate": 33.33,
        "off_target_undetermined": 1,
    }


@pytest.mark.parametrize(
    "response,language,expected",
    [
        ("উত্তর হল ১১", "bn", False),
        ("The answer is 11", "bn", True),
        ("Jibu ni 11.", "sw", False),
        ("The answer is 11 because she has five apples.", "sw", True),
        ("Die Antwort ist 11.", "de", False),
        ("The answer is 11.", "de", True),
        ("答えは11です", "ja", False),
        ("答案是 11。", "ja", True),
        ("答案是 11。", "zh", False),
        ("Ответ — 11.", "ru", False),
        ("Ответ — 11.", "th", True),
        ("정답은 11입니다", "ko", False),
        ("11 + 7 = 18", "zh", None),
    ],
)
def test_off_target_heuristic(response, language, expected):
    assert is_off_target(response, language) is expected


def test_dominant_script():
    assert dominant_script("ক খ abc গ ঘ") == "Bengali" and dominant_script("かな漢字カナ") == "Kana"
    assert dominant_script("123 !?") is None


def _summary_file(path: Path, benchmark: str, scores: dict[str, float]) -> Path:
    summary = {
        "benchmark": benchmark,
        "task": "math",
        "model": "m",
        "languages": {lang: {"n": 1, "accuracy": v} for lang, v in scores.items()},
        "groups": group_averages(scores),
    }
    write_reports(path, summary, plots=False)
    return path / "summary.json"


def test_tools_from_result_files(tmp_path: Path, capsys):
    scaling = _tool("scaling_law")
    args = []
    for n, value in {1: 30.0, 2: 40.0, 4: 40.0 * 2**0.5, 8: 80.0}.items():
        args += ["--point", f"{n}={_summary_file(tmp_path / f'n{n}', 'mgsm', {'bn': value, 'sw': value})}"]
    out = tmp_path / "fit.json"
    assert (
        scaling.main(args + ["--benchmark", "mgsm", "--out", str(out), "--plot", str(tmp_path / "fit.png")])
        == 0
    )
    fit = json.loads(out.read_text())
    assert fit["b"] == pytest.approx(0.5, rel=1e-6) and fit["first_parallel_leap"] == pytest.approx(10.0)
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"
    transfer = _tool("transfer_metrics")
    base = _summary_file(tmp_path / "base", "mgsm", {"en": 50, "de": 40, "bn": 10, "sw": 20})
    tuned = _summary_file(tmp_path / "tuned", "mgsm", {"en": 70, "de": 50, "bn": 20, "sw": 20})
    capsys.readouterr()
    assert (
        transfer.main(["mti", "--base", str(base), "--tuned", str(tuned), "--train-languages", "en,de"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["MTI"] == pytest.approx(44.553, abs=1e-3)
    assert (
        transfer.main(
            [
                "mti",
                "--base",
                str(tmp_path / "missing.json"),
                "--tuned",
                str(tuned),
                "--train-languages",
                "en",
            ]
        )
        == 1
    )
    assert "result file not found" in capsys.readouterr().err

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
from lingualift.evaluation.benchmarks import BENCHMARKS
from lingualift.evaluation.langid import dominant_script, is_off_target
from lingualift.evaluation.report import write_reports
from lingualift.evaluation.scoring import group_averages, summarize_language
from lingualift.evaluation.transfer import (
    fit_scaling_law,
    multilingual_transferability_index,
    scaling_points,
    transferability_index,
)
from lingualift.languages import benchmark_groups

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


def test_scaling_law_recovers_a_and_b_and_never_fits_the_monolingual_point():
    # N = training languages including English; f(N) = 50·N^-0.2 exactly for N >= 2 (a decreasing law too)
    law = {n: 50.0 * n**-0.2 for n in (2, 3, 5, 10)}
    for f1 in (10.0, 49.0, 95.0):  # whatever the monolingual (English-only) score, the fit is the same
        fit = fit_scaling_law({1: f1, **law})
        assert fit["a"] == pytest.approx(50.0, rel=1e-6) and fit["b"] == pytest.approx(-0.2, rel=1e-6)
        assert fit["r2"] == pytest.approx(1.0)
        # FPL = f(2) - f(1) observed; MGG = f̂(1) - f(1) = a - f(1)
        assert fit["first_parallel_leap"] == pytest.approx(50.0 * 2**-0.2 - f1)
        assert fit["monolingual_generalization_gap"] == pytest.approx(50.0 - f1)
    no_mono = fit_scaling_law(law)
    assert no_mono["a"] == pytest.approx(50.0, rel=1e-6)
    assert "first_parallel_leap" not in no_mono and "monolingual_generalization_gap" not in no_mono


def test_scaling_law_leap_and_gap_on_a_small_table_by_hand():
    # 4 runs: English only 20, +1 language 30, 4 languages 36, 8 languages 40 (not an exact power law)
    fit = fit_scaling_law({1: 20.0, 2: 30.0, 4: 36.0, 8: 40.0})
    assert fit["first_parallel_leap"] == 10.0  # f(2) - f(1) = 30 - 20
    assert fit["monolingual_generalization_gap"] == pytest.approx(fit["a"] - 20.0)
    # least squares on N >= 2 only: the log-log line through (2, 30), (4, 36), (8, 40) starts the fit, and
    # the fitted curve is within a point of each of them
    for n, y in ((2, 30.0), (4, 36.0), (8, 40.0)):
        assert fit["a"] * n ** fit["b"] == pytest.approx(y, abs=1.0)
    slope = (math.log(40) - math.log(30)) / (math.log(8) - math.log(2))  # 0.2075
    assert fit["b"] == pytest.approx(slope, abs=0.02) and fit["a"] == pytest.approx(30 / 2**slope, abs=1.0)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (
            {0: 10.0, 2: 20.0, 4: 30.0},
            r"point N=0: the number of training languages \(English included; 1 = the monolingual",
        ),
        ({-1: 10.0, 2: 20.0, 4: 30.0}, "must be an integer >= 1, got -1"),
        ({2.5: 10.0, 2: 20.0, 4: 30.0}, "must be an integer >= 1, got 2.5"),
        (
            {1: 10.0, 2: 20.0},
            r"needs >= 2 points with N >= 2 .*the N=1 monolingual point is not fitted.*N = \[1, 2\]",
        ),
        ({4: 10.0}, r"needs >= 2 points with N >= 2 training languages"),
    ],
)
def test_scaling_law_bad_points_are_clear_errors(points, expected):
    with pytest.raises(ConfigError, match=expected):
        fit_scaling_law(points)


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
    groups = group_averages({"bn": 10.0, "sw": 20.0, "de": 60.0, "pt": 40.0}, benchmark="mmwp")
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


# 15 made-up XNLI accuracies: the paper's low group (ar bg el hi sw th tr ur) and high group (the other 7)
XNLI_TABLE = dict(
    zip(
        "ar bg de el en es fr hi ru sw th tr ur vi zh".split(),
        [40.0, 50.0, 70.0, 45.0, 80.0, 72.0, 71.0, 42.0, 66.0, 35.0, 44.0, 48.0, 38.0, 62.0, 64.0],
    )
)


def test_xnli_groups_are_the_papers_low_and_high_by_hand():
    groups = group_averages(XNLI_TABLE, benchmark="xnli")
    low = (40 + 50 + 45 + 42 + 35 + 44 + 48 + 38) / 8  # ar bg el hi sw th tr ur = 342 / 8
    high = (70 + 80 + 72 + 71 + 66 + 62 + 64) / 7  # de en es fr ru vi zh = 485 / 7
    avg = sum(XNLI_TABLE.values()) / 15  # 827 / 15
    assert (round(low, 2), round(high, 2), round(avg, 2)) == (42.75, 69.29, 55.13)
    assert groups["resource_levels"] == {"LR": 42.75, "HR": 69.29, "Avg": 55.13}
    # el/tr/ur (no MMWP level) are in the low group; bg and vi (MMWP MR) are not left out either
    assert groups["group_members"] == {
        "LR": ["ar", "bg", "el", "hi", "sw", "th", "tr", "ur"],
        "HR": ["de", "en", "es", "fr", "ru", "vi", "zh"],
    }
    # what the MMWP levels made of the same table: el/tr/ur in no group, bg/vi in MR
    mmwp = group_averages(XNLI_TABLE, benchmark="mmwp")["group_members"]
    assert mmwp["LR"] == ["ar", "hi", "sw", "th"] and mmwp["MR"] == ["bg", "vi"]
    assert not {"el", "tr", "ur"} & {code for codes in mmwp.values() for code in codes}


def test_xcsqa_and_mgsm_groups_by_hand():
    xcsqa = dict(
        zip(
            "ar hi sw ur en zh de es fr it ja nl pl pt ru vi".split(),
            [30.0, 32.0, 25.0, 29.0, 80.0, 60.0, 65.0, 66.0, 67.0, 64.0, 55.0, 63.0, 58.0, 62.0, 59.0, 57.0],
        )
    )
    groups = group_averages(xcsqa, benchmark="x-csqa")
    assert groups["resource_levels"] == {"LR": 29.0, "HR": 63.0, "Avg": 54.5}  # 116/4, 756/12, 872/16
    assert (
        groups["group_members"]["LR"] == ["ar", "hi", "sw", "ur"] and len(groups["group_members"]["HR"]) == 12
    )
    mgsm = dict(
        zip(
            "bn sw te th de en es fr ja ru zh".split(),
            [20.0, 30.0, 10.0, 40.0, 60.0, 90.0, 70.0, 65.0, 50.0, 55.0, 45.0],
        )
    )
    for benchmark in ("mgsm", "msvamp"):
        values = mgsm if benchmark == "mgsm" else {k: v for k, v in mgsm.items() if k != "te"}
        levels = group_averages(values, benchmark=benchmark)["resource_levels"]
        assert levels["LR"] == (25.0 if benchmark == "mgsm" else 30.0)  # (20+30+10+40)/4, (20+30+40)/3
        assert levels["HR"] == 62.14 and "MR" not in levels  # 435 / 7 = 62.142...


def test_benchmark_groups_partition_each_benchmarks_languages():
    for name in ("mgsm", "msvamp", "xnli", "xcsqa", "mmwp"):
        groups = benchmark_groups(name)
        members = [code for codes in groups.values() for code in codes]
        assert len(members) == len(set(members)), name  # disjoint
        assert set(members) == set(BENCHMARKS[name].languages), name  # every language in one group
    assert [len(v) for v in benchmark_groups("mmwp").values()] == [21, 17, 10]
    assert benchmark_groups("sib200") == benchmark_groups("mmwp") == benchmark_groups("tatoeba")
    assert benchmark_groups("mgsm") == {
        "LR": ("bn", "sw", "te", "th"),
        "HR": ("de", "en", "es", "fr", "ja", "ru", "zh"),
    }
    with pytest.raises(ConfigError, match="unknown benchmark 'gsm9k' for the language groups; known: mgsm"):
        benchmark_groups("gsm9k")
    with pytest.raises(TypeError, match="benchmark"):  # no silent fallback to the MMWP levels
        group_averages({"en": 1.0})


def test_sib200_and_mmwp_keep_lr_mr_hr():
    values = {"sw": 50.0, "bg": 40.0, "el": 30.0, "de": 80.0, "yor_Latn": 20.0, "swh_Latn": 60.0}
    for benchmark in ("sib200", "mmwp"):
        groups = group_averages(values, benchmark=benchmark)
        # sw and swh_Latn (its Flores code) are LR; el and yor_Latn have no MMWP level: Avg only
        assert groups["resource_levels"] == {"LR": 55.0, "MR": 40.0, "HR": 80.0, "Avg": 46.67}
        assert groups["group_members"] == {"LR": ["sw", "swh_Latn"], "MR": ["bg"], "HR": ["de"]}


def test_report_uses_the_benchmarks_groups_and_names_the_split(tmp_path: Path):
    summary = {
        "benchmark": "xnli",
        "task": "classification",
        "model": "m",
        "split": "test",
        "languages": {lang: {"n": 1, "accuracy": v} for lang, v in XNLI_TABLE.items()},
        "groups": group_averages(XNLI_TABLE, benchmark="xnli"),
    }
    write_reports(tmp_path, summary, plots=False)
    text = (tmp_path / "xnli.md").read_text(encoding="utf-8")
    header, _, row = text.split("\n")[2:5]
    # low group, then high group; the metadata order (MMWP LR, MR, HR, then el/tr/ur) inside each
    low, high = "ar | hi | sw | th | bg | el | tr | ur", "vi | de | en | es | fr | ru | zh"
    assert header == f"| Model | {low} | {high} | LR | HR | Avg |"
    assert row.endswith("| 42.8 | 69.3 | 55.1 |")  # 42.75, 69.29, 55.13 at one decimal
    assert "Accuracy (%) of `m` on the test split." in text
    assert "Groups (the paper's for xnli): LR = ar, bg, el, hi, sw, th, tr, ur; HR = de, en" in text
    saved = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["benchmarks"]["xnli"]
    assert saved["split"] == "test"


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
        "groups": group_averages(scores, benchmark=benchmark),
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
    # f(N) is the mean over the chosen languages, computed in lingualift (scaling_points)
    uneven = _summary_file(tmp_path / "uneven", "mgsm", {"bn": 10.0, "sw": 20.0, "de": 60.0})
    assert scaling_points({3: uneven}, "mgsm") == {3: 30.0}
    assert scaling_points({3: uneven}, "mgsm", languages=["bn", "sw"]) == {3: 15.0}
    # N < 1, a malformed or repeated point: exit 1 with the definition of N or the fix
    capsys.readouterr()
    first = str(tmp_path / "n1" / "summary.json")
    assert scaling.main(["--point", f"0={first}", *args, "--benchmark", "mgsm"]) == 1
    assert "must be an integer >= 1, got 0" in capsys.readouterr().err
    assert scaling.main(["--point", f"two={first}", *args]) == 1
    assert "--point expects N=path/to/summary.json with an integer N, got 'two=" in capsys.readouterr().err
    assert scaling.main([*args, "--point", f"2={first}"]) == 1
    assert "--point N=2 is given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        scaling.main(["--help"])
    assert "N is the number of training languages including English: N=1 is the" in capsys.readouterr().out
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

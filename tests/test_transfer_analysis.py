"""`lingualift analyze transfer`: the transfer matrix, scaling fit and MTI against values computed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lingualift.cli import main
from lingualift.errors import ConfigError
from lingualift.evaluation.transfer_analysis import analyze_transfer, load_runs

TABLE = {  # accuracy per evaluation language of four runs
    "en": {"en": 80.0, "fr": 60.0, "sw": 30.0, "te": 20.0},
    "en+sw": {"en": 80.0, "fr": 60.0, "sw": 50.0, "te": 25.0},
    "en+te": {"en": 78.0, "fr": 58.0, "sw": 35.0, "te": 40.0},
    "en+sw+te": {"en": 80.0, "fr": 62.0, "sw": 52.0, "te": 44.0},
}


def _summaries(root: Path) -> dict[str, Path]:
    paths = {}
    for label, scores in TABLE.items():
        folder = root / label.replace("+", "-")
        folder.mkdir(parents=True)
        languages = {lang: {"accuracy": value, "n": 100} for lang, value in scores.items()}
        summary = {"benchmarks": {"sib200": {"languages": languages}}}
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        paths[label] = folder
    return paths


def test_matrix_scaling_and_mti_by_hand(tmp_path):
    result = analyze_transfer(load_runs(_summaries(tmp_path)))
    matrix = result["matrix"]
    assert matrix["sources"] == ["sw", "te"] and result["targets"] == ["en", "fr", "sw", "te"]
    assert matrix["gain"]["sw"] == {"en": 0.0, "fr": 0.0, "sw": 20.0, "te": 5.0}
    assert matrix["gain"]["te"] == {"en": -2.0, "fr": -2.0, "sw": 5.0, "te": 20.0}
    # T(s, t) = G(s, t) / G(t, t); no en+en or en+fr run, so those columns have no normaliser
    assert matrix["normalised"]["sw"] == {"en": None, "fr": None, "sw": 1.0, "te": 0.25}
    assert matrix["normalised"]["te"]["sw"] == 0.25
    runs = result["runs"]
    assert runs["en"]["mean"]["all"] == 47.5
    assert runs["en+sw"]["mean"] == {"all": 53.75, "in_mixture": 50.0, "outside_mixture": 42.5}
    assert runs["en+sw"]["gain_over_base"] == pytest.approx(6.25)
    # MTI of en+sw: deltas en 0, sw 20 (sigma 10), fr 0, te 5 (sigma 2.5); s = sqrt(2) for sw and te;
    # weights by headroom: sw 70/90, te 80/120 -> 100 * (80/120) / (70/90)
    assert runs["en+sw"]["MTI"] == pytest.approx(100 * (80 / 120) / (70 / 90))
    # f(1) = 47.5, f(2) = mean(53.75, 52.75) = 53.25, f(3) = 59.5; two points N >= 2: the fit is exact
    assert result["scaling_points"] == {1: 47.5, 2: 53.25, 3: 59.5}
    fit = result["scaling"]
    b = math.log(59.5 / 53.25) / math.log(1.5)
    a = 53.25 / 2**b
    assert fit["b"] == pytest.approx(b, rel=1e-6) and fit["a"] == pytest.approx(a, rel=1e-6)
    assert fit["first_parallel_leap"] == pytest.approx(5.75)
    assert fit["monolingual_generalization_gap"] == pytest.approx(a - 47.5, rel=1e-6)


def test_bad_grids_are_refused_with_the_fix(tmp_path):
    paths = _summaries(tmp_path)
    runs = load_runs(paths)
    with pytest.raises(ConfigError, match="exactly one base run"):
        analyze_transfer([r for r in runs if r.label != "en"])
    with pytest.raises(ConfigError, match="training languages joined by '\\+', each once"):
        load_runs({"en+en": paths["en"]})
    with pytest.raises(ConfigError, match="do not start with the base language 'en'"):
        analyze_transfer(load_runs({"en": paths["en"], "sw+en": paths["en+sw"]}))


def test_cli_writes_tables_and_plots_and_keeps_earlier_files(tmp_path, capsys):
    paths = _summaries(tmp_path / "runs")
    out = tmp_path / "analysis"
    argv = ["analyze", "transfer", "--out", str(out), "--benchmark", "sib200"]
    argv += [f"--run={label}={path}" for label, path in paths.items()]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert (
        "| sw | +0.0 | +0.0 | +20.0 | +5.0 |" in printed
        and "First-Parallel Leap f(2) − f(1): +5.75" in printed
    )
    for name in ("transfer.json", "transfer.md", "transfer_matrix.png", "scaling.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "transfer_matrix.png").read_bytes()[:4] == b"\x89PNG"
    before = (out / "transfer.json").read_bytes()
    assert main(argv) == 1  # refused without --overwrite, files unchanged
    assert "--overwrite" in capsys.readouterr().err and (out / "transfer.json").read_bytes() == before
    assert main([*argv, "--overwrite"]) == 0
    assert main(["analyze", "transfer", "--out", str(out), "--run", "en"]) == 1
    assert "expected LANGS=PATH" in capsys.readouterr().err

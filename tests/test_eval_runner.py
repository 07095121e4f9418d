"""The runner with scripted backends (no model): gold answers in varied formats score 100%, silence scores 0%,
predictions are written per language and a re-run resumes; reports are written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lingualift.errors import ConfigError
from lingualift.evaluation.backends import EvaluationBackend
from lingualift.evaluation.benchmarks import BENCHMARKS, load_benchmark
from lingualift.evaluation.runner import EvaluationOptions, evaluate

MGSM = BENCHMARKS["mgsm"].languages
PHRASES = {
    "en": "The answer is {}.",
    "de": "Die Antwort ist {}.",
    "es": "La respuesta es {}.",
    "fr": "La réponse est {}.",
    "ru": "Ответ — {}.",
    "sw": "Jibu ni {}.",
    "zh": "答案是 {}。",
    "ja": "答えは{}です。",
    "te": "సమాధానం {}.",
    "th": "คำตอบคือ {}",
    "bn": "উত্তর হল {}।",
}
ZERO = {"bn": "\u09e6", "th": "\u0e50", "te": "\u0c66", "zh": "\uff10", "ja": "\uff10", "ru": "0", "en": "0"}


def _native(number: str, lang: str) -> str:
    zero = ord(ZERO.get(lang, "0"))
    return "".join(chr(zero + int(ch)) if ch.isdigit() else ch for ch in number)


def _thousands(value: int, lang: str) -> str:
    sep = {"de": ".", "es": ".", "fr": "\u202f", "ru": "\u00a0"}.get(lang, ",")
    return f"{value:,}".replace(",", sep)


def gold_response(lang: str, gold: float, index: int) -> str:
    """The gold number in one of six formats, after distracting arithmetic."""
    value = int(gold) if float(gold).is_integer() else gold
    plain = str(value)
    steps = "First 3 + 4 = 7, then 7 * 2 = 14. "
    style = index % 6
    if style == 0:
        return steps + PHRASES[lang].format(plain)
    if style == 1:
        return steps + PHRASES[lang].format(_native(plain, lang))
    if style == 2:
        return f"{steps}\n#### {plain}"
    if style == 3:
        return f"{steps} so \\boxed{{{plain}}}"
    if style == 4:
        return steps + PHRASES[lang].format(_thousands(value, lang) if isinstance(value, int) else plain)
    return f"{steps}In total {plain}"


class ScriptedBackend(EvaluationBackend):
    """Answers each question from a lookup table, through a formatting function."""

    name = "scripted"

    def __init__(self, answers: dict[str, tuple[str, float]], respond):
        self.answers = answers
        self.respond = respond
        self.calls = 0
        self.batch_sizes: list[int] = []

    def generate(self, instructions, inputs, max_new_tokens):
        self.calls += 1
        self.batch_sizes.append(len(inputs))
        out = []
        for text in inputs:
            lang, gold = self.answers[text]
            out.append(self.respond(lang, gold, len(out) + self.calls))
        return out

    def score_options(self, instructions, inputs, options):
        return [
            [0.0 if i == self.answers[text][1] else -1.0 for i in range(len(opts))]
            for text, opts in zip(inputs, options)
        ]


def _answer_table(shared_data: Path, limit: int | None = None):
    table = {}
    for lang in MGSM:
        for ex in load_benchmark("mgsm", lang, shared_data / "mgsm", limit=limit):
            table[ex.question] = (lang, ex.answer)
    return table


def test_gold_answers_in_varied_formats_score_100_on_all_mgsm_languages(shared_data: Path, tmp_path: Path):
    backend = ScriptedBackend(_answer_table(shared_data), gold_response)
    summary = evaluate(
        backend,
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages=None,
        batch_size=16,
        out_dir=tmp_path,
        progress=False,
        plots=False,
    )
    assert set(summary["languages"]) == set(MGSM)
    for lang, metrics in summary["languages"].items():
        assert metrics["n"] == 250 and metrics["accuracy"] == 100.0, lang
        assert metrics["extraction_failures"] == 0
    assert summary["groups"]["resource_levels"]["Avg"] == 100.0
    assert summary["groups"]["resource_levels"]["LR"] == 100.0  # bn sw te th
    # the strict pass sees the marker forms (5 of 6 styles), never more than the flexible one
    assert all(66.0 <= m["strict_accuracy"] < 100.0 for m in summary["languages"].values())
    assert max(backend.batch_sizes) == 16 and sum(backend.batch_sizes) == 250 * 11


def test_silent_generator_scores_zero_and_counts_failures(shared_data: Path, tmp_path: Path):
    backend = ScriptedBackend(
        _answer_table(shared_data, limit=20), lambda lang, gold, i: "I cannot solve this."
    )
    summary = evaluate(
        backend,
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages=list(MGSM),
        limit=20,
        out_dir=tmp_path,
        progress=False,
        plots=False,
    )
    for metrics in summary["languages"].values():
        assert metrics["accuracy"] == 0.0 and metrics["extraction_failures"] == 20
    # an English reply is off-target for every language but English
    assert summary["languages"]["bn"]["off_target_rate"] == 100.0
    assert summary["languages"]["de"]["off_target_rate"] == 100.0
    assert summary["languages"]["en"]["off_target_rate"] == 0.0


def test_predictions_per_language_resume_and_reports(shared_data: Path, tmp_path: Path):
    table = _answer_table(shared_data, limit=10)
    first = ScriptedBackend(table, gold_response)
    evaluate(
        first,
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn,sw",
        limit=10,
        batch_size=4,
        out_dir=tmp_path,
        progress=False,
    )
    pred = tmp_path / "predictions" / "mgsm"
    records = [json.loads(line) for line in (pred / "bn.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [
        f"mgsm-bn-{i}" for i in range(10)
    ]  # input order despite length sorting
    assert all(r["correct"] and r["response"] for r in records)
    # a complete re-run generates nothing
    again = ScriptedBackend(table, gold_response)
    summary = evaluate(
        again,
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn,sw",
        limit=10,
        out_dir=tmp_path,
        progress=False,
    )
    assert again.calls == 0 and summary["languages"]["sw"]["accuracy"] == 100.0
    # an interrupted language resumes from its partial file: only the missing examples are generated
    (pred / "sw.jsonl").unlink()
    done = load_benchmark("mgsm", "sw", shared_data / "mgsm", limit=10)[:6]
    lines = [
        json.dumps(
            {
                "id": ex.id,
                "language": "sw",
                "question": ex.question,
                "gold": ex.answer,
                "gold_text": ex.answer_text,
                "response": f"Jibu ni {int(ex.answer)}.",
            }
        )
        for ex in done
    ]
    (pred / "sw.partial.jsonl").write_text("\n".join(lines) + '\n{"id": "torn', encoding="utf-8")
    resumed = ScriptedBackend(table, gold_response)
    summary = evaluate(
        resumed,
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn,sw",
        limit=10,
        out_dir=tmp_path,
        progress=False,
    )
    assert sum(resumed.batch_sizes) == 4 and summary["languages"]["sw"]["accuracy"] == 100.0
    assert not (pred / "sw.partial.jsonl").exists() and (pred / "sw.jsonl").is_file()
    # reports
    saved = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert saved["benchmarks"]["mgsm"]["languages"]["bn"]["accuracy"] == 100.0
    table_md = (tmp_path / "mgsm.md").read_text(encoding="utf-8")
    assert (
        "| Model | bn | sw | LR | Avg |" in table_md
        and "| scripted | 100.0 | 100.0 | 100.0 | 100.0 |" in table_md
    )
    png = (tmp_path / "mgsm_accuracy.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def test_changed_settings_refuse_to_mix_predictions(shared_data: Path, tmp_path: Path):
    table = _answer_table(shared_data, limit=3)
    evaluate(
        ScriptedBackend(table, gold_response),
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn",
        limit=3,
        out_dir=tmp_path,
        progress=False,
        plots=False,
    )
    with pytest.raises(ConfigError, match="max_new_tokens: 256 -> 32.*--overwrite"):
        evaluate(
            ScriptedBackend(table, gold_response),
            "mgsm",
            data_dir=shared_data / "mgsm",
            languages="bn",
            limit=3,
            out_dir=tmp_path,
            max_new_tokens=32,
            progress=False,
            plots=False,
        )
    summary = evaluate(
        ScriptedBackend(table, lambda *a: "no idea"),
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn",
        limit=3,
        out_dir=tmp_path,
        max_new_tokens=32,
        overwrite=True,
        progress=False,
        plots=False,
    )
    assert summary["languages"]["bn"]["accuracy"] == 0.0


def test_classification_by_option_scores(shared_data: Path, tmp_path: Path):
    examples = {lang: load_benchmark("xnli", lang, shared_data / "xnli", limit=30) for lang in ("th", "sw")}
    table = {ex.question: (lang, ex.label) for lang, exs in examples.items() for ex in exs}
    summary = evaluate(
        ScriptedBackend(table, None),
        "xnli",
        data_dir=shared_data / "xnli",
        languages="th,sw",
        limit=30,
        out_dir=tmp_path,
        progress=False,
        plots=False,
    )
    assert summary["languages"]["th"] == {"n": 30, "accuracy": 100.0}
    always_first = {q: (lang, 0) for q, (lang, _) in table.items()}
    summary = evaluate(
        ScriptedBackend(always_first, None),
        "xnli",
        data_dir=shared_data / "xnli",
        languages="th",
        limit=30,
        out_dir=None,
        progress=False,
    )
    expected = 100.0 * sum(ex.label == 0 for ex in examples["th"]) / 30
    assert summary["languages"]["th"]["accuracy"] == pytest.approx(expected, abs=0.01)
    assert summary["split"] == "dev"  # the XTREME test files carry no labels: dev, and the summary says so


def test_xnli_from_the_hub_records_the_test_split_and_the_papers_groups(tmp_path: Path, monkeypatch):
    from lingualift.evaluation import benchmarks

    calls = []

    def fake_hub_dataset(repo, config, split):
        calls.append((repo, config, split))
        return [{"premise": f"{config} p{i}", "hypothesis": f"h{i}", "label": i % 3} for i in range(6)]

    monkeypatch.setattr(benchmarks, "_hub_dataset", fake_hub_dataset)
    langs = ("el", "sw", "tr", "en")
    table = {}
    for lang in langs:
        for ex in load_benchmark("xnli", lang, None):
            # el, sw, tr right on every item; en always answers entailment: right on 2 of its 6 items
            table[ex.question] = (lang, ex.label if lang != "en" else 0)
    calls.clear()
    summary = evaluate(
        ScriptedBackend(table, None),
        "xnli",
        data_dir=None,
        languages=",".join(langs),
        out_dir=tmp_path,
        plots=False,
    )
    assert {split for _, _, split in calls} == {"test"} and len(calls) == 4
    assert summary["split"] == "test"
    assert json.loads((tmp_path / "predictions" / "xnli" / "run.json").read_text())["split"] == "test"
    assert summary["languages"]["en"]["accuracy"] == pytest.approx(100 * 2 / 6, abs=0.01)  # 33.33
    # el, sw, tr: the paper's XNLI low group (el/tr have no MMWP level); en: high
    assert summary["groups"]["resource_levels"] == {"LR": 100.0, "HR": 33.33, "Avg": 83.33}
    assert summary["groups"]["group_members"] == {"LR": ["el", "sw", "tr"], "HR": ["en"]}
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "of `scripted` on the test split." in report and "| LR | HR | Avg |" in report


def test_bad_inputs_fail_before_any_model_is_loaded(shared_data: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown benchmark"):
        evaluate("no-such-model", "gsm9k", data_dir=shared_data / "mgsm", out_dir=None)
    with pytest.raises(ConfigError, match="unknown language code 'xx'"):
        evaluate("no-such-model", "mgsm", data_dir=shared_data / "mgsm", languages="bn,xx", out_dir=None)
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 1, got 0"):
        evaluate("no-such-model", "mgsm", data_dir=shared_data / "mgsm", batch_size=0, out_dir=None)
    with pytest.raises(ConfigError, match="limit must be an integer >= 1"):
        evaluate("no-such-model", "mgsm", data_dir=shared_data / "mgsm", limit=-3, out_dir=None)
    with pytest.raises(
        ConfigError, match="unknown EvaluationOptions setting 'batchsize'; did you mean batch_size"
    ):
        evaluate("no-such-model", "mgsm", data_dir=shared_data / "mgsm", batchsize=4)
    with pytest.raises(ConfigError, match="options must be a EvaluationOptions, got PosixPath"):
        evaluate("no-such-model", "mgsm", shared_data / "mgsm")


def test_options_object_and_keyword_settings_give_the_same_run(shared_data: Path, tmp_path: Path):
    """One EvaluationOptions shared by runs, keyword settings overriding single fields, equals passing every
    setting by keyword."""
    table = _answer_table(shared_data, limit=6)
    options = EvaluationOptions(data_dir=shared_data / "mgsm", languages="bn,sw", limit=4, out_dir=None)
    by_options = evaluate(ScriptedBackend(table, gold_response), "mgsm", options, limit=6, progress=False)
    by_keywords = evaluate(
        ScriptedBackend(table, gold_response),
        "mgsm",
        data_dir=shared_data / "mgsm",
        languages="bn,sw",
        limit=6,
        out_dir=None,
        progress=False,
    )
    assert options.limit == 4  # the shared object is not changed by the override
    assert by_options["languages"] == by_keywords["languages"]
    assert by_options["languages"]["bn"]["n"] == 6 and by_options["languages"]["bn"]["accuracy"] == 100.0

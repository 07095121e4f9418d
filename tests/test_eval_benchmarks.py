"""Benchmark loaders on the real files and on small files in the public formats; language metadata; bad
inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lingualift.errors import ConfigError, InputDataError
from lingualift.evaluation import benchmarks
from lingualift.evaluation.benchmarks import (
    BENCHMARKS,
    get_benchmark,
    load_benchmark,
    load_tatoeba_pairs,
    resolve_languages,
    resolve_split,
)
from lingualift.languages import LANGUAGES, MMWP_LANGUAGES, get_language, languages_at_level


def test_language_metadata_matches_the_paper_levels():
    assert len(MMWP_LANGUAGES) == 48
    assert languages_at_level("LR") == (
        "af",
        "ar",
        "be",
        "bn",
        "eu",
        "gu",
        "ha",
        "hi",
        "hy",
        "is",
        "kn",
        "lb",
        "mk",
        "ml",
        "mr",
        "ne",
        "sk",
        "sw",
        "ta",
        "te",
        "th",
    )
    assert set(languages_at_level("MR")) == {
        "bg",
        "ca",
        "cs",
        "da",
        "fi",
        "hr",
        "hu",
        "id",
        "ko",
        "nb",
        "pl",
        "pt",
        "ro",
        "sl",
        "sr",
        "uk",
        "vi",
    }
    assert set(languages_at_level("HR")) == {"de", "en", "es", "fr", "it", "ja", "nl", "ru", "sv", "zh"}
    for code in MMWP_LANGUAGES:
        lang = LANGUAGES[code]
        assert lang.name and lang.family and lang.script and lang.resource_level in ("LR", "MR", "HR")
    assert (get_language("bn").script, get_language("th").family, get_language("eu").family) == (
        "Bengali",
        "Kra-Dai",
        "Language isolate",
    )
    with pytest.raises(ConfigError, match="unknown language code 'xx'"):
        get_language("xx")


def test_benchmark_language_sets():
    assert len(BENCHMARKS["mgsm"].languages) == 11 and len(BENCHMARKS["msvamp"].languages) == 10
    assert len(BENCHMARKS["xnli"].languages) == 15 and len(BENCHMARKS["xcsqa"].languages) == 16
    assert len(BENCHMARKS["mmwp"].languages) == 48
    assert get_benchmark("X-CSQA").name == "xcsqa"
    with pytest.raises(ConfigError, match="unknown benchmark 'gsm9k'.*mgsm"):
        get_benchmark("gsm9k")
    with pytest.raises(ConfigError, match="language 'ko' is not in this benchmark"):
        resolve_languages(BENCHMARKS["mgsm"], "bn,ko")
    assert resolve_languages(BENCHMARKS["mgsm"], "bn, sw,bn") == ["bn", "sw"]


def test_real_mgsm_msvamp_xnli_tatoeba(shared_data: Path):
    for lang in BENCHMARKS["mgsm"].languages:
        examples = load_benchmark("mgsm", lang, shared_data / "mgsm")
        assert len(examples) == 250 and all(ex.answer is not None for ex in examples)
    assert load_benchmark("mgsm", "zh", shared_data / "mgsm")[0].answer == 18.0
    assert any(
        ex.answer_text == "2,125" and ex.answer == 2125.0
        for ex in load_benchmark("mgsm", "en", shared_data / "mgsm")
    )
    for lang in BENCHMARKS["msvamp"].languages:
        examples = load_benchmark("msvamp", lang, shared_data / "msvamp", limit=5)
        assert len(examples) == 5
    bn = load_benchmark("msvamp", "bn", shared_data / "msvamp")
    assert len(bn) == 1000 and bn[0].answer == 8.0 and "১৮" in bn[0].question
    xnli = load_benchmark("xnli", "th", shared_data / "xnli")
    assert len(xnli) == 2490 and [ex.label for ex in xnli[:3]] == [
        1,
        2,
        0,
    ]  # neutral, contradiction, entailment
    assert not xnli[0].fields["hypothesis"].endswith("\r")
    source, english = load_tatoeba_pairs(shared_data / "tatoeba", "bn", limit=10)
    assert len(source) == len(english) == 10 and english[0] == "Is anybody home?"


def test_xnli_test_split_without_labels_is_a_clear_error(shared_data: Path):
    assert resolve_split("xnli", None, shared_data / "xnli", ["en", "sw"]) == "dev"  # XTREME: unlabelled test
    with pytest.raises(
        InputDataError,
        match=r"test-en.tsv:1: expected 3 tab-separated columns.*carry no labels.*split 'dev'.*facebook/xnli",
    ):
        load_benchmark("xnli", "en", shared_data / "xnli", split="test")


def _xnli_rows(n: int, lang: str) -> list[tuple[str, str, str]]:
    labels = ("entailment", "neutral", "contradiction")
    return [(f"{lang} premise {i}", f"{lang} hypothesis {i}", labels[i % 3]) for i in range(n)]


def test_xnli_hub_reads_the_labelled_test_split(monkeypatch):
    """The paper's 75,150 XNLI examples are 15 x 5,010, the test split: the Hub loader's default."""
    calls = []

    def fake_hub_dataset(repo, config, split):
        calls.append((repo, config, split))
        labels = {"test": 0, "validation": 2}[split]
        return [{"premise": f"p{i}", "hypothesis": f"h{i}", "label": labels} for i in range(4)]

    monkeypatch.setattr(benchmarks, "_hub_dataset", fake_hub_dataset)
    assert BENCHMARKS["xnli"].default_split == "test" and resolve_split("xnli", None) == "test"
    test = load_benchmark("xnli", "sw", None)
    assert calls == [("facebook/xnli", "sw", "test")] and [ex.label for ex in test] == [0] * 4
    dev = load_benchmark("xnli", "sw", None, split="dev")
    assert calls[-1] == ("facebook/xnli", "sw", "validation") and dev[0].answer_text == "contradiction"


def test_xnli_local_default_split_follows_the_test_labels(tmp_path: Path):
    def write(name: str, rows, labelled: bool = True) -> None:
        lines = ["\t".join(row if labelled else row[:2]) for row in rows]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    write("dev-sw.tsv", _xnli_rows(3, "sw-dev"))
    write("test-sw.tsv", _xnli_rows(5, "sw-test"), labelled=False)  # XTREME: premise, hypothesis only
    assert resolve_split("xnli", None, tmp_path, ["sw"]) == "dev"
    assert [ex.fields["premise"] for ex in load_benchmark("xnli", "sw", tmp_path)] == [
        f"sw-dev premise {i}" for i in range(3)
    ]
    with pytest.raises(InputDataError, match=r"test-sw.tsv:1: .*got 2 .*carry no labels.*facebook/xnli"):
        load_benchmark("xnli", "sw", tmp_path, split="test")
    write("test-sw.tsv", _xnli_rows(5, "sw-test"))  # a labelled test file: the paper's split by default
    assert resolve_split("xnli", None, tmp_path, ["sw"]) == "test"
    test = load_benchmark("xnli", "sw", tmp_path)
    assert len(test) == 5 and [ex.label for ex in test] == [0, 1, 2, 0, 1]
    assert resolve_split("xnli", "dev", tmp_path, ["sw"]) == "dev"  # an explicit split wins
    # one language without labelled test data: the whole run reads dev, so every language uses one split
    write("dev-de.tsv", _xnli_rows(3, "de-dev"))
    assert resolve_split("xnli", None, tmp_path, ["sw", "de"]) == "dev"
    write("test-de.tsv", _xnli_rows(2, "de-test"), labelled=False)
    assert resolve_split("xnli", None, tmp_path, ["sw", "de"]) == "dev"
    assert resolve_split("xnli", None, tmp_path, ["sw"]) == "test"


def _xcsqa_record(i: int, key: str = "B") -> dict:
    return {
        "id": f"q{i}",
        "lang": "de",
        "question": {
            "stem": f"Frage {i}?",
            "choices": [{"label": lab, "text": f"Antwort {lab}"} for lab in "ABCDE"],
        },
        "answerKey": key,
    }


def test_xcsqa_public_layout(tmp_path: Path):
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "dev.jsonl").write_text(
        "\n".join(json.dumps(_xcsqa_record(i)) for i in range(3)) + "\n"
    )
    examples = load_benchmark("xcsqa", "de", tmp_path)
    assert len(examples) == 3 and examples[0].choices == tuple("ABCDE") and examples[0].label == 1
    assert examples[0].question.startswith("Frage 0?\nA. Antwort A")
    bad = _xcsqa_record(0, key="Z")
    (tmp_path / "de" / "dev.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(
        InputDataError, match=r"record 1: field 'answerKey' must be one of A, B, C, D, E, got 'Z'"
    ):
        load_benchmark("xcsqa", "de", tmp_path)
    (tmp_path / "de" / "dev.jsonl").write_text('{"question": {"stem": "x"}, "answerKey": "A"}\n')
    with pytest.raises(InputDataError, match="field 'question' must be an object with 'stem' and 'choices'"):
        load_benchmark("xcsqa", "de", tmp_path)


def test_mmwp_generic_layouts(tmp_path: Path):
    (tmp_path / "af.jsonl").write_text(json.dumps({"question": "Hoeveel is 2 + 2?", "answer": "4"}) + "\n")
    (tmp_path / "mmwp_ne.tsv").write_text("२ + २ कति हो?\t४\n")
    assert load_benchmark("mmwp", "af", tmp_path)[0].answer == 4.0
    assert load_benchmark("mmwp", "ne", tmp_path)[0].answer == 4.0  # native digits in the gold answer
    with pytest.raises(InputDataError, match="mmwp: no data file for language 'is'"):
        load_benchmark("mmwp", "is", tmp_path)
    with pytest.raises(ConfigError, match="no public source"):
        load_benchmark("mmwp", "af", None)


def test_missing_and_malformed_files(tmp_path: Path):
    with pytest.raises(InputDataError, match="data directory not found"):
        load_benchmark("mgsm", "bn", tmp_path / "nope")
    with pytest.raises(InputDataError, match=r"mgsm: data file not found: .*mgsm_bn.tsv"):
        load_benchmark("mgsm", "bn", tmp_path)
    (tmp_path / "mgsm_bn.tsv").write_text("a question\t18\nno tab here\n")
    with pytest.raises(InputDataError, match=r"mgsm_bn.tsv:2: expected 2 tab-separated columns"):
        load_benchmark("mgsm", "bn", tmp_path)
    (tmp_path / "mgsm_bn.tsv").write_text("a question\teighteen\n")
    with pytest.raises(InputDataError, match=r"mgsm_bn.tsv:1: expected one number, got 'eighteen'"):
        load_benchmark("mgsm", "bn", tmp_path)
    (tmp_path / "test_Bengali.json").write_text('{"m_query": "q"}\n')
    with pytest.raises(InputDataError, match=r"test_Bengali.json:1: missing field 'response'"):
        load_benchmark("msvamp", "bn", tmp_path)
    (tmp_path / "dev-de.tsv").write_text("p\th\tmaybe\n")
    with pytest.raises(
        InputDataError, match=r"dev-de.tsv:1: label must be one of entailment, neutral, contradiction"
    ):
        load_benchmark("xnli", "de", tmp_path)
    (tmp_path / "tatoeba.deu-eng.deu").write_text("a\nb\n")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("a\n")
    with pytest.raises(InputDataError, match="has 2 lines but .* has 1"):
        load_tatoeba_pairs(tmp_path, "de")

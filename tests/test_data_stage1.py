"""Stage-1 dataset builder and ``lingualift codeswitch`` CLI with the real spaCy pipeline."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from lingualift.cli import main
from lingualift.codeswitch import CodeSwitcher, load_english_pipeline
from lingualift.data import Stage1Options, build_stage1_dataset
from lingualift.errors import ConfigError, InputDataError

pytestmark = pytest.mark.slow

LEXICON = (
    "apple\tpomme\t0.9\napple\tpommier\t0.2\nbuy\tacheter\t0.8\nfriend\tami\t0.7\nclip\tagrafe\t0.5\n"
    "sell\tvendre\t0.6\nhour\theure\t0.6\nearn\tgagner\t0.5\nmoney\targent\t0.9\nwallet\tportefeuille\t0.9\n"
)


@pytest.fixture(scope="module")
def nlp():
    return load_english_pipeline()


@pytest.fixture()
def lexicon_files(tmp_path):
    fr = tmp_path / "en-fr.tsv"
    fr.write_text(LEXICON, encoding="utf-8")
    sw = tmp_path / "swahili.tsv"
    sw.write_text(LEXICON.replace("pomme", "tufaha").replace("argent", "pesa"), encoding="utf-8")
    return fr, sw


def test_balanced_languages_and_record_fields(nlp, lexicon_files):
    fr, sw = lexicon_files
    sentences = [f"I buy {n} apples with my money." for n in range(2, 12)]
    switcher = CodeSwitcher({"fr": fr, "sw": sw}, ratio=1.0, nlp=nlp)
    summary = build_stage1_dataset(sentences, switcher=switcher)
    rows = summary.rows
    assert Counter(r["lang"] for r in rows) == {"fr": 5, "sw": 5}
    assert [r["output"] for r in rows] == sentences  # sentence order kept
    for row in rows:
        assert set(row) == {"id", "instruction", "input", "output", "lang", "replaced"}
        name = {"fr": "French", "sw": "Swahili"}[row["lang"]]
        assert row["instruction"] == f"Translate the following {name} text into English:"
        assert ("pomme" if row["lang"] == "fr" else "tufaha") in row["input"]
    every = build_stage1_dataset(sentences, switcher=switcher, assign="all")
    assert Counter(r["lang"] for r in every.rows) == {"fr": 10, "sw": 10}


def test_unswitched_sentences_and_mix_in(nlp, lexicon_files, tmp_path):
    fr, _ = lexicon_files
    sentences = ["I buy apples.", "Nothing here is covered.", "They earn money."] * 10
    switcher = CodeSwitcher({"fr": fr}, ratio=1.0, nlp=nlp)
    dropped = build_stage1_dataset(sentences, switcher=switcher)
    assert dropped.records == 20 and dropped.unswitched_dropped == 10
    kept = build_stage1_dataset(sentences, switcher=switcher, keep_unswitched=True)
    assert kept.records == 30
    mix = tmp_path / "mix.jsonl"
    mix.write_text(
        "".join(
            json.dumps({"instruction": "Solve.", "input": f"q{i}", "output": f"a{i}", "lang": "fr"}) + "\n"
            for i in range(40)
        )
    )
    mixed = build_stage1_dataset(sentences, switcher=switcher, mix_in=mix, mix_in_fraction=0.2)
    assert mixed.mixed_in == 5 and mixed.records == 25  # 5 / 25 = 0.2
    assert [r["output"] for r in mixed.rows if r["replaced"]] == [r["output"] for r in dropped.rows]
    with pytest.raises(ConfigError, match="needs 80 mix-in records but .*holds only 40"):
        build_stage1_dataset(sentences, switcher=switcher, mix_in=mix, mix_in_fraction=0.8)
    mix.write_text(json.dumps({"instruction": "x", "input": 3, "output": "y"}) + "\n")
    with pytest.raises(InputDataError, match=r"mix\.jsonl:1: mix-in record needs a string field 'input'"):
        build_stage1_dataset(sentences, switcher=switcher, mix_in=mix)


def test_bad_corpus_inputs(nlp, lexicon_files, tmp_path):
    fr, _ = lexicon_files
    switcher = CodeSwitcher({"fr": fr}, nlp=nlp)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(InputDataError, match=r"empty\.txt: no sentences"):
        build_stage1_dataset(empty, switcher=switcher)
    binary = tmp_path / "corpus.txt"
    binary.write_bytes(b"I buy apples.\nI sell \xe9 apples.\n")
    with pytest.raises(InputDataError, match=r"corpus\.txt:2: not valid UTF-8 \(byte 0xe9 at column 8\)"):
        build_stage1_dataset(binary, switcher=switcher)
    jsonl = tmp_path / "corpus.jsonl"
    jsonl.write_text('{"question": "I buy apples."}\n')
    with pytest.raises(
        InputDataError, match=r"corpus\.jsonl:1: missing field 'text'; the record has: question"
    ):
        build_stage1_dataset(jsonl, switcher=switcher)
    assert build_stage1_dataset(jsonl, switcher=switcher, field="question").records == 1
    with pytest.raises(ConfigError, match="no English name known for language code 'xx'"):
        build_stage1_dataset(["I buy apples."], {"xx": {"apple": "a"}}, nlp=nlp)
    named = build_stage1_dataset(
        ["I buy apples."], {"xx": {"apple": "a"}}, nlp=nlp, language_names={"xx": "Klingon"}
    )
    assert named.rows[0]["instruction"] == "Translate the following Klingon text into English:"


def test_options_object_equals_keyword_settings_and_bad_settings_are_named(nlp, lexicon_files, tmp_path):
    """A Stage1Options shared by builds, keyword settings overriding fields, equals all-keyword settings; the
    CodeSwitcher's own arguments (ratio, seed, nlp) go to the switcher built from the lexicons."""
    fr, sw = lexicon_files
    sentences = [f"I buy {n} apples with my money." for n in range(2, 12)] + ["Hi.", "I buy apples."]
    options = Stage1Options(min_words=3, dedupe=True, assign="all")
    by_options = build_stage1_dataset(
        sentences, {"fr": fr, "sw": sw}, None, options, ratio=1.0, nlp=nlp, limit=4
    )
    by_keywords = build_stage1_dataset(
        sentences, {"fr": fr, "sw": sw}, ratio=1.0, nlp=nlp, min_words=3, dedupe=True, assign="all", limit=4
    )
    assert by_options.rows == by_keywords.rows and len(by_options.rows) == 8  # 4 sentences x 2 languages
    assert options.limit is None  # the shared object is unchanged
    out = tmp_path / "stage1.jsonl"
    with pytest.raises(ConfigError, match="unknown build_stage1_dataset setting 'ratoi'; did you mean ratio"):
        build_stage1_dataset(sentences, {"fr": fr}, out, ratoi=0.5, nlp=nlp)
    with pytest.raises(ConfigError, match="assign must be one of all, balanced, got 'every'"):
        build_stage1_dataset(sentences, {"fr": fr}, out, assign="every", nlp=nlp)
    with pytest.raises(ConfigError, match="limit must be an integer >= 1, got 0"):
        Stage1Options(limit=0)
    with pytest.raises(ConfigError, match="mix_in_fraction given without mix_in data"):
        Stage1Options(mix_in_fraction=0.5)
    with pytest.raises(ConfigError, match="options must be a Stage1Options, got dict"):
        build_stage1_dataset(sentences, {"fr": fr}, out, {"limit": 3}, nlp=nlp)
    assert not out.exists()


def test_cli_codeswitch_end_to_end(lexicon_files, shared_data, tmp_path, capsys):
    fr, sw = lexicon_files
    out = tmp_path / "stage1.jsonl"
    stats = tmp_path / "stats.json"
    code = main(
        [
            "codeswitch",
            "--lexicon",
            str(fr),
            "--lexicon",
            f"sw={sw}",
            "--input",
            str(shared_data / "gsm8k" / "test.jsonl"),
            "--field",
            "question",
            "--limit",
            "40",
            "--ratio",
            "0.8",
            "--pos",
            "noun,verb",
            "--seed",
            "0",
            "--out",
            str(out),
            "--stats-json",
            str(stats),
            "--no-progress",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    saved = json.loads(stats.read_text())
    assert saved["records"] == len(records) > 0 and set(saved["switching"]["languages"]) == {"fr", "sw"}
    assert {rep["pos"] for r in records for rep in r["replaced"]} <= {"noun", "verb"}
    assert "not_in_lexicon" in printed and "share" in printed
    for bad_args, message in (
        (["--ratio", "1.5"], r"ratio must be a number in \[0, 1\]"),
        (["--pos", "noun+adjective"], "unknown POS group"),
    ):
        assert (
            main(
                [
                    "codeswitch",
                    "--lexicon",
                    str(fr),
                    "--input",
                    str(out),
                    "--out",
                    str(tmp_path / "x.jsonl"),
                    *bad_args,
                ]
            )
            == 1
        )
        assert message.split("\\")[0] in capsys.readouterr().err
    malformed = tmp_path / "en-de.tsv"
    malformed.write_text("apple\tApfel\t0.9\nbroken line\n")
    assert (
        main(
            [
                "codeswitch",
                "--lexicon",
                str(malformed),
                "--input",
                str(out),
                "--out",
                str(tmp_path / "y.jsonl"),
            ]
        )
        == 1
    )
    assert "en-de.tsv:2: expected 'source<TAB>target<TAB>score'" in capsys.readouterr().err


def test_corpus_filters_run_before_the_sentence_budget(nlp, lexicon_files):
    """Length filters and deduplication drop sentences (counted by reason); --limit then takes the first N
    that pass."""
    fr, _ = lexicon_files
    corpus = [
        "I buy apples.",  # too short for min_words=4
        "I  buy apples with my money.",
        "i buy apples with MY money.",  # a duplicate after whitespace and case normalisation
        "They earn money and buy apples with it every single hour of the day.",  # too long for max_words=10
        "My friend sells apples for money.",
        "We buy a wallet with money.",
    ]
    switcher = CodeSwitcher({"fr": fr}, ratio=1.0, nlp=nlp)
    summary = build_stage1_dataset(corpus, switcher=switcher, min_words=4, max_words=10, dedupe=True)
    assert [r["output"] for r in summary.rows] == [
        "I buy apples with my money.",
        "My friend sells apples for money.",
        "We buy a wallet with money.",
    ]
    assert summary.filtered == {"too_short": 1, "too_long": 1, "duplicate": 1}
    assert summary.to_dict()["filtered"] == summary.filtered
    budget = build_stage1_dataset(corpus, switcher=switcher, min_words=4, dedupe=True, limit=2)
    assert [r["output"] for r in budget.rows] == ["I buy apples with my money.", corpus[3]]
    unfiltered = build_stage1_dataset(corpus, switcher=switcher, keep_unswitched=True)
    assert [r["output"] for r in unfiltered.rows] == corpus  # no filter: sentences untouched
    with pytest.raises(ConfigError, match="min_words=5, max_words=3"):
        build_stage1_dataset(corpus, switcher=switcher, min_words=5, max_words=3)


def test_stage1_corpus_from_a_hub_dataset_offline(lexicon_files, tmp_path, monkeypatch, capsys):
    """``--input org/name:split`` reads a Hub dataset's Parquet files (local Hub cache, offline), with filters
    and the statistics of what they dropped."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from hub_cache import put_in_hub_cache
    from huggingface_hub import constants

    fr, _ = lexicon_files
    data = tmp_path / "corpus" / "data"
    data.mkdir(parents=True)
    rows = [{"sentence": f"I buy {n} apples with my money."} for n in range(2, 8)]
    pq.write_table(pa.Table.from_pylist(rows + rows[:2]), data / "train-00000-of-00001.parquet")
    pq.write_table(
        pa.Table.from_pylist([{"sentence": "Not this split."}]), data / "test-00000-of-00001.parquet"
    )
    cache = tmp_path / "hub"
    put_in_hub_cache(cache, "someone/english-corpus", data.parent, repo_type="dataset")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    out = tmp_path / "stage1.jsonl"
    argv = ["data", "stage1", "--lexicon", f"fr={fr}", "--input", "someone/english-corpus:train"]
    argv += ["--field", "sentence", "--dedupe", "--out", str(out), "--no-progress", "--stats-json"]
    assert main([*argv, str(tmp_path / "stats.json")]) == 0
    printed = capsys.readouterr().out
    assert "corpus filters dropped: 2 duplicate" in printed
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["output"] for r in records] == [r["sentence"] for r in rows]
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["filtered"] == {"too_short": 0, "too_long": 0, "duplicate": 2} and stats["sentences"] == 6


def test_an_interrupted_build_resumes_to_the_uninterrupted_output(nlp, lexicon_files, tmp_path, monkeypatch):
    """resume=True: a build killed mid-way continues from OUT.partial at its last progress record and ends
    byte-identical to a build that never stopped; changed settings or a damaged partial file are refused."""
    from lingualift.data import stage1 as stage1_module

    monkeypatch.setattr(stage1_module, "RESUME_EVERY", 3)
    fr, sw = lexicon_files
    corpus = [f"I buy {n} apples with my money." for n in range(2, 22)] + ["They earn money."] * 3
    switcher = CodeSwitcher({"fr": fr, "sw": sw}, ratio=1.0, nlp=nlp, batch_size=2)
    reference = tmp_path / "reference.jsonl"
    full = build_stage1_dataset(corpus, switcher=switcher, out=reference, dedupe=True)

    def dies_after(count: int):
        for number, sentence in enumerate(corpus):
            if number == count:
                raise KeyboardInterrupt
            yield sentence

    out = tmp_path / "stage1.jsonl"
    with pytest.raises(KeyboardInterrupt):
        build_stage1_dataset(dies_after(11), switcher=switcher, out=out, dedupe=True, resume=True)
    partial, progress = tmp_path / "stage1.jsonl.partial", tmp_path / "stage1.jsonl.partial.json"
    assert not out.exists() and partial.is_file()
    done = json.loads(progress.read_text(encoding="utf-8"))["sentences"]
    assert 0 < done < 20 and done % 3 == 0
    other = CodeSwitcher({"fr": fr, "sw": sw}, ratio=0.5, nlp=nlp, batch_size=2)
    with pytest.raises(ConfigError, match="other settings or inputs \\(switcher\\)"):
        build_stage1_dataset(corpus, switcher=other, out=out, dedupe=True, resume=True)
    resumed = build_stage1_dataset(corpus, switcher=switcher, out=out, dedupe=True, resume=True)
    assert out.read_bytes() == reference.read_bytes()
    assert not partial.exists() and not progress.exists()
    assert (resumed.sentences, resumed.records) == (full.sentences, full.records)
    assert resumed.stats.to_dict() == full.stats.to_dict() and resumed.filtered == full.filtered
    # a partial file shorter than its progress record says is damaged: refused, never silently continued
    out.unlink()
    with pytest.raises(KeyboardInterrupt):
        build_stage1_dataset(dies_after(11), switcher=switcher, out=out, dedupe=True, resume=True)
    partial.write_bytes(partial.read_bytes()[:10])
    with pytest.raises(InputDataError, match="shorter than the"):
        build_stage1_dataset(corpus, switcher=switcher, out=out, dedupe=True, resume=True)

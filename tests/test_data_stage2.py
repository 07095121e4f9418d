"""Stage-2 task builders on real GSM8K / XNLI files and the public MetaMathQA / multiple-choice layouts."""

from __future__ import annotations

import json
import re

import pytest

from lingualift.cli import main
from lingualift.data import MATH_INSTRUCTION, NLI_INSTRUCTION, build_stage2_dataset
from lingualift.data.prompts import MCQA_INSTRUCTION
from lingualift.errors import ConfigError, InputDataError, OutputError


def test_gsm8k_answers_become_cot_with_the_answer_is(shared_data):
    path = shared_data / "gsm8k" / "train.jsonl"
    summary = build_stage2_dataset("gsm8k", path, limit=200)
    rows = summary.rows
    assert len(rows) == 200 and summary.records == {"en": 200}
    with open(path, encoding="utf-8") as handle:
        originals = [json.loads(line) for _, line in zip(range(200), handle)]
    from lingualift.evaluation.answers import extract_answer

    for row, original in zip(rows, originals):
        gold = original["answer"].split("####")[-1].strip().replace(",", "")
        assert row["instruction"] == MATH_INSTRUCTION and row["input"] == original["question"]
        assert row["output"].endswith(f"\nThe answer is {gold}.")
        assert "<<" not in row["output"] and "####" not in row["output"]
        extracted = extract_answer(row["output"])
        assert extracted.value == float(gold) and extracted.method == "strict"
    assert rows[0]["output"] == (
        "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n"
        "The answer is 72."
    )


def test_metamathqa_response_is_normalised():
    records = [
        {"query": "What is 2+3?", "response": "2+3 equals 5.\nThe answer is: 5", "type": "GSM_Rephrased"},
        {
            "query": "Simplify 2/4.",
            "response": "We divide by 2.\nThe answer is: \\frac{1}{2}",
            "type": "MATH_AnsAug",
        },
    ]
    rows = build_stage2_dataset("metamathqa", records).rows
    assert rows[0]["output"] == "2+3 equals 5.\nThe answer is 5."
    assert rows[1]["output"] == "We divide by 2.\nThe answer is \\frac{1}{2}."
    with pytest.raises(
        InputDataError, match=r"record 1: field 'response' must end with 'The answer is: <answer>'"
    ):
        build_stage2_dataset("metamathqa", [{"query": "q", "response": "no marker"}])


def test_nli_from_xtreme_tsv_hf_ints_and_mnli_jsonl(shared_data, tmp_path):
    tsv = shared_data / "xnli" / "dev-en.tsv"
    rows = build_stage2_dataset("xnli", tsv, limit=3).rows
    assert [r["output"] for r in rows] == ["neutral", "contradiction", "entailment"]
    assert rows[0]["instruction"] == NLI_INSTRUCTION
    assert rows[0]["input"] == (
        "Premise: And he said, Mama, I'm home.\n"
        "Hypothesis: He called his mom as soon as the school bus dropped him off."
    )
    hf = [{"premise": "p", "hypothesis": "h", "label": lab} for lab in (0, 1, 2, -1)]
    summary = build_stage2_dataset("mnli", hf)
    assert [r["output"] for r in summary.rows] == ["entailment", "neutral", "contradiction"]
    assert summary.skipped == {"en": 1}
    mnli = tmp_path / "mnli.jsonl"
    mnli.write_text(
        json.dumps({"sentence1": "a", "sentence2": "b", "gold_label": "-"})
        + "\n"
        + json.dumps({"sentence1": "a", "sentence2": "b", "gold_label": "contradiction"})
        + "\n"
    )
    assert [r["output"] for r in build_stage2_dataset("multinli", mnli).rows] == ["contradiction"]
    with pytest.raises(InputDataError, match=r"record 1: field 'label' must be one of entailment, neutral"):
        build_stage2_dataset("nli", [{"premise": "p", "hypothesis": "h", "label": "maybe"}])
    bad = tmp_path / "bad.tsv"
    bad.write_text("premise only\tno label\n")
    with pytest.raises(InputDataError, match=r"bad\.tsv:1: expected 3 tab-separated columns"):
        build_stage2_dataset("xnli", bad)


def test_multiple_choice_layouts():
    xcsqa = {
        "id": "q1",
        "question": {
            "stem": "Where do fish live?",
            "choices": [{"label": "A", "text": "tree"}, {"label": "B", "text": "water"}],
        },
        "answerKey": "B",
    }
    arc_hf = {
        "question": "Which is a metal?",
        "choices": {"text": ["wood", "iron", "glass"], "label": ["1", "2", "3"]},
        "answerKey": "2",
    }
    obqa_hf = {
        "question_stem": "The sun is a",
        "choices": {"text": ["star", "planet"], "label": ["A", "B"]},
        "answerKey": "A",
    }
    rows = build_stage2_dataset("mcqa", [xcsqa, arc_hf, obqa_hf]).rows
    assert rows[0] == {
        "id": "mcqa-en-q1",
        "instruction": MCQA_INSTRUCTION,
        "input": "Where do fish live?\nA. tree\nB. water",
        "output": "B",
        "lang": "en",
        "task": "mcqa",
    }
    assert rows[1]["input"] == "Which is a metal?\n1. wood\n2. iron\n3. glass" and rows[1]["output"] == "2"
    assert rows[2]["input"].startswith("The sun is a\nA. star") and rows[2]["output"] == "A"
    with pytest.raises(InputDataError, match=r"record 1: field 'answerKey' must be one of A, B, got 'E'"):
        build_stage2_dataset("arc", [{**xcsqa, "answerKey": "E"}])


def test_parallel_mixture_and_shuffle(shared_data, tmp_path):
    xnli = shared_data / "xnli"
    parallel = {"fr": xnli / "dev-fr.tsv", "sw": xnli / "dev-sw.tsv"}
    ordered = build_stage2_dataset("xnli", xnli / "dev-en.tsv", parallel=parallel, limit=10)
    assert ordered.records == {"en": 10, "fr": 10, "sw": 10}
    assert [r["lang"] for r in ordered.rows] == ["en"] * 10 + ["fr"] * 10 + ["sw"] * 10
    # translated copies carry the same labels as the English originals
    assert [r["output"] for r in ordered.rows[:10]] == [r["output"] for r in ordered.rows[10:20]]
    shuffled = build_stage2_dataset(
        "xnli", xnli / "dev-en.tsv", parallel=parallel, limit=10, shuffle=True, seed=1
    )
    again = build_stage2_dataset(
        "xnli", xnli / "dev-en.tsv", parallel=parallel, limit=10, shuffle=True, seed=1
    )
    assert shuffled.rows == again.rows != ordered.rows
    assert sorted(r["id"] for r in shuffled.rows) == sorted(r["id"] for r in ordered.rows)


def test_hf_datasets_output(tmp_path, shared_data):
    import datasets

    out = tmp_path / "stage2_hf"
    build_stage2_dataset("gsm8k", shared_data / "gsm8k" / "test.jsonl", out, limit=5)
    loaded = datasets.load_from_disk(str(out))
    assert loaded.num_rows == 5 and set(loaded.column_names) == {
        "id",
        "instruction",
        "input",
        "output",
        "lang",
        "task",
    }
    with pytest.raises(OutputError, match="already holds a lingualift dataset.*--overwrite"):
        build_stage2_dataset("gsm8k", shared_data / "gsm8k" / "test.jsonl", out, limit=3)
    build_stage2_dataset("gsm8k", shared_data / "gsm8k" / "test.jsonl", out, limit=3, overwrite=True)
    assert datasets.load_from_disk(str(out)).num_rows == 3
    (tmp_path / "not_a_dataset").mkdir()
    (tmp_path / "not_a_dataset" / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputError, match="not_a_dataset: exists, is not empty and was not created by"):
        build_stage2_dataset(
            "gsm8k", shared_data / "gsm8k" / "test.jsonl", tmp_path / "not_a_dataset", limit=5, overwrite=True
        )


def test_bad_inputs_name_file_and_line(tmp_path):
    with pytest.raises(ConfigError, match="unknown stage-2 task 'gsm9k'"):
        build_stage2_dataset("gsm9k", [])
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"question": "q", "answer": "a\\n#### 3"}\n{"question": "q2"}\n')
    with pytest.raises(InputDataError, match=r"train\.jsonl:2: missing field 'answer'"):
        build_stage2_dataset("gsm8k", bad)
    bad.write_text('{"question": "q", "answer": "no final"}\n')
    with pytest.raises(InputDataError, match=r"train\.jsonl:1: field 'answer' must end with '#### <number>'"):
        build_stage2_dataset("gsm8k", bad)
    bad.write_bytes(b'{"question": "q", "answer": "#### 3"}\n{"question": "\xff"}\n')
    with pytest.raises(InputDataError, match=r"train\.jsonl:2: not valid UTF-8"):
        build_stage2_dataset("gsm8k", bad)
    bad.write_text("")
    with pytest.raises(InputDataError, match=r"train\.jsonl: no gsm8k records"):
        build_stage2_dataset("gsm8k", bad)


def test_cli_stage2(tmp_path, shared_data, capsys):
    out = tmp_path / "s2.jsonl"
    code = main(
        [
            "data",
            "stage2",
            "--task",
            "gsm8k",
            "--input",
            str(shared_data / "gsm8k" / "test.jsonl"),
            "--out",
            str(out),
            "--limit",
            "7",
            "--no-progress",
        ]
    )
    assert code == 0 and len(out.read_text().splitlines()) == 7
    assert "wrote 7 gsm8k records" in capsys.readouterr().out
    assert main(["data", "stage2", "--task", "nope", "--input", "x.jsonl", "--out", str(out)]) == 1
    assert re.search(r"unknown stage-2 task 'nope'", capsys.readouterr().err)


# ------------------------------------------------------------------- the paper's math data, Hub by name


OMI2_ROWS = [
    {
        "problem": "What is $\\frac{1}{2} + \\frac{1}{4}$?",
        "generated_solution": "Add the fractions: $\\frac{2}{4} + \\frac{1}{4} = \\boxed{\\frac{3}{4}}$.",
        "expected_answer": "\\frac{3}{4}",
        "problem_source": "augmented_math",
    },
    {
        "problem": "Tom has 3 apples and buys 4 more. How many apples does he have?",
        "generated_solution": "He has $3 + 4 = 7$ apples.\n\nThe answer is $\\boxed{7}$.",
        "expected_answer": "7",
        "problem_source": "augmented_gsm8k",
    },
]


def test_openmathinstruct2_solution_ends_with_the_answer_is():
    rows = build_stage2_dataset("openmathinstruct2", OMI2_ROWS).rows
    assert [r["input"] for r in rows] == [r["problem"] for r in OMI2_ROWS]
    assert rows[0]["output"] == (
        "Add the fractions: $\\frac{2}{4} + \\frac{1}{4} = \\frac{3}{4}$.\nThe answer is \\frac{3}{4}."
    )
    assert rows[1]["output"] == "He has $3 + 4 = 7$ apples.\n\nThe answer is $7$.\nThe answer is 7."
    assert {r["instruction"] for r in rows} == {MATH_INSTRUCTION} and rows[0]["task"] == "openmathinstruct2"
    assert build_stage2_dataset("omi2", OMI2_ROWS[:1]).rows[0]["output"] == rows[0]["output"]  # alias
    with pytest.raises(InputDataError, match=r"record 1: missing field|record 1: field 'expected_answer'"):
        build_stage2_dataset("openmathinstruct2", [{**OMI2_ROWS[0], "expected_answer": " "}])


@pytest.fixture
def hub_datasets(tmp_path, monkeypatch):
    """MetaMathQA and OpenMathInstruct-2 in their Hub layouts (a JSON array; Parquet shards per split) in an
    offline local Hub cache."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from hub_cache import put_in_hub_cache
    from huggingface_hub import constants

    meta = tmp_path / "metamath"
    meta.mkdir()
    rows = [{"query": f"What is {i}+1?", "response": f"Add one.\nThe answer is: {i + 1}"} for i in range(5)]
    (meta / "MetaMathQA-395K.json").write_text(json.dumps(rows))
    (meta / "README.md").write_text("card")
    omi = tmp_path / "omi2" / "data"
    omi.mkdir(parents=True)
    for split, shards in (("train", 2), ("train_1M", 1)):
        for shard in range(shards):
            table = pa.Table.from_pylist(
                [{**r, "problem": f"{split}/{shard}: {r['problem']}"} for r in OMI2_ROWS]
            )
            pq.write_table(table, omi / f"{split}-{shard:05d}-of-{shards:05d}.parquet", row_group_size=1)
    cache = tmp_path / "hub"
    put_in_hub_cache(cache, "meta-math/MetaMathQA", meta, repo_type="dataset")
    put_in_hub_cache(cache, "nvidia/OpenMathInstruct-2", omi.parent, repo_type="dataset")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_math_datasets_load_from_the_hub_by_name_offline(hub_datasets, tmp_path, capsys):
    meta = build_stage2_dataset("metamathqa", "meta-math/MetaMathQA").rows
    assert [r["output"] for r in meta] == [f"Add one.\nThe answer is {i + 1}." for i in range(5)]
    train = build_stage2_dataset("openmathinstruct2", "nvidia/OpenMathInstruct-2:train").rows
    assert [r["input"].split(":")[0] for r in train] == ["train/0", "train/0", "train/1", "train/1"]
    small = build_stage2_dataset("openmathinstruct2", "nvidia/OpenMathInstruct-2:train_1M", limit=1).rows
    assert len(small) == 1 and small[0]["input"].startswith("train_1M/0: ")
    assert (
        len(build_stage2_dataset("openmathinstruct2", "nvidia/OpenMathInstruct-2").rows) == 6
    )  # every split
    out = tmp_path / "omi.jsonl"
    argv = [
        "data",
        "stage2",
        "--task",
        "omi2",
        "--input",
        "nvidia/OpenMathInstruct-2:train_1M",
        "--out",
        str(out),
    ]
    assert main([*argv, "--no-progress"]) == 0
    assert [json.loads(line)["output"] for line in out.read_text().splitlines()] == [
        r["output"] for r in build_stage2_dataset("omi2", OMI2_ROWS).rows
    ]


def test_a_hub_dataset_configuration_is_chosen_by_config_slash_split(tmp_path, monkeypatch):
    """``openai/gsm8k:main/train`` reads the ``main`` configuration's train shard only (GSM8K's Hub layout:
    main/ and socratic/, each with train and test Parquet files)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from hub_cache import put_in_hub_cache
    from huggingface_hub import constants

    folder = tmp_path / "gsm8k"
    for config in ("main", "socratic"):
        (folder / config).mkdir(parents=True)
        for split in ("train", "test"):
            rows = [{"question": f"{config} {split} {i}?", "answer": f"So.\n#### {i}"} for i in range(3)]
            pq.write_table(pa.Table.from_pylist(rows), folder / config / f"{split}-00000-of-00001.parquet")
    cache = tmp_path / "hub"
    put_in_hub_cache(cache, "openai/gsm8k", folder, repo_type="dataset")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    rows = build_stage2_dataset("gsm8k", "openai/gsm8k:main/train").rows
    assert [r["input"] for r in rows] == ["main train 0?", "main train 1?", "main train 2?"]
    assert len(build_stage2_dataset("gsm8k", "openai/gsm8k:train").rows) == 6  # both configurations
    with pytest.raises(InputDataError, match="or org/name:config/split"):
        build_stage2_dataset("gsm8k", "openai/gsm8k:other/train")


def test_hub_dataset_errors_name_the_source_and_the_fix(hub_datasets):
    with pytest.raises(InputDataError) as info:
        build_stage2_dataset("metamathqa", "org/not-cached")
    assert "task data 'org/not-cached': not a local file, not in the local Hub cache" in str(info.value)
    assert "`hf download org/not-cached --repo-type dataset`" in str(info.value)
    with pytest.raises(
        InputDataError, match=r"of split 'test' in the Hub dataset \(it holds: data/train-0000"
    ):
        build_stage2_dataset("openmathinstruct2", "nvidia/OpenMathInstruct-2:test")
    with pytest.raises(InputDataError, match="missing.jsonl"):  # a missing local file stays a missing file
        build_stage2_dataset("metamathqa", "missing.jsonl")

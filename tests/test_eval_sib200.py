"""SIB-200: the loader (tiny directories in the public layout and the real files), the seeded topic-balanced
subsets a limit takes, folder names as languages (with and without package metadata), the Hub path by name
(download function monkeypatched), training records in the evaluation prompt, label scoring against a
reference computation on tiny random models, batched == unbatched, the CLI end to end, and clear errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch

from lingualift.errors import ConfigError, InputDataError
from lingualift.evaluation import benchmarks
from lingualift.evaluation.backends import EvaluationBackend, TransformersBackend, load_backend
from lingualift.evaluation.benchmarks import (
    BENCHMARKS,
    SIB200_LANGUAGES,
    load_benchmark,
    resolve_languages,
    sib200_languages,
    sib200_training_records,
    stratified_sample,
)
from lingualift.evaluation.prompts import SIB200_INSTRUCTION, SIB200_LABELS, instruction_for
from lingualift.evaluation.report import markdown_table
from lingualift.evaluation.runner import evaluate
from lingualift.evaluation.scoring import group_averages
from lingualift.languages import FLORES_CODES, language_info, languages_at_level

PER_CATEGORY = {"train": 4, "dev": 2, "test": 5}
SPLIT_BASE = {"train": 0, "dev": 1000, "test": 2000}
QUOTED_ID = 2001  # a test row whose text is CSV-quoted in every language


def _text(folder: str, index_id: int) -> str:
    if index_id == QUOTED_ID:
        return f'{folder} says "hello" {index_id}'
    return " ".join([folder, "sentence", str(index_id)] + ["more"] * (index_id % 4))  # lengths vary


def write_sib200(root: Path, folders=("eng_Latn", "swh_Latn", "yor_Latn")) -> Path:
    """A tiny SIB-200 directory in the public layout: rows sorted by topic, the same index_ids in every
    folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "labels.txt").write_text("\n".join(SIB200_LABELS) + "\n", encoding="utf-8")
    (root / "LICENSE.repo").write_text("not a language folder\n", encoding="utf-8")
    for folder in folders:
        (root / folder).mkdir(exist_ok=True)
        for split, count in PER_CATEGORY.items():
            lines = ["index_id\tcategory\ttext"]
            for c, category in enumerate(SIB200_LABELS):
                for j in range(count):
                    index_id = SPLIT_BASE[split] + 10 * c + j
                    text = _text(folder, index_id)
                    if '"' in text:  # pandas-style CSV quoting
                        text = '"' + text.replace('"', '""') + '"'
                    lines.append(f"{index_id}\t{category}\t{text}")
            (root / folder / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _hub_rows(root: Path, folder: str, split: str) -> list[dict]:
    """What ``datasets.load_dataset("Davlan/sib200", folder, split=...)`` yields, from a tiny directory."""
    local = {"validation": "dev"}.get(split, split)
    return [
        {"index_id": ex.fields["index_id"], "category": ex.answer_text, "text": ex.question}
        for ex in load_benchmark("sib200", folder, root, split=local)
    ]


class LookupBackend(EvaluationBackend):
    """Scores the gold label 0, every other -1 (or always prefers ``fixed``); records the batches it saw."""

    name = "lookup"

    def __init__(self, gold: dict[str, int], fixed: int | None = None):
        self.gold, self.fixed, self.seen = gold, fixed, []

    def generate(self, instructions, inputs, max_new_tokens):
        raise AssertionError("classification must not generate")

    def score_options(self, instructions, inputs, options):
        self.seen.append((list(instructions), list(inputs), [list(o) for o in options]))
        pick = [self.gold[text] if self.fixed is None else self.fixed for text in inputs]
        return [[0.0 if i == p else -1.0 for i in range(len(opts))] for p, opts in zip(pick, options)]


def _gold(root: Path, folders, split="test") -> dict[str, int]:
    return {ex.question: ex.label for f in folders for ex in load_benchmark("sib200", f, root, split=split)}


# ----------------------------------------------------------------------------------------------- loader


def test_tiny_directory_loads_in_the_public_layout(tmp_path: Path):
    root = write_sib200(tmp_path / "sib")
    test = load_benchmark("sib200", "eng_Latn", root)  # default split: test
    assert len(test) == 7 * PER_CATEGORY["test"]
    assert [ex.answer_text for ex in test[:5]] == [
        "science/technology"
    ] * 5  # file order kept: sorted by topic
    first = test[0]
    assert first.id == "sib200-en-2000" and first.language == "en" and first.fields["index_id"] == 2000
    assert first.choices == SIB200_LABELS and first.label == 0 and first.question == "eng_Latn sentence 2000"
    assert [ex.label for ex in test] == [c for c in range(7) for _ in range(5)]
    quoted = next(ex for ex in test if ex.fields["index_id"] == QUOTED_ID)
    assert quoted.question == 'eng_Latn says "hello" 2001'  # CSV quoting undone
    # a folder name and its ISO code give the same examples under the ISO key; dev == the Hub's "validation"
    by_folder = load_benchmark("sib200", "swh_Latn", root, split="dev")
    assert by_folder == load_benchmark("sib200", "sw", root, split="validation")
    assert len(by_folder) == 14 and {ex.language for ex in by_folder} == {"sw"}
    yor = load_benchmark("sib200", "yor_Latn", root, split="train")
    assert len(yor) == 28 and yor[0].id == "sib200-yor_Latn-0" and yor[0].language == "yor_Latn"


def test_real_sib200_files(shared_data: Path):
    root = shared_data / "sib200"
    test = load_benchmark("sib200", "eng_Latn", root)
    assert len(test) == 204 and test[0].fields["index_id"] == 1523
    assert Counter(ex.answer_text for ex in test) == {
        "science/technology": 51,
        "travel": 40,
        "politics": 30,
        "sports": 25,
        "health": 22,
        "entertainment": 19,
        "geography": 17,
    }
    assert len(load_benchmark("sib200", "en", root, split="train")) == 701
    assert len(load_benchmark("sib200", "en", root, split="dev")) == 99
    pairs = [(ex.fields["index_id"], ex.label) for ex in test]
    for folder in ("swh_Latn", "zho_Hans", "amh_Ethi" if (root / "amh_Ethi").is_dir() else "yor_Latn"):
        assert [(ex.fields["index_id"], ex.label) for ex in load_benchmark("sib200", folder, root)] == pairs
    # no CSV quote left over in any text of a language whose file quotes many of them
    ace = load_benchmark("sib200", "ace_Arab", root)
    assert not any(ex.question.startswith('"') and ex.question.endswith('"') for ex in ace)
    # every known language has its folder here; "all" means every folder, keyed by ISO code where known
    known = sib200_languages(root)
    assert known == {code: FLORES_CODES[code] for code in SIB200_LANGUAGES} and len(known) == 51
    assert list(sib200_languages(root, level="LR")) == list(languages_at_level("LR"))
    everything = resolve_languages(BENCHMARKS["sib200"], "all", root)
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(everything) == len(folders) == 168
    assert "sw" in everything and "zh" in everything and "zho_Hant" in everything
    assert "swh_Latn" not in everything


# ------------------------------------------------------------------------------------------ subsets


def test_a_limit_is_a_seeded_topic_balanced_sample_not_the_first_rows(shared_data: Path):
    root = shared_data / "sib200"
    full = load_benchmark("sib200", "eng_Latn", root)
    assert {ex.answer_text for ex in full[:21]} == {
        "science/technology"
    }  # the trap a first-N subset falls in
    sample = load_benchmark("sib200", "eng_Latn", root, limit=21, seed=0)
    ids = [ex.fields["index_id"] for ex in sample]
    assert Counter(ex.answer_text for ex in sample) == dict.fromkeys(SIB200_LABELS, 3)
    assert ids != [ex.fields["index_id"] for ex in full[:21]]
    assert (
        len(set(ids) & {ex.fields["index_id"] for ex in full[:21]}) <= 3
    )  # only science rows come from there
    position = {ex.fields["index_id"]: i for i, ex in enumerate(full)}
    assert [position[i] for i in ids] == sorted(position[i] for i in ids)  # in file order
    # the same items in every language for a seed and size; another seed draws others
    for folder in ("swh_Latn", "zho_Hans", "yor_Latn"):
        other = load_benchmark("sib200", folder, root, limit=21, seed=0)
        assert [ex.fields["index_id"] for ex in other] == ids
    assert [ex.fields["index_id"] for ex in load_benchmark("sib200", "en", root, limit=21, seed=0)] == ids
    reseeded = [ex.fields["index_id"] for ex in load_benchmark("sib200", "en", root, limit=21, seed=1)]
    assert reseeded != ids and len(reseeded) == 21
    # a larger size keeps the smaller sample's items
    bigger = {ex.fields["index_id"] for ex in load_benchmark("sib200", "en", root, limit=28, seed=0)}
    assert set(ids) <= bigger and len(bigger) == 28
    # 100 = 7 x 14 + 2: every topic 14, two of them one more
    counts = Counter(ex.answer_text for ex in load_benchmark("sib200", "en", root, limit=100, seed=3))
    assert sum(counts.values()) == 100 and sorted(counts.values()) == [14] * 5 + [15] * 2
    # a topic with too few items leaves its share to the others (dev: geography 8, entertainment 9)
    dev = Counter(ex.answer_text for ex in load_benchmark("sib200", "en", root, split="dev", limit=70))
    assert dev["geography"] == 8 and dev["entertainment"] == 9 and sum(dev.values()) == 70
    assert sorted(v for k, v in dev.items() if k not in ("geography", "entertainment")) == [
        10,
        10,
        11,
        11,
        11,
    ]
    assert load_benchmark("sib200", "en", root, split="dev", limit=500) == load_benchmark(
        "sib200", "en", root, split="dev"
    )
    with pytest.raises(ConfigError, match="limit must be >= 1, got 0"):
        load_benchmark("sib200", "en", root, limit=0)


def test_stratified_sample_ignores_file_order(tmp_path: Path):
    root = write_sib200(tmp_path / "sib")
    examples = load_benchmark("sib200", "eng_Latn", root)
    picked = stratified_sample(examples, 14, seed=5)
    shuffled = stratified_sample(list(reversed(examples)), 14, seed=5)
    assert {ex.id for ex in picked} == {ex.id for ex in shuffled}
    assert Counter(ex.answer_text for ex in picked) == dict.fromkeys(SIB200_LABELS, 2)
    remainder = stratified_sample(examples, 3, seed=5)  # fewer items than topics: three topics, one each
    assert len(remainder) == 3 and len({ex.answer_text for ex in remainder}) == 3


def test_runner_limit_goes_through_the_sample(shared_data: Path, tmp_path: Path):
    root = shared_data / "sib200"
    langs = ("swh_Latn", "yor_Latn")
    backend = LookupBackend(_gold(root, langs))
    summary = evaluate(
        backend,
        "sib200",
        data_dir=root,
        languages=",".join(langs),
        limit=21,
        seed=0,
        out_dir=tmp_path,
        plots=False,
    )
    assert set(summary["languages"]) == {"sw", "yor_Latn"}
    assert summary["languages"]["sw"] == {"n": 21, "accuracy": 100.0}
    assert summary["split"] == "test" and summary["subset"] == {
        "limit": 21,
        "seed": 0,
        "method": "stratified",
    }
    expected = [ex.fields["index_id"] for ex in load_benchmark("sib200", "eng_Latn", root, limit=21, seed=0)]
    for key in ("sw", "yor_Latn"):
        lines = (
            (tmp_path / "predictions" / "sib200" / f"{key}.jsonl").read_text(encoding="utf-8").splitlines()
        )
        records = [json.loads(line) for line in lines]
        assert [int(r["id"].rsplit("-", 1)[1]) for r in records] == expected
        assert all(r["choices"] == list(SIB200_LABELS) for r in records)
    # every prompt carries the SIB-200 instruction and the seven labels as options
    assert {i for instructions, _, _ in backend.seen for i in instructions} == {SIB200_INSTRUCTION}
    assert all(opts == list(SIB200_LABELS) for _, _, options in backend.seen for opts in options)
    # always answering the first label scores exactly the science share of the sample: 3 of 21
    first = evaluate(
        LookupBackend({}, fixed=0),
        "sib200",
        data_dir=root,
        languages="sw",
        limit=21,
        out_dir=None,
        progress=False,
    )
    assert first["languages"]["sw"]["accuracy"] == pytest.approx(100 * 3 / 21, abs=0.01)


# -------------------------------------------------------------------------------------- languages


def test_folder_names_as_languages_with_and_without_metadata(tmp_path: Path):
    root = write_sib200(
        tmp_path / "sib", folders=("eng_Latn", "swh_Latn", "yor_Latn", "zho_Hans", "zho_Hant")
    )
    spec = BENCHMARKS["sib200"]
    keys = resolve_languages(spec, "swh_Latn, sw,yor_Latn,zho_Hant,zho_Hans", root)
    assert keys == ["sw", "yor_Latn", "zho_Hant", "zh"]
    assert resolve_languages(spec, "all", root) == ["en", "sw", "yor_Latn", "zh", "zho_Hant"]
    assert resolve_languages(spec, None) == list(SIB200_LANGUAGES)  # the Hub: every known language
    assert resolve_languages(spec, ["amh_Ethi", "ar"]) == ["amh_Ethi", "ar"]  # no directory to check against
    yor, hant = language_info("yor_Latn"), language_info("zho_Hant")
    assert (yor.script, yor.resource_level, hant.script) == ("Latin", None, "Han")
    assert language_info("swh_Latn") == language_info("sw") and language_info("sw").resource_level == "LR"
    assert language_info("tir_Ethi").script == "Ethiopic" and language_info("sat_Olck").script == "Ol Chiki"
    with pytest.raises(ConfigError, match="unknown language code 'xx'"):
        language_info("xx")
    groups = group_averages({"sw": 50.0, "yor_Latn": 30.0, "zh": 80.0, "zho_Hant": 60.0}, benchmark="sib200")
    assert groups["resource_levels"] == {"LR": 50.0, "MR": None, "HR": 80.0, "Avg": 55.0}
    assert groups["scripts"] == {"Han": 70.0, "Latin": 40.0}
    assert groups["families"] == {"Niger-Congo": 50.0, "Sino-Tibetan": 80.0}  # no made-up family bucket
    # a run on folder names: keys as above, the report lists languages without metadata after the others
    langs = ("swh_Latn", "yor_Latn", "zho_Hant")
    summary = evaluate(
        LookupBackend(_gold(root, langs)), "sib200", data_dir=root, languages=langs, out_dir=tmp_path / "out"
    )
    assert list(summary["languages"]) == ["sw", "yor_Latn", "zho_Hant"]
    assert summary["groups"]["resource_levels"] == {"LR": 100.0, "MR": None, "HR": None, "Avg": 100.0}
    table = (tmp_path / "out" / "sib200.md").read_text(encoding="utf-8")
    assert "| Model | sw | yor_Latn | zho_Hant | LR | Avg |" in table
    assert "| lookup | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 |" in table
    assert (tmp_path / "out" / "sib200_accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["benchmarks"][
        "sib200"
    ]
    assert (
        saved["subset"] == {"limit": None, "seed": None, "method": "all"}
        and saved["languages"]["sw"]["n"] == 35
    )
    assert markdown_table({"m": summary}).splitlines()[0] == "| Model | sw | yor_Latn | zho_Hant | LR | Avg |"


# ------------------------------------------------------------------------------------------- the Hub


def test_hub_by_name_offline(tmp_path: Path, monkeypatch):
    root = write_sib200(tmp_path / "sib")
    calls = []

    def fake_hub_dataset(repo, config, split):
        calls.append((repo, config, split))
        return _hub_rows(root, config, split)

    monkeypatch.setattr(benchmarks, "_hub_dataset", fake_hub_dataset)
    hub = load_benchmark("sib200", "sw", None, split="dev")
    assert calls == [("Davlan/sib200", "swh_Latn", "validation")]
    assert hub == load_benchmark("sib200", "sw", root, split="dev")
    yor = load_benchmark("sib200", "yor_Latn", None, limit=14, seed=2)
    assert calls[-1] == ("Davlan/sib200", "yor_Latn", "test")
    assert yor == load_benchmark("sib200", "yor_Latn", root, limit=14, seed=2)
    summary = evaluate(
        LookupBackend(_gold(root, ("swh_Latn", "yor_Latn"))),
        "sib200",
        data_dir=None,
        languages="sw,yor_Latn",
        limit=7,
        out_dir=None,
        progress=False,
    )
    assert {k: v["n"] for k, v in summary["languages"].items()} == {"sw": 7, "yor_Latn": 7}
    # a row without a field names the source, the row and the field
    monkeypatch.setattr(
        benchmarks, "_hub_dataset", lambda repo, config, split: [{"index_id": 1, "text": "x"}]
    )
    with pytest.raises(InputDataError, match=r"Davlan/sib200 swh_Latn test row 0: missing field 'category'"):
        load_benchmark("sib200", "sw", None)


# ----------------------------------------------------------------------------------- training records


def test_training_records_use_the_evaluation_prompt(tmp_path: Path):
    from lingualift.data.sources import write_records
    from lingualift.training.data import load_records

    root = write_sib200(tmp_path / "sib")
    records = sib200_training_records(root, "eng_Latn", "train")
    examples = load_benchmark("sib200", "eng_Latn", root, split="train")
    assert len(records) == len(examples) == 28
    assert {r["instruction"] for r in records} == {SIB200_INSTRUCTION}
    assert SIB200_INSTRUCTION == instruction_for("sib200", "classification")
    assert all(label in SIB200_INSTRUCTION for label in SIB200_LABELS)
    by_id = {ex.id: ex for ex in examples}
    for record in records:
        ex = by_id[record["id"]]
        assert (record["input"], record["output"], record["lang"], record["task"]) == (
            ex.question,
            ex.answer_text,
            "en",
            "sib200",
        )
    # the topics are mixed (the file is sorted by topic), deterministically for a seed
    assert [r["output"] for r in records] != [ex.answer_text for ex in examples]
    assert len({r["output"] for r in records[:7]}) > 1
    assert records == sib200_training_records(root, "en", "train")
    assert [r["id"] for r in sib200_training_records(root, "en", "train", shuffle=False)] == list(by_id)
    balanced = sib200_training_records(root, "en", "train", limit=14, seed=1)
    assert Counter(r["output"] for r in balanced) == dict.fromkeys(SIB200_LABELS, 2)
    # what the training loader reads back is what evaluation scores under
    write_records(records, tmp_path / "sib200_en.jsonl")
    loaded = load_records(tmp_path / "sib200_en.jsonl")
    assert loaded == [{k: r[k] for k in ("instruction", "input", "output")} for r in records]
    with pytest.raises(ConfigError, match="refusing to build training records from the test split"):
        sib200_training_records(root, "en", "test")


# ------------------------------------------------------------------------------------------ bad inputs


def test_bad_inputs_name_the_folder_file_and_line(tmp_path: Path):
    root = write_sib200(tmp_path / "sib")
    with pytest.raises(
        InputDataError, match=r"no folder amh_Ethi in .*sib \(language 'amh_Ethi'\); 3 language folders there"
    ) as info:
        load_benchmark("sib200", "amh_Ethi", root)
    assert "eng_Latn, swh_Latn, yor_Latn" in str(info.value) and "LICENSE" not in str(info.value)
    (root / "tir_Ethi").mkdir()
    with pytest.raises(InputDataError, match=r"e\.g\. tir_Ethi, eng_Latn"):  # same script listed first
        load_benchmark("sib200", "amh_Ethi", root)
    with pytest.raises(InputDataError, match=r"no folder fra_Latn .*\(language 'fr'\)"):
        load_benchmark("sib200", "fr", root)
    # checked before any model is loaded
    with pytest.raises(InputDataError, match="no folder amh_Ethi"):
        evaluate("no-such-model", "sib200", data_dir=root, languages="swh_Latn,amh_Ethi", out_dir=None)
    with pytest.raises(ConfigError, match="sib200: language 'xx' is neither a SIB-200 folder name"):
        load_benchmark("sib200", "xx", root)
    with pytest.raises(
        ConfigError, match="sib200: unknown split 'validate'; expected one of train, dev, test"
    ):
        load_benchmark("sib200", "en", root, split="validate")
    with pytest.raises(InputDataError, match="sib200: data directory not found"):
        load_benchmark("sib200", "en", tmp_path / "missing")
    (root / "tir_Ethi" / "test.tsv").unlink(missing_ok=True)
    with pytest.raises(InputDataError, match=r"sib200: data file not found: .*tir_Ethi/test.tsv"):
        load_benchmark("sib200", "tir_Ethi", root)

    path = root / "swh_Latn" / "test.tsv"
    header = "index_id\tcategory\ttext\n"
    cases = [
        (header + "1\tsports\tok\n2\tsports\n", r"test.tsv:3: expected 3 tab-separated columns .*got 2"),
        (
            header + "1\tsport\ttext\n",
            r"test.tsv:2: field 'category' must be one of science/technology.*'sport'",
        ),
        (header + "one\tsports\ttext\n", r"test.tsv:2: field 'index_id' must be an integer, got 'one'"),
        (header + "1\tsports\t  \n", r"test.tsv:2: field 'text' is empty"),
        (header + '1\tsports\t"open "quote\n', r"test.tsv:2: malformed CSV quoting"),
        (
            "id\tlabel\ttext\n1\tsports\tx\n",
            r"test.tsv:1: expected the header 'index_id<TAB>category<TAB>text'",
        ),
        (header + "1\tsports\ta\n1\ttravel\tb\n", r"test.tsv: index_id 1 occurs twice"),
        (header, r"test.tsv: no examples"),
    ]
    for content, message in cases:
        path.write_text(content, encoding="utf-8")
        with pytest.raises(InputDataError, match=message):
            load_benchmark("sib200", "swh_Latn", root)
    (root / "labels.txt").write_text("sports\nweather\n", encoding="utf-8")
    with pytest.raises(
        InputDataError, match=r"labels.txt: expected the 7 SIB-200 labels .*got sports, weather"
    ):
        load_benchmark("sib200", "eng_Latn", root)


# ----------------------------------------------------------------------------------- tiny real models


@pytest.fixture(scope="module")
def tiny(tiny_bridged):
    return {**tiny_bridged, "data": write_sib200(tiny_bridged["root"] / "sib200")}


def _reference_scores(model, processor, instruction: str, text: str) -> list[float]:
    """Sum of log-probabilities of each label after the prompt, one unpadded forward pass per label."""
    tok = processor.llm_tokenizer
    scores = []
    for label in SIB200_LABELS:
        label_ids = tok(label, add_special_tokens=False, return_tensors="pt")["input_ids"]
        if processor.is_plain:  # the text inlined in the prompt string, tokenised in one piece
            prompt = tok(processor.render_prompt(instruction, text), return_tensors="pt")["input_ids"]
            extra = {}
        else:
            batch = processor([instruction], [text])
            prompt = batch["input_ids"]
            extra = {
                "encoder_input_ids": batch["encoder_input_ids"],
                "encoder_attention_mask": batch["encoder_attention_mask"],
            }
        ids = torch.cat([prompt, label_ids], dim=1)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **extra).logits
        logp = logits[0, :-1].float().log_softmax(-1)
        start = prompt.shape[1] - 1
        scores.append(sum(float(logp[p, ids[0, p + 1]]) for p in range(start, ids.shape[1] - 1)))
    return scores


@pytest.mark.slow
def test_label_scores_match_a_reference_for_bridged_and_plain_models(tiny, tmp_path: Path):
    plain = load_backend(str(tiny["llm"]))
    bridged = TransformersBackend(tiny["model"], tiny["processor"])
    assert "eng_Latn sentence" in plain.processor.render_prompt(
        SIB200_INSTRUCTION, "eng_Latn sentence 1 here"
    )
    examples = load_benchmark("sib200", "swh_Latn", tiny["data"], limit=4, seed=4)
    for name, backend in (("bridged", bridged), ("plain", plain)):
        summary = evaluate(
            backend,
            "sib200",
            data_dir=tiny["data"],
            languages="swh_Latn",
            limit=4,
            seed=4,
            batch_size=3,
            out_dir=tmp_path / name,
            plots=False,
            progress=False,
        )
        path = tmp_path / name / "predictions" / "sib200" / "sw.jsonl"
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in records] == [ex.id for ex in examples]
        correct = 0
        for record, ex in zip(records, examples):
            reference = _reference_scores(backend.model, backend.processor, SIB200_INSTRUCTION, ex.question)
            assert record["scores"] == pytest.approx(reference, abs=1e-3), (name, ex.id)
            predicted = max(range(7), key=reference.__getitem__)
            assert record["predicted"] == predicted
            correct += predicted == ex.label
        assert summary["languages"]["sw"] == {"n": 4, "accuracy": round(100 * correct / 4, 2)}


@pytest.mark.slow
def test_batched_scores_equal_unbatched(tiny, tmp_path: Path):
    backend = TransformersBackend(tiny["model"], tiny["processor"])
    records = {}
    for size in (1, 5):
        evaluate(
            backend,
            "sib200",
            data_dir=tiny["data"],
            languages="eng_Latn,yor_Latn",
            limit=7,
            batch_size=size,
            out_dir=tmp_path / str(size),
            plots=False,
            progress=False,
        )
        pred = tmp_path / str(size) / "predictions" / "sib200"
        records[size] = [
            json.loads(line)
            for key in ("en", "yor_Latn")
            for line in (pred / f"{key}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
    assert len(records[1]) == 14 and [r["id"] for r in records[1]] == [r["id"] for r in records[5]]
    assert len({len(r["question"]) for r in records[1]}) > 1  # rows of different lengths share a padded batch
    for single, batched in zip(records[1], records[5]):
        assert batched["scores"] == pytest.approx(single["scores"], abs=1e-4)
        assert batched["predicted"] == single["predicted"]


@pytest.mark.slow
def test_cli_end_to_end_local_then_hub(tiny, tmp_path: Path, monkeypatch, capsys):
    from lingualift.cli import main

    out = tmp_path / "results"
    argv = [
        "evaluate",
        "--model",
        str(tiny["ckpt"]),
        "--benchmark",
        "sib200",
        "--data-dir",
        str(tiny["data"]),
    ]
    argv += ["--languages", "swh_Latn,yor_Latn", "--limit", "14", "--seed", "0", "--batch-size", "4"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    assert "| Model | sw | yor_Latn | LR | Avg |" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["benchmarks"]["sib200"]
    assert summary["split"] == "test" and summary["instruction"] == SIB200_INSTRUCTION
    assert summary["subset"] == {"limit": 14, "seed": 0, "method": "stratified"}
    ids = {}
    for key in ("sw", "yor_Latn"):
        path = out / "predictions" / "sib200" / f"{key}.jsonl"
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert Counter(SIB200_LABELS[r["label"]] for r in records) == dict.fromkeys(SIB200_LABELS, 2)
        accuracy = round(100 * sum(r["correct"] for r in records) / 14, 2)
        assert summary["languages"][key] == {"n": 14, "accuracy": accuracy}
        ids[key] = [r["id"].rsplit("-", 1)[1] for r in records]
    assert ids["sw"] == ids["yor_Latn"]
    assert summary["groups"]["resource_levels"]["LR"] == summary["languages"]["sw"]["accuracy"]
    # without --data-dir: the Hub by name (download function monkeypatched), on the plain LLM, dev split
    calls = []

    def fake_hub_dataset(repo, config, split):
        calls.append((repo, config, split))
        return _hub_rows(tiny["data"], config, split)

    monkeypatch.setattr(benchmarks, "_hub_dataset", fake_hub_dataset)
    hub_out = tmp_path / "hub"
    hub_argv = [
        "evaluate",
        "--model",
        str(tiny["llm"]),
        "--benchmark",
        "sib200",
        "--languages",
        "sw,yor_Latn",
    ]
    hub_argv += ["--split", "dev", "--limit", "7", "--out", str(hub_out), "--no-progress", "--no-plots"]
    assert main(hub_argv) == 0
    assert calls == [("Davlan/sib200", "swh_Latn", "validation"), ("Davlan/sib200", "yor_Latn", "validation")]
    hub = json.loads((hub_out / "summary.json").read_text(encoding="utf-8"))["benchmarks"]["sib200"]
    assert hub["split"] == "dev" and hub["instruction"] == summary["instruction"]
    assert {k: v["n"] for k, v in hub["languages"].items()} == {"sw": 7, "yor_Latn": 7}
    # a missing folder is a one-line CLI error naming it
    bad = ["evaluate", "--model", str(tiny["ckpt"]), "--benchmark", "sib200", "--data-dir", str(tiny["data"])]
    assert main([*bad, "--languages", "amh_Ethi", "--out", str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err
    assert "no folder amh_Ethi" in err and "eng_Latn, swh_Latn, yor_Latn" in err

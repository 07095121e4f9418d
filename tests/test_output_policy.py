"""The output policy (docs/ARCHITECTURE.md; ``io_utils.check_output_path``): no command and no ``save_*``
ever deletes or replaces what lingualift did not write, writes over one of its inputs, or replaces an earlier
result unless asked to (``--overwrite`` / ``overwrite=True`` / ``training.overwrite_output_dir``).

Each reproduction of the hostile-user probe runs here and must end with the documented exit code or error, a
message naming the path and the fix, and every file that was there before byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from file_snapshots import assert_cli_fails_cleanly, make_files, snapshot

from lingualift.cli import main
from lingualift.errors import CheckpointError, ConfigError, OutputError
from lingualift.io_utils import atomic_directory, check_output_path
from lingualift.modeling.tiny import build_tiny_components
from lingualift.persistence.checkpoints import (
    CHECKPOINT_META,
    checkpoint_form,
    save_bridge,
    save_checkpoint,
    save_plain_checkpoint,
)

REPO = Path(__file__).resolve().parents[1]
TINY_STAGE1 = REPO / "recipes/configs/stage1/tiny.yaml"

GSM8K_ROWS = [
    {"question": "Tom has 2 apples and buys 3 more. How many?", "answer": "2 + 3 = 5\n#### 5"},
    {"question": "A box holds 4 pens. How many pens in 2 boxes?", "answer": "4 * 2 = 8\n#### 8"},
]
GOOD_RUN = {  # an earlier successful lexicon induction run
    "lex/lexicon.tsv": "cat\tchat\t0.9\n",
    "lex/report.json": json.dumps({"method": "robust", "success": True}) + "\n",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    enc, llm = build_tiny_components(tmp_path_factory.mktemp("tiny"), encoder="mt5", llm="llama")
    return {"enc": str(enc), "llm": str(llm)}


@pytest.fixture(scope="module")
def bridged(tiny):
    import torch

    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    torch.manual_seed(0)
    processor = LinguaLiftProcessor.from_components(tiny["enc"], tiny["llm"])
    return LinguaLiftForCausalLM.from_components(
        encoder=tiny["enc"], llm=tiny["llm"], processor=processor
    ), processor


def _build(tiny: dict[str, str], out: Path, *extra: str) -> int:
    return main(["model", "build", "--encoder", tiny["enc"], "--llm", tiny["llm"], "--out", str(out), *extra])


CORPUS = {"src.jsonl": '{"text": "The cat eats."}\n', "en-fr.tsv": "cat\tchat\t1.0\n"}
STAGE2_INPUT = {"train.jsonl": "".join(json.dumps(r) + "\n" for r in GSM8K_ROWS)}
CODESWITCH = ["codeswitch", "--lexicon", "{w}/en-fr.tsv", "--input", "{w}/src.jsonl", "--no-progress"]
STAGE2 = ["data", "stage2", "--task", "gsm8k", "--input", "{w}/train.jsonl", "--no-progress"]
BUILD = ["model", "build", "--encoder", "{enc}", "--llm", "{llm}"]
INDUCE = ["lexicon", "induce", "--src", "{w}/src.npy", "--tgt", "{w}/tgt.npy", "--quiet"]
FOREIGN = "was not created by lingualift"

# (case, files there before, argv, message fragments); every case exits 1 and changes nothing
REFUSED = [
    # 1. a directory lingualift did not create is never replaced, --overwrite or not
    (
        "build-into-foreign-dir",
        {"u/thesis.txt": "x\n"},
        [*BUILD, "--out", "{w}/u"],
        ["/u:", FOREIGN, "thesis.txt"],
    ),
    (
        "build-into-foreign-dir-overwrite",
        {"u/thesis.txt": "x\n"},
        [*BUILD, "--out", "{w}/u", "--overwrite"],
        ["/u:", FOREIGN, "thesis.txt", "new or empty directory"],
    ),
    ("build-onto-a-file", {"ckpt": "x\n"}, [*BUILD, "--out", "{w}/ckpt"], ["/ckpt: exists and is a file"]),
    # an --out whose parent is a file: a clear error, not a raw FileExistsError/NotADirectoryError
    (
        "build-under-a-file",
        {"f": "x\n"},
        [*BUILD, "--out", "{w}/f/ckpt"],
        ["/f/ckpt: cannot write the checkpoint there", "/f is a file, not a directory", "another path"],
    ),
    # 2. an output that is an input, or an existing output without --overwrite
    (
        "codeswitch-out-is-input",
        CORPUS,
        [*CODESWITCH, "--out", "{w}/src.jsonl"],
        ["/src.jsonl: the dataset is the input", "another path"],
    ),
    (
        "codeswitch-out-is-input-overwrite",
        CORPUS,
        [*CODESWITCH, "--out", "{w}/src.jsonl", "--overwrite"],
        ["/src.jsonl: the dataset is the input", "overwrite or not"],
    ),
    (
        "codeswitch-out-is-lexicon",
        CORPUS,
        [*CODESWITCH, "--out", "{w}/en-fr.tsv", "--format", "jsonl"],
        ["/en-fr.tsv: the dataset is the input"],
    ),
    (
        "data-stage1-out-is-input",
        CORPUS,
        ["data", "stage1", *CODESWITCH[1:], "--out", "{w}/src.jsonl"],
        ["/src.jsonl: the dataset is the input"],
    ),
    (
        "codeswitch-existing-out",
        {**CORPUS, "old.jsonl": "keep me\n"},
        [*CODESWITCH, "--out", "{w}/old.jsonl"],
        ["/old.jsonl: already exists", "--overwrite"],
    ),
    (
        "codeswitch-existing-stats-json",
        {**CORPUS, "stats.json": "{}\n"},
        [*CODESWITCH, "--out", "{w}/new.jsonl", "--stats-json", "{w}/stats.json"],
        ["/stats.json: already exists", "--overwrite"],
    ),
    (
        "codeswitch-out-under-a-file",
        CORPUS,
        [*CODESWITCH, "--out", "{w}/src.jsonl/out.jsonl"],
        ["/src.jsonl is a file, not a directory"],
    ),
    (
        "data-stage2-out-is-input",
        STAGE2_INPUT,
        [*STAGE2, "--out", "{w}/train.jsonl", "--overwrite"],
        ["/train.jsonl: the dataset is the input"],
    ),
    (
        "data-stage2-out-is-parallel-input",
        {**STAGE2_INPUT, "train_fr.jsonl": STAGE2_INPUT["train.jsonl"]},
        [*STAGE2, "--parallel", "fr={w}/train_fr.jsonl", "--out", "{w}/train_fr.jsonl"],
        ["/train_fr.jsonl: the dataset is the input"],
    ),
    (
        "data-stage2-existing-out",
        {**STAGE2_INPUT, "out.jsonl": "keep me\n"},
        [*STAGE2, "--out", "{w}/out.jsonl"],
        ["/out.jsonl: already exists", "--overwrite"],
    ),
    (
        "data-stage2-hf-folder-holding-the-input",
        {"d/train.jsonl": STAGE2_INPUT["train.jsonl"]},
        [
            *STAGE2[:5],
            "{w}/d/train.jsonl",
            "--no-progress",
            "--out",
            "{w}/d",
            "--format",
            "hf",
            "--overwrite",
        ],
        ["/d: the dataset directory holds the input", "/d/train.jsonl"],
    ),
    (
        "data-stage2-hf-foreign-folder",
        {**STAGE2_INPUT, "d/notes.txt": "mine\n"},
        [*STAGE2, "--out", "{w}/d", "--format", "hf", "--overwrite"],
        ["/d:", FOREIGN, "notes.txt"],
    ),
    # 3. an earlier successful lexicon run is replaced only with --overwrite (checked before any work)
    (
        "lexicon-induce-over-earlier-run",
        GOOD_RUN,
        [*INDUCE, "--out", "{w}/lex"],
        ["/lex/lexicon.tsv: already exists", "--overwrite"],
    ),
    (
        "lexicon-evaluate-json-is-the-mapping",
        {"lex/mapping.npy": b"\x93NUMPY", "gold.txt": "cat chat\n"},
        [
            *["lexicon", "evaluate", "--src", "{w}/src.npy", "--tgt", "{w}/tgt.npy"],
            *[
                "--mapping",
                "{w}/lex/mapping.npy",
                "--dictionary",
                "{w}/gold.txt",
                "--json",
                "{w}/lex/mapping.npy",
            ],
        ],
        ["/lex/mapping.npy: the evaluation result is the input"],
    ),
]


@pytest.mark.parametrize(
    ("files", "argv", "fragments"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_outputs_change_nothing(files, argv, fragments, tiny, tmp_path, capsys):
    err = assert_cli_fails_cleanly(tmp_path, files, argv, fragments, capsys, **tiny)
    assert str(tmp_path / "w") in err


def test_output_that_links_to_an_input_is_refused(tmp_path, capsys):
    make_files(tmp_path, STAGE2_INPUT)
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "train.jsonl")
    os.link(tmp_path / "train.jsonl", tmp_path / "hard.jsonl")
    before = snapshot(tmp_path)
    for name in ("link.jsonl", "hard.jsonl"):
        argv = [a.format(w=tmp_path) for a in STAGE2] + ["--out", str(tmp_path / name), "--overwrite"]
        assert main(argv) == 1
        assert f"{name}: the dataset is the input {tmp_path / 'train.jsonl'}" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_dataset_outputs_fresh_then_refused_then_overwritten(tmp_path, capsys):
    make_files(tmp_path, STAGE2_INPUT)
    stage2 = [a.format(w=tmp_path) for a in STAGE2]
    for out, fmt in ((tmp_path / "s2.jsonl", "jsonl"), (tmp_path / "s2_hf", "hf")):
        assert main([*stage2, "--out", str(out), "--format", fmt, "--limit", "1"]) == 0
        before = snapshot(tmp_path)
        assert main([*stage2, "--out", str(out), "--format", fmt]) == 1
        assert "--overwrite" in capsys.readouterr().err
        assert snapshot(tmp_path) == before
        assert main([*stage2, "--out", str(out), "--format", fmt, "--overwrite"]) == 0
    assert len((tmp_path / "s2.jsonl").read_text().splitlines()) == 2
    import datasets

    assert len(datasets.load_from_disk(str(tmp_path / "s2_hf"))) == 2
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp or aside copies


def test_bridge_checkpoint_overwrite_replaces_only_lingualift_output(tiny, tmp_path, capsys):
    out = tmp_path / "b"
    assert _build(tiny, out) == 0
    first = (out / "bridge.safetensors").read_bytes()
    meta = json.loads((out / CHECKPOINT_META).read_text())
    assert meta["form"] == "bridge" and "bridge.safetensors" in meta["files"]
    before = snapshot(tmp_path)
    assert _build(tiny, out, "--seed", "1") == 1  # an earlier checkpoint: refused without --overwrite
    err = capsys.readouterr().err
    assert f"{out}: already holds a lingualift checkpoint" in err and "--overwrite" in err
    assert snapshot(tmp_path) == before

    assert _build(tiny, out, "--seed", "1", "--overwrite") == 0  # replaced as a whole
    assert (out / "bridge.safetensors").read_bytes() != first
    assert checkpoint_form(out) == "bridge"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temp or aside copy left

    (out / "notes.txt").write_text("my notes\n")  # a file the user added to the checkpoint
    before = snapshot(tmp_path)
    assert _build(tiny, out, "--overwrite") == 1
    err = capsys.readouterr().err
    assert f"{out}: holds files lingualift did not write (notes.txt)" in err and "move those out" in err
    assert snapshot(tmp_path) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    assert _build(tiny, empty) == 0 and checkpoint_form(empty) == "bridge"  # an empty directory is fine


@pytest.mark.parametrize("save", ["save_bridge", "save_checkpoint", "save_plain_checkpoint"])
def test_save_functions_follow_the_policy(save, bridged, tmp_path):
    model, processor = bridged

    def call(target, **kwargs):
        if save == "save_bridge":
            return save_bridge(model, target, processor, **kwargs)
        if save == "save_checkpoint":
            return save_checkpoint(model, target, processor, **kwargs)
        return save_plain_checkpoint(model.language_model, target, processor, **kwargs)

    foreign = tmp_path / "u"
    make_files(tmp_path, {"u/thesis.txt": "x\n"})
    before = snapshot(tmp_path)
    for overwrite in (False, True):
        with pytest.raises(OutputError, match=f"{foreign}: exists, is not empty and {FOREIGN}"):
            call(foreign, overwrite=overwrite)
    assert snapshot(tmp_path) == before

    out = tmp_path / "ckpt"
    call(out)
    made = snapshot(out)
    with pytest.raises(OutputError, match=r"already holds a lingualift checkpoint.*overwrite=True"):
        call(out)
    assert snapshot(out) == made
    call(out, overwrite=True)
    assert set(snapshot(out)) == set(made)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt", "u"]


def test_bridge_checkpoint_without_metadata_is_reported_not_guessed(tiny, tmp_path, capsys):
    out = tmp_path / "b"
    assert _build(tiny, out) == 0
    (out / CHECKPOINT_META).unlink()  # an interrupted or foreign save
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert main(["model", "info", str(out)]) == 1
    captured = capsys.readouterr()
    assert '"form"' not in captured.out
    assert f"{out}: incomplete or foreign bridge checkpoint" in captured.err
    assert f"no {CHECKPOINT_META}" in captured.err and "save the checkpoint again" in captured.err
    from lingualift.evaluation.backends import load_backend

    with pytest.raises(CheckpointError, match="incomplete or foreign bridge checkpoint"):
        load_backend(str(out))  # the evaluator's detection reports it too
    assert snapshot(tmp_path) == before

    assert _build(tiny, tmp_path / "c") == 0
    (tmp_path / "c" / "bridge.safetensors").unlink()  # metadata listing a file that is gone
    with pytest.raises(CheckpointError, match=r"incomplete bridge checkpoint: .* lists bridge.safetensors"):
        checkpoint_form(tmp_path / "c")


def test_failed_lexicon_run_keeps_the_earlier_lexicon(tmp_path, capsys):
    from lingualift.lexicon.synthetic import unrelated_pair

    src, tgt = unrelated_pair(n=1500, dim=32, seed=3)  # unrelated spaces: induction fails detection
    for name, emb in (("src", src), ("tgt", tgt)):
        np.save(tmp_path / f"{name}.npy", emb.vectors)
        (tmp_path / f"{name}.vocab").write_text("\n".join(emb.words) + "\n", encoding="utf-8")
    make_files(tmp_path, GOOD_RUN)
    np.save(tmp_path / "lex" / "mapping.npy", np.eye(32, dtype=np.float32))
    before = snapshot(tmp_path)
    fast = ["--seeds", "0", "--dict-vocab", "1000", "--explore-vocab", "1000", "--max-iterations", "5"]
    argv = [a.format(w=tmp_path) for a in INDUCE] + ["--out", str(tmp_path / "lex"), *fast]
    assert main(argv) == 1 and "--overwrite" in capsys.readouterr().err  # refused before any work
    assert snapshot(tmp_path) == before

    assert main([*argv, "--overwrite"]) == 3  # ran, failed detection
    err = capsys.readouterr().err
    failed = tmp_path / "lex" / "report.failed.json"
    assert f"see {failed}" in err and f"the earlier run in {tmp_path / 'lex'} is unchanged" in err
    after = snapshot(tmp_path)
    assert after.pop("lex/report.failed.json") is not None
    assert after == before  # lexicon.tsv, mapping.npy, report.json byte-identical
    report = json.loads(failed.read_text())
    assert report["success"] is False and report["earlier_run_kept"] is True

    fresh = tmp_path / "fresh"  # a failed run into a new directory writes its report as report.json
    assert main([*argv[:-9], str(fresh), *fast]) == 3
    assert sorted(p.name for p in fresh.iterdir()) == ["report.json"]
    assert main([*argv[:-9], str(fresh), *fast]) == 3  # an earlier failure's report needs no --overwrite


def _stage1(out: Path, *extra: str):
    from lingualift.training import load_config

    return load_config(
        TINY_STAGE1,
        [f"training.output_dir={out}", "training.max_steps=2", "training.save_steps=2", *extra],
    )


def test_training_reruns_refuse_resume_or_overwrite(tmp_path, monkeypatch, capsys):
    from lingualift.training import run_stage1

    monkeypatch.chdir(REPO)
    out = tmp_path / "run"
    first = run_stage1(_stage1(out))
    assert not first.already_complete and (out / "final" / CHECKPOINT_META).is_file()
    trained = (out / "final" / "bridge.safetensors").read_bytes()
    before = snapshot(tmp_path)

    # 7. a rerun is refused (config time: no model loads), from the CLI too
    with pytest.raises(ConfigError, match=r"already holds a finished run .*training.resume=true"):
        _stage1(out)
    cli = ["train", "stage1", "--config", str(TINY_STAGE1), f"training.output_dir={out}"]
    assert main(cli) == 1
    err = capsys.readouterr().err
    assert f"{out} already holds a finished run" in err and "training.overwrite_output_dir=true" in err
    only_final = tmp_path / "only-final"  # the probe's case: nothing but final/
    shutil.copytree(out / "final", only_final / "final")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match=f"{only_final} already holds a finished run"):
        _stage1(only_final)

    # resume returns the finished run without training or writing anything
    resumed = run_stage1(_stage1(out, "training.resume=true"))
    assert resumed.already_complete and resumed.final_dir == out / "final"
    assert (resumed.global_step, resumed.train_loss) == (first.global_step, first.train_loss)
    assert resumed.trainable_parameters == first.trainable_parameters
    again = run_stage1(_stage1(only_final, "training.resume=true"))  # no run_result.json: the card's record
    assert again.already_complete and again.global_step == first.global_step
    assert main([*cli, "training.resume=true", "training.max_steps=2"]) == 0
    assert "finished in an earlier run: nothing trained" in capsys.readouterr().out
    assert snapshot(tmp_path) == before

    # a directory lingualift did not make is refused whatever the flags
    foreign = tmp_path / "thesis"
    make_files(foreign, {"thesis.txt": "x\n"})
    for flag in ("training.resume=true", "training.overwrite_output_dir=true"):
        with pytest.raises(ConfigError, match=f"training.output_dir: {foreign}: .*{FOREIGN}.*thesis.txt"):
            _stage1(foreign, flag)
    (out / "final" / "notes.txt").write_text("mine\n")  # overwriting never deletes a file the user added
    with pytest.raises(ConfigError, match=r"holds files lingualift did not write \(notes.txt\)"):
        _stage1(out, "training.overwrite_output_dir=true")
    (out / "final" / "notes.txt").unlink()

    # overwrite_output_dir trains again and swaps the new final/ in
    second = run_stage1(_stage1(out, "training.overwrite_output_dir=true", "training.learning_rate=0.05"))
    assert not second.already_complete
    assert (out / "final" / "bridge.safetensors").read_bytes() != trained
    assert not [p.name for p in out.iterdir() if p.name.startswith(".final")]


def test_check_output_path_rules(tmp_path):
    make_files(tmp_path, {"in.txt": "x\n", "out.txt": "y\n", "mine/done.json": "{}", "mine/a": "1"})
    (tmp_path / "empty").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert check_output_path(tmp_path / "new.txt", [tmp_path / "in.txt"]) == tmp_path / "new.txt"
    assert check_output_path(tmp_path / "empty", created_marker="done.json") == tmp_path / "empty"
    assert check_output_path(tmp_path / "out.txt", overwrite=True) == tmp_path / "out.txt"
    assert check_output_path(tmp_path / "mine", overwrite=True, created_marker="done.json")
    cases = [
        ((tmp_path / "in.txt", [tmp_path / "in.txt"], True, None), "is the input"),
        ((tmp_path / "sub" / ".." / "in.txt", [tmp_path / "in.txt"], True, None), "is the input"),
        ((tmp_path / "dangling", [], False, None), "already exists"),
        (
            (tmp_path / "mine", [], False, "done.json"),
            "already holds a lingualift output from an earlier run",
        ),
        ((tmp_path / "mine", [], True, "other.json"), FOREIGN),
        ((tmp_path / "out.txt", [], True, "done.json"), "exists and is a file"),
        ((tmp_path / "mine", [], True, None), "is a directory; the output is a file"),
        ((tmp_path / "mine", [tmp_path / "mine" / "a"], True, "done.json"), "holds the input"),
    ]
    before = snapshot(tmp_path)
    for (path, inputs, overwrite, marker), message in cases:
        with pytest.raises(OutputError, match=message):
            check_output_path(path, inputs, overwrite, marker)
    with pytest.raises(OutputError, match="is a directory"):
        check_output_path(tmp_path / "empty")
    with pytest.raises(OutputError, match=f"{tmp_path / 'in.txt'} is a file, not a directory"):
        with atomic_directory(tmp_path / "in.txt" / "x"):
            pass
    assert snapshot(tmp_path) == before

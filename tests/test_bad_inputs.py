"""Bad input gets a clear answer: every case runs the real command line, exits 1 with a message naming the
file, field or value and the fix (never a raw traceback), and leaves every file as it was (nothing lost,
nothing half-written). The output-policy refusals (``tests/test_output_policy.py``) are the other half of the
table; ``python tests/test_bad_inputs.py`` prints both as the README's markdown table.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from file_snapshots import assert_cli_fails_cleanly

from lingualift.cli import main
from lingualift.modeling.tiny import build_tiny_components

REPO = Path(__file__).resolve().parents[1]
TRAIN = ["train", "stage1", "--config", str(REPO / "recipes/configs/stage1/tiny.yaml")]
TRAIN += ["training.output_dir={w}/run", "training.max_steps=1"]
TRAIN2 = ["train", "stage2", "--config", str(REPO / "recipes/configs/stage2/tiny_lora.yaml")]
TRAIN2 += ["training.output_dir={w}/run2"]
CODESWITCH = ["codeswitch", "--input", "{w}/src.txt", "--out", "{w}/cs.jsonl", "--no-progress"]
STAGE2 = ["data", "stage2", "--task", "gsm8k", "--out", "{w}/s2.jsonl", "--no-progress"]
EVALUATE = ["evaluate", "--model", "{ckpt}", "--out", "{w}/eval", "--no-progress", "--data-dir", "{w}/mgsm"]
INDUCE = ["lexicon", "induce", "--out", "{w}/lex"]
GSM8K = '{"question": "Tom has 2 apples and buys 3 more. How many?", "answer": "2 + 3 = 5\\n#### 5"}\n'
INPUTS = {
    "src.txt": "The cat eats the fish.\n",
    "en-fr.tsv": "cat\tchat\t1.0\nfish\tpoisson\t0.9\n",
    "gsm.jsonl": GSM8K,
    "mgsm/mgsm_fr.tsv": "Tom a 2 pommes et en achète 3. Combien en a-t-il ?\t5\n",
}
RECORD = '{"instruction": "Translate:", "input": "le chat", "output": "the cat"}\n'

# (case, files written before, argv, message fragments); every case exits 1 and changes nothing
BAD_INPUTS = [
    # training configs: every value checked before any model loads
    (
        "lr-nan",
        {},
        [*TRAIN, "training.learning_rate=.nan"],
        ["training.learning_rate: expected a finite number"],
    ),
    (
        "lr-inf",
        {},
        [*TRAIN, "training.learning_rate=inf"],
        ["training.learning_rate: expected a finite number"],
    ),
    ("lr-zero", {}, [*TRAIN, "training.learning_rate=0"], ["training.learning_rate: expected > 0, got 0.0"]),
    ("optim-unknown", {}, [*TRAIN, "training.optim=bogus"], ["training.optim: unknown optimizer 'bogus'"]),
    (
        "grad-norm-negative",
        {},
        [*TRAIN, "training.max_grad_norm=-1"],
        ["training.max_grad_norm: expected >= 0"],
    ),
    (
        "warmup-ratio-2",
        {},
        [*TRAIN, "training.warmup_ratio=2"],
        ["training.warmup_ratio: expected a fraction"],
    ),
    (
        "batch-not-a-multiple",
        {},
        [*TRAIN, "training.global_batch_size=6"],
        ["training.global_batch_size=6 is not a multiple of training.per_device_batch_size=4"],
    ),
    (
        "scheduler-unknown",
        {},
        [*TRAIN, "training.lr_scheduler_type=bogus"],
        ["training.lr_scheduler_type: unknown scheduler 'bogus'", "cosine"],
    ),
    (
        "key-misspelt",
        {},
        [*TRAIN, "training.learnin_rate=1e-3"],
        ["training.learnin_rate: unknown key", "learning_rate"],
    ),
    ("override-without-key", {}, [*TRAIN, "learning_rate"], ["override 'learning_rate': expected KEY=VALUE"]),
    (
        "value-wrong-type",
        {},
        [*TRAIN, "training.max_steps=ten"],
        ["training.max_steps: expected int, got str 'ten'"],
    ),
    ("stage-unknown", {}, [*TRAIN, "stage.name=bogus"], ["stage.name: expected one of 'align' | 'task'"]),
    (
        "bridge-type-unknown",
        {},
        [*TRAIN, "model.bridge_type=mlp9"],
        ["model.bridge_type: expected one of 'linear'"],
    ),
    ("lora-rank-0", {}, [*TRAIN2, "stage.lora.r=0"], ["stage.lora: expected r > 0"]),
    (
        "lora-dropout-nan",
        {},
        [*TRAIN2, "stage.lora.dropout=.nan"],
        ["stage.lora.dropout: expected a finite number"],
    ),
    (
        "config-missing",
        {},
        ["train", "stage1", "--config", "{w}/nope.yaml"],
        ["--config: config file not found"],
    ),
    (
        "config-not-yaml",
        {"bad.yaml": "stage: [align\n"},
        ["train", "stage1", "--config", "{w}/bad.yaml"],
        ["bad.yaml", "line 2"],
    ),
    # training data
    (
        "train-file-missing",
        {},
        [*TRAIN, "data.train_file={w}/no.jsonl"],
        ["data.train_file: data file not found"],
    ),
    (
        "train-file-bad-json",
        {"bad.jsonl": RECORD + "{broken\n"},
        [*TRAIN, "data.train_file={w}/bad.jsonl"],
        ["/bad.jsonl:2: invalid JSON"],
    ),
    (
        "train-record-without-output",
        {"noout.jsonl": '{"instruction": "a", "input": "b"}\n'},
        [*TRAIN, "data.train_file={w}/noout.jsonl"],
        ["/noout.jsonl:1: missing field 'output'", "expected fields: instruction, input, output"],
    ),
    (
        "train-file-empty",
        {"empty.jsonl": ""},
        [*TRAIN, "data.train_file={w}/empty.jsonl"],
        ["/empty.jsonl: no records"],
    ),
    # model sources
    (
        "encoder-path-missing",
        {},
        [*TRAIN, "model.encoder={w}/no-encoder"],
        ["encoder not found: '", "/no-encoder' is not a directory on this machine", "check the path"],
    ),
    ("llm-path-missing", {}, [*TRAIN, "model.llm=./no-llm"], ["not found: './no-llm' is not a directory"]),
    (
        "llm-given-as-encoder",
        {},
        ["model", "build", "--encoder", "{llm}", "--llm", "{llm}", "--out", "{w}/b"],
        ["encoder: 'llama' is a decoder-only LLM, not a text encoder"],
    ),
    (
        "encoder-given-as-llm",
        {},
        ["model", "build", "--encoder", "{enc}", "--llm", "{enc}", "--out", "{w}/b"],
        ["is a 'mt5' model, which is not a causal LM", "pass a decoder LLM"],
    ),
    (
        "generate-zero-tokens",
        {},
        ["model", "generate", "{ckpt}", "--input", "hi", "--max-new-tokens", "0"],
        ["--max-new-tokens: expected >= 1"],
    ),
    (
        "checkpoint-weights-truncated",
        {},
        ["model", "info", "{cut_ckpt}"],
        ["/bridge.safetensors: the checkpoint's weights cannot be read", "truncated", "save it again"],
    ),
    (
        "evaluate-a-truncated-checkpoint",
        INPUTS,
        [*EVALUATE[:2], "{cut_ckpt}", *EVALUATE[3:], "--benchmark", "mgsm", "--languages", "fr"],
        ["/bridge.safetensors: the checkpoint's weights cannot be read"],
    ),
    (
        "llm-weights-truncated",
        {},
        ["model", "build", "--encoder", "{enc}", "--llm", "{cut_llm}", "--out", "{w}/b"],
        ["/model.safetensors: the LLM's weights cannot be read", "download or save it again"],
    ),
    (
        "config-width-edited",
        {},
        ["model", "info", "{wide_config}"],
        ["config.json: text_config.hidden_size=64 but the saved bridge", "is 32 wide", "restore it"],
    ),
    (
        "info-on-a-file",
        {"f.txt": "x"},
        ["model", "info", "{w}/f.txt"],
        ["/f.txt: a checkpoint must be a directory"],
    ),
    (
        "info-on-a-plain-directory",
        {"notes/a.txt": "x"},
        ["model", "info", "{w}/notes"],
        ["/notes: not a model checkpoint", "it holds: a.txt"],
    ),
    # lexicons and code-switching
    ("lexicon-missing", INPUTS, [*CODESWITCH, "--lexicon", "{w}/en-de.tsv"], ["/en-de.tsv: file not found"]),
    (
        "lexicon-is-a-directory",
        {**INPUTS, "en-xx/a.tsv": "cat\tchat\n"},
        [*CODESWITCH, "--lexicon", "fr={w}/en-xx"],
        ["/en-xx: is a directory; expected a text file"],
    ),
    (
        "lexicon-language-unknown-from-name",
        {**INPUTS, "lex.tsv": "cat\tchat\t1.0\n"},
        [*CODESWITCH, "--lexicon", "{w}/lex.tsv"],
        ["cannot tell the language of lexicon", "'fr=", "/lex.tsv'"],
    ),
    (
        "lexicon-line-malformed",
        {**INPUTS, "en-de.tsv": "cat chat\n"},
        [*CODESWITCH, "--lexicon", "{w}/en-de.tsv"],
        ["/en-de.tsv:1: expected 'source<TAB>target<TAB>score'"],
    ),
    (
        "ratio-above-1",
        INPUTS,
        [*CODESWITCH, "--lexicon", "{w}/en-fr.tsv", "--ratio", "1.5"],
        ["ratio must be a number in [0, 1]"],
    ),
    (
        "corpus-missing",
        INPUTS,
        ["codeswitch", "--input", "{w}/none.txt", "--out", "{w}/cs.jsonl", "--lexicon", "{w}/en-fr.tsv"],
        ["/none.txt: file not found"],
    ),
    (
        "lexicon-language-code-unknown",
        INPUTS,
        [*CODESWITCH, "--lexicon", "qq={w}/en-fr.tsv"],
        ["no English name known for language code 'qq'", "--language-name qq=Name"],
    ),
    (
        "vectors-binary-garbage",
        {"g.vec": b"\x00\x01\x02\xff\xfe" * 50, "t.vec": "2 3\na 1 2 3\nb 1 2 3\n"},
        [*INDUCE, "--src", "{w}/g.vec", "--tgt", "{w}/t.vec"],
        ["/g.vec: not a text word-vector file", "not valid UTF-8", "converted to .vec"],
    ),
    (
        "vectors-missing",
        {},
        [*INDUCE, "--src", "{w}/none.vec", "--tgt", "{w}/t.vec"],
        ["/none.vec: file not found"],
    ),
    (
        "vectors-dimensions-differ",
        {"a.vec": "2 3\na 1 2 3\nb 1 2 4\n", "b.vec": "2 2\nc 1 2\nd 2 1\n"},
        [*INDUCE, "--src", "{w}/a.vec", "--tgt", "{w}/b.vec"],
        ["dimension mismatch", "are 3-d", "are 2-d"],
    ),
    # stage-2 data
    (
        "parallel-language-unknown",
        INPUTS,
        [*STAGE2, "--input", "{w}/gsm.jsonl", "--parallel", "qq={w}/gsm.jsonl"],
        ["unknown language code 'qq'"],
    ),
    (
        "task-unknown",
        INPUTS,
        [*STAGE2, "--input", "{w}/gsm.jsonl", "--task", "bogus"],
        ["unknown stage-2 task 'bogus'", "gsm8k"],
    ),
    (
        "task-data-bad-json",
        {"bad.jsonl": "{nope\n"},
        [*STAGE2, "--input", "{w}/bad.jsonl"],
        ["/bad.jsonl:1: invalid JSON"],
    ),
    (
        "task-record-without-answer",
        {"q.jsonl": '{"question": "x"}\n'},
        [*STAGE2, "--input", "{w}/q.jsonl"],
        ["/q.jsonl:1: missing field 'answer'"],
    ),
    # evaluation
    (
        "benchmark-unknown",
        INPUTS,
        [*EVALUATE, "--benchmark", "bogus"],
        ["unknown benchmark 'bogus'", "sib200"],
    ),
    (
        "model-missing",
        INPUTS,
        [
            "evaluate",
            "--model",
            "{w}/nockpt",
            "--benchmark",
            "mgsm",
            "--data-dir",
            "{w}/mgsm",
            "--languages",
            "fr",
        ],
        ["checkpoint not found: '", "/nockpt' is not a directory"],
    ),
    (
        "data-dir-missing",
        {},
        [*EVALUATE, "--benchmark", "mgsm", "--languages", "fr"],
        ["mgsm: data directory not found"],
    ),
    (
        "limit-zero",
        INPUTS,
        [*EVALUATE, "--benchmark", "mgsm", "--languages", "fr", "--limit", "0"],
        ["limit must be an integer >= 1, got 0"],
    ),
    (
        "space-for-a-generation-benchmark",
        INPUTS,
        [*EVALUATE, "--benchmark", "mgsm", "--languages", "fr", "--space", "encoder"],
        ["space='encoder' applies to --benchmark tatoeba only"],
    ),
    (
        "language-not-in-benchmark",
        INPUTS,
        [*EVALUATE, "--benchmark", "xnli", "--languages", "bn"],
        ["xnli: language 'bn' is not in this benchmark"],
    ),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, str]:
    """Tiny models, a bridge checkpoint, and damaged copies: weights cut in half (an interrupted download) and
    a config.json whose LLM width was edited."""
    root = tmp_path_factory.mktemp("bad-inputs")
    enc, llm = build_tiny_components(root, encoder="mt5", llm="llama")
    ckpt = root / "ckpt"
    assert main(["model", "build", "--encoder", str(enc), "--llm", str(llm), "--out", str(ckpt)]) == 0
    damaged = {name: root / name for name in ("cut_ckpt", "cut_llm", "wide_config")}
    shutil.copytree(ckpt, damaged["cut_ckpt"])
    shutil.copytree(llm, damaged["cut_llm"])
    shutil.copytree(ckpt, damaged["wide_config"])
    for weights in (damaged["cut_ckpt"] / "bridge.safetensors", damaged["cut_llm"] / "model.safetensors"):
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    config = json.loads((damaged["wide_config"] / "config.json").read_text())
    config["text_config"]["hidden_size"] *= 2
    (damaged["wide_config"] / "config.json").write_text(json.dumps(config))
    return {"enc": str(enc), "llm": str(llm), "ckpt": str(ckpt), **{k: str(v) for k, v in damaged.items()}}


@pytest.mark.parametrize(
    ("files", "argv", "fragments"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(files, argv, fragments, models, tmp_path, capsys):
    err = assert_cli_fails_cleanly(tmp_path, files, argv, fragments, capsys, **models)
    assert "Traceback" not in err


def test_the_table_has_at_least_40_cases():
    from test_output_policy import REFUSED

    assert len(BAD_INPUTS) + len(REFUSED) >= 40
    assert len({c[0] for c in BAD_INPUTS} | {c[0] for c in REFUSED}) == len(BAD_INPUTS) + len(REFUSED)


def markdown_table() -> str:
    """The README's table: both suites' cases with the command and what the user is told."""
    from test_output_policy import REFUSED

    rows = ["| case | command | the message says |", "|---|---|---|"]
    for name, _files, argv, fragments in [*BAD_INPUTS, *REFUSED]:
        command = " ".join(argv).replace(f"{REPO}/", "").replace("{w}/", "")
        command = command.replace("|", "\\|")
        said = " … ".join(f.replace("|", "\\|") for f in fragments)
        rows.append(f"| {name} | `lingualift {command}` | {said} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    print(markdown_table())

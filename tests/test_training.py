"""Two-stage training on tiny models (CPU): what trains, what stays bitwise frozen, resume after SIGKILL, 2
processes.

The stage-1 set is real: first sentences of GSM8K questions code-switched into French with a small
hand-written lexicon by `lingualift.codeswitch.CodeSwitcher`. The tiny random LLM is first fitted to the
English sentences (a stand-in for a pretrained LLM: a random one cannot be steered by the bridge at all), so
the stage-1 loss can fall only through what the bridge learns to pass from the encoder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lingualift.io_utils import atomic_write_jsonl
from lingualift.training import load_config, run_stage1, run_stage2
from lingualift.training.callbacks import loss_curve
from lingualift.training.checkpointing import (
    COMPLETE_MARKER,
    TRAINABLE_WEIGHTS,
    last_complete_checkpoint,
    list_checkpoints,
)

REPO = Path(__file__).resolve().parents[1]
STAGE1_CONFIG = REPO / "recipes/configs/stage1/tiny.yaml"
STAGE2_CONFIG = REPO / "recipes/configs/stage2/tiny.yaml"
STAGE2_LORA_CONFIG = REPO / "recipes/configs/stage2/tiny_lora.yaml"
# Hang guard for the training subprocesses, not a speed check: one run takes under a minute on a loaded 2-core
# machine (measured <= 50 s at load 9: import + a dozen tiny steps), so this is over 20x that.
SUBPROCESS_TIMEOUT_S = 1200
TRANSLATE = "Translate the following French text into English:"

LEXICON_FR = {
    "earns": "gagne",
    "hour": "heure",
    "money": "argent",
    "new": "nouveau",
    "wallet": "portefeuille",
    "costs": "coûte",
    "reading": "lisant",
    "book": "livre",
    "writes": "écrit",
    "letter": "lettre",
    "different": "différents",
    "friends": "amis",
    "week": "semaine",
    "garden": "jardin",
    "flowers": "fleurs",
    "eat": "manger",
    "day": "jour",
    "package": "colis",
    "send": "envoyer",
    "brother": "frère",
    "school": "école",
    "makes": "gagne",
    "buying": "achetant",
    "pair": "paire",
    "shoes": "chaussures",
    "trees": "arbres",
    "farm": "ferme",
    "serve": "servir",
    "dinner": "dîner",
    "party": "fête",
    "read": "lire",
    "truck": "camion",
    "pink": "roses",
    "green": "verts",
    "yellow": "jaunes",
    "hats": "chapeaux",
    "hours": "heures",
    "walk": "marcher",
    "work": "travail",
    "ride": "monter",
    "bike": "vélo",
    "bought": "acheta",
    "stamps": "timbres",
    "office": "bureau",
    "name": "nom",
    "letters": "lettres",
    "store": "magasin",
    "summer": "été",
    "shopping": "courses",
    "island": "île",
    "painter": "peintre",
    "car": "voiture",
    "turns": "virages",
    "cars": "voitures",
    "tea": "thé",
    "candy": "bonbons",
    "house": "maison",
    "pieces": "morceaux",
    "favorite": "préféré",
    "grocery": "épicerie",
    "mango": "mangue",
}


def _first_sentences(shared_data: Path, count: int) -> list[tuple[str, str]]:
    """(first sentence, final answer) of the first GSM8K training questions, short ones only."""
    out = []
    with open(shared_data / "gsm8k" / "train.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            sentence = re.split(r"(?<=[.?!])\s+", row["question"])[0]
            if 20 <= len(sentence) <= 70:
                out.append((sentence, row["answer"].rsplit("####", 1)[-1].strip()))
            if len(out) == count:
                break
    return out


def _fit_llm_to(llm_dir: Path, texts: list[str], out_dir: Path, steps: int = 80) -> Path:
    """Fit the tiny random LLM to ``texts`` (test set-up: gives the frozen LLM something to be steered
    towards)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(llm_dir)
    model = AutoModelForCausalLM.from_pretrained(llm_dir)
    ids = [tok(t)["input_ids"] + [tok.eos_token_id] for t in texts]
    width = max(map(len, ids))
    input_ids = torch.tensor([row + [tok.eos_token_id] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    labels = input_ids.masked_fill(mask == 0, -100)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def bases(tmp_path_factory, shared_data):
    """Real code-switched stage-1 records, stage-2 records, a tiny mT5 encoder and a fitted tiny Llama."""
    from lingualift.codeswitch import CodeSwitcher
    from lingualift.modeling.tiny import build_tiny_components

    root = tmp_path_factory.mktemp("training")
    pairs = _first_sentences(shared_data, 16)
    switched = CodeSwitcher(lexicons={"fr": LEXICON_FR}, ratio=0.8, seed=0).switch([s for s, _ in pairs])
    assert sum(r.n_replaced for r in switched) >= 16, "the lexicon should switch words in most sentences"
    stage1 = root / "stage1.jsonl"
    atomic_write_jsonl(
        stage1, [{"instruction": TRANSLATE, "input": r.text, "output": r.source} for r in switched]
    )
    stage2 = root / "stage2.jsonl"
    atomic_write_jsonl(
        stage2,
        [
            {"instruction": "Answer the question.", "input": s, "output": f"The answer is {a}."}
            for s, a in pairs
        ],
    )
    enc_dir, llm_dir = build_tiny_components(root / "components", encoder="mt5", llm="llama")
    fitted = _fit_llm_to(llm_dir, [s for s, _ in pairs], root / "fitted-llama")
    return {"root": root, "stage1": stage1, "stage2": stage2, "encoder": enc_dir, "llm": fitted}


def _stage1_overrides(bases, out: Path, *extra: str) -> list[str]:
    return [
        f"model.encoder={bases['encoder']}",
        f"model.llm={bases['llm']}",
        f"data.train_file={bases['stage1']}",
        f"training.output_dir={out}",
        "training.learning_rate=0.01",
        *extra,
    ]


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _assert_bitwise_equal(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor], what: str) -> None:
    assert set(got) == set(want), what
    changed = [k for k in want if not torch.equal(got[k], want[k])]
    assert not changed, f"{what}: {len(changed)} tensors changed, e.g. {changed[:3]}"


def _falls(curve: list[float], window: int = 5, margin: float = 0.05) -> tuple[float, float]:
    head = sum(curve[:window]) / window
    tail = sum(curve[-window:]) / window
    assert tail < head * (1 - margin), (
        f"loss did not fall: first {window} mean {head:.4f}, last {window} {tail:.4f}"
    )
    return head, tail


@pytest.fixture(scope="module")
def stage1_run(bases):
    from lingualift.modeling.components import load_encoder, load_llm

    encoder_before = _state(load_encoder(bases["encoder"]))
    llm_before = _state(load_llm(bases["llm"]))
    out = bases["root"] / "stage1-run"
    result = run_stage1(
        load_config(
            STAGE1_CONFIG, _stage1_overrides(bases, out, "training.max_steps=20", "training.save_steps=5")
        )
    )
    return result, encoder_before, llm_before


def test_stage1_trains_only_the_bridge(stage1_run):
    result, encoder_before, llm_before = stage1_run
    model = result.trainer.model
    # loss falls on the code-switched set, a value logged at every step
    curve = loss_curve(result.output_dir / "train_log.jsonl")
    assert [s for s, _ in curve] == list(range(1, 21))
    _falls([loss for _, loss in curve])
    # the frozen LLM and encoder are bitwise the base weights
    _assert_bitwise_equal(_state(model.language_model), llm_before, "LLM")
    _assert_bitwise_equal(_state(model.encoder), encoder_before, "encoder")
    # only bridge parameters are trainable and only they have optimizer state
    names = {id(p): n for n, p in model.named_parameters()}
    with_state = sorted(names[id(p)] for p in result.trainer.optimizer.state)
    bridge = sorted(n for n, _ in model.named_parameters() if n.startswith("bridge."))
    assert with_state == bridge and result.trainable_parameters == [
        n for n, _ in model.named_parameters() if n.startswith("bridge.")
    ]


def test_stage1_checkpoints_hold_only_the_bridge_and_final_loads(stage1_run):
    from lingualift.modeling import LinguaLiftForCausalLM

    result, _, _ = stage1_run
    model = result.trainer.model
    checkpoints = list_checkpoints(result.output_dir)
    assert [c.name for c in checkpoints] == ["checkpoint-15", "checkpoint-20"]  # save_total_limit=2 of 5..20
    saved = load_file(str(checkpoints[-1] / TRAINABLE_WEIGHTS))
    assert sorted(saved) == sorted(n for n, _ in model.named_parameters() if n.startswith("bridge."))
    bridge_bytes = sum(t.numel() * t.element_size() for t in saved.values())
    llm_bytes = sum(p.numel() * p.element_size() for p in model.language_model.parameters())
    assert bridge_bytes < llm_bytes / 5
    assert not (result.output_dir / ".partial").exists()
    # the final bridge checkpoint reloads onto its bases with the trained bridge weights
    reloaded = LinguaLiftForCausalLM.from_bridge(result.final_dir)
    for name, tensor in reloaded.bridge.state_dict().items():
        assert torch.equal(tensor, model.bridge.state_dict()[name]), name


@pytest.fixture(scope="module")
def stage2_runs(bases, stage1_run):
    """Stage 2 (full and LoRA) from the stage-1 bridge checkpoint."""
    stage1_result = stage1_run[0]
    bridge_before = load_file(str(stage1_result.final_dir / "bridge.safetensors"))
    common = [
        f"stage.bridge_checkpoint={stage1_result.final_dir}",
        f"data.train_file={bases['stage2']}",
        "training.max_steps=12",
    ]
    full = run_stage2(
        load_config(STAGE2_CONFIG, common + [f"training.output_dir={bases['root'] / 's2-full'}"])
    )
    lora = run_stage2(
        load_config(STAGE2_LORA_CONFIG, common + [f"training.output_dir={bases['root'] / 's2-lora'}"])
    )
    return full, lora, bridge_before


def test_stage2_full_finetune_changes_only_the_llm(stage2_runs, stage1_run):
    full, _, bridge_before = stage2_runs
    _, encoder_before, llm_before = stage1_run
    model = full.trainer.model
    _falls([loss for _, loss in loss_curve(full.output_dir / "train_log.jsonl")], margin=0.2)
    _assert_bitwise_equal(_state(model.bridge), bridge_before, "bridge")
    _assert_bitwise_equal(_state(model.encoder), encoder_before, "encoder")
    llm_after = _state(model.language_model)
    assert all(not torch.equal(llm_after[k], llm_before[k]) for k in llm_before if k.endswith("proj.weight"))
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].startswith("language_model.") for p in full.trainer.optimizer.state)
    # the final full checkpoint reloads with the fine-tuned LLM
    from lingualift.modeling import LinguaLiftForCausalLM

    reloaded = LinguaLiftForCausalLM.from_checkpoint(full.final_dir)
    _assert_bitwise_equal(_state(reloaded.language_model), llm_after, "reloaded LLM")
    # the model card records both stages (stage 1's entry carried over from the bridge checkpoint)
    from lingualift.persistence import load_card_data

    recorded = load_card_data(full.final_dir)["stages"]
    assert [stage["name"] for stage in recorded] == [
        "stage 1 (language alignment)",
        "stage 2 (task transfer)",
    ]
    assert recorded[1]["steps"] == full.global_step
    card = (full.final_dir / "README.md").read_text(encoding="utf-8")
    assert "stage 1 (language alignment)" in card and "stage 2 (task transfer)" in card


def test_stage2_lora_trains_the_adapter_only(stage2_runs, stage1_run):
    _, lora, bridge_before = stage2_runs
    _, encoder_before, llm_before = stage1_run
    model = lora.trainer.model
    _falls([loss for _, loss in loss_curve(lora.output_dir / "train_log.jsonl")], margin=0.2)
    _assert_bitwise_equal(_state(model.bridge), bridge_before, "bridge")
    _assert_bitwise_equal(_state(model.encoder), encoder_before, "encoder")
    state = _state(model.language_model)
    base = {
        k.replace("base_model.model.", "").replace(".base_layer", ""): v
        for k, v in state.items()
        if "lora_" not in k
    }
    _assert_bitwise_equal(base, llm_before, "LoRA base LLM")
    lora_b = [v for k, v in state.items() if "lora_B" in k]
    assert lora_b and all(v.abs().sum() > 0 for v in lora_b)  # initialised at zero, trained away from it
    assert all("lora_" in n for n in lora.trainable_parameters)
    assert json.loads((lora.final_dir / "lingualift_checkpoint.json").read_text())["form"] == "bridge+lora"


KILLER = r"""
import os, signal, sys
from lingualift.training import load_config, run_stage1
from lingualift.training.trainer import LinguaLiftTrainer

mode, kill_step, config, *overrides = sys.argv[1:]
kill_step = int(kill_step)

# die in the middle of writing checkpoint-<kill_step>: weights/optimizer/RNG written, no state
if mode == "save":
    original = LinguaLiftTrainer._save_rng_state
    def save_then_die(self, output_dir):
        original(self, output_dir)
        if self.state.global_step == kill_step:
            os.kill(os.getpid(), signal.SIGKILL)
    LinguaLiftTrainer._save_rng_state = save_then_die

run_stage1(load_config(config, overrides))
"""


def _killable_run(mode: str, step: int, overrides: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", KILLER, mode, str(step), str(STAGE1_CONFIG), *overrides],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_same_weights(bases, tmp_path):
    steps = ["training.max_steps=12", "training.save_steps=4", "training.save_total_limit=null"]
    reference = run_stage1(load_config(STAGE1_CONFIG, _stage1_overrides(bases, tmp_path / "ref", *steps)))

    out = tmp_path / "killed"
    overrides = _stage1_overrides(bases, out, *steps, "training.resume=true")
    killed = _killable_run("save", 8, overrides)  # SIGKILLed mid-run, while writing checkpoint-8
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (out / ".partial" / "checkpoint-8" / TRAINABLE_WEIGHTS).is_file()  # the save really was cut short
    assert not (out / "checkpoint-8").exists()
    assert last_complete_checkpoint(out).name == "checkpoint-4"

    finished = _killable_run("none", 0, overrides)  # resumes from checkpoint-4 and completes
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert [c.name for c in list_checkpoints(out)] == ["checkpoint-4", "checkpoint-8", "checkpoint-12"]
    assert all((c / COMPLETE_MARKER).is_file() for c in list_checkpoints(out, complete_only=False))

    want = load_file(str(reference.final_dir / "bridge.safetensors"))
    got = load_file(str(out / "final" / "bridge.safetensors"))
    assert set(got) == set(want)
    worst = max(float((got[k] - want[k]).abs().max()) for k in want)
    assert worst <= 1e-6, f"resumed weights differ from the uninterrupted run by {worst}"
    # the step log has every step once, with the uninterrupted run's losses
    ref_curve = loss_curve(reference.output_dir / "train_log.jsonl")
    got_curve = loss_curve(out / "train_log.jsonl")
    assert [s for s, _ in got_curve] == [s for s, _ in ref_curve] == list(range(1, 13))
    assert max(abs(a - b) for (_, a), (_, b) in zip(got_curve, ref_curve)) < 1e-5


@pytest.mark.slow
def test_two_process_accelerate_run_matches_one_process(bases, tmp_path):
    """Same global batch on 1 process (plain python) and 2 CPU processes (accelerate launch with the DDP
    config, gloo): both finish with the same loss curve up to float noise (same examples per optimizer
    step)."""
    common = [
        f"model.encoder={bases['encoder']}",
        f"model.llm={bases['llm']}",
        f"data.train_file={bases['stage2']}",
        "stage.bridge_checkpoint=null",
        "stage.require_bridge_checkpoint=false",
        "stage.train_bridge=true",  # no stage-1 checkpoint: the fresh bridge trains with the LLM
        "training.max_steps=10",
        "training.save_steps=100",
        "training.global_batch_size=8",
        "training.per_device_batch_size=2",
        "training.lr_scheduler_type=constant",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    curves = {}
    for procs in (1, 2):
        out = tmp_path / f"p{procs}"
        launcher = (
            [sys.executable]
            if procs == 1
            else [
                sys.executable,
                "-m",
                "accelerate.commands.launch",
                "--config_file",
                str(REPO / "recipes/accelerate/ddp.yaml"),
                "--cpu",
                "--num_processes",
                "2",
                "--mixed_precision",
                "no",
            ]
        )
        cmd = [
            *launcher,
            str(REPO / "recipes/stage2_task.py"),
            "--config",
            str(STAGE2_CONFIG),
            *common,
            f"training.output_dir={out}",
        ]
        done = subprocess.run(
            cmd,
            check=False,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_S,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert (out / "final" / "lingualift_checkpoint.json").is_file()
        curves[procs] = [loss for _, loss in loss_curve(out / "train_log.jsonl")]
    assert len(curves[1]) == len(curves[2]) == 10
    _falls(curves[2], window=3, margin=0.1)
    worst = max(abs(a - b) / a for a, b in zip(curves[1], curves[2]))
    assert worst < 1e-3, f"1- vs 2-process loss curves differ by up to {worst:.2%}: {curves}"

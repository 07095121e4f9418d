"""Tiny random models end to end: the CLI on a saved bridged checkpoint and a plain LLM, option scoring
against a reference computation, Tatoeba retrieval in every space, and clear errors for non-model
checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lingualift.errors import CheckpointError, ConfigError
from lingualift.evaluation.alignment import tatoeba_retrieval
from lingualift.evaluation.backends import TransformersBackend, load_backend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tiny_bridged):
    return tiny_bridged


def test_cli_end_to_end_bridged_then_plain(tiny, shared_data: Path, tmp_path: Path, capsys):
    from lingualift.cli import main

    out = tmp_path / "results"
    argv = [
        "evaluate",
        "--model",
        str(tiny["ckpt"]),
        "--benchmark",
        "mgsm",
        "--data-dir",
        str(shared_data / "mgsm"),
        "--languages",
        "bn,sw",
        "--limit",
        "3",
        "--batch-size",
        "2",
        "--max-new-tokens",
        "8",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| Model | bn | sw | LR | Avg |" in printed
    summary = json.loads((out / "summary.json").read_text())["benchmarks"]["mgsm"]
    assert summary["languages"]["bn"]["n"] == 3 and summary["throughput"]["examples"] == 6
    records = [json.loads(x) for x in (out / "predictions" / "mgsm" / "bn.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(isinstance(r["response"], str) for r in records)
    assert (out / "mgsm_accuracy.png").is_file() and (out / "report.md").is_file()
    # a re-run resumes: nothing new is generated
    assert main(argv) == 0
    again = json.loads((out / "summary.json").read_text())["benchmarks"]["mgsm"]
    assert again["throughput"]["examples"] == 0 and again["languages"] == summary["languages"]
    # the plain LLM (Mono-SFT baseline) through the same prompts
    plain_out = tmp_path / "plain"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tiny["llm"]),
                "--benchmark",
                "mgsm",
                "--data-dir",
                str(shared_data / "mgsm"),
                "--languages",
                "en",
                "--limit",
                "2",
                "--max-new-tokens",
                "4",
                "--out",
                str(plain_out),
                "--no-progress",
                "--no-plots",
            ]
        )
        == 0
    )
    plain = json.loads((plain_out / "summary.json").read_text())["benchmarks"]["mgsm"]
    assert plain["languages"]["en"]["n"] == 2 and plain["instruction"] == summary["instruction"]


def test_cli_reports_bad_inputs(tiny, shared_data: Path, tmp_path: Path, capsys):
    from lingualift.cli import main

    base = [
        "evaluate",
        "--benchmark",
        "mgsm",
        "--data-dir",
        str(shared_data / "mgsm"),
        "--out",
        str(tmp_path),
    ]
    assert main(base + ["--model", str(tmp_path / "missing")]) == 1
    missing = repr(str(tmp_path / "missing"))
    assert f"checkpoint not found: {missing} is not a directory" in capsys.readouterr().err
    not_model = tmp_path / "not_model"
    not_model.mkdir()
    (not_model / "notes.txt").write_text("hello")
    assert main(base + ["--model", str(not_model)]) == 1
    assert (
        "not a model checkpoint (no lingualift_checkpoint.json, config.json or adapter_config.json; it holds:"
        " notes.txt)" in capsys.readouterr().err
    )
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tiny["ckpt"]),
                "--benchmark",
                "mgsm",
                "--data-dir",
                str(tmp_path),
                "--languages",
                "bn",
            ]
        )
        == 1
    )
    assert "mgsm: data file not found" in capsys.readouterr().err
    assert (
        main(["evaluate", "--model", str(tiny["ckpt"]), "--benchmark", "mgsm", "--languages", "bn,xx"]) == 1
    )
    assert "unknown language code 'xx'" in capsys.readouterr().err
    (not_model / "config.json").write_text("{broken")
    with pytest.raises(CheckpointError, match=r"not_model/config.json: not readable JSON"):
        load_backend(not_model)
    (not_model / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(CheckpointError, match="config.json but no weights"):
        load_backend(not_model)


def test_option_scores_match_a_reference_computation(tiny):
    model, processor = tiny["model"], tiny["processor"]
    backend = TransformersBackend(model, processor)
    options = [["entailment", "neutral", "contradiction"], ["neutral", "contradiction", "entailment"]]
    inputs = [
        "Premise: Le chat dort.\nHypothesis: Le chat mange.",
        "Premise: Der Hund.\nHypothesis: Die Katze.",
    ]
    scores = backend.score_options(["Answer."] * 2, inputs, options)
    for row, (text, opts) in enumerate(zip(inputs, options)):
        for col, option in enumerate(opts):
            prompt = processor(["Answer."], [text], padding_side="left")
            option_ids = processor.llm_tokenizer(option, add_special_tokens=False, return_tensors="pt")[
                "input_ids"
            ]
            ids = torch.cat([prompt["input_ids"], option_ids], dim=1)
            with torch.no_grad():
                logits = model(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    encoder_input_ids=prompt["encoder_input_ids"],
                    encoder_attention_mask=prompt["encoder_attention_mask"],
                ).logits
            logp = logits[0, :-1].log_softmax(-1)
            n = option_ids.shape[1]
            positions = range(ids.shape[1] - n - 1, ids.shape[1] - 1)
            reference = sum(float(logp[p, ids[0, p + 1]]) for p in positions)
            assert scores[row][col] == pytest.approx(reference, abs=1e-3)


def test_tatoeba_retrieval_every_space(tiny, shared_data: Path):
    model, processor = tiny["model"], tiny["processor"]
    spaces = ("encoder", "bridge", "llm", "llm_input")
    together = tatoeba_retrieval(
        model, processor, shared_data / "tatoeba", ["bn", "de"], limit=20, space=spaces
    )
    assert list(together) == list(spaces)
    for space in spaces:
        result = tatoeba_retrieval(
            model, processor, shared_data / "tatoeba", ["bn", "de"], limit=20, space=space
        )
        assert set(result) == {"bn", "de"} and result["de"]["n"] == 20
        assert 0.0 <= result["de"]["accuracy"] <= 100.0
        assert result == together[space]  # one shared pass gives what a pass per space gives
    # identical sentences on both sides retrieve themselves: 100% in any space
    src = ["Is anybody home?", "He lives near here.", "I love you.", "The cat sleeps."]
    (shared_data_tmp := tiny["root"] / "tat").mkdir(exist_ok=True)
    (shared_data_tmp / "tatoeba.deu-eng.deu").write_text("\n".join(src) + "\n")
    (shared_data_tmp / "tatoeba.deu-eng.eng").write_text("\n".join(src) + "\n")
    assert (
        tatoeba_retrieval(model, processor, shared_data_tmp, ["de"], space="bridge")["de"]["accuracy"]
        == 100.0
    )
    plain = load_backend(str(tiny["llm"]))
    with pytest.raises(ConfigError, match="needs a bridged model"):
        tatoeba_retrieval(
            plain.model, plain.processor, shared_data / "tatoeba", ["de"], limit=5, space="encoder"
        )


def test_translation_likelihood_matches_the_lm_loss_and_is_batch_invariant(tiny, shared_data: Path):
    from lingualift.evaluation.benchmarks import load_tatoeba_pairs
    from lingualift.evaluation.translation import translation_likelihood

    model, processor = tiny["model"], tiny["processor"]
    pair = (model, processor)
    batched = translation_likelihood(
        pair, shared_data / "tatoeba", ["fr"], limit=6, batch_size=4, examples=1, max_new_tokens=4
    )
    single = translation_likelihood(
        pair, shared_data / "tatoeba", ["fr"], limit=6, batch_size=1, examples=1, max_new_tokens=4
    )
    assert batched["fr"]["n"] == 6 and len(batched["fr"]["examples"]) == 1
    assert batched["fr"]["tokens"] == single["fr"]["tokens"] > 0
    assert batched["fr"]["nll_per_token"] == pytest.approx(single["fr"]["nll_per_token"], abs=1e-3)
    # reference: the model's own token-mean cross-entropy over each English reference (closing EOS excluded)
    source, english = load_tatoeba_pairs(shared_data / "tatoeba", "fr", 6)
    total, count = 0.0, 0
    with torch.no_grad():
        for src, eng in zip(source, english):
            batch = processor(["Translate the following French text into English:"], [src], responses=[eng])
            labels = batch.pop("labels")
            scored = torch.nonzero(labels[0] != -100)[:, 0]
            labels[0, scored[-1]] = -100  # the EOS
            loss = model(**batch, labels=labels).loss
            total += float(loss) * (len(scored) - 1)
            count += len(scored) - 1
    assert batched["fr"]["tokens"] == count
    assert batched["fr"]["nll_per_token"] == pytest.approx(total / count, abs=1e-3)


def test_cli_tatoeba_translation_likelihood(tiny, shared_data: Path, tmp_path: Path, capsys):
    from lingualift.cli import main
    from lingualift.evaluation.translation import translation_likelihood

    out = tmp_path / "tr"
    argv = [
        "evaluate",
        "--model",
        str(tiny["ckpt"]),
        "--benchmark",
        "tatoeba",
        "--space",
        "translation",
        "--data-dir",
        str(shared_data / "tatoeba"),
        "--languages",
        "fr,sw",
        "--limit",
        "5",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "NLL per token of the English reference" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())["benchmarks"]["tatoeba_translation"]
    direct = translation_likelihood(
        load_backend(str(tiny["ckpt"])), shared_data / "tatoeba", ["fr", "sw"], limit=5
    )
    for lang in ("fr", "sw"):
        assert summary["languages"][lang]["nll_per_token"] == pytest.approx(
            direct[lang]["nll_per_token"], abs=1e-3
        )
    avg = (direct["fr"]["nll_per_token"] + direct["sw"]["nll_per_token"]) / 2
    assert summary["groups"]["metric"] == "nll_per_token"
    assert summary["groups"]["resource_levels"]["Avg"] == pytest.approx(avg, abs=1e-3)
    assert f"{summary['groups']['resource_levels']['Avg']:.3f}" in (out / "report.md").read_text()
    assert (out / "tatoeba_translation_nll_per_token.png").stat().st_size > 1000


def test_update_card_records_the_evaluation(tiny, shared_data: Path, tmp_path: Path):
    import shutil

    from lingualift.evaluation.runner import evaluate

    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny["ckpt"], ckpt)
    summary = evaluate(
        str(ckpt),
        "xnli",
        data_dir=shared_data / "xnli",
        languages=["fr", "sw"],
        limit=4,
        out_dir=None,
        progress=False,
        plots=False,
        update_card=True,
    )
    card = (ckpt / "README.md").read_text(encoding="utf-8")
    row = " | ".join(f"{summary['languages'][lang]['accuracy']:.1f}" for lang in ("fr", "sw"))
    assert (
        "**xnli** (accuracy, %)" in card and f"| {row} |\n" in card and "No evaluation recorded" not in card
    )
    saved = json.loads((ckpt / "lingualift_card.json").read_text())
    assert saved["evaluation"]["xnli"] == {l: summary["languages"][l]["accuracy"] / 100 for l in ("fr", "sw")}
    # a plain LLM directory has no lingualift card: a clear error before any work
    with pytest.raises(ConfigError, match="update_card needs a lingualift checkpoint directory"):
        evaluate(
            str(tiny["llm"]),
            "xnli",
            data_dir=shared_data / "xnli",
            languages=["fr"],
            limit=1,
            out_dir=None,
            progress=False,
            update_card=True,
        )

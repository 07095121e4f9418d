"""Training data for both stages: code-switched stage-1 translation records and stage-2 task records."""

from lingualift.data.prompts import (
    MATH_INSTRUCTION,
    MCQA_INSTRUCTION,
    NLI_INSTRUCTION,
    NLI_LABELS,
    STAGE1_INSTRUCTION_TEMPLATE,
    stage1_instruction,
)
from lingualift.data.stage1 import Stage1Options, Stage1Summary, build_stage1_dataset, iter_stage1_records
from lingualift.data.stage2 import TASKS, Stage2Summary, build_stage2_dataset, iter_stage2_records

__all__ = [
    "MATH_INSTRUCTION",
    "MCQA_INSTRUCTION",
    "NLI_INSTRUCTION",
    "NLI_LABELS",
    "STAGE1_INSTRUCTION_TEMPLATE",
    "TASKS",
    "Stage1Options",
    "Stage1Summary",
    "Stage2Summary",
    "build_stage1_dataset",
    "build_stage2_dataset",
    "iter_stage1_records",
    "iter_stage2_records",
    "stage1_instruction",
]

"""Two-stage training recipes on the HF Trainer: stage 1 aligns the bridge, stage 2 transfers to the task.

from lingualift.training import load_config, run_stage1
result = run_stage1(load_config("recipes/configs/stage1/tiny.yaml", ["training.max_steps=20"]))
"""

from lingualift.training.config import RunConfig, load_config
from lingualift.training.run import StageResult, run_stage1, run_stage2

__all__ = ["RunConfig", "StageResult", "load_config", "run_stage1", "run_stage2"]

"""Stage 2 of LinguaLIFT: fine-tune the LLM (full or LoRA) on English task data from a stage-1 bridge
checkpoint.

    python recipes/stage2_task.py --config recipes/configs/stage2/tiny.yaml stage.bridge_checkpoint=DIR
    accelerate launch --config_file recipes/accelerate/deepspeed_zero3.yaml \\
        recipes/stage2_task.py --config CONFIG
    lingualift train stage2 --config CONFIG          # the same

All logic lives in lingualift.training (HF Trainer); this script only forwards the command line.
"""

import sys

from lingualift.training.cli import recipe_main

if __name__ == "__main__":
    sys.exit(recipe_main("stage2"))

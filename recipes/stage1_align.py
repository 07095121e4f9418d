"""Stage 1 of LinguaLIFT: align a frozen multilingual encoder to a frozen LLM by training only the bridge.

    python recipes/stage1_align.py --config recipes/configs/stage1/tiny.yaml [key=value ...]
    accelerate launch --config_file recipes/accelerate/ddp.yaml recipes/stage1_align.py --config CONFIG
    lingualift train stage1 --config CONFIG          # the same

All logic lives in lingualift.training (HF Trainer); this script only forwards the command line.
"""

import sys

from lingualift.training.cli import recipe_main

if __name__ == "__main__":
    sys.exit(recipe_main("stage1"))

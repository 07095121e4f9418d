"""The parallel-language study (English plus k parallel languages, transfer matrix) over the small-scale
experiment, resumable step by step.

    python recipes/parallel_languages.py \
        --config recipes/configs/experiments/parallel_languages.yaml data_dir=DATA

All logic lives in lingualift.experiments.parallel; this script only forwards the command line.
"""

import sys

from lingualift.experiments import main_parallel

if __name__ == "__main__":
    sys.exit(main_parallel())

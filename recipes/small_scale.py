"""The small-scale reproduction of LinguaLIFT's claim (SIB-200, Tatoeba) on a CPU, resumable step by step.

    python recipes/small_scale.py --config recipes/configs/experiments/small_scale.yaml data_dir=DATA
    python recipes/small_scale.py --config recipes/configs/experiments/small_scale_tiny.yaml data_dir=DATA

All logic lives in lingualift.experiments; this script only forwards the command line.
"""

import sys

from lingualift.experiments import main

if __name__ == "__main__":
    sys.exit(main())

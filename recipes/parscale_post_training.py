"""ParScale post-training at equal steps (held-out loss for P = 1, 2, 4 streams), resumable step by step.

    python recipes/parscale_post_training.py \
        --config recipes/configs/experiments/parscale_post_training.yaml data_dir=DATA

All logic lives in lingualift.experiments.parscale; this script only forwards the command line.
"""

import sys

from lingualift.experiments import main_parscale

if __name__ == "__main__":
    sys.exit(main_parscale())

"""lingualift: LinguaLIFT-style encoder-bridged LLMs.

``import lingualift`` registers the bridged model with the transformers Auto classes, so
``AutoModelForCausalLM.from_pretrained(dir)`` loads every saved checkpoint form without ``trust_remote_code``.
"""

__version__ = "0.1.0"

from lingualift import persistence  # registers save/load of every checkpoint form on the model
from lingualift.modeling import LinguaLiftConfig, LinguaLiftForCausalLM, LinguaLiftProcessor
from lingualift.persistence import load_with_processor

__all__ = [
    "LinguaLiftConfig",
    "LinguaLiftForCausalLM",
    "LinguaLiftProcessor",
    "__version__",
    "load_with_processor",
    "persistence",
]

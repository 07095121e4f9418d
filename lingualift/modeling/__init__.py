"""The bridged model: config, model, processor, stage policies and checkpoints; registered with the Auto
classes."""

from transformers import AutoConfig, AutoModelForCausalLM

from lingualift.modeling.configuration import BRIDGE_TYPES, LinguaLiftConfig
from lingualift.modeling.modeling import LinguaLiftForCausalLM, LinguaLiftPreTrainedModel
from lingualift.modeling.parscale import ParScaleConfig, ParScaleForCausalLM
from lingualift.modeling.processing import LinguaLiftProcessor

AutoConfig.register(LinguaLiftConfig.model_type, LinguaLiftConfig, exist_ok=True)
AutoModelForCausalLM.register(LinguaLiftConfig, LinguaLiftForCausalLM, exist_ok=True)
AutoConfig.register(ParScaleConfig.model_type, ParScaleConfig, exist_ok=True)
AutoModelForCausalLM.register(ParScaleConfig, ParScaleForCausalLM, exist_ok=True)

__all__ = [
    "BRIDGE_TYPES",
    "LinguaLiftConfig",
    "LinguaLiftForCausalLM",
    "LinguaLiftPreTrainedModel",
    "LinguaLiftProcessor",
    "ParScaleConfig",
    "ParScaleForCausalLM",
]

"""`LinguaLiftProcessor`: turns (instruction, input, response) triples into the bridged model's inputs.

The instruction (and any chat template around it) is tokenised by the LLM tokenizer; the task input is
tokenised by the encoder tokenizer (N tokens) and represented in the LLM sequence by ``<enc_start>``,
N × ``<enc>``, ``<enc_end>`` placeholder tokens, which the model replaces with bridged encoder states. Labels
are -100 except on the response tokens and the closing EOS. ``for_plain_llm`` gives the same prompts with the
input inlined as text, so a plain causal LM baseline is evaluated and trained through exactly the same
templates.

Example::

    processor = LinguaLiftProcessor.from_components(encoder="google/mt5-xl", llm="meta-llama/Llama-2-7b-hf")
    batch = processor(["Solve step by step."], ["Janet ana bata 16..."], responses=["... The answer is 18."])
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoTokenizer, BatchEncoding, PreTrainedTokenizerBase
from transformers.utils import PushToHubMixin

from lingualift.errors import CheckpointError, ConfigError, InputDataError
from lingualift.io_utils import atomic_write_json

logger = logging.getLogger(__name__)

ENC_START_TOKEN = "<enc_start>"
ENC_TOKEN = "<enc>"
ENC_END_TOKEN = "<enc_end>"
PLACEHOLDER_TOKENS = (ENC_START_TOKEN, ENC_TOKEN, ENC_END_TOKEN)
INPUT_SLOT = "\u2063LINGUALIFT_INPUT\u2063"  # survives chat templates, never occurs in real text
PLAIN_TEMPLATE = "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
PROCESSOR_CONFIG = "lingualift_processor.json"
LLM_TOKENIZER_DIR = "llm_tokenizer"
ENCODER_TOKENIZER_DIR = "encoder_tokenizer"


def load_tokenizer(source: str | os.PathLike | PreTrainedTokenizerBase, revision: str | None = None):
    """A tokenizer object from a hub id, a local directory or an existing tokenizer (returned unchanged)."""
    if isinstance(source, PreTrainedTokenizerBase):
        return source
    if hasattr(source, "name_or_path") and not isinstance(source, (str, os.PathLike)):
        source = source.name_or_path  # a model object: load the tokenizer saved beside it
    from lingualift.hub import check_local_source

    check_local_source(source, what="model")
    try:
        return AutoTokenizer.from_pretrained(str(source), revision=revision)
    except OSError as exc:
        raise CheckpointError(f"cannot load a tokenizer from {source!s}: {exc}") from None


class LinguaLiftProcessor(PushToHubMixin):
    """Holds the LLM tokenizer and (unless plain) the encoder tokenizer; builds padded, labelled batches."""

    def __init__(
        self,
        llm_tokenizer: PreTrainedTokenizerBase,
        encoder_tokenizer: PreTrainedTokenizerBase | None = None,
        max_input_length: int = 512,
        max_length: int = 2048,
        chat_template: str = "auto",
        truncation: bool = True,
    ):
        self.llm_tokenizer = llm_tokenizer
        self.encoder_tokenizer = encoder_tokenizer
        self.max_input_length = int(max_input_length)
        self.max_length = int(max_length)
        self.chat_template = chat_template
        self.truncation = bool(truncation)
        # inputs cut to max_input_length and responses cut to max_length so far (the first of each is logged)
        self.truncated = {"inputs": 0, "responses": 0}
        if self.max_input_length <= 0 or self.max_length <= 0:
            raise ConfigError(
                f"max_input_length/max_length must be positive, got {self.max_input_length}/{self.max_length}"
            )
        self._prepare_llm_tokenizer()
        if encoder_tokenizer is not None and encoder_tokenizer.pad_token_id is None:
            raise ConfigError(
                f"encoder tokenizer {encoder_tokenizer.name_or_path!r} has no pad token;"
                " set one before building the processor (e.g. tokenizer.pad_token = tokenizer.eos_token)"
            )
        self._prompt_parts = self._split_template()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_components(
        cls,
        encoder: str | os.PathLike | PreTrainedTokenizerBase | Any,
        llm: str | os.PathLike | PreTrainedTokenizerBase | Any,
        encoder_revision: str | None = None,
        llm_revision: str | None = None,
        **kwargs: Any,
    ) -> LinguaLiftProcessor:
        """Build from hub ids, local directories or tokenizer objects of the encoder and the LLM."""
        from lingualift.modeling.components import check_roles

        # before any tokenizer loads: an LLM passed as the encoder, or vice versa, is named as such
        check_roles(encoder, llm, encoder_revision, llm_revision)
        return cls(
            load_tokenizer(llm, llm_revision),
            encoder_tokenizer=load_tokenizer(encoder, encoder_revision),
            **kwargs,
        )

    @classmethod
    def for_plain_llm(
        cls, llm: str | os.PathLike | PreTrainedTokenizerBase, **kwargs: Any
    ) -> LinguaLiftProcessor:
        """A processor for a bare causal LM: same prompts, the task input inlined as LLM text."""
        return cls(load_tokenizer(llm), encoder_tokenizer=None, **kwargs)

    def _prepare_llm_tokenizer(self) -> None:
        tok = self.llm_tokenizer
        if self.encoder_tokenizer is not None:
            missing = [t for t in PLACEHOLDER_TOKENS if t not in tok.get_vocab()]
            if missing:
                tok.add_special_tokens(
                    {"additional_special_tokens": missing}, replace_extra_special_tokens=False
                )
        if tok.pad_token_id is None:
            if tok.eos_token_id is None:
                raise ConfigError(
                    f"LLM tokenizer {tok.name_or_path!r} has neither a pad nor an eos token: set"
                    " tokenizer.pad_token before building the processor"
                )
            tok.pad_token = (
                tok.eos_token
            )  # reuse eos as pad; padding is masked by the attention mask, not by id
        if tok.eos_token_id is None:
            raise ConfigError(
                f"LLM tokenizer {tok.name_or_path!r} has no eos token: responses could never end"
            )

    @property
    def is_plain(self) -> bool:
        """True when there is no encoder: inputs are inlined as text for a bare causal LM."""
        return self.encoder_tokenizer is None

    @property
    def placeholder_token_ids(self) -> dict[str, int]:
        """Ids of ``enc_start``/``enc``/``enc_end`` in the LLM tokenizer (what the model config records)."""
        if self.is_plain:
            raise ConfigError("a plain-LLM processor has no placeholder tokens")
        ids = self.llm_tokenizer.convert_tokens_to_ids(list(PLACEHOLDER_TOKENS))
        return {"enc_start_token_id": ids[0], "enc_token_id": ids[1], "enc_end_token_id": ids[2]}

    def _uses_chat_template(self) -> bool:
        if self.chat_template in ("none", None, ""):
            return False
        if self.chat_template == "auto":
            return bool(getattr(self.llm_tokenizer, "chat_template", None))
        return True

    def _split_template(self) -> tuple[str, str, str]:
        """The prompt as ``(before instruction, between instruction and input, after input)`` text."""
        marker = "\u2063LINGUALIFT_INSTRUCTION\u2063"
        if self._uses_chat_template():
            template = None if self.chat_template == "auto" else self.chat_template
            text = self.llm_tokenizer.apply_chat_template(
                [{"role": "user", "content": f"{marker}\n{INPUT_SLOT}"}],
                tokenize=False,
                add_generation_prompt=True,
                chat_template=template,
            )
        else:
            text = PLAIN_TEMPLATE.format(instruction=marker, input=INPUT_SLOT)
        if text.count(marker) != 1 or text.count(INPUT_SLOT) != 1:
            raise ConfigError(
                "the chat template dropped or repeated the user message; pass chat_template='none'"
            )
        head, rest = text.split(marker)
        middle, tail = rest.split(INPUT_SLOT)
        return head, middle, tail

    # ------------------------------------------------------------------ prompts
    def render_prompt(self, instruction: str, input_text: str) -> str:
        """The full prompt text with the input inlined (what a plain LLM sees; for logging and baselines)."""
        head, middle, tail = self._prompt_parts
        return f"{head}{instruction}{middle}{input_text}{tail}"

    def _llm_ids(self, text: str, first: bool) -> list[int]:
        tok = self.llm_tokenizer
        ids = tok(text, add_special_tokens=False)["input_ids"] if text else []
        if first and not self._uses_chat_template() and tok.bos_token_id is not None:
            probe = tok("a", add_special_tokens=True)["input_ids"]
            if probe and probe[0] == tok.bos_token_id:
                ids = [tok.bos_token_id] + ids
        return ids

    def _encoder_ids(self, text: str, index: int) -> list[int]:
        assert self.encoder_tokenizer is not None
        ids = self.encoder_tokenizer(text, add_special_tokens=True)["input_ids"]
        if len(ids) > self.max_input_length:
            if not self.truncation:
                raise InputDataError(
                    f"example {index}: encoder input has {len(ids)} tokens, over max_input_length="
                    f"{self.max_input_length} (enable truncation or raise the limit)"
                )
            self._note_truncation(
                "inputs",
                f"example {index}: encoder input has {len(ids)} tokens; only the first max_input_length="
                f"{self.max_input_length} are read (raise model.max_input_length to keep the rest)",
            )
            ids = ids[: self.max_input_length - 1] + ids[-1:]  # keep the closing special token
        return ids

    def _note_truncation(self, kind: str, message: str) -> None:
        """Count a truncation; log the first of each kind (a dataset would repeat it thousands of times)."""
        self.truncated[kind] += 1
        if self.truncated[kind] == 1:
            logger.warning("%s; further truncations are counted in processor.truncated[%r]", message, kind)

    def encode_example(
        self, instruction: str, input_text: str, response: str | None = None, index: int = 0
    ) -> dict[str, list[int]]:
        """Token ids of one example: ``input_ids``, ``labels`` and (bridged) ``encoder_input_ids``."""
        for name, value in (("instruction", instruction), ("input", input_text)):
            if not isinstance(value, str):
                raise InputDataError(
                    f"example {index}: field {name!r} must be a string, got {type(value).__name__}"
                )
        head, middle, tail = self._prompt_parts
        example: dict[str, list[int]] = {}
        if self.is_plain:
            prompt = self._llm_ids(f"{head}{instruction}{middle}{input_text}{tail}", first=True)
        else:
            enc_ids = self._encoder_ids(input_text, index)
            ids = self.placeholder_token_ids
            prompt = (
                self._llm_ids(f"{head}{instruction}{middle}", first=True)
                + [ids["enc_start_token_id"]]
                + [ids["enc_token_id"]] * len(enc_ids)
                + [ids["enc_end_token_id"]]
                + self._llm_ids(tail, first=False)
            )
            example["encoder_input_ids"] = enc_ids
        if len(prompt) > self.max_length:
            raise InputDataError(
                f"example {index}: prompt has {len(prompt)} LLM tokens, over max_length={self.max_length};"
                " shorten the instruction/input or raise max_length"
            )
        labels = [-100] * len(prompt)
        if response is not None:
            if not isinstance(response, str):
                raise InputDataError(
                    f"example {index}: field 'response' must be a string, got {type(response).__name__}"
                )
            answer = self._llm_ids(response, first=False) + [self.llm_tokenizer.eos_token_id]
            room = self.max_length - len(prompt)
            if len(answer) > room:
                if not self.truncation:
                    raise InputDataError(
                        f"example {index}: prompt + response has {len(prompt) + len(answer)} tokens, over"
                        f" max_length={self.max_length}"
                    )
                self._note_truncation(
                    "responses",
                    f"example {index}: prompt + response has {len(prompt) + len(answer)} tokens; the response"
                    f" is cut to max_length={self.max_length} (raise model.max_length to keep it whole)",
                )
                answer = answer[:room]
            prompt = prompt + answer
            labels = labels + answer
        example["input_ids"] = prompt
        example["labels"] = labels
        return example

    # ------------------------------------------------------------------ batching
    def pad(
        self, examples: Sequence[dict[str, list[int]]], padding_side: str = "right", with_labels: bool = True
    ):
        """Pad encoded examples into tensors (the collator's job): LLM side on ``padding_side``, encoder
        right."""
        if padding_side not in ("left", "right"):
            raise ConfigError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        width = max(len(e["input_ids"]) for e in examples)
        pad_id = self.llm_tokenizer.pad_token_id
        batch: dict[str, torch.Tensor] = {}

        def place(rows: list[list[int]], fill: int, length: int, side: str) -> torch.Tensor:
            out = torch.full((len(rows), length), fill, dtype=torch.long)
            for i, row in enumerate(rows):
                if row:
                    if side == "left":
                        out[i, length - len(row) :] = torch.tensor(row)
                    else:
                        out[i, : len(row)] = torch.tensor(row)
            return out

        ids = [e["input_ids"] for e in examples]
        batch["input_ids"] = place(ids, pad_id, width, padding_side)
        batch["attention_mask"] = place([[1] * len(r) for r in ids], 0, width, padding_side)
        if with_labels:
            batch["labels"] = place([e["labels"] for e in examples], -100, width, padding_side)
        if not self.is_plain:
            enc = [e["encoder_input_ids"] for e in examples]
            enc_width = max(len(r) for r in enc)
            batch["encoder_input_ids"] = place(enc, self.encoder_tokenizer.pad_token_id, enc_width, "right")
            batch["encoder_attention_mask"] = place([[1] * len(r) for r in enc], 0, enc_width, "right")
        return BatchEncoding(batch)

    def __call__(
        self,
        instructions: str | Sequence[str],
        inputs: str | Sequence[str],
        responses: str | Sequence[str] | None = None,
        padding_side: str | None = None,
        return_tensors: str = "pt",
    ) -> BatchEncoding:
        """Build a batch. Left padding (generation) without responses, right padding (training) with them."""
        if return_tensors != "pt":
            raise ConfigError(f"return_tensors: only 'pt' is supported, got {return_tensors!r}")
        for name, value in (("instructions", instructions), ("inputs", inputs), ("responses", responses)):
            if not (isinstance(value, (str, Sequence)) or (value is None and name == "responses")):
                raise InputDataError(
                    f"processor: {name} must be a string or a list of strings, got {type(value).__name__}"
                    " (call processor(instructions, inputs[, responses]) with the task text)"
                )
        instructions = [instructions] if isinstance(instructions, str) else list(instructions)
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        if responses is not None:
            responses = [responses] if isinstance(responses, str) else list(responses)
        if len(instructions) == 1 and len(inputs) > 1:
            instructions = instructions * len(inputs)
        if not inputs:
            raise InputDataError("empty batch: no inputs given")
        if len(instructions) != len(inputs) or (responses is not None and len(responses) != len(inputs)):
            raise InputDataError(
                f"batch size mismatch: {len(instructions)} instructions, {len(inputs)} inputs"
                + (f", {len(responses)} responses" if responses is not None else "")
            )
        examples = [
            self.encode_example(ins, inp, None if responses is None else responses[i], index=i)
            for i, (ins, inp) in enumerate(zip(instructions, inputs))
        ]
        side = padding_side or ("right" if responses is not None else "left")
        return self.pad(examples, padding_side=side, with_labels=responses is not None)

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = True, **kwargs: Any) -> list[str]:
        """Decode LLM ids (e.g. the new tokens of ``generate``) to text."""
        return self.llm_tokenizer.batch_decode(sequences, skip_special_tokens=skip_special_tokens, **kwargs)

    def decode(self, ids: Any, skip_special_tokens: bool = True, **kwargs: Any) -> str:
        return self.llm_tokenizer.decode(ids, skip_special_tokens=skip_special_tokens, **kwargs)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "processor_class": type(self).__name__,
            "max_input_length": self.max_input_length,
            "max_length": self.max_length,
            "chat_template": self.chat_template,
            "truncation": self.truncation,
            "plain": self.is_plain,
        }

    def save_pretrained(
        self, save_directory: str | os.PathLike, push_to_hub: bool = False, **kwargs: Any
    ) -> list[str]:
        """Save both tokenizers (sub-folders) and the processor settings; optionally push to the Hub."""
        save_directory = Path(save_directory)
        save_directory.mkdir(parents=True, exist_ok=True)
        files = list(self.llm_tokenizer.save_pretrained(save_directory / LLM_TOKENIZER_DIR))
        if self.encoder_tokenizer is not None:
            files += list(self.encoder_tokenizer.save_pretrained(save_directory / ENCODER_TOKENIZER_DIR))
        atomic_write_json(save_directory / PROCESSOR_CONFIG, self.to_dict())
        files.append(str(save_directory / PROCESSOR_CONFIG))
        if push_to_hub:
            from lingualift.hub import upload_folder

            repo_id = kwargs.pop("repo_id", save_directory.name)
            upload_folder(
                save_directory, repo_id, kwargs.pop("commit_message", "Upload LinguaLiftProcessor"), **kwargs
            )
        return files

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, **overrides: Any) -> LinguaLiftProcessor:
        """Load a processor saved by :meth:`save_pretrained` from a local directory or a Hub id."""
        from lingualift.hub import local_directory

        directory = local_directory(directory, overrides.pop("revision", None), what="processor")
        config_path = directory / PROCESSOR_CONFIG
        if not config_path.is_file():
            raise CheckpointError(f"{directory}: no {PROCESSOR_CONFIG}; not a saved LinguaLiftProcessor")
        settings = json.loads(config_path.read_text(encoding="utf-8"))
        plain = settings.pop("plain", False)
        settings.pop("processor_class", None)
        settings.update(overrides)
        llm_tok = AutoTokenizer.from_pretrained(str(directory / LLM_TOKENIZER_DIR))
        enc_tok = None if plain else AutoTokenizer.from_pretrained(str(directory / ENCODER_TOKENIZER_DIR))
        return cls(llm_tok, encoder_tokenizer=enc_tok, **settings)


__all__ = ["PLACEHOLDER_TOKENS", "PROCESSOR_CONFIG", "LinguaLiftProcessor", "load_tokenizer"]

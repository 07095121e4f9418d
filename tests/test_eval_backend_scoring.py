"""Prefix-shared option scoring in ``TransformersBackend``: the same scores as scoring every (prompt, option)
sequence in full (``score_responses``), for a bridged model and plain Llama / Qwen2 / GPT-2 LLMs; the prompt
and the encoder run once per prompt, not once per option; the flattened fallback; ``prompt_lengths``."""

from __future__ import annotations

import logging

import pytest
import torch
from transformers import AutoModelForCausalLM

from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor
from lingualift.evaluation import backends
from lingualift.evaluation.backends import TransformersBackend
from lingualift.modeling.tiny import build_tiny_components

# prompts of different lengths; options of 1 to many tokens, an empty one, and a different count per prompt
INSTRUCTIONS = [
    "Classify the topic of the sentence.",
    "Answer the question with one label only. Solve the problem step by step: 3 + 4 = 7.",
    "Translate the following text into English.",
]
INPUTS = [
    "Le chat noir mange la souris.",
    "Mbwa anakula chakula nyumbani. Ana mayai mangapi kila siku? Der Hund läuft schnell über die Straße.",
    "猫在家里吃鱼。",
]
SIB_LABELS = ["science/technology", "travel", "politics", "sports", "health", "entertainment", "geography"]
OPTIONS = [
    SIB_LABELS,
    ["entailment", "neutral", "contradiction", "a", "", "The answer is 18 eggs per day, she sells them."],
    ["yes", "no"],
]
FAMILIES = ["bridged", "llama", "qwen2", "gpt2"]


def _sharpen(model: torch.nn.Module, seed: int = 1) -> None:
    """Re-draw the LLM weights with a large spread: a freshly initialised tiny LLM predicts an almost uniform
    distribution, which would hide a wrong position, mask or token in the comparisons."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
                module.weight.normal_(0.0, 0.3)


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny-scoring")


def _backend(root, family: str) -> TransformersBackend:
    if family == "bridged":
        enc, llm = build_tiny_components(root, encoder="mt5", llm="llama")
        torch.manual_seed(0)
        processor = LinguaLiftProcessor.from_components(enc, llm)
        model = LinguaLiftForCausalLM.from_components(encoder=enc, llm=llm, processor=processor)
        _sharpen(model.language_model)
        _sharpen(model.bridge, seed=2)
        return TransformersBackend(model, processor)
    _, llm = build_tiny_components(root, encoder="mt5", llm=family)
    model = AutoModelForCausalLM.from_pretrained(llm)
    _sharpen(model)
    return TransformersBackend(model, LinguaLiftProcessor.for_plain_llm(llm))


@pytest.fixture(scope="module")
def built(tiny_root):
    return {family: _backend(tiny_root, family) for family in FAMILIES}


def _flattened(backend, instructions, inputs, options) -> list[list[float]]:
    """The reference: every (prompt, option) pair scored in full by ``score_responses``."""
    flat = backend.score_responses(
        [ins for ins, opts in zip(instructions, options) for _ in opts],
        [text for text, opts in zip(inputs, options) for _ in opts],
        [option for opts in options for option in opts],
    )
    out, start = [], 0
    for opts in options:
        out.append([total for total, _ in flat[start : start + len(opts)]])
        start += len(opts)
    return out


def _assert_close(got: list[list[float]], want: list[list[float]]) -> None:
    assert [len(row) for row in got] == [len(row) for row in want]
    for got_row, want_row in zip(got, want):
        assert got_row == pytest.approx(want_row, abs=1e-4, rel=0)


@pytest.mark.parametrize("family", FAMILIES)
def test_prefix_shared_scores_equal_flattened_scores(built, family):
    backend = built[family]
    scores = backend.score_options(INSTRUCTIONS, INPUTS, OPTIONS)
    assert backend.scoring_path == "prefix-shared"
    _assert_close(scores, _flattened(backend, INSTRUCTIONS, INPUTS, OPTIONS))
    # the options really differ (a sharpened model), so equal scores are not a coincidence of uniform logits
    assert max(scores[0]) - min(scores[0]) > 1.0
    # the old path, switched on explicitly, is the reference too
    backend.prefix_sharing = False
    try:
        _assert_close(backend.score_options(INSTRUCTIONS, INPUTS, OPTIONS), scores)
        assert backend.scoring_path == "flattened"
    finally:
        backend.prefix_sharing = True


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_of_one_equals_batch_of_many(built, family):
    backend = built[family]
    together = backend.score_options(INSTRUCTIONS, INPUTS, OPTIONS)
    for i in range(len(INPUTS)):
        alone = backend.score_options(INSTRUCTIONS[i : i + 1], INPUTS[i : i + 1], OPTIONS[i : i + 1])
        _assert_close(alone, [together[i]])
        _assert_close(
            alone, _flattened(backend, INSTRUCTIONS[i : i + 1], INPUTS[i : i + 1], OPTIONS[i : i + 1])
        )


def test_same_tokens_as_the_full_sequences_under_truncation(tiny_root):
    """Options cut by the processor's max_length: the scored tokens are the full sequences' tokens."""
    enc, llm = build_tiny_components(tiny_root, encoder="mt5", llm="qwen2")
    processor = LinguaLiftProcessor.from_components(encoder=enc, llm=llm, max_length=70)
    torch.manual_seed(0)
    model = LinguaLiftForCausalLM.from_components(encoder=enc, llm=llm, processor=processor)
    _sharpen(model.language_model)
    backend = TransformersBackend(model, processor)
    long_option = "The answer is 18. " * 6
    instructions, inputs = ["Answer."] * 2, ["Le chat.", "Der Hund läuft schnell über die Straße."]
    options = [[long_option, "no", long_option[:30]], ["yes", long_option]]
    assert max(backend.prompt_lengths(instructions, inputs)) < 70
    cut = processor(instructions, inputs, responses=[long_option] * 2)["attention_mask"].sum(dim=1)
    assert cut.tolist() == [70, 70]  # the long option is truncated after both prompts
    scores = backend.score_options(instructions, inputs, options)
    assert backend.scoring_path == "prefix-shared"
    _assert_close(scores, _flattened(backend, instructions, inputs, options))


def test_prompts_without_options_and_no_options_at_all(built):
    backend = built["bridged"]
    options = [SIB_LABELS, [], ["yes"]]
    scores = backend.score_options(INSTRUCTIONS, INPUTS, options)
    assert [len(row) for row in scores] == [7, 0, 1]
    _assert_close(
        [scores[0], scores[2]],
        _flattened(backend, INSTRUCTIONS[::2], INPUTS[::2], [SIB_LABELS, ["yes"]]),
    )
    assert backend.score_options(INSTRUCTIONS[:2], INPUTS[:2], [[], []]) == [[], []]


def _count_rows(module: torch.nn.Module, seen: list[tuple[int, ...]]):
    def hook(_module, args, kwargs, _output):
        ids = kwargs.get("input_ids", args[0] if args else None)
        seen.append(tuple(ids.shape))

    return module.register_forward_hook(hook, with_kwargs=True)


def test_encoder_runs_once_per_prompt_not_once_per_option(built):
    backend = built["bridged"]
    encoder_calls: list[tuple[int, ...]] = []
    llm_calls: list[tuple[int, ...]] = []
    handles = [
        _count_rows(backend.model.encoder, encoder_calls),
        _count_rows(backend.model.language_model.get_input_embeddings(), llm_calls),
    ]
    try:
        options = [SIB_LABELS] * 3
        backend.score_options(INSTRUCTIONS, INPUTS, options)
        assert [shape[0] for shape in encoder_calls] == [3]  # one encoder pass, one row per prompt
        # one prompt pass over the 3 prompts, one continuation pass over the 7 x 3 options' remaining tokens
        assert len(llm_calls) == 2 and llm_calls[0][0] == 3
        multi_token = sum(
            len(backend.processor.llm_tokenizer(label, add_special_tokens=False)["input_ids"]) > 1
            for label in SIB_LABELS
        )
        assert llm_calls[1][0] == 3 * multi_token
        prompt_width = max(backend.prompt_lengths(INSTRUCTIONS, INPUTS))
        assert llm_calls[0][1] == prompt_width and llm_calls[1][1] < prompt_width
        encoder_calls.clear()
        backend.prefix_sharing = False
        backend.score_options(INSTRUCTIONS, INPUTS, options)
        assert [shape[0] for shape in encoder_calls] == [21]  # the flattened path: once per option
    finally:
        backend.prefix_sharing = True
        for handle in handles:
            handle.remove()


def test_single_token_options_need_no_continuation_pass(built):
    backend = built["llama"]
    tok = backend.processor.llm_tokenizer
    singles = [
        w
        for w in ["a", "the", "ducks", "eggs", "cat", "Le", "yes"]
        if len(tok(w, add_special_tokens=False)["input_ids"]) == 1
    ]
    assert len(singles) >= 2
    llm_calls: list[tuple[int, ...]] = []
    handle = _count_rows(backend.model.get_input_embeddings(), llm_calls)
    try:
        scores = backend.score_options(INSTRUCTIONS, INPUTS, [singles] * 3)
    finally:
        handle.remove()
    assert len(llm_calls) == 1
    _assert_close(scores, _flattened(backend, INSTRUCTIONS, INPUTS, [singles] * 3))


def test_fallback_when_the_cache_cannot_be_expanded(built, monkeypatch, caplog):
    backend = TransformersBackend(built["gpt2"].model, built["gpt2"].processor)
    reference = built["gpt2"].score_options(INSTRUCTIONS, INPUTS, OPTIONS)
    monkeypatch.setattr(backends, "_unexpandable", lambda cache: "a recurrent state (test)")
    with caplog.at_level(logging.WARNING, logger="lingualift.evaluation.backends"):
        scores = backend.score_options(INSTRUCTIONS, INPUTS, OPTIONS)
    assert backend.scoring_path == "flattened"
    assert "without prefix sharing (a recurrent state (test))" in caplog.text
    _assert_close(scores, reference)
    # the model is not probed again: the next call goes straight to the flattened path
    caplog.clear()
    calls: list[tuple[int, ...]] = []
    handle = _count_rows(backend.model.get_input_embeddings(), calls)
    try:
        with caplog.at_level(logging.WARNING, logger="lingualift.evaluation.backends"):
            backend.score_options(INSTRUCTIONS, INPUTS, OPTIONS)
    finally:
        handle.remove()
    assert len(calls) == 1 and calls[0][0] == sum(len(opts) for opts in OPTIONS)
    assert backend.scoring_path == "flattened" and "prefix sharing" not in caplog.text  # said once


def test_which_caches_can_be_expanded():
    from transformers import LlamaConfig
    from transformers.cache_utils import DynamicCache, StaticCache

    assert "no expandable KV cache" in backends._unexpandable(None)
    assert "no expandable KV cache" in backends._unexpandable(((torch.zeros(1), torch.zeros(1)),))
    cache = DynamicCache()
    cache.update(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4), layer_idx=0)
    assert backends._unexpandable(cache) is None
    static = StaticCache(LlamaConfig(num_hidden_layers=1, hidden_size=8, num_attention_heads=2), 4)
    assert "cannot be expanded per option (['StaticLayer'])" in backends._unexpandable(static)


@pytest.mark.parametrize("family", ["bridged", "qwen2", "gpt2"])
def test_prompt_lengths_are_the_unpadded_llm_lengths(built, family):
    backend = built[family]
    lengths = backend.prompt_lengths(INSTRUCTIONS, INPUTS)
    batch = backend.processor(INSTRUCTIONS, INPUTS)
    assert lengths == batch["attention_mask"].sum(dim=1).tolist()
    assert len(set(lengths)) == len(lengths) and max(lengths) == batch["input_ids"].shape[1]
    for i in range(len(INPUTS)):  # each alone: exactly what the model is fed
        assert lengths[i] == backend.processor(INSTRUCTIONS[i], INPUTS[i])["input_ids"].shape[1]
    if family == "bridged":  # one <enc> placeholder per encoder token
        enc_id = backend.model.config.enc_token_id
        assert (batch["input_ids"] == enc_id).sum(dim=1).tolist() == batch["encoder_attention_mask"].sum(
            dim=1
        ).tolist()
    assert (
        backend.prompt_lengths(INSTRUCTIONS[:1], INPUTS)
        == backend.processor(INSTRUCTIONS[:1], INPUTS)["attention_mask"].sum(dim=1).tolist()
    )

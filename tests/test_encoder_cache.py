"""The frozen-encoder cache: identical outputs and gradients, the encoder skipped for seen rows, the memory
budget, non-right-padded batches, and the training config switch."""

from __future__ import annotations

import pytest
import torch

from lingualift.errors import ConfigError
from lingualift.modeling.tiny import build_tiny_model

INSTRUCTION = "Translate the following text into English:"


@pytest.fixture(scope="module", params=["mt5", "bert"])
def bridged(request, tmp_path_factory):
    model, processor = build_tiny_model(
        tmp_path_factory.mktemp(f"cache-{request.param}"), encoder=request.param
    )
    return model.eval(), processor


def _batch(processor, inputs, responses=None):
    return processor([INSTRUCTION] * len(inputs), inputs, responses=responses)


def _logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits


def test_cached_rows_give_the_same_logits_and_skip_the_encoder(bridged):
    model, processor = bridged
    calls = []
    hook = model.encoder.register_forward_hook(lambda module, args, output: calls.append(1))
    try:
        first = _batch(processor, ["le chat noir dort sur le canapé", "bonjour"])
        second = _batch(
            processor,
            ["bonjour", "il pleut beaucoup aujourd'hui à Paris et à Lyon", "le chat noir dort sur le canapé"],
        )
        reference = [_logits(model, first), _logits(model, second)]
        calls.clear()
        cache = model.enable_encoder_cache(64)
        got_first = _logits(model, first)
        assert cache.stats.misses == 2 and cache.stats.hits == 0 and len(calls) == 1
        got_second = _logits(model, second)  # two rows seen before, padded to another width, one new row
        assert cache.stats.hits == 2 and cache.stats.misses == 3 and len(calls) == 2
        got_again = _logits(model, second)
        assert cache.stats.hits == 5 and len(calls) == 2  # the encoder did not run at all
        for got, ref in ((got_first, reference[0]), (got_second, reference[1]), (got_again, reference[1])):
            torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
        assert cache.stats.bytes == sum(row.numel() * row.element_size() for row in cache._rows.values()) > 0
    finally:
        hook.remove()
        model.disable_encoder_cache()


def test_bridge_gradients_are_unchanged_by_the_cache(bridged):
    model, processor = bridged
    batch = _batch(
        processor,
        ["le chat noir dort", "bonjour tout le monde"],
        responses=["the black cat sleeps", "hello all"],
    )
    model.configure_stage("align")

    def bridge_grads():
        model.zero_grad(set_to_none=True)
        model(**batch).loss.backward()
        return [p.grad.clone() for p in model.bridge.parameters()]

    reference = bridge_grads()
    model.enable_encoder_cache(64)
    try:
        for _ in range(2):  # a miss, then a hit
            for got, ref in zip(bridge_grads(), reference):
                torch.testing.assert_close(got, ref, atol=1e-6, rtol=1e-5)
    finally:
        model.disable_encoder_cache()
        model.zero_grad(set_to_none=True)


def test_budget_and_non_right_padded_masks(bridged):
    model, processor = bridged
    batch = _batch(processor, ["le chat noir dort sur le canapé", "bonjour"])
    reference = _logits(model, batch)
    cache = model.enable_encoder_cache(max_megabytes=1e-9)  # nothing fits
    try:
        torch.testing.assert_close(_logits(model, batch), reference, atol=1e-5, rtol=1e-5)
        assert len(cache) == 0 and cache.stats.not_stored == 2 and cache.stats.bytes == 0
        cache = model.enable_encoder_cache(64)
        ids, mask = batch["encoder_input_ids"], batch["encoder_attention_mask"]
        holes = mask.clone()
        holes[0, 1] = 0  # not a prefix mask: the cache steps aside and the encoder runs as usual
        with torch.no_grad():
            expected = model.encoder(input_ids=ids, attention_mask=holes).last_hidden_state
            got = cache.encode(model.encoder, ids, holes)
        torch.testing.assert_close(got, expected)
        assert len(cache) == 0 and cache.stats.encoder_calls == 1
    finally:
        model.disable_encoder_cache()


def test_training_config_switch(tmp_path):
    from lingualift.training.config import config_from_dict
    from lingualift.training.run import build_model

    tree = {
        "model": {"encoder": "tiny:mt5", "llm": "tiny:llama", "encoder_cache_mb": 16},
        "data": {"train_file": "x.jsonl"},
        "training": {"output_dir": str(tmp_path)},
        "stage": {"name": "align"},
    }
    model, _ = build_model(config_from_dict(tree))
    assert model.encoder_cache is not None and model.encoder_cache.max_megabytes == 16
    tree["model"]["encoder_cache_mb"] = -1
    with pytest.raises(ConfigError, match="model.encoder_cache_mb: expected >= 0"):
        config_from_dict(tree)


def test_stage1_second_epoch_is_served_from_the_cache(tmp_path):
    from lingualift.training.config import load_config
    from lingualift.training.run import run_stage1

    config = load_config(
        "recipes/configs/stage1/tiny.yaml",
        [
            f"training.output_dir={tmp_path / 'run'}",
            "training.max_steps=-1",
            "training.num_train_epochs=2",
            "training.global_batch_size=8",
            "training.per_device_batch_size=8",
            "training.save_steps=100",
            "model.encoder_cache_mb=16",
        ],
    )
    result = run_stage1(config)
    stats = result.metrics["encoder_cache"]
    assert result.global_step == 4  # 16 records, batch 8, 2 epochs
    assert stats["misses"] == 16 and stats["hits"] == 16 and stats["not_stored"] == 0 and stats["bytes"] > 0

"""ParScale wrapper: exactness against the base model, batched == unbatched, KV-cached generation, save/load
through the Auto classes, and the recycling stage's gradients, on tiny random models of four families."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

import lingualift  # noqa: F401  (registers the Auto classes)
from lingualift.errors import ConfigError
from lingualift.modeling import ParScaleConfig, ParScaleForCausalLM
from lingualift.modeling.tiny import LLM_FAMILIES, build_tiny_components


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("parscale")
    return {family: str(build_tiny_components(root, llm=family)[1]) for family in LLM_FAMILIES}


def _base(bases, family: str):
    return AutoModelForCausalLM.from_pretrained(bases[family]).eval()


def _scrambled(model: ParScaleForCausalLM, seed: int = 0) -> ParScaleForCausalLM:
    """Random prefixes and a random aggregator (the fresh ones are small / uniform)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if not name.startswith("language_model."):
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return model


IDS = torch.tensor([[5, 17, 40, 23, 61, 12, 9], [8, 33, 27, 90, 14, 71, 52]])


@pytest.mark.parametrize("family", LLM_FAMILIES)
def test_one_stream_without_prefix_is_the_base_model(bases, family):
    base = _base(bases, family)
    with torch.no_grad():
        want = base(input_ids=IDS).logits
        model = ParScaleForCausalLM.from_base(base, parscale_streams=1, prefix_length=0).eval()
        assert torch.equal(model(input_ids=IDS).logits, want)


@pytest.mark.parametrize("family", LLM_FAMILIES)
def test_identical_streams_with_uniform_weights_are_the_base_distribution(bases, family):
    """P = 3 streams without prefixes are identical; the fresh aggregator weighs them uniformly: the mixture
    is the base model's next-token distribution."""
    base = _base(bases, family)
    with torch.no_grad():
        want = torch.log_softmax(base(input_ids=IDS).logits.float(), dim=-1)
        model = ParScaleForCausalLM.from_base(base, parscale_streams=3, prefix_length=0).eval()
        output = model(input_ids=IDS, return_stream_weights=True)
    assert torch.allclose(output["stream_weights"], torch.full((2, 7, 3), 1 / 3))
    assert (output.logits - want).abs().max().item() <= 1e-5


def test_identical_prefixes_make_the_weights_irrelevant(bases):
    """With every stream's prefix equal, any aggregation weights give the same mixture: the streams' common
    distribution."""
    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, "llama"), parscale_streams=2, prefix_length=4)
    )
    with torch.no_grad():
        model.prefix_keys[:, 1] = model.prefix_keys[:, 0]
        model.prefix_values[:, 1] = model.prefix_values[:, 0]
        first = model(input_ids=IDS, return_stream_weights=True)
        model.aggregator[-1].bias.add_(torch.tensor([3.0, -3.0]))  # other weights
        second = model(input_ids=IDS, return_stream_weights=True)
    assert (first["stream_weights"] - second["stream_weights"]).abs().max().item() > 0.1
    assert (first.logits - second.logits).abs().max().item() <= 1e-5


@pytest.mark.parametrize("family", LLM_FAMILIES)
def test_batched_with_left_padding_equals_one_by_one(bases, family):
    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, family), parscale_streams=2, prefix_length=3)
    )
    model.eval()
    short, long = IDS[0, 3:], IDS[1]
    pad = int(model.language_model.config.pad_token_id or 0)
    batch = torch.stack([torch.cat([torch.full((3,), pad), short]), long])
    mask = torch.tensor([[0] * 3 + [1] * 4, [1] * 7])
    with torch.no_grad():
        together = model(input_ids=batch, attention_mask=mask).logits
        alone = [model(input_ids=row[None]).logits[0] for row in (short, long)]
    assert (together[0, 3:] - alone[0]).abs().max().item() <= 1e-4
    assert (together[1] - alone[1]).abs().max().item() <= 1e-4


@pytest.mark.parametrize("family", LLM_FAMILIES)
def test_generate_with_the_kv_cache_equals_greedy_recomputation(bases, family):
    """``generate`` keeps P streams in the cache (prefixes cached once); each greedy token equals the argmax
    of a full forward over the sequence so far."""
    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, family), parscale_streams=3, prefix_length=2)
    )
    model.eval()
    with torch.no_grad():
        generated = model.generate(
            input_ids=IDS, attention_mask=torch.ones_like(IDS), max_new_tokens=6, do_sample=False
        )
        sequence = IDS
        for _ in range(6):
            token = model(input_ids=sequence).logits[:, -1].argmax(-1, keepdim=True)
            sequence = torch.cat([sequence, token], dim=1)
    assert torch.equal(generated, sequence)


@pytest.mark.parametrize("family", LLM_FAMILIES)
def test_beam_search_with_the_kv_cache_equals_beam_search_without_it(bases, family):
    """Beam search reorders each stream's block of cache rows alike: with the cache it finds the sequences
    and scores that recomputing every step without a cache finds."""
    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, family), parscale_streams=3, prefix_length=2)
    )
    model.eval()
    settings = {"max_new_tokens": 5, "do_sample": False, "num_beams": 3}
    settings |= {"output_scores": True, "return_dict_in_generate": True}
    with torch.no_grad():
        cached = model.generate(input_ids=IDS, attention_mask=torch.ones_like(IDS), **settings)
        recomputed = model.generate(
            input_ids=IDS, attention_mask=torch.ones_like(IDS), use_cache=False, **settings
        )
    assert torch.equal(cached.sequences, recomputed.sequences)
    assert torch.allclose(cached.sequences_scores, recomputed.sequences_scores, atol=1e-5)


def test_prompt_lookup_decoding_crops_the_stream_cache_correctly(bases, monkeypatch):
    """Drafted tokens that the model rejects are cropped from the cache (which holds the prefixes ahead of
    the tokens): the output is greedy decoding's."""
    from transformers import DynamicCache

    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, "llama"), parscale_streams=3, prefix_length=2)
    )
    model.eval()
    crops = []
    crop = DynamicCache.crop
    monkeypatch.setattr(
        DynamicCache, "crop", lambda cache, length: crops.append(length) or crop(cache, length)
    )
    ids = torch.tensor([[5, 17, 40, 23, 61, 12, 9, 312, 239, 55, 151, 14, 121, 387, 287, 61, 12, 9]])
    settings = {"attention_mask": torch.ones_like(ids), "max_new_tokens": 12, "do_sample": False}
    with torch.no_grad():
        greedy = model.generate(input_ids=ids, **settings)
        drafted = model.generate(input_ids=ids, prompt_lookup_num_tokens=4, **settings)
    assert crops, "no draft was rejected: the test would not exercise the cache crop"
    assert torch.equal(drafted, greedy)


def test_logits_to_keep_gives_the_last_positions_of_the_full_forward(bases):
    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, "gemma"), parscale_streams=2, prefix_length=3)
    )
    with torch.no_grad():
        full = model(input_ids=IDS).logits
        assert torch.allclose(model(input_ids=IDS, logits_to_keep=3).logits, full[:, -3:], atol=1e-5)
        picked = model(input_ids=IDS, logits_to_keep=torch.tensor([1, 4])).logits
    assert torch.allclose(picked, full[:, [1, 4]], atol=1e-5)
    with pytest.raises(ConfigError, match="logits_to_keep=0"):
        model(input_ids=IDS, labels=IDS, logits_to_keep=2)


def test_the_evaluation_backend_scores_responses_with_the_mixture(bases, tmp_path):
    """Held-out NLL through the evaluation backend equals the sum of the mixture's log-probabilities of the
    response tokens from a plain full forward, one example at a time."""
    from lingualift.evaluation.backends import load_backend
    from lingualift.modeling import LinguaLiftProcessor

    model = _scrambled(
        ParScaleForCausalLM.from_base(_base(bases, "llama"), parscale_streams=2, prefix_length=3)
    )
    model.save_pretrained(tmp_path / "ps")
    processor = LinguaLiftProcessor.for_plain_llm(bases["llama"])
    processor.llm_tokenizer.save_pretrained(tmp_path / "ps")  # as a training run's final/ holds it
    rows = (["Add.", "Solve."], ["2 and 3", "x + 1 = 4, a longer input"], ["5", "x is 3"])
    scores = load_backend(str(tmp_path / "ps")).score_responses(*rows)
    model.eval()
    for (instruction, text, response), (logprob, count) in zip(zip(*rows), scores):
        batch = processor([instruction], [text], responses=[response])
        labels = batch.pop("labels")[0]
        with torch.no_grad():
            log_probs = model(**batch).logits[0, :-1].log_softmax(-1)
        targets = labels[1:]
        kept = torch.nonzero(targets != -100).squeeze(-1)[:-1]  # the closing EOS is not scored
        want = log_probs[kept, targets[kept]].sum().item()
        assert count == len(kept) and abs(logprob - want) <= 1e-3


def test_forward_passes_no_deprecated_names(bases, caplog):
    """transformers logs (not warns) renamed keywords and output fields; the deprecation guard cannot see
    those, so the log is checked here."""
    import logging

    getattr(logging.Logger.warning_once, "cache_clear", lambda: None)()  # say-once messages said earlier
    model = ParScaleForCausalLM.from_base(_base(bases, "llama"), parscale_streams=2, prefix_length=3)
    with caplog.at_level("WARNING"):
        model(input_ids=IDS, labels=IDS)
        model.generate(input_ids=IDS, attention_mask=torch.ones_like(IDS), max_new_tokens=2, do_sample=False)
    assert not [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]


def test_save_and_load_through_the_auto_classes(bases, tmp_path):
    model = _scrambled(
        ParScaleForCausalLM.from_base(
            _base(bases, "qwen2"), parscale_streams=2, prefix_length=5, aggregation_smoothing=0.1
        )
    ).eval()
    model.save_pretrained(tmp_path / "ps")
    config = AutoConfig.from_pretrained(tmp_path / "ps")
    assert isinstance(config, ParScaleConfig) and config.parscale_streams == 2 and config.prefix_length == 5
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "ps").eval()
    assert isinstance(loaded, ParScaleForCausalLM)
    with torch.no_grad():
        assert torch.equal(loaded(input_ids=IDS).logits, model(input_ids=IDS).logits)


def test_recycling_trains_only_prefixes_and_aggregator_and_lowers_the_loss(bases):
    model = ParScaleForCausalLM.from_base(_base(bases, "llama"), parscale_streams=2, prefix_length=4)
    trainable = model.configure_parscale_stage(train_llm=False)
    assert set(trainable) == {
        "prefix_keys",
        "prefix_values",
        *(f"aggregator.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")),
    }
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model(input_ids=IDS, labels=IDS).loss
        optimizer.zero_grad()
        loss.backward()
        assert all(p.grad is None for n, p in model.named_parameters() if n.startswith("language_model."))
        assert model.prefix_keys.grad.abs().sum() > 0 and model.aggregator[2].weight.grad.abs().sum() > 0
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] - 0.05
    everything = model.configure_parscale_stage(train_llm=True)
    assert len(everything) == len(list(model.parameters()))


def test_bad_settings_are_named():
    with pytest.raises(ConfigError, match="parscale_streams: expected an integer >= 1, got 0"):
        ParScaleConfig(parscale_streams=0)
    with pytest.raises(ConfigError, match=r"aggregation_smoothing: expected a number in \[0, 1\), got 1.5"):
        ParScaleConfig(aggregation_smoothing=1.5)
    with pytest.raises(ConfigError, match="prefix_length: expected an integer >= 0"):
        ParScaleConfig(prefix_length=-1)


def test_a_parscale_llm_is_the_decoder_of_a_bridged_model(tmp_path):
    """A saved ParScale LLM loads as the LLM of ``LinguaLiftForCausalLM.from_components``: with identical
    streams and uniform weights the bridged model's next-token distribution is the one with the base LLM, and
    it generates with the KV cache."""
    from transformers import AutoTokenizer

    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    encoder, llm = build_tiny_components(tmp_path / "components")
    streams = ParScaleForCausalLM.from_base(
        AutoModelForCausalLM.from_pretrained(llm), parscale_streams=3, prefix_length=0
    )
    streams.save_pretrained(tmp_path / "parscale-llm")
    AutoTokenizer.from_pretrained(llm).save_pretrained(tmp_path / "parscale-llm")
    processor = LinguaLiftProcessor.from_components(encoder, llm)
    torch.manual_seed(0)
    plain = LinguaLiftForCausalLM.from_components(encoder=encoder, llm=llm, processor=processor).eval()
    torch.manual_seed(0)
    bridged = LinguaLiftForCausalLM.from_components(
        encoder=encoder, llm=tmp_path / "parscale-llm", processor=processor
    ).eval()
    assert isinstance(bridged.language_model, ParScaleForCausalLM)
    batch = processor(["Translate:", "Answer."], ["Le chat dort.", "Deux et trois ?"], padding_side="left")
    with torch.no_grad():
        want = torch.log_softmax(plain(**batch).logits.float(), dim=-1)
        got = bridged(**batch).logits
        mask = batch["attention_mask"].bool()
        assert (got[mask] - want[mask]).abs().max().item() <= 1e-5
        generated = bridged.generate(**batch, max_new_tokens=4, do_sample=False)
        assert torch.equal(generated, plain.generate(**batch, max_new_tokens=4, do_sample=False))
        _scrambled(bridged.language_model)  # distinct streams: beam search must reorder each stream's rows
        beams = {"max_new_tokens": 4, "do_sample": False, "num_beams": 2}
        beams |= {"output_scores": True, "return_dict_in_generate": True}
        cached = bridged.generate(**batch, **beams)
        recomputed = bridged.generate(**batch, use_cache=False, **beams)
        assert torch.equal(cached.sequences, recomputed.sequences)
        assert torch.allclose(cached.sequences_scores, recomputed.sequences_scores, atol=1e-5)


def test_the_recycling_recipe_trains_prefixes_and_aggregator_only(tmp_path):
    """``recipes/configs/stage2/tiny_parscale_recycling.yaml``: the tiny LLM as 4 streams,
    stage.train_llm=false; the loss goes down, the LLM weights in ``final/`` are the base's, and ``final/``
    loads through the Auto classes as a 4-stream model."""
    from pathlib import Path

    from safetensors.torch import load_file

    from lingualift.io_utils import read_jsonl
    from lingualift.training import load_config, run_stage2
    from lingualift.training.run import resolve_sources

    recipe = Path(__file__).resolve().parents[1] / "recipes/configs/stage2/tiny_parscale_recycling.yaml"
    config = load_config(recipe, [f"training.output_dir={tmp_path / 'run'}"])
    result = run_stage2(config)
    losses = [row["loss"] for row in read_jsonl(tmp_path / "run" / "train_log.jsonl") if "loss" in row]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    _, llm = resolve_sources(config)
    base = AutoModelForCausalLM.from_pretrained(llm).state_dict()
    saved = load_file(str(result.final_dir / "model.safetensors"))
    assert {"prefix_keys", "prefix_values"} <= set(saved)
    for name, tensor in base.items():
        key = f"language_model.{name}"
        if key in saved:
            assert torch.equal(saved[key], tensor), name
    loaded = AutoModelForCausalLM.from_pretrained(result.final_dir)
    assert isinstance(loaded, ParScaleForCausalLM) and loaded.config.parscale_streams == 4
    assert loaded.config.prefix_length == 8 and loaded.config.aggregation_smoothing == 0.1


def test_parscale_run_settings_are_checked_before_training(tmp_path):
    from pathlib import Path

    from lingualift.training import load_config

    recipe = Path(__file__).resolve().parents[1] / "recipes/configs/stage2/tiny_parscale_recycling.yaml"
    with pytest.raises(ConfigError, match="a LoRA adapter on a ParScale model"):
        load_config(recipe, ["stage.train_llm=true", "stage.lora.r=8"])
    with pytest.raises(ConfigError, match="model.parscale_smoothing: expected a number in"):
        load_config(recipe, ["model.parscale_smoothing=1.0"])
    with pytest.raises(ConfigError, match="model.parscale_streams"):
        load_config(recipe, ["model.parscale_streams=0"])

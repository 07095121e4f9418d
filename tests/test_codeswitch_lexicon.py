"""Lexicon TSV loading, POS-group parsing and option validation (no spaCy needed)."""

from __future__ import annotations

import pytest

from lingualift.codeswitch import (
    CodeSwitcher,
    lang_from_filename,
    lexicon_from_mapping,
    load_lexicon,
    parse_pos_groups,
)
from lingualift.codeswitch.lexicon import parse_lexicon_spec, resolve_lexicons
from lingualift.errors import ConfigError, InputDataError


def write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_load_lexicon_ranks_candidates_and_merges_duplicates(tmp_path):
    path = write(
        tmp_path / "en-fr.tsv",
        "source\ttarget\tscore\n# comment\napple\tpomme\t0.5\n"
        "Apple\tpommier\t0.9\napple\tpomme\t0.7\n\ncat\tchat\n",
    )
    lex = load_lexicon(path)
    assert lex.lang == "fr" and len(lex) == 2
    assert lex.candidates("APPLE") == (("pommier", 0.9), ("pomme", 0.7))
    assert lex.candidates("cat") == (("chat", 1.0),)  # two columns -> score 1.0
    assert lex.candidates("dog") == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "apple\tpomme\t0.5\nbad line without tabs\n",
            r"en-fr\.tsv:2: expected 'source<TAB>target<TAB>score'",
        ),
        ("apple\tpomme\t0.5\tx\n", r"en-fr\.tsv:1: .*got 4 column"),
        ("apple\tpomme\thigh\n", r"en-fr\.tsv:1: score must be a number, got 'high'"),
        ("apple\tpomme\tnan\n", r"en-fr\.tsv:1: score must be finite"),
        ("a\tb\t1\n\t\tpomme\t1\n", r"en-fr\.tsv:2: "),
        ("apple\t \t0.3\n", r"en-fr\.tsv:1: empty target word"),
        ("# only a comment\n\n", r"en-fr\.tsv: lexicon is empty"),
        (b"apple\tpomme\t1\ncaf\xe9\tcafe\t1\n", r"en-fr\.tsv:2: not valid UTF-8 \(byte 0xe9"),
    ],
)
def test_malformed_lexicon_lines_name_file_and_line(tmp_path, content, message):
    path = write(tmp_path / "en-fr.tsv", content)
    with pytest.raises(InputDataError, match=message):
        load_lexicon(path)


def test_language_from_filename_and_explicit_spec(tmp_path):
    assert lang_from_filename("dir/en-fr.tsv") == "fr"
    assert lang_from_filename("en_sw.0-5000.txt") == "sw"
    with pytest.raises(ConfigError, match="fr->en.*English-source"):
        lang_from_filename("fr-en.tsv")
    with pytest.raises(ConfigError, match=r"pass it as 'fr=.*lexicon\.tsv'"):
        lang_from_filename("lexicon.tsv")
    path = write(tmp_path / "lexicon.tsv", "water\tmaji\t0.8\n")
    assert parse_lexicon_spec(f"sw={path}") == ("sw", str(path))
    lexicons = resolve_lexicons([f"sw={path}", write(tmp_path / "en-th.tsv", "water\tน้ำ\t1\n")])
    assert set(lexicons) == {"sw", "th"} and lexicons["th"].candidates("water") == (("น้ำ", 1.0),)
    with pytest.raises(ConfigError, match="two lexicons for language 'sw'"):
        resolve_lexicons([f"sw={path}", f"sw={path}"])


def test_lexicon_from_mapping_forms():
    lex = lexicon_from_mapping(
        "fr", {"apple": ["pomme", "pommier"], "cat": "chat", "dog": [("chien", 0.2), ("toutou", 0.4)]}
    )
    assert lex.candidates("apple")[0][0] == "pomme"  # list order = rank
    assert lex.candidates("dog") == (("toutou", 0.4), ("chien", 0.2))
    with pytest.raises(InputDataError, match="entry 'cat'"):
        lexicon_from_mapping("fr", {"cat": [3]})


def test_pos_groups_parsing():
    assert parse_pos_groups("noun+verb") == {"noun", "verb"}
    assert parse_pos_groups("adp+noun") == {"adp", "noun"}
    assert parse_pos_groups(["noun", "verb,adj"]) == {"noun", "verb", "adj"}
    assert parse_pos_groups(None) == {"noun", "verb", "adj", "adv", "adp", "pron", "aux", "cconj"}
    with pytest.raises(ConfigError, match=r"unknown POS group\(s\) 'nouns'.*noun, verb"):
        parse_pos_groups("nouns+verb")
    with pytest.raises(ConfigError, match="empty POS selection"):
        parse_pos_groups("+")


@pytest.mark.parametrize("ratio", [-0.1, 1.5, float("nan"), "0.5", True])
def test_ratio_outside_unit_interval_is_rejected(ratio):
    with pytest.raises(ConfigError, match=r"ratio must be a number in \[0, 1\]"):
        CodeSwitcher({"fr": {"apple": "pomme"}}, ratio=ratio)


def test_other_options_are_validated():
    with pytest.raises(ConfigError, match="choice must be one of top1, sample"):
        CodeSwitcher({"fr": {"apple": "pomme"}}, choice="best")
    with pytest.raises(ConfigError, match="unknown POS group"):
        CodeSwitcher({"fr": {"apple": "pomme"}}, pos="noun+foo")
    with pytest.raises(ConfigError, match="needs its language code"):
        CodeSwitcher([{"apple": "pomme"}])
    with pytest.raises(ConfigError, match="n_process must be an integer >= 1"):
        CodeSwitcher({"fr": {"apple": "pomme"}}, n_process=0)


def test_reads_what_lexicon_induction_writes(tmp_path):
    output = pytest.importorskip("lingualift.lexicon.output")
    path = tmp_path / "en-sw.tsv"
    output.write_lexicon(path, [("water", "maji", 0.61), ("water", "majini", -0.02), ("tree", "mti", 0.4)])
    lex = load_lexicon(path)
    assert lex.lang == "sw" and lex.candidates("water") == (("maji", 0.61), ("majini", -0.02))

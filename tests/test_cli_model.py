"""``lingualift model`` subcommands on tiny models."""

import json

from lingualift.cli import main
from lingualift.modeling.tiny import build_tiny_components


def test_model_build_info_generate(tmp_path, capsys):
    enc, llm = build_tiny_components(tmp_path, encoder="mt5", llm="qwen2")
    assert (
        main(
            [
                "model",
                "build",
                "--encoder",
                str(enc),
                "--llm",
                str(llm),
                "--bridge-type",
                "mlp3",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["model", "info", str(tmp_path / "b")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["form"] == "bridge" and info["bridge_type"] == "mlp3" and info["llm_type"] == "qwen2"
    assert (
        main(
            [
                "model",
                "generate",
                str(tmp_path / "b"),
                "--input",
                "Le chat",
                "--input",
                "Mbwa",
                "--max-new-tokens",
                "3",
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["input"] for r in rows] == ["Le chat", "Mbwa"] and all(
        isinstance(r["output"], str) for r in rows
    )


def test_model_info_on_non_checkpoint_is_clear_error(tmp_path, capsys):
    assert main(["model", "info", str(tmp_path)]) == 1
    assert f"{tmp_path}: not a model checkpoint (no lingualift_checkpoint.json" in capsys.readouterr().err


def test_help_lists_subcommands(capsys):
    try:
        main(["--help"])
    except SystemExit:
        pass
    assert "model" in capsys.readouterr().out

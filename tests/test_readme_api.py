"""The README's "Python API in ten lines" block runs as written, on tiny random models instead of the Hub ids
it names (the README stays true when the API changes)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _api_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API in ten lines", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_api_block_runs_on_tiny_models(tmp_path, capsys):
    from lingualift.modeling.tiny import build_tiny_components

    encoder, llm = build_tiny_components(tmp_path / "components", encoder="mt5", llm="llama")
    code = _api_block()
    assert '"google/mt5-xl"' in code and '"meta-llama/Llama-2-7b-hf"' in code and '"runs/stage1"' in code
    code = (
        code.replace('"google/mt5-xl"', repr(str(encoder)))
        .replace('"meta-llama/Llama-2-7b-hf"', repr(str(llm)))
        .replace('"runs/stage1"', repr(str(tmp_path / "stage1")))
        .replace("max_new_tokens=256", "max_new_tokens=4")
    )
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.has_lora and (tmp_path / "stage1" / "bridge.safetensors").is_file()
    printed = capsys.readouterr().out
    assert printed.startswith("[") and printed.rstrip().endswith("]")  # the decoded batch

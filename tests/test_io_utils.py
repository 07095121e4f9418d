"""Atomic writes: complete-or-absent outputs with ordinary permissions; line-numbered JSONL errors."""

import os
import stat

import pytest

from lingualift.errors import InputDataError
from lingualift.io_utils import atomic_directory, atomic_open, atomic_write_json, read_jsonl


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write('{"a": 2')
            raise RuntimeError("killed mid-write")
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_atomic_directory_replaces_whole_or_nothing(tmp_path):
    target = tmp_path / "ckpt"
    with atomic_directory(target, marker="done") as tmp:
        (tmp / "a.txt").write_text("one")
        (tmp / "done").write_text("")
    with pytest.raises(RuntimeError):
        with atomic_directory(target, marker="done", overwrite=True) as tmp:
            (tmp / "a.txt").write_text("two")
            raise RuntimeError("crash")
    assert (target / "a.txt").read_text() == "one"
    with atomic_directory(target, marker="done", overwrite=True) as tmp:
        (tmp / "b.txt").write_text("three")
        (tmp / "done").write_text("")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt", "done"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_read_jsonl_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"question": "q", "answer": "a"}\n\n{"question": 1}\n')
    with pytest.raises(InputDataError, match=r"x.jsonl:3: missing field 'answer'"):
        read_jsonl(path, required_fields=("question", "answer"))
    path.write_text('{"question": "q"}\n{oops}\n')
    with pytest.raises(InputDataError, match=r"x.jsonl:2: invalid JSON"):
        read_jsonl(path)
    path.write_bytes(b'{"q": "\xff"}\n')
    with pytest.raises(InputDataError, match=r"x.jsonl:1: not valid UTF-8"):
        read_jsonl(path)

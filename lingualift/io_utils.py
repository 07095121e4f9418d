"""Small I/O helpers shared by every module: the output policy, atomic writes and line-numbered JSONL/text
reading.

Output policy (docs/ARCHITECTURE.md; every command and ``save_*`` uses :func:`check_output_path`, directly or
via :func:`atomic_directory`): an output that is one of the inputs (or a directory holding one) is refused; an
existing output is refused unless the caller asks to overwrite (``--overwrite`` / ``overwrite=True``); a
non-empty directory lingualift did not create (no marker file) is never replaced, overwrite or not; a path
that cannot be created (a parent is a file) is a clear error. Refusals raise :class:`OutputError` before
anything is written.

Atomic writes (write to a temporary file or directory in the same parent, fsync, rename) mean an interrupted
run never leaves a half-written output that looks complete, and a failed run leaves the earlier output as
it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lingualift.errors import InputDataError, OutputError

PathLike = str | os.PathLike
# how a directory shows that lingualift created it: marker file name(s) inside it, or a predicate
Marker = str | Sequence[str] | Callable[[Path], bool] | None
OVERWRITE_HINT = "--overwrite (overwrite=True in Python)"
MANIFEST_KEY = "files"  # a marker JSON may list the directory's own entries under this key


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[Any]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` only if the block
    succeeds."""
    path = Path(path)
    make_parent_directory(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual permissions
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w") as handle:
        handle.write(text)


def atomic_write_json(path: PathLike, obj: Any, indent: int | None = 2) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def atomic_write_jsonl(path: PathLike, records: Any) -> int:
    """Write an iterable of dicts as JSON Lines atomically; returns the number of records."""
    count = 0
    with atomic_open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def iter_text_lines(path: PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line_without_newline)`` from a UTF-8 file, naming file and line on bad bytes."""
    path = Path(path)
    if path.is_dir():
        raise InputDataError(f"{path}: is a directory; expected a text file (pass the file inside it)")
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputDataError(
                    f"{path}:{number}: not valid UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1})"
                ) from None
            yield number, line.rstrip("\r\n")


def iter_jsonl(path: PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` from a JSON Lines file (blank lines skipped), naming file and line on
    errors."""
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputDataError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
        yield number, record


def read_jsonl(path: PathLike, required_fields: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Read a JSON Lines file; every error names the file, the line and (for missing keys) the field."""
    records: list[dict[str, Any]] = []
    for number, record in iter_jsonl(path):
        for field in required_fields:
            if field not in record:
                raise InputDataError(
                    f"{path}:{number}: missing field {field!r} "
                    f"(expected fields: {', '.join(required_fields)};"
                    f" got: {', '.join(record) or 'none'})"
                )
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------------- output policy
def _listing(names: Iterable[str], limit: int = 5) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()  # a dangling link still occupies the name


def _blocking_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory (``path`` cannot be created)."""
    for parent in path.parents:
        if _exists(parent):
            return None if parent.is_dir() else parent
    return None


def make_parent_directory(path: PathLike) -> None:
    """Create the parent folders of ``path``; an OutputError naming the file in the way when one is."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = _blocking_ancestor(path) or path.parent
        raise OutputError(
            f"{path}: cannot create its folder {path.parent}: {blocking} is a file, not a directory;"
            " choose another output path"
        ) from None


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file (through links too; resolved paths when one is absent)."""
    a, b = Path(a), Path(b)
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare the resolved paths
        return a.resolve() == b.resolve()


def _markers_present(path: Path, marker: Marker) -> bool:
    if marker is None:
        return False
    if callable(marker):
        return bool(marker(path))
    names = (marker,) if isinstance(marker, str) else tuple(marker)
    return any(_exists(path / name) for name in names)


def _foreign_entries(path: Path, marker: Marker) -> list[str]:
    """Entries of a lingualift-made ``path`` that its marker's manifest does not list (none without one)."""
    if marker is None or callable(marker):
        return []
    names = (marker,) if isinstance(marker, str) else tuple(marker)
    for name in names:
        try:
            listed = json.loads((path / name).read_text(encoding="utf-8")).get(MANIFEST_KEY)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(listed, list):
            own = {str(entry) for entry in listed} | set(names)
            return sorted(entry.name for entry in path.iterdir() if entry.name not in own)
    return []


def path_inputs(*sources: Any) -> list[Path]:
    """The file paths among ``sources``: paths, ``LANG=path`` specs, mappings or lists of them; anything else
    (records, in-memory objects, ``None``) is skipped. What :func:`check_output_path` compares outputs
    with."""
    found: list[Path] = []
    for source in sources:
        if isinstance(source, Mapping):
            items: Iterable[Any] = source.values()
        elif isinstance(source, (list, tuple, set, frozenset)):
            items = source
        else:
            items = (source,)
        for item in items:  # one level only: a mapping of word lists is data, not paths
            if isinstance(item, (str, os.PathLike)):
                path = Path(item)
                if not _exists(path) and isinstance(item, str) and "=" in item:
                    path = Path(item.partition("=")[2])  # a LANG=path spec
                found.append(path)
            elif isinstance(getattr(item, "origin", None), str) and _exists(Path(item.origin)):
                found.append(Path(item.origin))  # e.g. a Lexicon loaded from a file
    return found


def check_output_path(
    path: PathLike,
    inputs: Iterable[PathLike | None] = (),
    overwrite: bool = False,
    created_marker: Marker = None,
    *,
    directory: bool | None = None,
    what: str = "output",
    hint: str = OVERWRITE_HINT,
) -> Path:
    """The output rule of every command and ``save_*``: return ``path`` when writing it is safe, else raise
    :class:`OutputError` naming the path and the fix (nothing is written here).

    Refused always: ``path`` is one of ``inputs`` (same file, also through links) or a directory holding
    one; a parent of ``path`` is a file; a file where a directory is expected or the reverse; a non-empty
    directory without ``created_marker`` (a directory lingualift did not create is never replaced); a
    lingualift directory holding entries its marker's manifest does not list. Refused unless ``overwrite``:
    an existing file, or a directory lingualift made. ``directory`` defaults to ``created_marker is not
    None``; ``what`` names the output in messages and ``hint`` the way to overwrite.
    """
    path = Path(path)
    directory = created_marker is not None if directory is None else directory
    blocking = _blocking_ancestor(path)
    if blocking is not None:
        raise OutputError(
            f"{path}: cannot write the {what} there: {blocking} is a file, not a directory;"
            " choose another path"
        )
    for source in inputs:
        if source is None:
            continue
        source = Path(source)
        if same_file(path, source):
            raise OutputError(
                f"{path}: the {what} is the input {source} (the same file); writing it would destroy the"
                " input, overwrite or not — write the output to another path"
            )
        if directory and _exists(source) and source.resolve().is_relative_to(path.resolve()):
            raise OutputError(
                f"{path}: the {what} directory holds the input {source}; replacing it would delete the input"
                " — write the output to another path"
            )
    if not _exists(path):
        return path
    if directory:
        if not path.is_dir():
            raise OutputError(
                f"{path}: exists and is a file, not a {what} directory; lingualift never replaces it"
                " — choose another path"
            )
        entries = [entry.name for entry in path.iterdir()]
        if not entries:
            return path
        if not _markers_present(path, created_marker):
            raise OutputError(
                f"{path}: exists, is not empty and was not created by lingualift (it holds"
                f" {_listing(entries)}); lingualift never replaces a directory it did not create, so nothing"
                " was changed — choose a new or empty directory"
            )
        if not overwrite:
            raise OutputError(
                f"{path}: already holds a lingualift {what} from an earlier run; pass {hint} to replace"
                " it, or choose another path"
            )
        foreign = _foreign_entries(path, created_marker)
        if foreign:
            raise OutputError(
                f"{path}: holds files lingualift did not write ({_listing(foreign)}); overwriting replaces"
                " only lingualift's own files — move those out first, or choose another path"
            )
        return path
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; the {what} is a file — give a file path")
    if not overwrite:
        raise OutputError(f"{path}: already exists; pass {hint} to replace it, or choose another path")
    return path


def swap_in_directory(tmp: Path, path: Path) -> None:
    """Rename the finished ``tmp`` to ``path``; an earlier ``path`` (already checked) is moved aside first and
    put back if the rename fails, then removed."""
    if not _exists(path):
        os.replace(tmp, path)
        return
    aside_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    aside = aside_dir / path.name
    os.replace(path, aside)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(aside, path)
        shutil.rmtree(aside_dir, ignore_errors=True)
        raise
    shutil.rmtree(aside_dir, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(
    path: PathLike,
    *,
    overwrite: bool = False,
    marker: Marker = None,
    inputs: Iterable[PathLike | None] = (),
    what: str = "output directory",
    hint: str = OVERWRITE_HINT,
) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it takes the place of ``path`` as a whole.

    ``path`` must pass :func:`check_output_path` (``marker``: the file(s) showing lingualift made a
    directory; write them in the block): an existing lingualift directory is replaced only with
    ``overwrite``, anything else that exists is refused before the block runs. A crash inside the block
    leaves ``path`` untouched, so a directory that exists is always complete.
    """
    path = Path(path)
    policy: dict[str, Any] = {
        "inputs": tuple(inputs),
        "overwrite": overwrite,
        "created_marker": marker,
        "directory": True,
        "what": what,
        "hint": hint,
    }
    check_output_path(path, **policy)
    make_parent_directory(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        check_output_path(path, **policy)  # again: something may have appeared there meanwhile
    except OutputError as exc:
        raise OutputError(f"{exc} (the new {what} is kept in {tmp})") from None
    try:
        swap_in_directory(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

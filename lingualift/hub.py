"""Where a model or data source lives on this machine: a local path as it is, a Hub id as its snapshot.

One rule for every loader (checkpoints, processors, the evaluator, training configs, stage-2 task data): a
source that exists on
disk is a path; otherwise a string shaped like ``org/name`` (or ``name``) is a Hub repository, fetched with
``huggingface_hub.snapshot_download`` into (or, with ``HF_HUB_OFFLINE=1``, read from) the standard Hub cache;
anything else is a path that does not exist. Errors name the source and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from lingualift.errors import CheckpointError, InputDataError, LinguaLiftError

# weights in formats no loader here reads (other frameworks, runtimes, quantisations): a snapshot skips them,
# so resolving a model repo downloads what ``from_pretrained`` would, not every export the repo carries
FOREIGN_WEIGHT_PATTERNS = (
    "*.onnx",
    "*.onnx_data",
    "onnx/*",
    "*.gguf",
    "*.msgpack",
    "*.h5",
    "*.tflite",
    "*.ot",
    "*.mlmodel",
    "*.mlpackage/*",
    "openvino/*",
    "coreml/*",
)


# the data files a dataset snapshot takes (what lingualift's record readers parse)
DATA_FILE_PATTERNS = ("*.jsonl", "*.json", "*.parquet", "**/*.jsonl", "**/*.json", "**/*.parquet")


def is_local_path(source: str | os.PathLike) -> bool:
    """A path (absolute, relative with ./ or ~, existing, or nested deeper than ``org/name``) rather than a
    Hub id."""
    text = os.fspath(source)
    return (
        isinstance(source, os.PathLike)
        or os.path.isabs(text)
        or text.startswith((".", "~"))
        or os.path.exists(text)
        or text.count("/") >= 2
        or "\\" in text
    )


def check_local_source(source: str | os.PathLike, what: str = "model") -> None:
    """A source written as a local path must exist: transformers would report a missing one as a malformed
    Hub repo id ("Repo id must be in the form ..."), which names neither the path nor the fix. The weight
    files of an existing directory must be readable (:func:`check_weight_files`)."""
    text = os.fspath(source)
    path = Path(text).expanduser()
    if is_local_path(source) and not path.exists():
        raise _not_found(text, what)
    if path.is_dir():
        check_weight_files(path, what)


def _not_found(text: str, what: str) -> CheckpointError:
    return CheckpointError(
        f"{what} not found: {text!r} is not a directory on this machine (and not a Hub id of the form"
        " org/name); check the path"
    )


def local_directory(source: str | os.PathLike, revision: str | None = None, what: str = "checkpoint") -> Path:
    """The directory holding ``source``: the local directory itself, or the Hub snapshot of repo id
    ``source`` at ``revision`` (downloaded when online, read from the local Hub cache when offline)."""
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise CheckpointError(f"{path}: a {what} must be a directory, got a file")
        check_weight_files(path, what)
        return path
    if is_local_path(source) or not text.strip():
        raise _not_found(text, what)
    directory = _snapshot(text, revision, what)
    check_weight_files(directory, what)
    return directory


def check_weight_files(directory: str | os.PathLike, what: str = "model") -> None:
    """Every ``*.safetensors`` file in ``directory`` (and its sub-folders one level down, e.g. an adapter)
    must be complete: safetensors reports a truncated or foreign file as a bare ``SafetensorError`` that
    names no file, so the header of each is read here (cheap: no tensor data) and a bad one is named with
    the fix."""
    from safetensors import safe_open

    directory = Path(directory)
    for path in sorted([*directory.glob("*.safetensors"), *directory.glob("*/*.safetensors")]):
        try:
            with safe_open(str(path), framework="pt") as handle:
                handle.keys()
        except Exception as exc:  # SafetensorError and OSError alike: the file cannot be read as safetensors
            size = path.stat().st_size
            raise CheckpointError(
                f"{path}: the {what}'s weights cannot be read ({exc}; {size:,} bytes): the file is truncated"
                " (an interrupted download or save) or is not a safetensors file; download or save it again"
                " (a Hub snapshot: `hf download <repo> --force-download`), or point at a complete copy"
            ) from None


def _snapshot(
    repo_id: str,
    revision: str | None,
    what: str,
    repo_type: str = "model",
    allow_patterns: list[str] | None = None,
    error: type[LinguaLiftError] = CheckpointError,
) -> Path:
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    at = f"{repo_id}@{revision}" if revision else repo_id
    local = "local directory" if repo_type == "model" else "local file"
    download = f"hf download {repo_id}" + (" --repo-type dataset" if repo_type == "dataset" else "")
    try:
        return Path(
            snapshot_download(
                repo_id,
                revision=revision,
                repo_type=repo_type,
                allow_patterns=allow_patterns,
                ignore_patterns=list(FOREIGN_WEIGHT_PATTERNS),
            )
        )
    except HFValidationError as exc:
        raise error(
            f"{what} not found: {repo_id!r} is neither a {local} nor a valid Hub id ({exc})"
        ) from None
    except LocalEntryNotFoundError:
        offline = " (HF_HUB_OFFLINE=1)" if constants.HF_HUB_OFFLINE else " and the Hub could not be reached"
        raise error(
            f"{what} {at!r}: not a {local}, not in the local Hub cache ({constants.HF_HUB_CACHE})"
            f"{offline}; download it while online (`{download}`) or pass its {local}"
        ) from None
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise error(
            f"{what} {at!r}: no such Hub {repo_type} repository, or no access to it ({type(exc).__name__});"
            " check the id and your token (`hf auth login`)"
        ) from None
    except RevisionNotFoundError:
        raise error(f"{what} {at!r}: the Hub repository has no revision {revision!r}") from None
    except HfHubHTTPError as exc:
        raise error(f"{what} {at!r}: Hub download failed ({exc})") from None


def dataset_snapshot(repo_id: str, revision: str | None = None, what: str = "dataset") -> Path:
    """The local snapshot of Hub dataset ``repo_id`` (its JSON, JSONL and Parquet data files only;
    offline: from the local Hub cache)."""
    return _snapshot(repo_id, revision, what, "dataset", list(DATA_FILE_PATTERNS), error=InputDataError)


def upload_folder(
    folder: str | os.PathLike,
    repo_id: str,
    commit_message: str,
    token: str | None = None,
    private: bool | None = None,
    create_pr: bool = False,
    revision: str | None = None,
):
    """Create Hub repo ``repo_id`` if needed and commit every file of ``folder`` to it as one commit
    (huggingface_hub's public ``HfApi.create_repo`` / ``create_commit``); returns the commit info."""
    from huggingface_hub import CommitOperationAdd, HfApi

    folder = Path(folder)
    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id, private=private, exist_ok=True).repo_id
    operations = [
        CommitOperationAdd(path_in_repo=path.relative_to(folder).as_posix(), path_or_fileobj=str(path))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]
    return api.create_commit(
        repo_id, operations, commit_message=commit_message, create_pr=create_pr, revision=revision
    )


__all__ = [
    "DATA_FILE_PATTERNS",
    "FOREIGN_WEIGHT_PATTERNS",
    "check_local_source",
    "check_weight_files",
    "dataset_snapshot",
    "is_local_path",
    "local_directory",
    "upload_folder",
]

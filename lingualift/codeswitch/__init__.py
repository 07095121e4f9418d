"""Code-switching of English text with bilingual lexicons (LinguaLIFT stage-1 data; docs/ARCHITECTURE.md)."""

from lingualift.codeswitch.lexicon import (
    Lexicon,
    lang_from_filename,
    lexicon_from_mapping,
    load_lexicon,
    resolve_lexicons,
)
from lingualift.codeswitch.pipeline import default_model_name, load_english_pipeline
from lingualift.codeswitch.pos import POS_GROUPS, parse_pos_groups
from lingualift.codeswitch.stats import SwitchStats
from lingualift.codeswitch.switcher import CodeSwitcher, Replacement, SwitchResult

__all__ = [
    "POS_GROUPS",
    "CodeSwitcher",
    "Lexicon",
    "Replacement",
    "SwitchResult",
    "SwitchStats",
    "default_model_name",
    "lang_from_filename",
    "lexicon_from_mapping",
    "load_english_pipeline",
    "load_lexicon",
    "parse_pos_groups",
    "resolve_lexicons",
]

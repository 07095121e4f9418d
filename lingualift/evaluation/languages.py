"""Language metadata: ISO code, name, family, script and the paper's resource level for every evaluated language.

The 48 MMWP languages carry the LinguaLIFT resource levels (DESIGN.md §5: LR 21, MR 17, HR 10); the few benchmark
languages outside MMWP (XNLI's el/tr/ur) are listed with ``resource_level=None`` so they can still be grouped by
family and script. ``tatoeba`` is the ISO 639-3 code Tatoeba/LASER file names use; ``msvamp`` the language name of
MSVAMP's file names.
"""

from __future__ import annotations

from dataclasses import dataclass

from lingualift.errors import ConfigError

RESOURCE_LEVELS = ("LR", "MR", "HR")


@dataclass(frozen=True)
class Language:
    """One language: identifiers, typology (family/branch, script) and the paper's resource level."""

    code: str
    name: str
    family: str
    branch: str
    script: str
    resource_level: str | None
    tatoeba: str | None = None

    @property
    def msvamp(self) -> str:
        """MSVAMP's file-name spelling (``test_{name}.json``)."""
        return self.name


def _lang(code, name, family, branch, script, level, tatoeba=None) -> Language:
    return Language(code, name, family, branch, script, level, tatoeba)


_IE = "Indo-European"
_ALL = [
    # --- low resource (21) ---
    _lang("af", "Afrikaans", _IE, "Germanic", "Latin", "LR", "afr"),
    _lang("ar", "Arabic", "Afro-Asiatic", "Semitic", "Arabic", "LR", "ara"),
    _lang("be", "Belarusian", _IE, "Slavic", "Cyrillic", "LR", "bel"),
    _lang("bn", "Bengali", _IE, "Indo-Aryan", "Bengali", "LR", "ben"),
    _lang("eu", "Basque", "Language isolate", "Basque", "Latin", "LR", "eus"),
    _lang("gu", "Gujarati", _IE, "Indo-Aryan", "Gujarati", "LR"),
    _lang("ha", "Hausa", "Afro-Asiatic", "Chadic", "Latin", "LR"),
    _lang("hi", "Hindi", _IE, "Indo-Aryan", "Devanagari", "LR", "hin"),
    _lang("hy", "Armenian", _IE, "Armenian", "Armenian", "LR", "hye"),
    _lang("is", "Icelandic", _IE, "Germanic", "Latin", "LR", "isl"),
    _lang("kn", "Kannada", "Dravidian", "Dravidian", "Kannada", "LR"),
    _lang("lb", "Luxembourgish", _IE, "Germanic", "Latin", "LR"),
    _lang("mk", "Macedonian", _IE, "Slavic", "Cyrillic", "LR", "mkd"),
    _lang("ml", "Malayalam", "Dravidian", "Dravidian", "Malayalam", "LR", "mal"),
    _lang("mr", "Marathi", _IE, "Indo-Aryan", "Devanagari", "LR", "mar"),
    _lang("ne", "Nepali", _IE, "Indo-Aryan", "Devanagari", "LR"),
    _lang("sk", "Slovak", _IE, "Slavic", "Latin", "LR", "slk"),
    _lang("sw", "Swahili", "Niger-Congo", "Bantu", "Latin", "LR", "swh"),
    _lang("ta", "Tamil", "Dravidian", "Dravidian", "Tamil", "LR", "tam"),
    _lang("te", "Telugu", "Dravidian", "Dravidian", "Telugu", "LR", "tel"),
    _lang("th", "Thai", "Kra-Dai", "Tai", "Thai", "LR", "tha"),
    # --- medium resource (17) ---
    _lang("bg", "Bulgarian", _IE, "Slavic", "Cyrillic", "MR", "bul"),
    _lang("ca", "Catalan", _IE, "Romance", "Latin", "MR", "cat"),
    _lang("cs", "Czech", _IE, "Slavic", "Latin", "MR", "ces"),
    _lang("da", "Danish", _IE, "Germanic", "Latin", "MR", "dan"),
    _lang("fi", "Finnish", "Uralic", "Finnic", "Latin", "MR", "fin"),
    _lang("hr", "Croatian", _IE, "Slavic", "Latin", "MR", "hrv"),
    _lang("hu", "Hungarian", "Uralic", "Ugric", "Latin", "MR", "hun"),
    _lang("id", "Indonesian", "Austronesian", "Malayo-Polynesian", "Latin", "MR", "ind"),
    _lang("ko", "Korean", "Koreanic", "Korean", "Hangul", "MR", "kor"),
    _lang("nb", "Norwegian Bokmål", _IE, "Germanic", "Latin", "MR", "nob"),
    _lang("pl", "Polish", _IE, "Slavic", "Latin", "MR", "pol"),
    _lang("pt", "Portuguese", _IE, "Romance", "Latin", "MR", "por"),
    _lang("ro", "Romanian", _IE, "Romance", "Latin", "MR", "ron"),
    _lang("sl", "Slovenian", _IE, "Slavic", "Latin", "MR", "slv"),
    _lang("sr", "Serbian", _IE, "Slavic", "Cyrillic", "MR", "srp"),
    _lang("uk", "Ukrainian", _IE, "Slavic", "Cyrillic", "MR", "ukr"),
    _lang("vi", "Vietnamese", "Austroasiatic", "Vietic", "Latin", "MR", "vie"),
    # --- high resource (10) ---
    _lang("de", "German", _IE, "Germanic", "Latin", "HR", "deu"),
    _lang("en", "English", _IE, "Germanic", "Latin", "HR", None),
    _lang("es", "Spanish", _IE, "Romance", "Latin", "HR", "spa"),
    _lang("fr", "French", _IE, "Romance", "Latin", "HR", "fra"),
    _lang("it", "Italian", _IE, "Romance", "Latin", "HR", "ita"),
    _lang("ja", "Japanese", "Japonic", "Japanese", "Japanese", "HR", "jpn"),
    _lang("nl", "Dutch", _IE, "Germanic", "Latin", "HR", "nld"),
    _lang("ru", "Russian", _IE, "Slavic", "Cyrillic", "HR", "rus"),
    _lang("sv", "Swedish", _IE, "Germanic", "Latin", "HR", "swe"),
    _lang("zh", "Chinese", "Sino-Tibetan", "Sinitic", "Han", "HR", "cmn"),
    # --- benchmark languages outside MMWP (no paper resource level) ---
    _lang("el", "Greek", _IE, "Hellenic", "Greek", None, "ell"),
    _lang("tr", "Turkish", "Turkic", "Oghuz", "Latin", None, "tur"),
    _lang("ur", "Urdu", _IE, "Indo-Aryan", "Arabic", None, "urd"),
]

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in _ALL}
MMWP_LANGUAGES: tuple[str, ...] = tuple(lang.code for lang in _ALL if lang.resource_level is not None)


def get_language(code: str) -> Language:
    """Metadata for an ISO 639-1 code; a clear error lists the known codes otherwise."""
    try:
        return LANGUAGES[code]
    except KeyError:
        raise ConfigError(
            f"unknown language code {code!r}; known codes: {', '.join(sorted(LANGUAGES))}"
        ) from None


def languages_at_level(level: str) -> tuple[str, ...]:
    """Codes of the MMWP languages at resource level ``LR``, ``MR`` or ``HR``."""
    if level not in RESOURCE_LEVELS:
        raise ConfigError(f"unknown resource level {level!r}; expected one of {', '.join(RESOURCE_LEVELS)}")
    return tuple(lang.code for lang in _ALL if lang.resource_level == level)

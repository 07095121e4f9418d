"""Language metadata: ISO code, name, family, script and the paper's resource level for every evaluated
language.

The 48 MMWP languages carry the LinguaLIFT resource levels (LR 21, MR 17, HR 10); the few
benchmark languages outside MMWP (XNLI's el/tr/ur) are listed with ``resource_level=None`` so they can still
be grouped by family and script. ``BENCHMARK_GROUPS`` holds the low/high groups the paper averages each
benchmark over (XNLI's and X-CSQA's differ from the MMWP levels; see :func:`benchmark_groups`).
``tatoeba`` is the ISO 639-3 code Tatoeba/LASER file names use; ``msvamp`` the language name of MSVAMP's file
names. ``FLORES_CODES`` maps each language to its Flores-200 code
(SIB-200's folder names); ``language_info`` also describes Flores codes without metadata (script only), so
any SIB-200 language can be reported and grouped.
"""

from __future__ import annotations

import re
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


# --------------------------------------------------------------------------- the paper's groups per benchmark
# LinguaLIFT averages each benchmark over its own low/high groups, not over the MMWP levels (which would drop
# XNLI's el/tr/ur from every group and put bg among the medium languages):
# * MGSM and MSVAMP: LR bn, sw, te, th; HR the other seven (MSVAMP has no te);
# * XNLI: low ar, bg, el, hi, sw, th, tr, ur; high de, en, es, fr, ru, vi, zh (all 15);
# * X-CSQA: low ar, hi, sw, ur; high the other twelve of its 16 languages;
# * MMWP (and SIB-200, Tatoeba, graded by the MMWP metadata): LR/MR/HR, 21/17/10.
# Group names are LR/HR (and MR) everywhere, so every summary has the same keys.
MMWP_GROUPS: dict[str, tuple[str, ...]] = {level: languages_at_level(level) for level in RESOURCE_LEVELS}
MGSM_GROUPS: dict[str, tuple[str, ...]] = {
    "LR": ("bn", "sw", "te", "th"),
    "HR": ("de", "en", "es", "fr", "ja", "ru", "zh"),
}
BENCHMARK_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "mgsm": MGSM_GROUPS,
    "msvamp": {"LR": ("bn", "sw", "th"), "HR": MGSM_GROUPS["HR"]},
    "mmwp": MMWP_GROUPS,
    "xnli": {
        "LR": ("ar", "bg", "el", "hi", "sw", "th", "tr", "ur"),
        "HR": ("de", "en", "es", "fr", "ru", "vi", "zh"),
    },
    "xcsqa": {
        "LR": ("ar", "hi", "sw", "ur"),
        "HR": ("en", "zh", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "vi"),
    },
    "sib200": MMWP_GROUPS,
    "tatoeba": MMWP_GROUPS,
}


def benchmark_groups(benchmark: str) -> dict[str, tuple[str, ...]]:
    """The paper's language groups of a benchmark, ``{group: ISO codes}`` in reporting order.

    Example: ``benchmark_groups("xnli")["LR"]`` -> ``("ar", "bg", "el", "hi", "sw", "th", "tr", "ur")``.
    Names are matched like ``get_benchmark`` does (``X-CSQA`` -> ``xcsqa``).
    """
    key = benchmark.lower().replace("-", "").replace("_", "")
    if key not in BENCHMARK_GROUPS:
        raise ConfigError(
            f"unknown benchmark {benchmark!r} for the language groups; known: {', '.join(BENCHMARK_GROUPS)}"
        )
    return BENCHMARK_GROUPS[key]


def language_group(code: str, benchmark: str) -> str | None:
    """The group (``LR``/``MR``/``HR``) a language key falls in for ``benchmark``, None when it is in none
    (a Flores code without metadata, or a language outside the benchmark's groups). Flores codes with
    metadata count as their ISO code (``swh_Latn`` -> ``sw``)."""
    iso = language_info(code).code
    for group, members in benchmark_groups(benchmark).items():
        if iso in members:
            return group
    return None


# ------------------------------------------------------------------------------- Flores-200 language codes
# SIB-200 (and Flores-200) name languages ``{ISO 639-3}_{ISO 15924 script}``. Each known language maps to
# exactly one such code (its standard variety: zho_Hans for zh, arb_Arab for ar, npi_Deva for ne), so results
# on a code with metadata are reported under its ISO 639-1 code and grouped by the paper's resource levels;
# every other Flores code (zho_Hant, ars_Arab, yor_Latn, ...) stays its own language key.
FLORES_CODES: dict[str, str] = {
    "af": "afr_Latn",
    "ar": "arb_Arab",
    "be": "bel_Cyrl",
    "bn": "ben_Beng",
    "eu": "eus_Latn",
    "gu": "guj_Gujr",
    "ha": "hau_Latn",
    "hi": "hin_Deva",
    "hy": "hye_Armn",
    "is": "isl_Latn",
    "kn": "kan_Knda",
    "lb": "ltz_Latn",
    "mk": "mkd_Cyrl",
    "ml": "mal_Mlym",
    "mr": "mar_Deva",
    "ne": "npi_Deva",
    "sk": "slk_Latn",
    "sw": "swh_Latn",
    "ta": "tam_Taml",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "bg": "bul_Cyrl",
    "ca": "cat_Latn",
    "cs": "ces_Latn",
    "da": "dan_Latn",
    "fi": "fin_Latn",
    "hr": "hrv_Latn",
    "hu": "hun_Latn",
    "id": "ind_Latn",
    "ko": "kor_Hang",
    "nb": "nob_Latn",
    "pl": "pol_Latn",
    "pt": "por_Latn",
    "ro": "ron_Latn",
    "sl": "slv_Latn",
    "sr": "srp_Cyrl",
    "uk": "ukr_Cyrl",
    "vi": "vie_Latn",
    "de": "deu_Latn",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "nl": "nld_Latn",
    "ru": "rus_Cyrl",
    "sv": "swe_Latn",
    "zh": "zho_Hans",
    "el": "ell_Grek",
    "tr": "tur_Latn",
    "ur": "urd_Arab",
}
FLORES_TO_ISO: dict[str, str] = {flores: iso for iso, flores in FLORES_CODES.items()}
_FLORES_PATTERN = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")

# ISO 15924 codes of the Flores-200 scripts -> the script names the metadata above uses
SCRIPT_NAMES: dict[str, str] = {
    "Arab": "Arabic",
    "Armn": "Armenian",
    "Beng": "Bengali",
    "Cyrl": "Cyrillic",
    "Deva": "Devanagari",
    "Ethi": "Ethiopic",
    "Geor": "Georgian",
    "Grek": "Greek",
    "Gujr": "Gujarati",
    "Guru": "Gurmukhi",
    "Hang": "Hangul",
    "Hans": "Han",
    "Hant": "Han",
    "Hebr": "Hebrew",
    "Jpan": "Japanese",
    "Khmr": "Khmer",
    "Knda": "Kannada",
    "Laoo": "Lao",
    "Latn": "Latin",
    "Mlym": "Malayalam",
    "Mymr": "Myanmar",
    "Nkoo": "N'Ko",
    "Olck": "Ol Chiki",
    "Orya": "Odia",
    "Sinh": "Sinhala",
    "Taml": "Tamil",
    "Telu": "Telugu",
    "Tfng": "Tifinagh",
    "Thai": "Thai",
    "Tibt": "Tibetan",
}
UNKNOWN_FAMILY = "unknown"  # family/branch of a Flores language the package has no metadata for


def is_flores_code(code: str) -> bool:
    """True for a Flores-200 style code ``{ISO 639-3}_{Script}`` such as ``swh_Latn``."""
    return bool(_FLORES_PATTERN.fullmatch(code))


def flores_language_key(flores: str) -> str:
    """The language key of a Flores code: its ISO 639-1 code when the package knows it
    (``swh_Latn`` -> ``sw``), else the Flores code itself (``yor_Latn``)."""
    return FLORES_TO_ISO.get(flores, flores)


def flores_code(key: str) -> str:
    """The Flores code of a language key: ``sw`` -> ``swh_Latn``; a Flores code is returned as it is."""
    if key in FLORES_CODES:
        return FLORES_CODES[key]
    if is_flores_code(key):
        return key
    raise ConfigError(
        f"no Flores-200 code for language {key!r}: give a folder name like swh_Latn or one of the ISO codes"
        f" {', '.join(sorted(FLORES_CODES))}"
    )


def language_info(key: str) -> Language:
    """Metadata of a language key: an ISO code's (``get_language``), the mapped language's for a Flores code
    with metadata, else a minimal entry for the Flores code (script from its suffix, no family or level)."""
    if key in LANGUAGES:
        return LANGUAGES[key]
    if is_flores_code(key):
        if key in FLORES_TO_ISO:
            return LANGUAGES[FLORES_TO_ISO[key]]
        script = key.split("_", 1)[1]
        return Language(key, key, UNKNOWN_FAMILY, UNKNOWN_FAMILY, SCRIPT_NAMES.get(script, script), None)
    return get_language(key)  # the error listing the known codes

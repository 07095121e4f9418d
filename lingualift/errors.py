"""Exceptions raised on bad user input: one family so callers (and the CLI) can tell them from bugs."""


class LinguaLiftError(Exception):
    """Base class for every error lingualift raises about user input or state."""


class InputDataError(LinguaLiftError, ValueError):
    """A data file or record is malformed; the message names the file, line and field."""


class ConfigError(LinguaLiftError, ValueError):
    """A configuration value is unknown, missing or of the wrong type; the message names the key."""


class CheckpointError(LinguaLiftError, ValueError):
    """A checkpoint is missing, incomplete or does not match the base models it is loaded onto."""


class OutputError(LinguaLiftError, ValueError):
    """An output path is unsafe to write: it already exists (and overwriting was not asked for), it is one of
    the inputs, it is a directory lingualift did not create, or it cannot be created; nothing was changed."""

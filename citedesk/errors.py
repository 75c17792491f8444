"""Errors that are shown to people as one line, never as a traceback."""


class CitedeskError(Exception):
    """Base class: its message is written for the person who caused it."""


class BadInputError(CitedeskError):
    """The question, path or file given cannot be used."""


class StoreError(CitedeskError):
    """The article store cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another process holds the embedded store for writing."""


class FetchError(CitedeskError):
    """A URL could not be fetched safely."""


class ConfigError(CitedeskError):
    """A setting is missing or malformed."""

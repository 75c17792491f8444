"""citedesk's version, at the bottom layer so that any module may show it."""

__version__ = "0.2.0"

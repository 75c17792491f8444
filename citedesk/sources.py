"""What an article source looks like: a URL, or a file of a kind citedesk reads."""

import re

# File suffix -> how its text is read.
SUPPORTED_SUFFIXES = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html"}
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(text: str) -> bool:
    """Say whether a source is a URL (any scheme: the fetcher refuses all but http(s))."""
    return bool(_SCHEME.match(text))

"""citedesk: answers questions about news articles with verified, cited passages.

`from citedesk import Desk` is the way in; the import is lazy so that `citedesk --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from citedesk.version import __version__

__all__ = ["Desk", "__version__"]

if TYPE_CHECKING:
    from citedesk.desk import Desk


def __getattr__(name: str) -> Any:
    if name == "Desk":
        from citedesk.desk import Desk

        return Desk
    raise AttributeError(f"module 'citedesk' has no attribute {name!r}")

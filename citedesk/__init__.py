"""citedesk: answers questions about news articles with verified, cited passages."""

__version__ = "0.1.0"

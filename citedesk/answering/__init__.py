"""The answering engine, independent of Telegram."""

from citedesk.answering.engine import ABSTAIN_TEXT, AnswerEngine
from citedesk.answering.models import Answer, Citation, Turn

__all__ = ["ABSTAIN_TEXT", "Answer", "AnswerEngine", "Citation", "Turn"]

"""Resolve a follow-up question against the conversation, without an LLM.

"Who is the Kremlin spokesman?" then "What did he deny?": the person named in the last answer
next to the words of the last question ("Kremlin spokesman Dmitry Peskov") replaces "he".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from citedesk.answering.models import Turn
from citedesk.vectorstore.terms import content_stems, stem

_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers|they|them|their)\b", re.IGNORECASE)
_POSSESSIVE_PRONOUNS = {"his", "their", "hers"}
_OTHER_REFERENCE = re.compile(
    r"\b(it|its|this|these|those|there|the same)\b|^\s*(and|also|what about|how about)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*))*")
_NAME_NOISE = {
    "the", "in", "on", "at", "last", "but", "and", "for", "mr", "mrs", "ms", "dr",
    # Calendar words are capitalised but name no one.
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
}  # fmt: skip
_WINDOW = 4
_OTHER_ONE = re.compile(r"\bthe other (?:one|person|guy|man|woman|official|side)\b", re.IGNORECASE)
_ASKS_WHO = re.compile(r"\s*(and\s+)?who(se|m)?\b", re.IGNORECASE)


def _names(quote: str, proper: Collection[str] = ()) -> list[tuple[str, int, int]]:
    """Return capitalised word runs with their token positions.

    The text's first word is capitalised anyway: it counts only when it is one of the corpus's
    proper nouns (`proper`, lower case)."""
    tokens = quote.split()
    found: list[tuple[str, int, int]] = []
    index = 0
    while index < len(tokens):
        if not _NAME.fullmatch(tokens[index].strip(',.;:"“”‘’()')):
            index += 1
            continue
        start = index
        while index < len(tokens) and _NAME.fullmatch(tokens[index].strip(',.;:"“”‘’()')):
            index += 1
            if tokens[index - 1][-1:] in ",.;:":
                break
        words = [token.strip(',.;:"“”‘’()') for token in tokens[start:index]]
        # A lone capitalised first word is just a sentence start ("Prior to ..."); a run of
        # several ("Joe Biden warned") is a name.
        while words and (
            words[0].lower() in _NAME_NOISE
            or (start == 0 and len(words) == 1 and words[0].lower() not in proper)
        ):
            words.pop(0)
            start += 1
        if words:
            found.append((" ".join(words), start, index))
    return found


def _subject(turn: Turn, proper: Collection[str]) -> str | None:
    """The person a question was about ("When did Gandhi go to London?" -> Gandhi), unless it
    asked who someone is: then "he" means the answer, not the question."""
    if _ASKS_WHO.match(turn.question):
        return None
    names = [
        name
        for name, _, _ in _names(turn.resolved_question, proper)
        if len(name.split()) >= 2 or name.lower() in proper
    ]
    return names[0] if names else None


def _other_name(turn: Turn, proper: Collection[str]) -> str | None:
    """For "the other one": a person the last answer named who is not the one it was about."""
    taken = {_subject(turn, proper), _focus_name(turn, proper)}
    asked = set(content_stems(turn.resolved_question))
    for quote in turn.quotes[:3]:
        for name, _, _ in _names(quote, proper):
            name_stems = {stem(word.lower()) for word in name.split()}
            person = len(name.split()) >= 2 or name.lower() in proper
            if person and name not in taken and not name_stems & asked:
                return name
    return None


def _focus_name(turn: Turn, proper: Collection[str] = ()) -> str | None:
    """Return the person the last turn was about: a name beside the last question's words."""
    asked = set(content_stems(turn.resolved_question))
    best: tuple[float, str] | None = None
    for rank, quote in enumerate(turn.quotes[:2]):
        tokens = [stem(token.strip(',.;:"“”‘’()').lower()) for token in quote.split()]
        for name, start, end in _names(quote, proper):
            name_stems = {stem(word.lower()) for word in name.split()}
            window = set(tokens[max(0, start - _WINDOW) : end + _WINDOW]) - name_stems
            near = len(window & asked)
            # People have two-word names, acronyms are organisations or countries,
            # and the question's own words are not the answer.
            score = near + (len(name.split()) >= 2) - (name.isupper()) - 0.1 * rank
            if name_stems & asked:
                score -= 1
            if best is None or score > best[0]:
                best = (score, name)
    return best[1] if best and best[0] > 0.5 else None


def _named_in_answer(question: str, turn: Turn, proper: Collection[str] = ()) -> list[str]:
    """Names from the last answer that a question's words point at ("the council" -> the UN
    Security Council), when the question does not spell them out itself."""
    asked = set(content_stems(question))
    found: dict[str, None] = {}
    for quote in turn.quotes[:3]:
        for name, _, _ in _names(quote, proper):
            parts = name.split()
            name_stems = {stem(word.lower()) for word in parts}
            if len(parts) >= 2 and name_stems & asked and not name_stems <= asked:
                found.setdefault(name, None)
    return list(found)


def resolve(question: str, history: Sequence[Turn], proper: Collection[str] = ()) -> str:
    """Return the question made standalone using the last turn, or the question as it is.

    `proper` is the corpus's proper nouns (lower case), which tell names from capitalised words.
    """
    if not history:
        return question
    last = history[-1]
    resolved = question
    if _OTHER_ONE.search(question) and (other := _other_name(last, proper)):
        return _OTHER_ONE.sub(other, question, count=1)
    if _PERSON_PRONOUN.search(question):
        name = _subject(last, proper) or _focus_name(last, proper)
        if name:

            def substitute(match: re.Match[str]) -> str:
                pronoun = match.group(1).lower()
                return f"{name}'s" if pronoun in _POSSESSIVE_PRONOUNS else name

            resolved = _PERSON_PRONOUN.sub(substitute, question, count=1)
    named = _named_in_answer(resolved, last, proper)
    if named:
        context = named[:2]
        if resolved == question and _OTHER_REFERENCE.search(question):
            # "which court case created it?": the names it points at, and what "it" was.
            context.append(last.resolved_question)
        return f"{resolved} ({'; '.join(context)})"
    if resolved != question:
        return resolved
    if _PERSON_PRONOUN.search(question) or _OTHER_REFERENCE.search(question):
        return f"{question} ({last.resolved_question})"
    return question

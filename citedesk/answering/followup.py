"""Resolve a follow-up question against the conversation, without an LLM.

"Who is the Kremlin spokesman?" then "What did he deny?": the person named in the last answer
next to the words of the last question ("Kremlin spokesman Dmitry Peskov") replaces "he".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from citedesk.answering.models import Turn
from citedesk.vectorstore.terms import content_stems, stem, without_possessive

_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)
# "they" is seldom one person: the newspapers, the Republicans, the US. The last question goes
# with the follow-up, as for "it", instead of a name put in its place.
_PLURAL_PRONOUN = re.compile(r"\b(they|them|their|theirs)\b", re.IGNORECASE)
_POSSESSIVE_PRONOUNS = {"his", "hers"}
_GENDER = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she", "hers": "she"}
_OTHER_REFERENCE = re.compile(
    r"\b(it|its|this|these|those|there|the same)\b|^\s*(and|also|what about|how about)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*))*")
_NAME_EDGES = ',.;:?!"“”‘’()'
_INITIAL = re.compile(r"[A-Z]\.")
_NAME_NOISE = {
    "the", "in", "on", "at", "last", "but", "and", "for", "mr", "mrs", "ms", "dr",
    # Calendar words are capitalised but name no one.
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    # A question's first word is capitalised too: "Which BJD MP warned ...?" names a BJD MP.
    "which", "what", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do",
    "is", "was", "were", "are", "has", "have", "had", "will", "would", "can", "could",
}  # fmt: skip
_WINDOW = 4
_PREPOSITIONS = {
    "about", "against", "at", "by", "for", "from", "in", "into", "of", "on", "over", "to",
    "toward", "towards", "with", "within", "without",
}  # fmt: skip
_ARTICLES = {"the", "a", "an"}
# Last words of capitalised runs that name an organisation, a place, an event or a title, not a
# person ("the State Department", "the Federal Republic", "the Security Council").
_INSTITUTIONS = {
    "administration", "agency", "airport", "alliance", "army", "assembly", "association",
    "bank", "board", "bureau", "cabinet", "centre", "center", "church", "city", "club",
    "college", "commission", "committee", "company", "conference", "congress", "corporation",
    "council", "county", "court", "department", "district", "embassy", "federation", "force",
    "forces", "foundation", "front", "games", "government", "group", "guard", "hospital", "house",
    "institute", "kingdom", "league", "ministry", "museum", "nations", "navy", "news", "office",
    "olympic", "olympics", "organisation", "organization", "parliament", "party", "police",
    "post", "province", "region", "republic", "school", "senate", "service", "society",
    "stadium", "state", "states", "street", "team", "times", "treaty", "tribunal", "union",
    "university",
}  # fmt: skip
# A run that ends in a title is the title ("New York Mayor", "Foreign Minister"), the person's
# name comes after it.
_TITLES = {
    "ambassador", "attorney", "captain", "chairman", "chancellor", "chief", "coach",
    "commissioner", "director", "envoy", "general", "governor", "judge", "king", "leader",
    "mayor", "minister", "pope", "president", "prince", "queen", "secretary", "senator",
    "sheriff", "speaker", "spokesman", "spokesperson", "spokeswoman",
}  # fmt: skip
_NOT_PERSON_HEADS = _INSTITUTIONS | _TITLES
# What a follow-up may call someone the last answer named with it ("the host" for "the show's
# host, Chris Wallace"): titles, and roles that news writes before a name.
_ROLES = _TITLES | {
    "activist", "actor", "adviser", "advisor", "aide", "anchor", "author", "candidate", "ceo",
    "commander", "diplomat", "editor", "founder", "host", "journalist", "lawyer", "nominee",
    "official", "player", "premier", "prosecutor", "reporter", "singer",
}  # fmt: skip
_DETERMINERS = {"the", "that", "this"}
_OTHER_ONE = re.compile(r"\bthe other (?:one|person|guy|man|woman|official|side)\b", re.IGNORECASE)
# A question that asks the answer to name someone or something: "he" then points at the answer.
_ASKS_FOR_A_NAME = re.compile(r"\s*(and\s+)?(who(se|m)?|which)\b", re.IGNORECASE)


# Lower-case words inside a name: "Bill de Blasio", "Ursula von der Leyen", "Vasco da Gama".
_NAME_PARTICLES = {
    "al", "bin", "da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von",
}  # fmt: skip


def _particle_in_a_name(tokens: Sequence[str], index: int) -> bool:
    """A particle between capitalised words of one name (not at a run's start)."""
    return (
        0 < index < len(tokens) - 1
        and tokens[index] in _NAME_PARTICLES
        and bool(_NAME.fullmatch(tokens[index - 1].strip(_NAME_EDGES)))
        and bool(
            _NAME.fullmatch(tokens[index + 1].strip(_NAME_EDGES))
            or _particle_in_a_name(tokens, index + 1)
        )
    )


def _names(quote: str, proper: Collection[str] = ()) -> list[tuple[str, int, int]]:
    """Return capitalised word runs with their token positions.

    The text's first word is capitalised anyway: it counts only when it is one of the corpus's
    proper nouns (`proper`, lower case)."""
    tokens = quote.split()
    found: list[tuple[str, int, int]] = []
    index = 0
    while index < len(tokens):
        if not _NAME.fullmatch(tokens[index].strip(_NAME_EDGES)):
            index += 1
            continue
        start = index
        while index < len(tokens) and (
            _NAME.fullmatch(tokens[index].strip(_NAME_EDGES)) or _particle_in_a_name(tokens, index)
        ):
            index += 1
            # A full stop ends a run, but not an initial's ("James A. Scott").
            if tokens[index - 1][-1:] in ",.;:?!" and not _INITIAL.fullmatch(tokens[index - 1]):
                break
        words = [token.strip(_NAME_EDGES) for token in tokens[start:index]]
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


def _plain_tokens(text: str) -> list[str]:
    """The text's words as `_names` counts their positions (split at spaces), lower case and
    without the punctuation around them."""
    return [token.strip(_NAME_EDGES).lower() for token in text.split()]


def _stems(name: str) -> set[str]:
    return {stem(word.lower()) for word in name.split()}


def _person(name: str, quotes: Sequence[str]) -> str | None:
    """The person a capitalised run names, or None for an organisation, place or event.

    Titles and affiliations come first in news style ("Russian Foreign Minister Sergei Lavrov"):
    a person is the run's last two words. A run that ends in an institution's word ("State
    Department") names none. One word ("Peskov", not "Kiev" or "Olympic") is a person only if
    the answer also gives it as a full name ("Dmitry Peskov").
    """
    if name.isupper():
        return None
    words = name.split()
    # An affiliation in capitals after a name is not part of it ("Susan Collins (R-ME)").
    while len(words) > 1 and words[-1].isupper() and len(words[-1]) > 1:
        words.pop()
    name = " ".join(words)
    if words[-1].lower() in _NOT_PERSON_HEADS:
        return None
    if len(words) >= 2:
        # A middle initial or a particle goes with the name ("James A. Scott", not "A Scott";
        # "Bill de Blasio").
        first = len(words) - 2
        while first > 0 and (len(words[first].rstrip(".")) == 1 or words[first] in _NAME_PARTICLES):
            first -= 1
        return " ".join(words[first:])
    full_name = re.compile(rf"\b[A-Z][\w'’.-]+\s+{re.escape(name)}\b")
    return name if any(full_name.search(quote) for quote in quotes) else None


def _subject(turn: Turn, proper: Collection[str]) -> str | None:
    """The person a question was about ("When did Gandhi go to London?" -> Gandhi).

    A question that asked who someone is points "he" at its answer ("Who is the Kremlin
    spokesman?" or "Which former Arizona sheriff did Trump pardon?" -> the person the answer
    names), unless it was only a name ("Who was Vece Paes?"): then "he" is that person still.
    """
    named = _named_in_question(turn, proper)
    if named is None or not _ASKS_FOR_A_NAME.match(turn.question):
        return named
    return named if set(content_stems(turn.resolved_question)) <= _stems(named) else None


def _named_in_question(turn: Turn, proper: Collection[str]) -> str | None:
    """The person a question names as its subject ("Which journalist did Roger Stone attack?"
    -> Roger Stone), whatever it asks."""
    tokens = turn.resolved_question.lower().split()

    def after_preposition(start: int) -> bool:
        before = start - 1
        while before >= 0 and tokens[before] in _ARTICLES:  # "in the Rajya Sabha"
            before -= 1
        return before >= 0 and tokens[before] in _PREPOSITIONS

    names = [
        name
        for name, start, _ in _names(turn.resolved_question, proper)
        if (len(name.split()) >= 2 or name.lower() in proper)
        and not name.isupper()  # an acronym is an organisation or a country
        # A pronoun takes up the subject, not the object of a preposition ("What did the US
        # envoy say about talks with Moscow?" then "what did she say?").
        and not after_preposition(start)
    ]
    if not names:
        return None
    # "he" and "she" are people: a name the answer or question also gives in full comes before
    # a one-word name that may be a company or a place ("Why did Twitter suspend Roger Stone's
    # account?" then "who else did he go after?").
    texts = [*turn.quotes, turn.resolved_question]
    names = [without_possessive(name) for name in names]
    names.sort(key=lambda name: _person(name, texts) is None)
    return names[0]


def _other_name(turn: Turn, proper: Collection[str]) -> str | None:
    """For "the other one": a person the last answer named who is not the one it was about."""
    taken = {_subject(turn, proper), _focus_name(turn, proper)}
    asked = set(content_stems(turn.resolved_question))
    quotes = turn.quotes[:3]
    for quote in quotes:
        for name, _, _ in _names(quote, proper):
            person = _person(name, quotes)
            if person is None or person in taken:
                continue
            if not _stems(person) & asked:
                return person
    return None


def _pronoun_after(person: str, quotes: Sequence[str]) -> str | None:
    """ "he" or "she": the first subject pronoun after the person in the quotes ("Lavrov said he
    ..."), the only word on a person's gender that the answer offers; None if there is none."""
    surname = re.escape(person.split()[-1])
    for quote in quotes:
        if found := re.search(rf"\b{surname}\b.{{0,160}}?\b(he|his|she)\b", quote, re.I | re.S):
            return "she" if found.group(1).lower() == "she" else "he"
    return None


def _focus_name(turn: Turn, proper: Collection[str] = (), pronoun: str | None = None) -> str | None:
    """Return the person the last turn was about: a name beside the last question's words.

    `pronoun` ("he" or "she") skips a person the answer refers to with the other one."""
    asked = set(content_stems(turn.resolved_question))
    asks_for_a_name = bool(_ASKS_FOR_A_NAME.match(turn.question))
    best: tuple[float, str] | None = None
    quotes = turn.quotes[:2]
    for rank, quote in enumerate(quotes):
        tokens = [stem(token) for token in _plain_tokens(quote)]
        for name, start, end in _names(quote, proper):
            person = _person(name, quotes)
            if person is None:
                continue
            if pronoun and (said := _pronoun_after(person, quotes)) and said != pronoun:
                continue
            name_stems, person_stems = _stems(name), _stems(person)
            window = set(tokens[max(0, start - _WINDOW) : end + _WINDOW]) - name_stems
            # A title is the question's words beside the name ("NATO Secretary General").
            near = len(window & asked) + len((name_stems - person_stems) & asked)
            # People have two-word names, and the question's own words are not the answer.
            score = near + (len(person.split()) >= 2) - 0.1 * rank
            if person_stems & asked:
                # After "Which Trump nominee ...?" the answer is someone the question did not
                # name: Trump is not "he" (a first name is no name: "Papa John's" is not John
                # Schnatter).
                if asks_for_a_name and stem(person.split()[-1].lower()) in asked:
                    continue
                score -= 1
            if best is None or score > best[0]:
                best = (score, person)
    return best[1] if best and best[0] > 0.5 else None


def _named_in_answer(question: str, turn: Turn, proper: Collection[str] = ()) -> list[str]:
    """Names from the last answer that a question's words point at, when the question does not
    spell them out itself: a word of the name ("the council" -> the UN Security Council) or a
    title just before it ("the host" -> "the show's host, Chris Wallace")."""
    asked = set(content_stems(question))
    roles = _roles_described(question)
    found: dict[str, None] = {}
    for quote in turn.quotes[:3]:
        tokens = _plain_tokens(quote)
        for name, start, _ in _names(quote, proper):
            name_stems = _stems(name)
            if len(name.split()) < 2 or name_stems <= asked:
                continue
            titled = start > 0 and tokens[start - 1] in roles
            if name_stems & asked or (titled and _person(name, turn.quotes) is not None):
                found.setdefault(name, None)
    return list(found)


def _roles_described(question: str) -> set[str]:
    """The roles a question names someone by: "the host", "that new prime minister" (not "the
    report", nor "beat" in "who did he beat?": no role)."""
    tokens = _plain_tokens(question)
    return {
        token
        for index, token in enumerate(tokens)
        if token in _ROLES and _DETERMINERS & set(tokens[max(0, index - 3) : index])
    }


def _context_of(turn: Turn) -> str | None:
    """The context a follow-up was resolved with ("and when? (CONTEXT)"), or None: the turn
    was asked standalone or had a pronoun replaced."""
    head = f"{turn.question} ("
    resolved = turn.resolved_question
    return (
        resolved[len(head) : -1] if resolved.startswith(head) and resolved.endswith(")") else None
    )


def _last_asked(history: Sequence[Turn]) -> str:
    """What the last turn asked, as context for a follow-up of it: its resolved question, or, if
    it was a follow-up in context itself, its own words and the last question asked without one.

    Nesting each context in the next had no end: a chat that asked "and when?" ten times sent
    retrieval a question ten levels deep, and kept it in the conversation.
    """
    last = history[-1]
    if _context_of(last) is None:
        return last.resolved_question
    standalone = next(
        (turn.resolved_question for turn in reversed(history) if _context_of(turn) is None),
        _context_of(history[0]),  # the chain began before the turns kept
    )
    return f"{last.question} {standalone}"


_SUBJECT_PRONOUN = re.compile(r"\b(he|she)\b", re.IGNORECASE)
# "him", or "her" where it is no possessive: last, or before a preposition or a particle.
_OBJECT_PRONOUN = re.compile(
    r"\b(him|her)\b(?=\s*(?:[?.!,;]|$|about|after|at|back|before|for|from|in|on|to|with))",
    re.IGNORECASE,
)


def _two_people(question: str, last: Turn, proper: Collection[str]) -> str | None:
    """After a question that asked for a name ("Which journalist did Roger Stone attack?"), a
    follow-up with two people in it ("what did he call him?") has the question's person as its
    subject and the answer's as its object: "what did Roger Stone call Don Lemon?". None when
    the follow-up is not of that shape or either person is not found."""
    subject, obj = _SUBJECT_PRONOUN.search(question), _OBJECT_PRONOUN.search(question)
    if subject is None or obj is None or obj.start() < subject.start():
        return None
    if not _ASKS_FOR_A_NAME.match(last.question):
        return None
    asker = _named_in_question(last, proper)
    answer = _focus_name(last, proper)
    if asker is None or answer is None or _stems(asker) & _stems(answer):
        return None
    return (
        question[: subject.start()]
        + asker
        + question[subject.end() : obj.start()]
        + answer
        + question[obj.end() :]
    )


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
    # "they", "it", "there", "what about...": the last question is what they point at.
    refers = _PLURAL_PRONOUN.search(question) or _OTHER_REFERENCE.search(question)
    if (pair := _two_people(question, last, proper)) is not None:
        resolved = pair
    elif found := _PERSON_PRONOUN.search(question):
        gender = _GENDER.get(found.group(1).lower())
        name = _subject(last, proper) or _focus_name(last, proper, gender)
        if name:

            def substitute(match: re.Match[str]) -> str:
                pronoun = match.group(1).lower()
                return f"{name}'s" if pronoun in _POSSESSIVE_PRONOUNS else name

            resolved = _PERSON_PRONOUN.sub(substitute, question, count=1)
    # Only the user's own words point at names: a name put in for a pronoun points at itself.
    named = _named_in_answer(question, last, proper)
    if named:
        context = named[:2]
        if resolved == question and refers:
            # "which court case created it?": the names it points at, and what "it" was.
            context.append(_last_asked(history))
        return f"{resolved} ({'; '.join(context)})"
    if resolved != question:
        return resolved
    if found or refers:
        return f"{question} ({_last_asked(history)})"
    return question

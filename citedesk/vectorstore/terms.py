"""Words, stems and spelling variants of names, shared by retrieval and answer scoring."""

from __future__ import annotations

import bisect
import gzip
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_POSSESSIVE_ENDINGS = ("'s", "’s")
_VOWELS = set("aeiouy")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,4}\b")
# Two or more capitalised words in a row, as names are written: "John McCain", "Olaf Scholz".
_NAME_RUN = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)+")
# An acronym's spelled-out words kept (from its first runs in the corpus).
_ACRONYM_WORDS = 8
# Words whose spellings a Vocabulary remembers (then it starts over).
_VARIANTS_KEPT = 20_000
# Questions whose corrected names a Vocabulary remembers: a question asks twice, within moments.
_TEXTS_KEPT = 256

# Function words plus the words every question about news carries, which say nothing of topic.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also any anyone else ever many much one ones get got let lets us re ve ll d s t say says
    said saying tell told tells according article articles report reported reports news mention
    mentioned mentions know known think thing things happen happened happens
    even exactly actually really basically literally anyway please
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


class WordList:
    """A sorted array of lower-case words: 3 MB where a set of the same words takes 15."""

    _WIDTH = 24  # longer words are cut to this; no two English words differ only after it

    def __init__(self, words: Iterable[bytes]) -> None:
        self._sorted = np.array(sorted(words), dtype=f"S{self._WIDTH}")

    def __len__(self) -> int:
        return len(self._sorted)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word.isascii():
            return False
        key = word.encode()[: self._WIDTH]
        index = int(np.searchsorted(self._sorted, key))
        return index < len(self._sorted) and bytes(self._sorted[index]) == key


class SortedWords:
    """Membership in a sorted list of words by binary search, without a set beside the list.

    The vocabulary keeps its words and names as sorted lists (the fuzzy searches go through
    them); sets of the same words took 2.6 MB more at 102k chunks (36,109 words, 9,979 names).
    """

    def __init__(self, sorted_words: list[str]) -> None:
        self._words = sorted_words

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        index = bisect.bisect_left(self._words, word)
        return index < len(self._words) and self._words[index] == word

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def starting_with(self, prefix: str) -> Iterator[str]:
        """The words that start with this prefix, in order."""
        index = bisect.bisect_left(self._words, prefix)
        while index < len(self._words) and self._words[index].startswith(prefix):
            yield self._words[index]
            index += 1

    def __len__(self) -> int:
        return len(self._words)


@lru_cache(maxsize=1)
def english_words() -> WordList:
    """Words of English, so that a word no article uses is told apart from a typo: "cello" or
    "hurl" is a word, "nuetron" is not. Read on first use, since only a question with a word
    that the corpus does not use needs it.

    The list is pyspellchecker's English word frequencies (about 130,000 words of plain
    letters), read from its data file: its `SpellChecker` keeps counts and indexes as well,
    which grew a bot by 160 MB."""
    data = resources.files("spellchecker") / "resources" / "en.json.gz"
    return WordList(re.findall(rb'"([a-z]+)":', gzip.decompress(data.read_bytes())))


def without_possessive(word: str) -> str:
    """The word without a possessive ending ("Stone's" -> "Stone")."""
    return _POSSESSIVE.sub("", word)


def words(text: str) -> list[str]:
    """Return lower-case word tokens without possessive endings."""
    found = []
    for token in _TOKEN.findall(text):
        lower = token.lower()
        found.append(lower[:-2] if lower.endswith(_POSSESSIVE_ENDINGS) else lower)
    return found


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def content_stems(text: str) -> list[str]:
    """Return the stems of the words that carry topic, in order, without repeats."""
    # Each distinct word is stemmed once, in one call: every candidate sentence is stemmed per
    # question, and every chunk when the retrieval index is built.
    topical = [
        word for word in dict.fromkeys(words(text)) if word not in STOPWORDS and len(word) > 1
    ]
    return list(dict.fromkeys(_stemmer().stemWords(topical)))


def skeleton(word: str) -> str:
    """Consonant skeleton: Kyiv/Kiev -> kv, Baerbock/Birbock/Bierbock -> brbck."""
    word = word.lower()
    out = [word[0]]
    for char in word[1:]:
        if char in _VOWELS or char == out[-1]:
            continue
        out.append(char)
    return "".join(out)


def name_pairs(text: str) -> list[str]:
    """Neighbouring words of the capitalised runs in a text, as "first second" in lower case."""
    found = []
    for run in _NAME_RUN.finditer(text):
        names = [without_possessive(word).lower() for word in run.group().split()]
        found += [
            f"{first} {second}"
            for first, second in itertools.pairwise(names)
            if first not in STOPWORDS and second not in STOPWORDS
        ]
    return found


# Most edits between a name and a spelling with the same consonant skeleton (Kiev, Kyiv: 2),
# and for a long name a third of its letters (Bangalore, Bengaluru: 3 of 9): vowels drift.
_SKELETON_EDITS = 2
_SKELETON_EDIT_SHARE = 1 / 3


def _close_spelling(typed: str, known: str) -> bool:
    """Could `known` be what was meant by `typed`: the same consonants (McCane, McCain), or a
    letter or two off (two only in a long word: Schultz, Scholz)."""
    if typed == known:
        return True
    if skeleton(typed) == skeleton(known) and len(skeleton(typed)) >= 2:
        return True
    return OSA.distance(typed, known, score_cutoff=2) <= (2 if len(typed) >= 7 else 1)


def _misplaced_letter(typed: str, known: str) -> bool:
    """Are these the same letters, one of them moved (Ghandi, Gandhi)?"""
    return len(typed) >= 5 and typed[0] == known[0] and sorted(typed) == sorted(known)


# Most edits between a typo of an ordinary word and the word: one in a short word, two in a long.
_WORD_TYPO_EDITS = ((8, 2), (4, 1))
# A big corpus has its own typos ("blod" in one of 1,678 articles): a word in this few documents
# is a typo too when a spelling that many times as common is as close as a typo.
_RARE_TYPO_DOCUMENTS = 2
_COMMON_SPELLING_RATIO = 20


class VocabularyCounts:
    """What a Vocabulary is made of, counted one text at a time (a corpus need not fit in memory)."""

    def __init__(self) -> None:
        self.documents = 0
        self.df: Counter[str] = Counter()
        self.capitalized: Counter[str] = Counter()
        self.all_capitals: Counter[str] = Counter()  # mid-sentence, every letter: "KBC", "GST"
        self.mid_sentence: Counter[str] = Counter()
        self.initial_only: Counter[str] = Counter()
        self.words: set[str] = set()
        self.acronyms: set[str] = set()  # initials of capitalised runs: "Kaun Banega Crorepati" kbc
        # The words of those runs, per initials (the first few runs' only: a bound on memory).
        self.acronym_words: defaultdict[str, set[str]] = defaultdict(set)
        self.name_pairs: set[str] = set()  # neighbours in capitalised runs: "olaf scholz"

    def add(self, text: str) -> list[str]:
        """Count a text in; return its content stems."""
        for run in _CAPITALISED_RUN.finditer(text):
            initials = "".join(word[0] for word in run.group().split()).lower()
            self.acronyms.add(initials)
            spelled_out = self.acronym_words[initials]
            if len(spelled_out) < _ACRONYM_WORDS:
                spelled_out.update(word.lower() for word in run.group().split())
        self.name_pairs.update(name_pairs(text))
        self.documents += 1
        stems = content_stems(text)
        self.df.update(stems)
        for match in _TOKEN.finditer(text):
            word = _POSSESSIVE.sub("", match.group())
            lower = word.lower()
            self.words.add(lower)
            # Only a capital in mid-sentence says that a word is a name.
            before = text[max(0, match.start() - 3) : match.start()].strip(" \"“‘'(")
            if before and before[-1] not in ".!?:\n":
                self.mid_sentence[lower] += 1
                if word[:1].isupper():
                    self.capitalized[lower] += 1
                    if len(word) > 1 and word.isupper():
                        self.all_capitals[lower] += 1
            elif word[:1].isupper():
                self.initial_only[lower] += 1
        return stems

    def proper_nouns(self) -> set[str]:
        """A proper noun is written with a capital (nearly) every time it appears.

        A word met only at sentence starts ("Bierbock stressed ...") may be one too, unless it is
        an adverb ("Separately, ...").  Below four letters only an acronym is one, written in
        capitals (nearly) every time ("KBC", "GST", "CIA"): it names an organisation or a show
        as much as "Crorepati" does, and is what is asked about, not what is asked.
        """
        mid_sentence = self.mid_sentence
        return {
            word
            for word, count in self.capitalized.items()
            if count >= 0.8 * mid_sentence[word]
            and (len(word) >= 4 or self.all_capitals[word] >= 0.8 * mid_sentence[word])
            and word not in STOPWORDS
        } | {
            word
            for word in self.initial_only
            if len(word) >= 4
            and mid_sentence[word] == 0
            and word not in STOPWORDS
            and not word.endswith("ly")
        }


class Vocabulary:
    """The corpus's words: document frequencies for weighting and proper nouns for spelling.

    It pickles to what it needs (not the counts it was built from), so a retriever can keep it
    on disk beside its BM25 index and load it instead of reading every chunk again.
    """

    def __init__(self, texts: Iterable[str] = ()) -> None:
        counts = VocabularyCounts()
        for text in texts:
            counts.add(text)
        self._take(counts)

    @classmethod
    def from_counts(cls, counts: VocabularyCounts) -> Vocabulary:
        vocabulary = cls.__new__(cls)
        vocabulary._take(counts)
        return vocabulary

    def _take(self, counts: VocabularyCounts) -> None:
        self.__setstate__(
            {
                "documents": counts.documents,
                "df": dict(counts.df),
                "words": sorted(counts.words),
                "proper_nouns": sorted(counts.proper_nouns()),
                "acronyms": sorted(counts.acronyms),
                # Only for initials the corpus also writes as a word in capitals ("KBC").
                "acronym_words": {
                    initials: sorted(spelled_out)
                    for initials, spelled_out in counts.acronym_words.items()
                    if counts.all_capitals[initials]
                },
                "name_pairs": sorted(counts.name_pairs),
            }
        )

    def __getstate__(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "df": self._df,
            "words": self._word_list,
            "proper_nouns": self._proper_list,
            "acronyms": sorted(self.acronyms),
            "acronym_words": self._acronym_words,
            "name_pairs": self._name_pair_list,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.documents = int(state["documents"])
        self._df: dict[str, int] = state["df"]
        self._word_list: list[str] = state["words"]
        self.words = SortedWords(self._word_list)
        self._proper_list: list[str] = state["proper_nouns"]
        self.proper_nouns = SortedWords(self._proper_list)
        self.acronyms: set[str] = set(state["acronyms"])
        self._acronym_words: dict[str, list[str]] = state["acronym_words"]
        self._name_pair_list: list[str] = state["name_pairs"]
        self._seconds: dict[str, list[str]] = defaultdict(list)  # "olaf" -> ["scholz", ...]
        for pair in self._name_pair_list:
            first, second = pair.split(" ", 1)
            self._seconds[first].append(second)
        self._firsts = sorted(self._seconds)
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self._proper_list:
            self._by_initial[word[0]].append(word)
        # Spellings found per word: a question asks for each of its words three or four times
        # (correcting, expanding, weighting, retrieving), each a fuzzy search of every name.
        self._variants: dict[str, tuple[str, ...]] = {}
        self._corrections: dict[str, str | None] = {}
        self._names_corrected: dict[str, str] = {}

    def document_frequency(self, word: str) -> int:
        return self._df.get(stem(word.lower()), 0)

    def idf(self, stem_: str) -> float:
        return math.log(1 + (self.documents + 1) / (self._df.get(stem_, 0) + 0.5))

    def variants(self, word: str) -> list[str]:
        """Other spellings in the corpus of a name in a question (Birbock -> Baerbock)."""
        word = word.lower()
        if word not in self._variants:
            if len(self._variants) >= _VARIANTS_KEPT:
                self._variants.clear()
            self._variants[word] = tuple(self._find_variants(word))
        return list(self._variants[word])

    def _find_variants(self, word: str) -> list[str]:
        if word in STOPWORDS:
            return []
        # An acronym the corpus writes ("KBC") is spelled out there too ("Kaun Banega Crorepati"):
        # its words are its spellings, those that are names themselves ("Central Intelligence
        # Agency" gives none: a sentence saying "central" is not about the CIA).
        spelled_out = (
            [w for w in self._acronym_words.get(word, []) if w in self.proper_nouns and len(w) >= 4]
            if word in self.proper_nouns
            else []
        )
        if len(word) < 4:
            return list(spelled_out)
        known = word in self.words
        if known and word not in self.proper_nouns:
            return []
        shape = skeleton(word)
        edits = max(_SKELETON_EDITS, int(len(word) * _SKELETON_EDIT_SHARE))
        limit = 1 if known or len(word) < 7 else 2
        # Typos keep the name's shape: the same consonant skeleton (Birbock, Baerbock), or a
        # letter or two added, dropped, changed or swapped (optimal string alignment distance).
        # A shared skeleton alone is too loose for short ones (Putin: Patna, Pitton; Russia:
        # Ross): the spelling must also be within a couple of edits.
        found = [
            candidate
            for candidate in self._by_initial.get(word[0], [])
            if candidate != word
            and len(shape) >= 2
            and skeleton(candidate) == shape
            and OSA.distance(word, candidate, score_cutoff=edits) <= edits
        ]
        if len(word) >= 5:
            for candidate, distance, _ in process.extract(
                word, self._proper_list, scorer=OSA.distance, score_cutoff=2, limit=None
            ):
                # A different first letter is one typo too many for a short name, and for a
                # name the corpus uses it is another name (German, Herman).
                same_start = candidate[0] == word[0]
                typo = not known and distance <= 1 and len(word) >= 6
                # One letter put in the wrong place is two edits (Ghandi, Gandhi).
                near = distance <= limit or (not known and _misplaced_letter(word, candidate))
                if candidate != word and near and (same_start or typo):
                    found.append(candidate)
        found = list(dict.fromkeys(found))
        return sorted(found) + [spelling for spelling in spelled_out if spelling not in found]

    def correction(self, word: str) -> str | None:
        """The corpus word that a typo of an ordinary word stands for ("nuetron" -> "neutron",
        "blod" -> "blood"), or None.

        Only a word that English does not use is a typo: "cello" in a corpus about cells is a
        question about something else, and must stay unknown. Nor is a word the corpus uses,
        unless it is a rare one that no article writes as a name (a typo in a scraped page: "blod"
        in one article of 1,678) with a spelling _COMMON_SPELLING_RATIO times as common."""
        word = word.lower()
        if word in self._corrections:
            return self._corrections[word]
        if len(self._corrections) >= _VARIANTS_KEPT:
            self._corrections.clear()
        found: str | None = None
        limit = next((edits for length, edits in _WORD_TYPO_EDITS if len(word) >= length), 0)
        # A word the corpus uses in another form ("inaugurate": inaugurated) is no typo either.
        documents = self._df.get(stem(word), 0)
        unknown = word not in self.words and not documents
        rare = documents <= _RARE_TYPO_DOCUMENTS and word not in self.proper_nouns
        if limit and (unknown or rare) and word not in english_words():
            common = 0 if unknown else _COMMON_SPELLING_RATIO * max(documents, 1)
            candidates = [
                (distance, -frequency, candidate)
                for candidate, distance, _ in process.extract(
                    word, self._word_list, scorer=OSA.distance, score_cutoff=limit, limit=None
                )
                # Two edits only after the same first letter: fewer words are that close.
                if (distance <= 1 or candidate[0] == word[0])
                and candidate != word
                and (frequency := self._df.get(stem(candidate), 0)) >= common
            ]
            found = min(candidates)[2] if candidates else None
        self._corrections[word] = found
        return found

    def corrected(self, text: str) -> str:
        """Return the text with each word the corpus never uses replaced by its closest corpus
        spelling, if it has one ("Did Biedn visit Ukriane?" -> "Did Biden visit Ukraine?").

        A name of two words is corrected as a whole first: "Olaf Schultz" is Olaf Scholz
        although the corpus knows a Schultz, and "Jon McCane" is John McCain, not McCabe.
        The question's embedding is then of what the user meant: appending the spellings to the
        typo, as `expand` does for BM25, leaves the typo in the text that is embedded."""
        text = self._with_names_corrected(text)

        def replace(match: re.Match[str]) -> str:
            token = match.group()
            possessive = _POSSESSIVE.search(token.lower())
            ending = possessive.group() if possessive else ""
            word = token[: len(token) - len(ending)]
            lower = word.lower()
            if lower in STOPWORDS:
                return token
            # A name's spellings, or the ordinary word it is a typo of ("thrid": third, not
            # Thread): the fewest edits away, then the spelling the corpus uses most. A word the
            # corpus uses has no other spellings, only a correction if it is a rare typo.
            spellings = [] if lower in self.words else self.variants(lower)
            if (fixed := self.correction(lower)) is not None:
                spellings.append(fixed)
            if not spellings:
                return token
            best = min(spellings, key=lambda v: (OSA.distance(lower, v), -self._df.get(stem(v), 0)))
            if word[:1].isupper():
                best = best[:1].upper() + best[1:]
            return best + ending

        return _TOKEN.sub(replace, text)

    def _with_names_corrected(self, text: str) -> str:
        """The text with its two-word names corrected (`_corrected_name`), once per text:
        `corrected` and `unknown_names` both ask for each question's."""
        if (found := self._names_corrected.get(text)) is None:
            if len(self._names_corrected) >= _TEXTS_KEPT:
                self._names_corrected.clear()
            found = self._names_corrected[text] = _NAME_RUN.sub(self._corrected_name, text)
        return found

    def _corrected_name(self, match: re.Match[str]) -> str:
        """A capitalised run with each neighbouring pair the corpus never writes replaced by the
        nearest pair it does write, if one is near in both words."""
        typed = match.group().split()
        names = [without_possessive(word).lower() for word in typed]
        for index in range(len(names) - 1):
            first, second = names[index], names[index + 1]
            if first in STOPWORDS or second in STOPWORDS or len(first) + len(second) < 7:
                continue
            if second in self._seconds.get(first, ()):
                continue
            nearest = self._nearest_pair(first, second)
            if nearest is None:
                continue
            for offset, spelling in enumerate(nearest):
                position = index + offset
                if names[position] != spelling:
                    ending = typed[position][len(names[position]) :]  # a possessive stays
                    typed[position] = spelling[:1].upper() + spelling[1:] + ending
                    names[position] = spelling
        return " ".join(typed)

    def _nearest_pair(self, first: str, second: str) -> tuple[str, str] | None:
        """The corpus's name pair nearest to these two words, each a close spelling."""
        firsts = {first} if first in self._seconds else set()
        for candidate, _, _ in process.extract(
            first, self._firsts, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            if _close_spelling(first, candidate):
                firsts.add(candidate)
        found = [
            (OSA.distance(first, a) + OSA.distance(second, b), -self._df.get(stem(b), 0), a, b)
            for a in firsts
            for b in self._seconds[a]
            if b[:1] == second[:1] and _close_spelling(second, b)
        ]
        if not found:
            return None
        _, _, a, b = min(found)
        return a, b

    def expand(self, text: str) -> list[str]:
        """Return the corpus spellings of names in a text that it does not already use."""
        # In the text's order: a set's order changes with each process's string hashing, and
        # the order of the added spellings changes the question's embedding a little.
        present = dict.fromkeys(words(text))
        extra: dict[str, None] = {}
        for word in present:
            for variant in self.variants(word):
                if variant not in present:
                    extra.setdefault(variant, None)
        return list(extra)

    def _near_a_word(self, word: str) -> bool:
        """A capitalised typo of an ordinary word ("Chancelor") is not an unknown name."""
        if len(word) < 5:
            return False
        return (
            process.extractOne(word, self._word_list, scorer=OSA.distance, score_cutoff=1)
            is not None
        )

    def _is_known(self, word: str) -> bool:
        return (
            word in self.words
            or word in STOPWORDS
            or bool(self.variants(word))
            or self._near_a_word(word)
            or word in self.acronyms  # "KBC" for an article that spells the name out
            or self._short_name_typo(word)
            # A name the corpus writes only with a number: "COVID" of COVID-19, "MiG" of
            # MiG-29 (not "Jean" of Jean-Pierre: that is another name).
            or any(
                known[len(word) + 1 : len(word) + 2].isdigit()
                for known in self.words.starting_with(f"{word}-")
            )
        )

    def _short_name_typo(self, word: str) -> bool:
        """A three-letter name with the consonants of a corpus name ("Dat" for Dutt)."""
        if len(word) != 3:
            return False
        shape = skeleton(word)
        return len(shape) >= 2 and any(
            skeleton(name) == shape for name in self._by_initial.get(word[0], [])
        )

    def unknown_names(self, question: str) -> list[str]:
        """Return names in a question that no article mentions in any spelling.

        The head (last word) of each capitalised run after the first word is checked, in any
        spelling the corpus has and allowing a typo: "Emmanuel Macron" -> Macron.
        """
        # A two-word name the corpus writes, typed a letter or two off, is known as a whole
        # ("Vece Paez": Vece Paes, though "Paez" alone is too short to be matched).
        tokens = _TOKEN.findall(self._with_names_corrected(question))
        unknown: list[str] = []
        run: list[str] = []
        for position, token in enumerate([*tokens, ""]):
            if position > 0 and token[:1].isupper():
                run.append(token)
                continue
            if run:
                # The head (last word) decides: "Emmanuel Macron" -> Macron, "FIFA World Cup" ->
                # Cup. Each part of a hyphenated head counts on its own ("Lavrov-Birbock").
                head = without_possessive(run[-1]).lower()
                parts = [part for part in head.split("-") if len(part) > 1]
                known = self._is_known(head) or all(self._is_known(part) for part in parts)
                if parts and not known:
                    unknown.append(" ".join(run))
                run = []
        return unknown

"""English words for a question in another language, from a glossary of the materials' own vocabulary.

The passages are English: a question in French or Arabic shares only names and numbers with them, so BM25
and the sentence score have almost nothing to read. `english_words` finds the glossary's foreign forms in a
question and gives the English words they stand for ("capacitou" -> "trained", "الدول الأعضاء" -> "member",
"states"); retrieval and the sentence score read them as the question's words.

Each glossary (lexicon/gloss/<lang>.json) maps an English word of the corpus (its 598 commonest content words
and 115 names, taken from the corpus, not from any question) to that word's forms in one language, written
by helpers who saw those word lists only. The forms match:
- French, Spanish, Portuguese and Russian: as the beginning of a word of the question ("formé" matches
  "formés"), accents and ё folded on both sides; a form with a space or a hyphen is a phrase ("état de
  droit", "ии-систем"), matched within the question; a form ending in a space is a whole word ("ia ").
- Arabic: within a word (the article and the clitics و ب ل ف ك come before it), after removing the short
  vowels and folding the alef and yeh forms.
- Chinese: within the question.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from toolkit_assistant.lexicon import lexicon
from toolkit_assistant.question import QuestionProfile
from toolkit_assistant.text import STOPWORDS, content_terms

PREFIX_LANGUAGES = frozenset({"fr", "es", "pt", "ru"})
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # short vowels, shadda, sukun, dagger alef, tatweel


def normalise(text: str, language: str) -> str:
    """The text as the glossary's forms are compared with it: lower case, with the marks that users type
    or leave out at will (accents, Arabic short vowels) removed."""
    text = text.lower()
    if language == "ar":
        text = _ARABIC_MARKS.sub("", text)
        return text.translate(str.maketrans("أإآٱى", "ااااي"))
    if language in PREFIX_LANGUAGES:
        decomposed = unicodedata.normalize("NFD", text)
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return text


def _tokens(text: str, language: str) -> list[tuple[str, int]]:
    """The words of a normalised question with their positions; an Arabic word also without the clitic
    before it (و ف ب ل ك: "والجمهور" is "الجمهور" for a whole-word form), Chinese only its runs of Latin
    letters and digits (the rest is matched within the question)."""
    if language == "zh":
        return [(m.group(), m.start()) for m in re.finditer(r"[a-z0-9]+", text)]
    out = []
    for m in re.finditer(r"\w+", text):
        token, at = m.group(), m.start()
        out.append((token, at))
        if language == "ar" and len(token) > 3 and token[0] in "وفبلك":
            out.append(("ال" + token[2:] if token.startswith("لل") else token[1:], at))
    return out


@dataclass(frozen=True)
class Glossary:
    """One language's forms, each with the English word it stands for."""

    language: str
    words: dict[str, list[tuple[str, str]]]  # a form's first letters -> (form, English word): word beginnings
    inner: list[tuple[str, str]]  # (form, English word) matched within a word (Arabic)
    phrases: list[tuple[str, str]]  # forms matched within the question (phrases; all of Chinese)
    exact: dict[str, list[str]]  # whole-word forms ("ia"; Chinese: Latin letters, "ai"), each with its words

    def english(self, question: str) -> list[str]:
        """The English words whose forms the question holds, in the order they first occur."""
        found = self.english_at(question)
        return sorted(found, key=found.__getitem__)

    def english_at(self, question: str) -> dict[str, int]:
        """Each English word whose form the question holds, with where its first form starts."""
        text = normalise(question, self.language)
        found: dict[str, int] = {}

        def add(word: str, at: int) -> None:
            found[word] = min(found.get(word, at), at)

        for form, word in self.phrases:
            at = text.find(form)
            if at >= 0:
                add(word, at)
        for token, at in _tokens(text, self.language):
            for word in self.exact.get(token, ()):
                add(word, at)
            for form, word in self.inner:
                if form in token:
                    add(word, at)
            for form, word in self.words.get(token[:3], ()):
                if token.startswith(form):
                    add(word, at)
        return found


@lru_cache(maxsize=8)
def glossary(language: str) -> Glossary | None:
    """The glossary of a language, or None when there is none (English; a language without a file)."""
    path = resources.files("toolkit_assistant.lexicon") / "gloss" / f"{language}.json"
    if language == "en" or not path.is_file():
        return None
    return build(language, json.loads(path.read_text(encoding="utf-8")))


def build(language: str, raw: dict[str, list[str]]) -> Glossary:
    """A glossary from its file's mapping: English word -> forms in `language`."""
    words: dict[str, list[tuple[str, str]]] = {}
    inner: list[tuple[str, str]] = []
    phrases: list[tuple[str, str]] = []
    exact: dict[str, list[str]] = {}
    for english, forms in raw.items():
        for form in forms:
            whole = form.endswith(" ")
            form = normalise(form.strip(), language)
            if not form:
                continue
            if whole or (len(form) < 3 and language in PREFIX_LANGUAGES) or (language == "zh" and form.isascii()):
                exact.setdefault(form, []).append(english)
            elif language == "zh" or re.search(r"\W", form):  # a phrase, or a word with a hyphen
                phrases.append((form, english))
            elif language == "ar":
                inner.append((form, english))
            else:
                words.setdefault(form[:3], []).append((form, english))
    return Glossary(language, words, inner, phrases, exact)


def english_words(question: str, language: str) -> list[str]:
    """The English words a question in `language` asks about, as far as the glossary knows them ([] for
    English and for a language without a glossary)."""
    return list(_english_words(question, language))


@lru_cache(maxsize=256)
def _english_words(question: str, language: str) -> tuple[str, ...]:
    """english_words, read once per question: retrieval, the sentence score and --explain all ask for it
    (an Arabic question takes about 2 ms to read against 3,000 forms)."""
    found = glossary(language)
    return tuple(found.english(question)) if found is not None else ()


def glossed(profile: QuestionProfile, language: str, known: Callable[[str], bool] | None = None) -> QuestionProfile:
    """A question's profile whose terms (and each part's) are the English words the glossary finds in it,
    stemmed as the passages' words are, and those of its own words that the passages use (`known`: names
    and numbers; all of them when None). A word of its own language the passages never use would only
    dilute the share of the question's words a sentence holds."""

    def terms(text: str, own: tuple[str, ...]) -> tuple[str, ...]:
        extra = content_terms(" ".join(english_words(text, language)))
        return tuple(dict.fromkeys([*(t for t in own if known is None or known(t)), *extra]))

    parts = tuple(replace(p, terms=terms(p.text, p.terms)) for p in profile.parts)
    return replace(profile, terms=terms(profile.text, profile.terms), parts=parts)


def foreign_focus(question: str, language: str, kind: str = "heads") -> list[tuple[str, tuple[str, ...]]]:
    """What a question in another language asks for, one word per wh-phrase, with the English words its
    glossary gives for it (none for a word the materials never use).

    `kind="heads"`: the first noun of each wh-phrase that is not a kind of fact or a vague word ("quel est
    le montant des amendes" -> ("amendes", ())); "count": the
    thing a "how many" counts ("combien de personnes" -> ("personnes", ("people", "person"))); "who": the
    verb of a who-question ("кто финансировал" -> ("финансировал", ("funding", "funded", "finance"))). The
    lexicon's patterns find the phrases. [] for English and a language without a glossary.
    """
    return list(_foreign_focus(question, language, kind))


@lru_cache(maxsize=256)
def _foreign_focus(question: str, language: str, kind: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """foreign_focus, read once per question and kind: the coverage check, the count check and the
    sentence model (once per question part on every scorer call) all ask for it."""
    found = glossary(language)
    if found is None:
        return ()
    lex = lexicon(language)
    filler = lexicon("en").filler
    patterns = {"count": lex.count, "who": lex.who}.get(kind, lex.heads)
    out: list[tuple[str, tuple[str, ...]]] = []
    for pattern in patterns:
        for m in pattern.finditer(question):
            phrase = m.group(1)
            tokens = [phrase] if language == "zh" else [t.strip("؟?.,;:!«»\"'") for t in phrase.split()]
            for token in tokens:
                low = token.lower()
                english = ("people",) if language == "zh" and token.startswith("人") else tuple(found.english(token))
                telling = [w for w in english if w.lower() not in filler and w.lower() not in STOPWORDS]
                if kind == "who":  # a verb, and only the words the glossary knows for it
                    if telling:
                        out.append((token, tuple(telling)))
                    break
                if kind == "count":
                    # the thing counted may be a kind ("combien de pays", "how many languages")
                    telling = [w for w in english if w.lower() not in STOPWORDS]
                    skip = low in lex.function
                else:
                    skip = low in lex.function or low in lex.kinds or low.endswith(("ment", "mente"))
                if skip or len(token) < (1 if language == "zh" else 3) or (english and not telling) or token[0].isdigit():
                    continue
                if (low.endswith(lex.verb_endings) and not english or low.endswith(lex.verb_endings_sure)
                        or language == "ar" and not english and not low.startswith("ال")):
                    continue  # "¿qué pasó?", "ما الذي جرى": a verb where a noun would be
                out.append((token, english))
                if kind != "count":
                    break  # the head; a count reads the whole phrase ("направлений политики": "policy")
    return tuple(out)

"""Text helpers shared by ingest, answering and verification: sentences, words, facts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "v", "vs", "no", "nos", "inc", "ltd", "co", "corp", "prof", "dr", "mr", "mrs", "ms", "st",
    "e.g", "i.e", "etc", "art", "arts", "para", "paras", "p", "pp", "vol", "fig", "cf", "al",
    "u.s", "u.k", "s.d.n.y", "n.y", "jr", "sr", "ed", "eds", "rev", "op", "cit", "ibid", "sec",
    "mt", "ft", "approx", "dept", "univ", "gen", "gov", "hon", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "cir", "supp", "ct", "app", "rep", "reg",
    "f", "s", "l", "j", "eur", "stat", "ord", "cl", "ch", "pt", "tit", "ann", "supra", "infra",
}

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can cannot could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just let me more most my myself no nor not of off on once only or other ought
    our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves may might
    must shall say says said tell me please according does do did done one two use used using uses
    there's what's it's also many much via per whose whether like get gets got give gives given
    unesco's""".split()
)

# the value of a number written as a word ("15 principles" or "fifteen principles")
CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}
_WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])(\d[\d,.]*\d|\d)(\s?%|\s?per\s?cent)?", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_TRAILING_TAGS = re.compile(r"(?:[ \t]*\[[^\]\n]{1,24}\])+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Span:
    """A sentence as a [start, end) span of the text it came from."""

    start: int
    end: int
    text: str


def normalise(text: str) -> str:
    """NFC-normalise, unify quotes and dashes' spacing, and collapse runs of spaces."""
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[ \t]+", " ", text)


def has_control_chars(text: str) -> bool:
    """True if the text holds control characters other than tab and newline."""
    return bool(_CONTROL.search(text))


def _ends_sentence(text: str, dot: int) -> bool:
    """Decide whether the full stop at index `dot` ends a sentence."""
    # the token before the dot
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'“":
        start -= 1
    token = text[start:dot].lower().strip("\"'“”‘’")
    if token in _ABBREVIATIONS:
        return False
    if len(token) == 1 and token.isalpha():  # initials: "J. Smith"
        return False
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):  # "u.s", "s.d.n.y"
        return False
    # the next non-space character must start a sentence
    nxt = dot + 1
    while nxt < len(text) and text[nxt] in "\"'”’)]":
        nxt += 1
    tags = _TRAILING_TAGS.match(text, nxt)
    if tags:
        nxt = tags.end()
    if nxt >= len(text):
        return True
    if not text[nxt].isspace():
        return False
    while nxt < len(text) and text[nxt].isspace():
        nxt += 1
    if nxt >= len(text):
        return True
    ch = text[nxt]
    return ch.isupper() or ch.isdigit() or ch in "\"'“‘([-*" or not ch.isascii()


def split_sentences(text: str) -> list[Span]:
    """Split text into sentences, each an exact span of the input.

    Line breaks that separate list items or paragraphs also end sentences. Leading list markers
    ("- ", "* ", "1. ") are left out of the span, so a span is the sentence as a reader quotes it.
    """
    spans: list[Span] = []
    # paragraphs and list items first
    for block in re.finditer(r"[^\n]+(?:\n(?![ \t]*(?:[-*•]|\d+[.)])\s)(?![ \t]*\n)[^\n]+)*", text):
        b_start = block.start()
        b_text = block.group(0)
        marker = re.match(r"[ \t]*(?:[-*•]|\d+[.)])[ \t]+|[ \t]+", b_text)
        offset = marker.end() if marker else 0
        pos = offset
        i = offset
        while i < len(b_text):
            ch = b_text[i]
            is_end = False
            if ch in "!?。！？":
                is_end = True
            elif ch == "." and _ends_sentence(b_text, i):
                is_end = True
            if is_end:
                end = i + 1
                while end < len(b_text) and b_text[end] in "\"'”’)]":
                    end += 1
                tags = _TRAILING_TAGS.match(b_text, end)
                if tags:  # source tags after the full stop belong to this sentence: "... 2023. [S5][S6]"
                    end = tags.end()
                _add_span(spans, b_start, b_text, pos, end)
                pos = end
                i = end
                continue
            i += 1
        _add_span(spans, b_start, b_text, pos, len(b_text))
    return spans


def _add_span(spans: list[Span], base: int, block: str, start: int, end: int) -> None:
    """Append block[start:end] (trimmed of spaces) as a span relative to the whole text."""
    while start < end and block[start].isspace():
        start += 1
    while end > start and block[end - 1].isspace():
        end -= 1
    piece = block[start:end]
    if len(re.findall(r"\w", piece)) >= 2:
        spans.append(Span(base + start, base + end, piece))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with trailing dots and possessives trimmed."""
    out = []
    for w in _WORD.findall(text.lower()):
        w = w.strip(".-'’")
        if w.endswith("'s") or w.endswith("’s"):
            w = w[:-2]
        if w:
            out.append(w)
    return out


def stem(word: str) -> str:
    """A light English stemmer: enough to match 'judges'/'judge', 'principles'/'principle'."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "es" and not re.search(r"(ch|sh|x|z|ss)es$", word):
                return word[:-1]
            return word[: len(word) - len(suffix)] + repl
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed content words (no stopwords, no one-letter words), in order, deduplicated."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        seen.setdefault(stem(w), None)
    return list(seen)


# Question words that the materials express with another word (stems on both sides).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "wrote": ("author", "written", "drafted", "prepared"), "write": ("author",), "written": ("author",),
    "writer": ("author",), "fake": ("fabricat", "non-existent", "invent", "bogus"),
    "underpin": ("rest", "base", "foundation", "core"),
    "paid": ("fund", "funder"), "pay": ("fund", "funder"), "financ": ("fund",), "sponsor": ("fund",),
    "aim": ("audience",), "address": ("audience",), "target": ("audience",), "intend": ("audience",),
    "begin": ("start", "launch"), "start": ("launch", "began"), "began": ("launch",),
    "ban": ("prohibit",), "forbid": ("prohibit",), "allow": ("permit", "may"),
    "adopt": ("adopt",), "release": ("publish", "launch"), "publish": ("release",),
    "percentage": ("share", "%"), "proportion": ("share", "%"), "share": ("%",),
    "respondent": ("responded", "answer"), "people": ("participant",), "learner": ("participant",),
    "judge": ("judicial", "judiciary"), "court": ("judicial", "tribunal"),
    "chatgpt": ("chatbot", "generative"), "gpt": ("chatbot", "generative"), "llm": ("generative", "chatbot"),
    "find": ("found",), "show": ("showed", "found"), "bankroll": ("fund",), "bankrol": ("fund",), "upside": ("benefit", "opportunit"), "downside": ("risk",),
    "worry": ("concern", "risk"), "worri": ("concern", "risk"), "code": ("conduct", "principle"),
    "attorney": ("lawyer",), "lawyer": ("attorney",), "poll": ("survey",), "bot": ("chatbot",),
    "danger": ("risk", "threat"), "hazard": ("risk",), "threat": ("risk",), "peril": ("risk",),
    "fine": ("penalty", "sanction"), "penalty": ("fine", "sanction"), "penalti": ("fine", "sanction"),
    "guidance": ("guideline", "guide"), "guidanc": ("guideline", "guide"),
    "build": ("develop", "design", "creat"), "built": ("develop", "design", "creat"),
    "mou": ("memorandum", "memoranda"), "mous": ("memorandum", "memoranda"),
    "ground": ("argu", "because", "reason"),
    "decide": ("decision", "adjudication", "held", "hold", "ruled"), "decid": ("decision", "held", "hold", "ruled"), "judgment": ("decision", "ruling"), "ruling": ("decision", "judgment"),
}


def expand_terms(terms: list[str]) -> list[str]:
    """The terms plus the words the materials use for them (see SYNONYMS), deduplicated."""
    out = dict.fromkeys(terms)
    for t in terms:
        for extra in SYNONYMS.get(t, ()):
            out.setdefault(extra, None)
    return list(out)


def numbers(text: str) -> set[str]:
    """Numbers in a text, normalised ('36,000' -> '36000', '44 %' -> '44%')."""
    out = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(1).rstrip(".,")
        value = raw.replace(",", "")
        if m.group(2):
            value += "%"
        out.add(value)
    return out


def years(text: str) -> set[str]:
    """Four-digit years (1800-2099) in a text."""
    return set(_YEAR.findall(text))


def proper_names(text: str) -> set[str]:
    """Capitalised words that are not at the start of a sentence, nor common words.

    A rough signal: the verifier asks that every name in a sentence occur in its cited passage.
    """
    names = set()
    for sent in split_sentences(text) or [Span(0, len(text), text)]:
        tokens = re.findall(r"[A-Za-zÀ-ÿ][\w’'-]*", sent.text)
        for i, tok in enumerate(tokens):
            if i == 0:
                continue
            if tok[0].isupper() and tok.lower() not in STOPWORDS and len(tok) > 1:
                names.add(tok.strip("’'").lower())
    return names


def month_names(text: str) -> set[str]:
    """Month names in a text, lower-cased."""
    return {m.lower() for m in re.findall(rf"\b({_MONTHS})\b", text, re.IGNORECASE)}


def slug(text: str) -> str:
    """A lowercase id made of letters, digits and hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


_LANG_STOPWORDS = {
    "en": {"the", "of", "and", "what", "which", "who", "how", "is", "are", "does", "do", "in", "to", "for", "a", "an", "when", "did", "was", "with", "on", "can", "may", "should"},
    "fr": {"le", "la", "les", "des", "du", "de", "quel", "quelle", "quels", "quelles", "est", "sont", "combien", "qui", "que", "une", "un", "et", "pour", "dans", "sur", "au", "aux", "qu'est-ce", "ce", "ont", "peut", "juges", "selon"},
    "es": {"el", "la", "los", "las", "de", "del", "qué", "cuál", "cuáles", "cuántos", "cuántas", "es", "son", "quién", "y", "para", "en", "un", "una", "por", "con", "se", "puede", "jueces", "según"},
    "pt": {"o", "a", "os", "as", "de", "do", "da", "dos", "das", "que", "qual", "quais", "quantos", "quantas", "é", "são", "quem", "e", "para", "em", "um", "uma", "por", "com", "pode", "juízes", "segundo", "não"},
}


def detect_language(text: str) -> str:
    """A small offline guess of a question's language: en, fr, es, pt, ar, zh, ru (default en).

    Scripts decide Arabic, Chinese and Russian; stop-words decide between English, French, Spanish
    and Portuguese.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    def share(lo: int, hi: int) -> float:
        return sum(1 for ch in letters if lo <= ord(ch) <= hi) / len(letters)
    if share(0x0600, 0x06FF) > 0.3:
        return "ar"
    if share(0x4E00, 0x9FFF) > 0.2:
        return "zh"
    if share(0x0400, 0x04FF) > 0.3:
        return "ru"
    tokens = re.findall(r"[\w'’-]+", text.lower())
    scores = {lang: sum(1 for t in tokens if t in sw) for lang, sw in _LANG_STOPWORDS.items()}
    accents = sum(1 for ch in text.lower() if ch in "éèêàçùâîôœ")
    scores["fr"] += accents * 0.5 if any(t in _LANG_STOPWORDS["fr"] for t in tokens) else 0
    if any(ch in text for ch in "¿¡ñ"):
        scores["es"] += 2
    if any(ch in text.lower() for ch in "ãõ"):
        scores["pt"] += 2
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > scores["en"] else "en"


UNKNOWN_NAME_PENALTY = 0.22  # a capitalised word the materials never use ("Singapore", "Neurotechnology")
UNKNOWN_WORD_PENALTY = 0.06  # any other word they never use ("fines", "salary")
UNKNOWN_NUMBER_PENALTY = 0.03  # a number they never state (often a wrong premise, not a new topic)
UNKNOWN_PENALTY_CAP = 0.35


def unknown_term_penalty(question: str, vocabulary: Container[str]) -> float:
    """Lower relevance for question words the materials never use; a name they lack weighs most.

    "What does Singapore's guide say?" is not covered by materials that never mention Singapore, however
    close the rest of the question is to them. For English questions only: other languages' words are
    all unknown to an English index (the caller checks the language).
    """
    penalty = 0.0
    tokens = re.findall(r"[\w’'-]+", question)
    for i, raw in enumerate(tokens):
        for w in words(raw):
            if w in STOPWORDS or len(w) < 3 or stem(w) in vocabulary or w in vocabulary:
                continue
            if any(ch.isdigit() for ch in w):
                penalty += UNKNOWN_NUMBER_PENALTY
            elif i > 0 and raw[:1].isupper():
                penalty += UNKNOWN_NAME_PENALTY
            else:
                penalty += UNKNOWN_WORD_PENALTY
    return min(penalty, UNKNOWN_PENALTY_CAP)

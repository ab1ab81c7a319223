"""Reading a question without a model: its parts, and the kind of answer each part wants.

A question asks for a number, a date, a person, a list, a yes/no with its reason, what a judge may do,
or what a court decided / a study found; the checks here say whether a sentence holds that kind of fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from toolkit_assistant.lexicon import lexicon
from toolkit_assistant.text import STOPWORDS, content_terms, years

_PART_SPLIT = re.compile(
    r"\?\s+|;\s*|,?\s+and\s+(?=(?:how|when|what|which|who|whom|where|why|whose|in what|is|are|does|did|do)\b)",
    re.IGNORECASE,
)


NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "dozen", "half", "majority",
}
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH = re.compile(
    rf"\b({_MONTHS})\b",
    re.IGNORECASE,
)
_WANTS = {
    "number": re.compile(
        r"\bhow (many|much|large|big|long|often)\b|\bwhat (share|percentage|proportion|percent|number|fraction|portion|figure|size)\b"
        r"|\b(percentage|proportion|share) of\b|\bnumber of\b|\bhow many\b|\bcount\b|\bwhat figures?\b",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"\bwhen\b|\bwhat (year|date|month|day|time)\b|\bwhich (year|date|month|day)\b|\bdeadline\b|\bin what year\b|\bsince when\b|\bdated?\b",
        re.IGNORECASE,
    ),
    "person": re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|author|judge|official|expert)s?\b", re.IGNORECASE),
    "list": re.compile(
        r"\b(what|which) (are|were) (the|its|their)\b|\blist\b|\bname (the|all|its|their)\b|\benumerate\b"
        r"|\b(what|which) (values|principles|modules|areas|risks|tools|languages|partners|recommendations|steps|rights|objectives|measures|topics|terms|instruments|cases|countries|organisations|organizations|questions|sessions)\b"
        r"|\bthe (four|five|six|seven|eight|ten|eleven|three|two|\d+) \w+",
        re.IGNORECASE,
    ),
    "normative": re.compile(
        r"^\s*(should|may|can|could|must|shall|is it (allowed|permitted|acceptable|lawful))\b.*\b(judges?|courts?|tribunals?|judiciary|judicial)\b"
        r"|\b(allowed|permitted|prohibited|forbidden|obliged)\b",
        re.IGNORECASE,
    ),
    "yesno": re.compile(
        r"^\s*(should|may|can|could|is|are|does|do|did|must|will|would|has|have|was|were|shall|ought)\b",
        re.IGNORECASE,
    ),
}
# what a court decided or a study found: a holding, a sanction, a fabricated authority, a share
_STATES_FINDING = re.compile(
    r"\b(held|ruled|found|concluded|decided|declared|ordered|upheld|rejected|reversed|affirmed)\b[^;]{0,60}?\bthat\b"
    r"|\b(sanction\w*|fined|fabricat\w*|invented|non-existent|did not exist|fictitious|upheld|reversed|"
    r"affirmed|found|showed|revealed|concluded)\b|\d\s?%",
    re.IGNORECASE,
)
_METADATA = re.compile(
    r"\b(docket|argued on|citation of|is cited as|N\.W\.2d|F\. ?Supp|room [A-Z0-9]|held in room|"
    r"identifier|ark:/|case number|session took place|took place in|was held (on|in|at)|reported in volume|"
    r"volume \d+|Reporter|Federal Supplement|at page \d+|argued on|docket number)\b",
    re.IGNORECASE,
)


def states_finding(text: str, question: str = "") -> bool:
    """True if a sentence states what was decided, found or required (not only when and where)."""
    return bool(_STATES_FINDING.search(text)) and not _METADATA.search(text)


@dataclass(frozen=True)
class QuestionPart:
    """One thing the question asks: its content terms and the kind of answer it wants."""

    text: str
    terms: tuple[str, ...]
    wants: frozenset[str]


@dataclass(frozen=True)
class QuestionProfile:
    """What a question asks for, read without a model."""

    text: str
    terms: tuple[str, ...]
    wants: frozenset[str]
    parts: tuple[QuestionPart, ...] = field(default_factory=tuple)


def _wants(text: str, language: str = "en") -> frozenset[str]:
    wants = {name for name, pattern in _WANTS.items() if pattern.search(text)}
    wants |= {name for name, pattern in lexicon(language).wants.items() if pattern.search(text)}
    if lexicon(language).finding.search(text):
        wants.add("finding")
    # a question that states a figure or a year may rest on a wrong one: prefer sentences that state theirs
    if years(text):
        wants.add("date")
    elif re.search(r"\b\d+\b", text):
        wants.add("number")
    return frozenset(wants)


def _split_own(piece: str, pattern: re.Pattern[str]) -> list[str]:
    """A question cut where another language's pattern says a second question starts, except where the
    part before would be a lone wh-phrase ("À quelle date et dans quelle ville ...", "Когда и где ...")."""
    cuts = [(m.start(), m.end()) for m in pattern.finditer(piece) if m.end() > m.start()]
    out: list[str] = []
    start = 0  # where the current part starts
    for a, b in cuts:
        if _substantial(piece[start:a]):
            out.append(piece[start:a])
            start = b
    out.append(piece[start:])
    return out


def _substantial(text: str) -> bool:
    """Enough words to be a question of its own: three of three letters or more, or six CJK characters."""
    return len(re.findall(r"[^\W\d_]{3,}", text)) >= 3 or len(re.findall(r"[\u4e00-\u9fff]", text)) >= 6


STRIP = " ?,.？؟،，。¿"  # what is left around a question's part once it is split off


def analyse_question(question: str, language: str = "en") -> QuestionProfile:
    """Split a question into its parts and read what kind of answer each part wants."""
    pieces = _PART_SPLIT.split(question)
    own = lexicon(language).split if language != "en" else None
    if own is not None:
        pieces = [q for p in pieces for q in _split_own(p, own)]
    pieces = [p.strip(STRIP) for p in pieces if p and p.strip(STRIP)]
    parts = []
    for piece in pieces:
        terms = tuple(content_terms(piece))
        if terms:
            parts.append(QuestionPart(piece, terms, _wants(piece, language)))
    return QuestionProfile(
        text=question,
        terms=tuple(content_terms(question)),
        wants=_wants(question, language),
        parts=tuple(parts),
    )


def _question_words(question: str) -> set[str]:
    """The question's words, lower case, each also without a possessive ending ("Zealand's": "zealand")."""
    found = {w.lower() for w in re.findall(r"[\w'’]+", question)}
    return found | {re.sub(r"['’]s$", "", w) for w in found}


def has_number(text: str, question: str = "") -> bool:
    """True if a sentence states a quantity (digits or number words) that the question does not."""
    asked = _question_words(question)
    digits = [d for d in re.findall(r"\d[\d,.]*%?", text) if d.rstrip(".,%") not in asked]
    if digits:
        return True
    return any(w in NUMBER_WORDS and w not in asked for w in re.findall(r"[a-z]+", text.lower()))


# a figure that counts nothing: a year, a day of a month, an ordinal ("41st"), part of a code ("2021/1")
_NOT_A_COUNT = re.compile(
    rf"\b(?:1[89]\d\d|20\d\d)\b|\b\d{{1,2}}(?:\s*(?:-|to|and)\s*\d{{1,2}})?\s+(?:{_MONTHS})\b|"
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}\b|\b\d+(?:st|nd|rd|th)\b|[\w/.-]*\d[\w.-]*/[\w/.-]*",
    re.IGNORECASE,
)


def states_count(text: str, question: str = "") -> bool:
    """True if a sentence states a quantity that counts something ("193 Member States", "more than 800
    responses"), not only years, days of a month, ordinals or document codes, and not the question's own."""
    return has_number(_NOT_A_COUNT.sub(" ", text), question)


def has_date(text: str, question: str = "") -> bool:
    """True if a sentence states a year or a month that the question does not."""
    asked = _question_words(question)
    return bool(years(text) - asked) or any(m.lower() not in asked for m in _MONTH.findall(text))


_NAME_RUN = re.compile(r"\b([A-Z][\w’'-]+(?:\s+(?:de|da|do|dos|del|van|von|der|la|le|bin|al)?\s*[A-Z][\w’'-]+)+)")


_DOCUMENT_WORDS = re.compile(
    r"\b(Recommendations?|Guidelines?|Guidance|Toolkit|Convention|Charter|Act|Principles|Regulation|Resolution|"
    r"Declaration|Covenant|Opinions|MOOC|Course|Survey|Report|Glossary|Methodology)\b"
)


def has_person(text: str, question: str = "") -> bool:
    """True if a sentence names someone or some body the question does not (a new capitalised name)."""
    asked = _question_words(question)
    if re.search(r"\b(Professor|Judge|Justice|Dr|Chief)\s+[A-Z]", text):
        return True
    for run in _NAME_RUN.findall(text):
        words_ = [w.lower().strip("’'") for w in run.split()]
        if _DOCUMENT_WORDS.search(run):
            continue  # "the Recommendation on the Ethics of AI" names a text, not who made it
        if any(w not in asked and w not in STOPWORDS for w in words_):
            return True
    return False


_POLARITY = re.compile(
    r"\b(not|no|never|cannot|only|must|should|may|unconfirmed|confirmed|misleading|false|true|myth|denied|"
    r"prohibit\w*|forbid\w*|allow\w*|permit\w*|require\w*|remain\w*|responsib\w*)\b",
    re.IGNORECASE,
)


def takes_a_position(text: str, question: str = "") -> bool:
    """True if a sentence affirms, denies, permits or requires something (answers a yes/no question)."""
    return bool(_POLARITY.search(text))


def is_list_sentence(text: str, question: str = "") -> bool:
    """True if a sentence enumerates (a colon, or three or more comma-separated items)."""
    return ":" in text or text.count(",") >= 2 or text.count(";") >= 2


# what an English question names the kind of, beyond a number, a date or a person: an exact day ("on what
# exact day", "what date"), a country, a city, an organisation ("which health insurer", "which company")
_EXACT_DAY = re.compile(r"\b(?:exact|precise) (?:date|day)\b|\b(?:what|which) (?:date|day)\b", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(
    rf"\b\d{{1,2}}\s+({_MONTHS})\b|\b({_MONTHS})\s+\d{{1,2}}\b|\b\d{{4}}-\d\d-\d\d\b", re.IGNORECASE
)
_WHICH_COUNTRY = re.compile(r"\b(?:which|what)\s+(?:\w+\s+){0,2}?countr(?:y|ies)\b", re.IGNORECASE)
_WHICH_CITY = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?city\b", re.IGNORECASE)
_WHICH_BODY = re.compile(
    r"\b(?:which|what)\s+(?:(\w+)\s+)?(insurer|compan(?:y|ies)|firm|organi[sz]ation|institution|ministry|agency|"
    r"university|developer|vendor|publisher|bod(?:y|ies)|official|office|authorit(?:y|ies))s?\b",
    re.IGNORECASE,
)
# words between "which" and the head that make it something else ("what share were judges", "what kind of body")
_NOT_A_MODIFIER = frozenset("share proportion percentage part number kind kinds type types sort role were was is are did does do the a an of".split())
_PLACE = re.compile(r"\bin\s+([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]{2,}")


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Lower-cased English names of countries (pycountry's ISO 3166 data: names, common and official names,
    the part before a comma of "Korea, Republic of"), and the short forms that texts use."""
    import pycountry

    names = {"korea", "russia", "uk", "us", "usa", "england", "wales", "scotland", "northern ireland", "türkiye",
             "turkey", "iran", "syria", "vietnam", "laos", "bolivia", "venezuela", "tanzania", "moldova"}
    for c in pycountry.countries:
        for n in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if n:
                names |= {n.lower(), n.split(",")[0].lower()}
    return frozenset(names)


def _countries_in(text: str) -> set[str]:
    low = text.lower()
    capitals = set(re.findall(r"\b[A-Z]{2,3}\b", text))  # "US", "UK", "USA" only in capitals: "tell us" names none
    return {n for n in country_names() if n in low and re.search(rf"\b{re.escape(n)}\b", low)
            and (len(n) > 3 or n.upper() in capitals)}


def asks_exact_day(question: str) -> bool:
    return bool(_EXACT_DAY.search(question))


def states_day(text: str, question: str = "") -> bool:
    """True if a sentence gives a day of a month ("12 December 2023"), in the month and year the question
    names if it names them ("what day in April 2025": not "12 December 2023")."""
    asked_years, asked_months = years(question), {m.lower() for m in _MONTH.findall(question)}
    if asked_years and not asked_years & years(text):
        return False
    for m in _DAY_OF_MONTH.finditer(text):
        month = (m.group(1) or m.group(2) or "").lower()
        if not asked_months or month in asked_months:
            return True
    return False


def asks_a_name(question: str) -> bool:
    """True for "which country / city / insurer / company ...?" (English)."""
    body = _WHICH_BODY.search(question)
    return bool(_WHICH_COUNTRY.search(question) or _WHICH_CITY.search(question)
                or body and not (body.group(1) and body.group(1).lower() in _NOT_A_MODIFIER))


# "what were the names of the two UK High Court cases?", "the case names": the name of a case is "X v. Y"
# or a docket-style code ("T-323/2024"), one the question does not give
_CASE_NAME_Q = re.compile(
    r"\b(?:case|matter)\s+names?\b|\bnames?\s+of\s+(?:[\w’'-]+\s+){0,6}?(?:cases?|matters?|decisions?|judgments?|"
    r"rulings?|authorities)\b",
    re.IGNORECASE,
)
_CASE_NAME = re.compile(r"\b([A-Z][\w’'.&-]*)\s+v\.?\s+[A-Z]|\b([A-Z]{1,2}-\d{2,4})\b")


def asks_case_name(question: str) -> bool:
    """True for "what were the names of the two cases ...?", "the case names of ..." (English)."""
    return bool(_CASE_NAME_Q.search(question))


def names_a_case(text: str, question: str = "") -> bool:
    """True if a sentence names a case ("Varghese v. China Southern Airlines", "T-323") the question does not."""
    return any(not re.search(rf"\b{re.escape(m.group(1) or m.group(2))}\b", question, re.IGNORECASE)
               for m in _CASE_NAME.finditer(text))


def _new_name(text: str, asked: set[str]) -> bool:
    return any(w.lower().strip("’'") not in asked and w.lower() not in STOPWORDS and not _MONTH.fullmatch(w)
               for w in _CAPITALISED.findall(text[1:]))


def name_check(question: str, chosen: list[str]) -> Callable[[str], bool]:
    """For a which-question, whether a sentence names the kind of thing asked for: a country the question
    does not name; a place after "in" that is not a country ("held in Korea" does not give the
    city); for an organisation, a new capitalised name in a sentence that holds the head word ("health
    insurer (EPS)" names none), or in any sentence when none of the chosen ones (`chosen`) holds it."""
    asked = _question_words(question)
    if _WHICH_COUNTRY.search(question):
        known = _countries_in(question)
        return lambda text: bool(_countries_in(text) - known)
    if _WHICH_CITY.search(question):
        return lambda text: any(p.lower() not in country_names() and not _MONTH.fullmatch(p)
                                and not all(w.lower() in asked for w in p.split()) for p in _PLACE.findall(text))
    body = _WHICH_BODY.search(question)
    head = body.group(2).lower() if body else ""
    holds_head = re.compile(r"\b" + re.escape(head[:-1] if head.endswith("y") else head), re.IGNORECASE)
    any_head = any(holds_head.search(t) for t in chosen)
    return lambda text: (not any_head or bool(holds_head.search(text))) and _new_name(text, asked)


# a number asked for is a quantity (states_count), not a year, a day or an ordinal: "how much input went into
# it?" is not answered by "9 to 24 November 2021" or "its 41st session"; the digits of a code still count ("what
# is the regulation number of the EU AI Act?": "2024/1689")
_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "number": states_count,
    "date": has_date,
    "person": has_person,
    "list": is_list_sentence,
    "yesno": takes_a_position,
    "finding": states_finding,
}



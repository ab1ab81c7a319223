"""The kinds of fact a question asks for, and the test a sentence must pass to state one.

"How many" questions count a thing (`counted_thing`, `counts`: "4,432 registrants" answers "how many people"),
dates and persons must be of the names the question gives (`fact_checks`: "when was the Global Network of
Experts set up?" is not answered by another body's date), and a sentence may say the count is not known
(`says_count_unknown`), or that what is asked is not confirmed (`says_unknown`). The coverage decision (coverage.assess, pipeline) reads these tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit_assistant.coverage import (
    COMMON_DF, COUNT_ABSENCE_SENTENCES, focus_terms, held, passage_words, past_participle, present, states_absence,
)
from toolkit_assistant.gloss import english_words, foreign_focus
from toolkit_assistant.lexicon import lexicon
from toolkit_assistant.question import (
    _CHECKS, _WANTS, asks_a_name, asks_case_name, asks_exact_day, name_check, names_a_case, states_day,
)
from toolkit_assistant.text import STOPWORDS, stem, words, years

if TYPE_CHECKING:
    from toolkit_assistant.answer import Candidate


# up to four words after "how many" ("of the" skipped: "how many of the MOOC registrants were ..."); counted_thing
# ends the noun phrase at the first stop-word, filler word or past participle ("judicial trainers attended")
_COUNT_HEAD = re.compile(
    r"\bhow\s+(?:many|much)\s+(?:of\s+(?:the|its|their|these|those)\s+)?((?:[\w’'-]+\s+){0,3}[\w’'-]+)",
    re.IGNORECASE,
)
_NUMBER_TOKEN = re.compile(
    r"^(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|dozen|dozens)$",
    re.IGNORECASE,
)


def counted_thing(question: str, language: str = "en") -> str:
    """The stemmed noun a "how many ..." question counts ("comments"), or "" when it names none ("how much
    public input went into it?" measures, in comments or dollars, and counts no noun)."""
    if language != "en":
        return ""
    m = _COUNT_HEAD.search(question)
    if not m or re.match(r"how\s+much\b", m.group(0), re.IGNORECASE):
        return ""
    filler = lexicon(language).filler
    # the noun phrase ends where a filler word, a stop-word or a past participle starts
    # ("how many member states signed on", "how many people actually filled in")
    w: list[str] = []
    for x in words(m.group(1)):
        # a plural among the filler words is the thing counted ("how many cases", "how many people"): only
        # the other filler ends the phrase ("how many states actually ...")
        if (x in filler and not (x.endswith("s") and len(x) > 3 or x == "people")) or x in STOPWORDS or past_participle(x):
            break
        w.append(x)
        if x == "people" or (x.endswith("s") and len(x) > 3 and not x.endswith("ss")):
            break  # the plural is the thing counted: "how many countries took part"
    if not w:
        return ""
    return stem(w[-1])


def counted_things(question: str, language: str = "en") -> list[str]:
    """The stemmed things a "how many" question counts: in English its noun (counted_thing), in another
    language the glossary's English words for it ("combien de personnes": "people", "person")."""
    if language == "en":
        return [t] if (t := counted_thing(question, language)) else []
    return ["people" if w.lower() == "people" else stem(w.lower())
            for _, english in foreign_focus(question, language, "count") for w in english]


# "how many people": any count of persons answers it ("4,432 registrants", "1,265 responses" does not)
PERSONS = frozenset({
    "people", "person", "participant", "registrant", "respondent", "judge", "operator", "actor", "trainee",
    "lawyer", "prosecutor", "journalist", "member", "expert", "staff", "employee", "official", "student",
    "user", "learner", "trainer", "speaker", "panellist", "attendee", "delegate", "individual", "woman", "women",
})


def counts(sentence: str, thing: str) -> bool:
    """True if a sentence puts a number right before the thing counted ("4,432 registrants", "six modules")."""
    tokens = [t for t in re.findall(r"[\w%’'.,-]+", sentence)]
    things = PERSONS if thing == "people" else (thing,)
    for i, tok in enumerate(tokens):
        if not _NUMBER_TOKEN.match(tok.strip(".,")) or thing == "people" and tok.strip(".,").endswith("%"):
            continue  # "93% of responding operators" is a share, not how many people
        have = passage_words([" ".join(tokens[i + 1 : i + 5])])
        if any(present(t, have) for t in things):
            return True
    return False


# "what share of the respondents were judges": the persons of whom a share is asked
_SHARE_OF = re.compile(
    r"\bwhat\s+(?:percentage|share|proportion|fraction|per\s?cent)\s+of\s+(?:the\s+|those\s+)?[^?,;]+?\s+"
    r"(?:were|was|are|is|said|say|says|use|used|came|come|had|have)\s+(?P<what>[^?,.;]+)",
    re.IGNORECASE,
)
_SHARE = re.compile(r"\d\s?%|\bper\s?cent\b|\bpercent\b|\b(?:half|thirds?|quarters?|majority)\b", re.IGNORECASE)
_WHICH = re.compile(r"\b(which|what)\b", re.IGNORECASE)
_WH_DATE_PERSON = re.compile(r"\b(when|who|whom|whose|what (?:year|date|month|day))\b", re.IGNORECASE)


def names_in(clause: str) -> list[tuple[str, str]]:
    """(stem, surface word) of each name of an English clause (not its numbers); an acronym keeps its capitals."""
    return [(n, w.upper() if re.search(rf"\b{re.escape(w.upper())}\b", clause) else w)
            for n, w, is_name in focus_terms(clause) if is_name and not any(ch.isdigit() for ch in n)]


def _names_after(pattern: re.Pattern[str], question: str) -> list[tuple[str, str]]:
    """names_in the clause from the pattern's match ("when", "which") to the end of its sentence."""
    m = pattern.search(question)
    return names_in(question[m.start():].split("?")[0]) if m else []


_CAPITALISED_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|on|and|the|for|in)\s+)*[A-Z][\w’'-]*)*")


def _spelled_out(acronym: str, text: str) -> bool:
    """True if a run of capitalised words of the text has the acronym's letters as its initials, in order
    ("GPL": "GNU GENERAL PUBLIC LICENSE"; "ICCPR": "International Covenant on Civil and Political Rights")."""
    want = acronym.lower()
    for run in _CAPITALISED_RUN.findall(text):
        initials = "".join(w[0] for w in run.split() if w[0].isupper()).lower()
        if len(initials) >= len(want) and want in initials:
            return True
    return False


def _holds_names(names: list[tuple[str, str]], text: str, passage: str = "") -> bool:
    if not names:
        return True
    have = passage_words([f"{text} {passage}"])
    return all(present(n, have) or len(w) >= 2 and w.isupper() and _spelled_out(w, f"{text} {passage}")
               for n, w in names)


def fact_checks(question: str, language: str, chosen: list[str]) -> list[tuple[str, Callable[..., bool]]]:
    """The kinds of fact a question asks for in words, each with the test one sentence must pass: a number,
    a date, a person (a year the question states is a premise to check, not asked for); the thing a "how
    many" counts; in English also an exact day and the name a which-question wants (country, city,
    organisation: see question.name_check, which reads `chosen`, the chosen sentences).

    Each test takes the sentence and, optionally, its passage (Candidate.passage: its chunk's text and
    titles): an English count must be of the names the question gives from "how many" on, in the sentence or
    its passage ("how many of the registrants were from Africa?" is not answered by "3,675 came from outside
    Europe and North America" in a passage that never names Africa)."""
    own = lexicon(language).wants
    wanted = [w for w in ("number", "date", "person") if _WANTS[w].search(question) or (w in own and own[w].search(question))]
    # a date or person asked for must be of the names given from the wh-word to the end of its sentence, in the
    # sentence or its passage ("when was the Global Network of Experts set up?" is not answered by another date)
    wh_names = _names_after(_WH_DATE_PERSON, question) if language == "en" else []
    checks: list[tuple[str, Callable[..., bool]]] = [
        (w, lambda t, ctx="", w=w: _CHECKS[w](t, question) and (w == "number" or _holds_names(wh_names, t, ctx)))
        for w in wanted]
    share = _SHARE_OF.search(question) if language == "en" else None
    of_whom = [n for n, _, _ in focus_terms(share.group("what"))] if share else []
    if of_whom and all(n in PERSONS for n in of_whom):
        # "what percentage of the respondents were prosecutors?": a share, of prosecutors, in one sentence
        checks.append(("number", lambda t, ctx="": bool(_SHARE.search(t))
                       and any(present(n, passage_words([t])) for n in of_whom)))
    if things := counted_things(question, language):
        # the names from "how many" on: "..., and how many modules?" asks nothing of the first part's names
        clause = question[m.start():] if language == "en" and (m := _COUNT_HEAD.search(question)) else ""
        names = names_in(clause)
        checks.append(("number", lambda t, ctx="": any(counts(t, x) for x in things) and _holds_names(names, t, ctx)))
    # a count "of the 2020 survey" does not answer "how many answered the 2023 survey?", nor a count whose
    # sentence gives no year in a passage of other years ("50,000 comments" on the 2020 consultation)
    if asked := years(question):
        def in_year(f: Callable[..., bool]) -> Callable[..., bool]:
            return lambda t, ctx="": f(t, ctx) and bool((years(t) or years(ctx) or asked) & asked)

        checks = [(k, in_year(f) if k == "number" else f) for k, f in checks]
    if language == "en" and asks_exact_day(question):
        checks.append(("day", lambda t, ctx="": states_day(t, question)))
    # the name must come from a sentence that holds one of the names given from "which" on (else of the
    # question's): "In Argentina, ..." does not say which South Asian country has 53 million pending cases; a
    # case name, from a sentence or passage that holds them all ("Mata v. Avianca" is not a UK High Court case)
    given = _names_after(_WHICH, question) or names_in(question)
    if language == "en" and asks_case_name(question):
        checks.append(("name", lambda t, ctx="": names_a_case(t, question) and _holds_names(given, t, ctx)))
    if language == "en" and asks_a_name(question):
        checks.append(("name", lambda t, ctx="", f=name_check(question, chosen):
                       f(t) and (not given or any(_holds_names([n], t) for n in given))))
    return checks


_COUNT_WORD = re.compile(r"\b(number|figure|count|sample size|total)\b", re.IGNORECASE)


def says_count_unknown(sentences: list[str], question: str, language: str = "en") -> bool:
    """True if a sentence says the number a "how many" question counts is not known (count_unknown)."""
    return bool(count_unknown(sentences, question, language))


def count_unknown(sentences: list[str], question: str, language: str = "en") -> str:
    """The first sentence that says the number a "how many" question counts is not known ("The number of
    respondents ... is not confirmed" for "how many people filled in the survey?"; not "the titles of the
    four modules are not given" for "how many modules?"), in any language with a glossary; "" if none."""
    found = counted_things(question, language)  # in another language, the glossary's words for it
    if not found:
        return ""
    things = PERSONS if "people" in found else tuple(found)
    return next((s for s in sentences if _COUNT_WORD.search(s) and states_absence(s)
                 and any(present(t, passage_words([s])) for t in things)), "")


# "on what date did the Convention enter into force?": one of the first chosen sentences says what is asked is
# not confirmed ("the entry-into-force date ... are not confirmed"): it holds this share of the question's
# telling words and not the kind of fact asked for
ASKED_UNKNOWN_SENTENCES = 3
ASKED_UNKNOWN_SHARE = 0.6


_KIND_WORDS = {"date": re.compile(r"\bdates?\b", re.IGNORECASE), "person": re.compile(r"\b(names?|authors?|who)\b", re.IGNORECASE)}


def _names_kind(kind: str, sentence: str, things: list[str]) -> bool:
    """True if a sentence names the kind of fact a question wants: its date, the name of its person, the
    number of the thing it counts."""
    if kind == "number":
        return any(present(t, passage_words([sentence])) for t in things) if things else bool(_COUNT_WORD.search(sentence))
    return bool(_KIND_WORDS[kind].search(sentence))


def beside_sentences(cands: list[Candidate], best: Candidate, chosen: list[Candidate], language: str) -> list[str]:
    """The sentences says_unknown reads beside the chosen ones: those of the best sentence's passage, and for a
    question in another language those of the chosen sentences' documents."""
    docs = {c.chunk.doc_id for c in chosen} if language != "en" else set()
    return [c.span.text for c in cands if c.chunk.id == best.chunk.id or c.chunk.doc_id in docs]


def says_unknown(sentences: list[str], question: str, language: str, df: Callable[[str], float] | None,
                 beside: list[str] | tuple[str, ...] = ()) -> str:
    """The sentence, of the chosen ones or `beside`, that says the fact asked for is not known ("" if none,
    so that it reads as true or false; the pipeline cites it in the partial answer): the count a "how many"
    asks for (says_count_unknown, among the first COUNT_ABSENCE_SENTENCES), or, for a question wanting a
    number, date or person (not a yes/no one; in another language through its glossary's English words), a
    sentence among the first ASKED_UNKNOWN_SENTENCES that says most of what it asks is not confirmed, of the
    names it gives, and gives no such fact itself. `beside`: other sentences the pipeline passes (those of the
    best sentence's passage; for another language, of the chosen sentences' documents), read like the first
    chosen ones when they name the kind of fact asked for ("The current ratification status ... are not
    confirmed" right after the rule on entry into force)."""
    # in another language the count's sentences are read beside the chosen ones too (e5 ranks "The number of
    # respondents ... is not confirmed" low under the sentences that count something else)
    if found := count_unknown([*sentences[:COUNT_ABSENCE_SENTENCES], *(beside if language != "en" else ())], question, language):
        return found
    wants = _WANTS if language == "en" else lexicon(language).wants
    wanted = [w for w in ("number", "date", "person") if w in wants and wants[w].search(question)]
    if df is None or not wanted or "yesno" in wants and wants["yesno"].search(question):
        return ""
    if language == "en":
        telling = [t for t, surface, _ in focus_terms(question) if not any(ch.isdigit() for ch in surface) and df(t) < COMMON_DF]
        names = names_in(question)
    else:  # the glossary's English words for it; its names are read in their own script
        telling = [t for t in dict.fromkeys(stem(w.lower()) for w in english_words(question, language)) if df(t) < COMMON_DF]
        names = []
    if not telling:
        return ""

    def share(s: str) -> float:
        have = passage_words([s])
        return sum(held(t, have) for t in telling) / len(telling)

    # a sentence beside the chosen ones must name the kind of fact asked for ("the entry-into-force date ...
    # are not confirmed" for "when did it enter into force?"; "The number of respondents ... is not confirmed"
    # does not answer "respondents from how many countries?", which counts countries)
    things = counted_things(question, language)
    near = [s for s in beside if any(_names_kind(w, s, things) for w in wanted)] if not answered_beside(question, sentences) else []
    for s in [*sentences[:ASKED_UNKNOWN_SENTENCES], *near]:
        # of what is named ("the launch date of the Global Network of Experts" is not that of "AI Experts
        # without Borders"), and without the fact itself
        if not states_absence(s) or any(_CHECKS[w](s, question) for w in wanted) or not _holds_names(names, s):
            continue
        if share(s) >= ASKED_UNKNOWN_SHARE:
            return s
    return ""


# "list the principles", "enumerate them" (not "what are the titles of the four modules?", which asks for names)
_LIST_ASKED = re.compile(r"^\s*(?:please\s+)?(?:list|enumerate)\b|\b(?:list|enumerate)\s+(?:the|all|its|their)\b", re.IGNORECASE)
# "what figures from the survey could I put on a slide?": an open request for numbers
_FIGURES = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(?:figures|numbers|statistics|percentages|data)\b", re.IGNORECASE)


def answered_beside(question: str, others: list[str]) -> bool:
    """True when the other chosen sentences answer, beside a best one that says a fact is not confirmed, an
    English question that asks to list (one of them enumerates) or for figures (two of them give numbers):
    "list the CEPEJ charter's principles" is answered though the descriptions of two of them are unconfirmed."""
    given = [t for t in others if not states_absence(t)]
    if _LIST_ASKED.search(question) and any(_CHECKS["list"](t, question) for t in given):
        return True
    return bool(_FIGURES.search(question)) and sum(_CHECKS["number"](t, question) for t in given) >= 2

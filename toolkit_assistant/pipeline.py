"""The Assistant: question in, verified and cited Answer out. Wires the stages together."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from toolkit_assistant.abbreviations import Abbreviations
from toolkit_assistant.answer import Candidate, ExtractiveGenerator
from toolkit_assistant.compose import compose, nearest_topics
from toolkit_assistant.coverage import Decision, asking_sentence, assess, doc_freq, states_absence
from toolkit_assistant.errors import BackendUnavailable, IndexNotBuiltError
from toolkit_assistant.facts import answered_beside, beside_sentences, fact_checks, says_count_unknown, says_unknown
from toolkit_assistant.gloss import english_words
from toolkit_assistant.guard import strip_injections
from toolkit_assistant.intake import QueryLog, resolve_followup, validate_question
from toolkit_assistant.lexicon import lexicon
from toolkit_assistant.messages import (
    ABSTAIN,
    BACKEND_UNAVAILABLE,
    INJECTED,
    INSTRUCTIONS,
    NEAREST,
    NO_MULTILINGUAL_INDEX,
    NO_SUPPORTED_SENTENCE,
    PARTIAL,
    PARTIAL_ABSENT,
    PARTIAL_KIND,
    PREMISE,
    SOURCES_IN_ENGLISH,
    say,
)
from toolkit_assistant.premise import contradiction
from toolkit_assistant.question import _WANTS
from toolkit_assistant.retrieve import Filters, HybridRetriever
from toolkit_assistant.text import detect_language
from toolkit_assistant.trace import explain_trace
from toolkit_assistant.types import Answer, Draft, Hit, Verification
from toolkit_assistant.verify import verify

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings
    from toolkit_assistant.store import IndexReader



RESCUE_POOL = 8
# a question word the passages never use is carried by them in other words when taking it out of the
# question lowers the similarity of the best chosen sentences, on average over this many
# a yes-or-no question after an opening clause ("Under the UNESCO guidelines, do I have to tell the parties?")
_YESNO_AFTER_CLAUSE = re.compile(
    r"^[^,?]{3,80},\s*(should|may|can|could|is|are|does|do|did|must|will|would|has|have|shall)\s+"
    r"(i|we|you|a|an|the|judges?|courts?|it|they|there|this|that|my|our)\b",
    re.IGNORECASE,
)
CARRY_SENTENCES = 5


class Generator(Protocol):
    """Writes a draft answer from the hits; every sentence should carry [n] citations."""

    name: str

    def generate(self, question: str, hits: list[Hit]) -> Draft:
        """A draft answer."""
        ...


class Assistant:
    """Retrieve, answer (extractive or LLM), verify, abstain when the materials do not cover it."""

    def __init__(
        self,
        reader: IndexReader,
        *,
        top_k: int = 8,
        max_citations: int = 4,
        min_relevance: float | None = None,
        max_question_chars: int = 2000,
        verify_mode: str = "remove",
        backend: str = "extractive",
        generator_factory: Callable[[str], Generator] | None = None,
        query_log: QueryLog | None = None,
        foreign: Assistant | None = None,
        multilingual_expected: bool = False,
    ) -> None:
        """Wire the stages; `generator_factory(name)` builds LLM generators on first use."""
        self.reader = reader
        self.embedder = reader.embedder
        self.retriever = HybridRetriever(reader)
        self.extractive = ExtractiveGenerator(
            self.embedder.embed_query, self._sentence_vectors, max_sentences=max_citations,
            neighbours=self._neighbours,
            vocabulary=self._vocabulary,
            abbreviations=self._abbreviations,
            sim_floor=getattr(self.embedder, "sim_floor", 0.0),
            multilingual=getattr(self.embedder, "multilingual", False),
            df=lambda term: doc_freq(self.reader.bm25, term),
        )
        self.top_k = top_k
        # the similarity at which passages are about the question (the embedding model's own by default)
        self.min_relevance = min_relevance if min_relevance is not None else getattr(self.embedder, "topic_min_sim", 0.42)
        self.max_question_chars = max_question_chars
        self.verify_mode = verify_mode
        self.backend = backend
        self._factory = generator_factory
        self._generators: dict[str, Generator] = {}
        self._gen_lock = threading.Lock()
        self.query_log = query_log
        # answers questions in languages other than English, from its own (multilingual) index
        self.foreign = foreign
        # TOOLKIT_EMBEDDING=auto without its multilingual index (built before it existed): say so
        self.multilingual_expected = multilingual_expected

    @classmethod
    def from_settings(cls, settings: Settings, *, language: str | None = None) -> Assistant:
        """Open the index and embedding model the settings name.

        language: the one language this process will be asked in (a one-question `ask`): the model its
        questions use loads now, the other only if a question needs it (embeddings.LazyEmbedder). Loading
        the used model before the index is opened also keeps the peak RSS lower than loading it after.
        """
        from toolkit_assistant.backends import make_generator
        from toolkit_assistant.embeddings import LazyEmbedder, get_embedder
        from toolkit_assistant.store import IndexReader, location_for

        (model, index_dir, collection), *others = settings.indexes()
        main_used = language is None or language == "en" or not others
        embedder = get_embedder(model) if main_used else LazyEmbedder(model)
        reader = IndexReader(location_for(index_dir, settings.chroma_url, collection), embedder)
        foreign = None
        for model2, index_dir2, collection2 in others:  # questions in other languages (TOOLKIT_EMBEDDING=auto)
            embedder2 = get_embedder(model2) if language is None or not main_used else LazyEmbedder(model2)
            try:
                reader2 = IndexReader(location_for(index_dir2, settings.chroma_url, collection2), embedder2)
            except IndexNotBuiltError:
                continue  # an index built before the multilingual one existed: English-only until `ingest`
            foreign = cls(
                reader2,
                top_k=settings.top_k, max_citations=settings.max_citations, max_question_chars=settings.max_question_chars,
                verify_mode=settings.verify_mode, backend=settings.backend,
                generator_factory=lambda name: make_generator(name, settings),
            )
        log = QueryLog(settings.query_log, hash_only=settings.query_log_hash_only) if settings.query_log else None
        return cls(
            reader,
            top_k=settings.top_k,
            max_citations=settings.max_citations,
            min_relevance=settings.relevance_threshold,
            max_question_chars=settings.max_question_chars,
            verify_mode=settings.verify_mode,
            backend=settings.backend,
            generator_factory=lambda name: make_generator(name, settings),
            query_log=log,
            foreign=foreign,
            multilingual_expected=settings.embedding == "auto",
        )

    def _sentence_vectors(self, chunks: list[Any]) -> dict[str, tuple[list[tuple[int, int]], np.ndarray]]:
        return self.reader.sentence_vectors([c.id for c in chunks])

    def _abbreviations(self) -> Abbreviations:
        """The abbreviations the indexed text defines (read once, on the first question)."""
        found = getattr(self.reader, "_toolkit_abbreviations", None)
        if found is None:
            found = Abbreviations.of(c.text for c in self.reader.chunks)
            self.reader._toolkit_abbreviations = found  # noqa: SLF001 - one reading per loaded index
        return found

    def _vocabulary(self) -> Any:
        """The index's BM25 vocabulary (stemmed words the materials use)."""
        bm25 = self.reader.bm25
        return bm25.vocab_dict if bm25 is not None else {}

    def _neighbours(self, chunk: Any) -> list[Any]:
        """The chunks just before and after a chunk in its section."""
        head, _, n = chunk.id.rpartition(":")
        found = (self.reader.by_id.get(f"{head}:{m}") for m in ((int(n) - 1, int(n) + 1) if n.isdigit() else ()))
        return [nb for nb in found if nb is not None]

    def _passage_vectors(self, chunk_ids: list[str]) -> dict[str, tuple[list[tuple[int, int]], np.ndarray]]:
        return self.reader.sentence_vectors(chunk_ids)

    def generator(self, name: str) -> Generator:
        """The generator for a backend name, built once."""
        if name == "extractive":
            return self.extractive
        with self._gen_lock:
            if name not in self._generators:
                if self._factory is None:
                    raise BackendUnavailable(f"No factory for backend {name!r}")
                self._generators[name] = self._factory(name)
            return self._generators[name]

    def retrieve(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> tuple[list[Hit], np.ndarray]:
        """Hits for a validated question, and its vector (from the multilingual index for another language, if any)."""
        language = detect_language(question)
        foreign = language != "en"
        if self.foreign is not None and foreign:
            return self.foreign.retrieve(question, k=k, filters=filters)
        qvec = self.embedder.embed_query(question)
        # another language: chunks by their closest sentence are a third ranking (blind dev: the answer's chunk in the
        # top 6 for 41 of 43, not 36); "what did the survey find?": BM25's best chunk for its words takes a slot
        sentences = foreign and bool(getattr(self.embedder, "multilingual", False))
        extra = ({"sentences": True, "glossed": english_words(question, language)} if sentences
                 else {"glossed": question.split()} if not foreign and lexicon("en").finding.search(question) else {})
        return self.retriever.retrieve(question, k or self.top_k, filters, qvec=qvec, **extra), qvec

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        backend: str | None = None,
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
        explain: bool = False,
        previous: str | None = None,
        reply_language: str | None = None,
    ) -> Answer:
        """Answer a question from the materials, or decline.

        `reply_language` is the language of the assistant's own sentences (declines, partial answers, notices;
        the app passes its interface language); by default the question's. Cited passages stay as written.

        Raises:
            InputError: the question is empty, too long, or holds control characters.
        """
        t0 = time.perf_counter()
        question = validate_question(question, self.max_question_chars)
        asked, injected = strip_injections(question)
        language = detect_language(asked or question)
        reply = reply_language or language
        if language != "en" and self.foreign is not None:
            answer = self.foreign.ask(
                question, k=k, backend=backend, filters=filters, on_token=on_token, explain=explain, previous=previous,
                reply_language=reply_language,
            )
            self._log(answer)
            return answer
        notices: list[str] = list(getattr(self.reader, "notices", ()))  # e.g. answering from an earlier index
        if language != "en" and self.foreign is None and self.multilingual_expected:
            notices.append(say(NO_MULTILINGUAL_INDEX, reply))
        if injected:
            notices.append(say(INJECTED, reply))
        if not asked:
            t1 = time.perf_counter()
            answer = self._abstain(question, [], backend or self.backend, t0, t1, t1, 0.0, language, notices, reply)
            answer = replace(answer, text=say(INSTRUCTIONS, reply))
            self._log(answer)
            return answer
        query = resolve_followup(asked, previous)
        hits, qvec = self.retrieve(query, k=k, filters=filters)
        if query != asked:
            qvec = self.embedder.embed_query(asked)  # sentences are judged against what is asked now
        t1 = time.perf_counter()
        relevance, cands = self.extractive.relevance(asked, hits, qvec, language)
        name = backend or self.backend
        chosen = self.extractive.choose(asked, cands, language) if cands else []
        decision = self.decide(asked, language, hits, cands, chosen) if chosen else None
        premise = contradiction(asked, cands) if language == "en" and decision and decision.coverage != "none" else None
        if premise is not None:
            # a count the question takes for granted that a passage contradicts: that passage answers it, first
            notices.append(say(PREMISE, reply).format(stated=premise.stated.surface, found=premise.found))
            chosen = [premise.sentence] + [c for c in chosen if c is not premise.sentence]
            decision = replace(decision, coverage="answered", reason=f"a passage contradicts “{premise.stated.surface}”")
        # the glossary's words, when the sentence score read them (a question in another language on a
        # multilingual index: see ExtractiveGenerator.choose)
        read = explain and language != "en" and self.extractive.sim_floor > 0
        glossed = english_words(asked, language) if read else []
        trace = explain_trace(hits, cands, chosen, decision, premise, glossed) if explain else None
        if decision is None or decision.coverage == "none":
            t2 = time.perf_counter()
            answer = self._abstain(question, hits, name, t0, t1, t2, relevance, language, notices, reply)
            answer = replace(answer, explain=trace)
            self._log(answer)
            return answer
        if decision.coverage == "partial":
            answer = self._partial(question, asked, hits, chosen, decision, name, t0, t1, relevance, language, notices,
                                   reply)
            answer = replace(answer, explain=trace)
            self._log(answer)
            return answer
        draft: Draft | None = None
        if name != "extractive":
            try:
                gen = self.generator(name)
                if on_token is not None and hasattr(gen, "stream"):
                    draft = gen.stream(asked, hits, on_token)
                else:
                    draft = gen.generate(asked, hits)
            except BackendUnavailable as exc:
                notices.append(say(BACKEND_UNAVAILABLE, reply).format(backend=name, detail=f" ({exc})"))
                draft = None
        if draft is None:
            draft = compose(chosen, backend="extractive")
        t2 = time.perf_counter()
        verified = verify(draft, embed=self.embedder.embed_documents, passage_vectors=self._passage_vectors, mode=self.verify_mode)
        if not verified.citations and draft.backend != "extractive":
            notices.append(say(NO_SUPPORTED_SENTENCE, reply).format(backend=draft.backend))
            removed = verified.report
            fallback = self.extractive.generate(asked, hits, cands=cands)
            verified = verify(fallback, embed=self.embedder.embed_documents, passage_vectors=self._passage_vectors, mode=self.verify_mode)
            report = Verification(
                sentences=removed.sentences + verified.report.sentences,
                supported=verified.report.supported,
                removed=removed.sentences - removed.supported + verified.report.removed,
                checks=removed.checks + verified.report.checks,
            )
            verified = type(verified)(verified.text, verified.citations, report)
            used_backend = f"{draft.backend}->extractive"
        else:
            used_backend = draft.backend
        t3 = time.perf_counter()
        if not verified.citations:
            answer = self._abstain(question, hits, name, t0, t1, t2, relevance, language, notices, reply)
            self._log(answer)
            return answer
        answer = Answer(
            question=question,
            text=verified.text,
            abstained=False,
            backend=used_backend,
            citations=verified.citations,
            verification=verified.report,
            timings_ms={
                "retrieve": (t1 - t0) * 1000,
                "answer": (t2 - t1) * 1000,
                "verify": (t3 - t2) * 1000,
                "total": (t3 - t0) * 1000,
            },
            notices=tuple(notices + list(draft.notices) + ([say(SOURCES_IN_ENGLISH, reply)] if reply != "en" else [])),
            relevance=relevance,
            language=language,
            coverage="answered",
            explain=trace,
        )
        self._log(answer)
        return answer

    def decide(self, question: str, language: str, hits: list[Hit], cands: list[Candidate], chosen: list[Candidate]) -> Decision:
        """Answered, partly covered or not covered, from the evidence (see coverage.py).

        When no chosen sentence holds the kind of fact asked for (a count, a date, a name) but another
        close candidate does, that sentence is added to `chosen`; so is a left-out sentence saying the fact
        asked for is not known (facts.says_unknown), which the partial answer cites.
        """
        ex = self.extractive
        best = max(chosen, key=lambda c: c.score)
        top_ids = {h.chunk.id for h in hits[:3]}
        passages = [c.chunk for c in cands if c.chunk.id in top_ids or c.hit_rank <= 3]
        texts = list({c.id: c.text for c in passages}.values())
        titles = list({f"{c.title} {c.section_title}" for c in passages}) + self._abbreviations().other_forms(texts)
        by_dense = [h.chunk.id for h in sorted(hits, key=lambda h: -(h.dense or 0.0))[:3]]
        by_lex = [h.chunk.id for h in sorted((h for h in hits if h.lexical), key=lambda h: -(h.lexical or 0.0))[:3]]
        if language != "en" and getattr(self.embedder, "multilingual", False):  # BM25 on its glossary's English words
            by_lex = self.retriever.glossed_ranking(english_words(question, language))
        missing_kind = ""
        # the closest other sentences (by rank: fitted probabilities spread wider than the hand-set scores)
        pool = sorted((c for c in cands if not any(c is x for x in chosen)), key=lambda c: -c.score)[:RESCUE_POOL]
        for kind, holds in fact_checks(question, language, [c.span.text for c in chosen]):
            if any(holds(c.span.text, c.passage) for c in chosen):
                continue
            # the fact asked for may sit in a sentence the composer left out: bring the best such one in (not
            # for an exact day or a name: any day or place in a nearby sentence about another event would do)
            extra = max((c for c in pool if kind not in ("day", "name") and holds(c.span.text, c.passage)), key=lambda c: c.score, default=None)
            if extra is not None:
                chosen.append(extra)
            else:
                missing_kind = missing_kind or kind
        lex = lexicon("en")
        # the best sentence says the fact is missing ("could not be confirmed"), unless that is what the question
        # asks about ("which duties could not be confirmed?"), or the question asks yes or no ("do the guidelines
        # oblige judges to disclose?": "not confirmed" answers it), or another chosen sentence of nearly the same
        # weight answers beside it
        absent = (states_absence(best.span.text) and not lex.absence.search(question)
                  and not _WANTS["yesno"].search(question) and not _YESNO_AFTER_CLAUSE.search(asking_sentence(question))
                  and not any(c is not best and c.score >= 0.85 * best.score for c in chosen)
                  and not (language == "en" and answered_beside(question, [c.span.text for c in chosen if c is not best])))
        # or a sentence says what is asked is not known: one left out is brought in, for the partial answer to cite
        unknown = "" if absent else says_unknown([c.span.text for c in chosen], question, language, ex.df, beside_sentences(cands, best, chosen, language))
        chosen += [c for c in cands if unknown and c.span.text == unknown and not any(c is x for x in chosen)][:1]
        return assess(
            question,
            language=language,
            best_sim=max(ex.rescale(c.sim) for c in cands),
            top_dense=ex.rescale(max((h.dense or 0.0) for h in hits)),
            agree=bool(set(by_dense) & set(by_lex)),
            passage_texts=texts,
            title_texts=titles,
            wants_missing=missing_kind,
            absence=bool(absent or unknown),
            df=ex.df,
            multilingual=getattr(self.embedder, "multilingual", False),
            topic_min_sim=self.min_relevance,
            foreign_min_sim=getattr(self.embedder, "foreign_min_sim_by_language", {}).get(
                language, getattr(self.embedder, "foreign_min_sim", None)
            ),
            carries=lambda word, margin: self.carries(question, word, chosen, margin),
        )

    def carries(self, question: str, word: str, chosen: list[Candidate], margin: float = 0.0) -> bool:
        """True if the chosen sentences carry the meaning of a question word they never use.

        The question is embedded again without the word. When the word's meaning is in the sentences
        under other words ("what verdict did the court reach in Loomis?" against "The Supreme Court of
        Wisconsin held ..."), the sentences are closer to the whole question than to the question without it; when it is not
        ("what fines does the Act set?" against its high-risk rules), taking it out brings them closer.
        Averaged over the CARRY_SENTENCES best chosen sentences. One more question embedding, only when a
        head word is missing from the passages.
        """
        top = [c for c in sorted(chosen, key=lambda c: -c.score) if c.vec is not None][:CARRY_SENTENCES]
        if word.isascii() or not re.search(r"[\u4e00-\u9fff]", word):
            masked = re.sub(r"(?<!\w)" + re.escape(word) + r"(?!\w)", " ", question, flags=re.IGNORECASE)
        else:  # Chinese: no spaces between words
            masked = question.replace(word, " ")
        if not top or masked == question:
            return False
        without = np.asarray(self.embedder.embed_query(masked), dtype=np.float32)
        return float(np.mean([c.sim - float(c.vec @ without) for c in top])) > -margin

    def _partial(
        self, question: str, asked: str, hits: list[Hit], chosen: list[Candidate], decision: Decision,
        backend: str, t0: float, t1: float, relevance: float, language: str, notices: list[str], reply: str = "",
    ) -> Answer:
        """Say what the materials do not state (in `reply`, default `language`), then cite the closest passages
        (never the missing fact)."""
        reply = reply or language
        best = max(chosen, key=lambda c: c.score)
        # beside the best, the sentence saying the fact is not known (an absence), else one more of its passage
        says_absent = states_absence if decision.evidence.absence else None
        absent = [c for c in chosen if c is not best and says_absent(c.span.text)] if says_absent else []
        closest = [best] + sorted(absent, key=lambda c: not says_count_unknown([c.span.text], question, language))[:1]
        closest += [c for c in chosen if c is not best and c.chunk.id == best.chunk.id and c not in closest][: 2 - len(closest)]
        closest.sort(key=lambda c: c.index)
        draft = compose(closest, backend="extractive")
        t2 = time.perf_counter()
        verified = verify(draft, embed=self.embedder.embed_documents, passage_vectors=self._passage_vectors, mode=self.verify_mode)
        t3 = time.perf_counter()
        ch = best.chunk
        short = re.sub(r"\s*\(study summary\)\s*$", "", ch.title)
        topic = f"“{ch.section_title}” ({short})" if ch.section_title and ch.section_title != ch.title else f"“{short}”"
        if decision.evidence.absence:
            lead = say(PARTIAL_ABSENT, reply).format(topic=topic)
        elif decision.missing:
            what = ", ".join(f"“{m}”" for m in decision.missing)
            lead = say(PARTIAL, reply).format(topic=topic, what=what)
        else:
            kind = PARTIAL_KIND.get(reply, PARTIAL_KIND["en"])
            lead = kind.get(decision.evidence.missing_kind, kind["number"]).format(topic=topic)
        return Answer(
            question=question,
            text=f"{lead} {verified.text}".strip() if verified.citations else lead,
            abstained=False,
            backend="extractive",
            citations=verified.citations,
            verification=verified.report,
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "verify": (t3 - t2) * 1000, "total": (t3 - t0) * 1000},
            notices=tuple(notices + ([say(SOURCES_IN_ENGLISH, reply)] if reply != "en" else [])),
            nearest_topics=tuple(nearest_topics(hits)),
            relevance=relevance,
            language=language,
            coverage="partial",
            missing=decision.missing,
        )

    def _abstain(
        self, question: str, hits: list[Hit], backend: str, t0: float, t1: float, t2: float, relevance: float,
        language: str = "en", notices: list[str] | None = None, reply: str = "",
    ) -> Answer:
        topics = nearest_topics(hits)
        text = say(ABSTAIN, reply or language)
        if topics:
            text += " " + say(NEAREST, reply or language) + " " + "; ".join(topics) + "."
        t3 = time.perf_counter()
        return Answer(
            question=question,
            text=text,
            abstained=True,
            backend=backend,
            citations=(),
            verification=Verification(0, 0, 0),
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "verify": 0.0, "total": (t3 - t0) * 1000},
            nearest_topics=tuple(topics),
            relevance=relevance,
            language=language,
            notices=tuple(notices or ()),
        )

    def _log(self, answer: Answer) -> None:
        if self.query_log is not None:
            self.query_log.write(answer)

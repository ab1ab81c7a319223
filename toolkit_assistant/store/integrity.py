"""Knowing when an index is damaged: file checksums and counts in the manifest, checked when an index opens.

`write_generation` records, in the manifest, the size and SHA-256 of each file of a generation that
this project writes itself (``chunks.jsonl``, the BM25 files) and the number of chunk and sentence
vectors. `check_generation` compares a generation with what its manifest says, and `usable_generation`
picks the generation to answer from: the current one when it is whole, else the newest earlier
complete one (with a notice saying so), else an `IndexDamagedError` naming the fix.

Chroma's own files are not checksummed (Chroma rewrites them when it opens them); they are checked by
opening the collections, counting, and one probe query.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit_assistant.errors import IndexDamagedError, IndexMismatchError, IndexNotBuiltError, IndexServerDown
from toolkit_assistant.ingest import file_sha256
from toolkit_assistant.store.location import Location, Manifest

REBUILD = "run `toolkit-assistant ingest --rebuild`"


def own_files(gen_dir: Path) -> list[Path]:
    """The files of a generation that the project writes itself (not Chroma's)."""
    out = []
    if (gen_dir / "chunks.jsonl").exists():
        out.append(gen_dir / "chunks.jsonl")
    if (gen_dir / "bm25").is_dir():
        out.extend(sorted(p for p in (gen_dir / "bm25").rglob("*") if p.is_file()))
    return out


def file_checks(gen_dir: Path) -> dict[str, dict[str, Any]]:
    """{relative path: {"size", "sha256"}} of a generation's own files."""
    return {
        str(p.relative_to(gen_dir)): {"size": p.stat().st_size, "sha256": file_sha256(p)} for p in own_files(gen_dir)
    }


def catchable(exc: BaseException) -> bool:
    """True for failures of a damaged store (including a Rust panic from Chroma), not for Ctrl-C or exit."""
    return not isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit)


def gen_date(manifest: Manifest) -> str:
    """When a generation was built, for messages (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(manifest.created))


@dataclass
class GenCheck:
    """What is wrong with one generation (`problems`: it cannot be used) or was repaired (`repairs`)."""

    generation: str
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Usable."""
        return not self.problems


def sqlite_problem(db: Path) -> str:
    """"" when Chroma's SQLite file passes SQLite's quick check (read-only), else what is wrong with it."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"its Chroma database {db.name} cannot be read ({exc})"
    if not row or row[0] != "ok":
        return f"its Chroma database {db.name} is malformed"
    return ""


def check_files(location: Location, manifest: Manifest, *, sqlite_check: bool = True) -> GenCheck:
    """The cheap part of a check: the generation's own files against the manifest's sizes and checksums."""
    result = GenCheck(manifest.generation)
    gen_dir = location.gen_dir(manifest.generation)
    if gen_dir is None:
        return result
    if not (gen_dir / "chroma").exists():
        result.problems.append(f"its Chroma folder {gen_dir / 'chroma'} is missing")
    db = gen_dir / "chroma" / "chroma.sqlite3"
    if sqlite_check and db.exists():
        problem = sqlite_problem(db)
        if problem:
            result.problems.append(problem)
    recorded: dict[str, dict[str, Any]] = dict(manifest.checks or {})
    if not recorded:
        if not (gen_dir / "chunks.jsonl").exists():
            result.problems.append("chunks.jsonl is missing")
        return result
    bm25_gone = False
    for rel, want in sorted(recorded.items()):
        path = gen_dir / rel
        if not path.exists():
            if rel.startswith("bm25"):
                bm25_gone = True
                continue
            result.problems.append(f"{rel} is missing")
        elif path.stat().st_size != want.get("size"):
            result.problems.append(f"{rel} has {path.stat().st_size} bytes, the manifest says {want.get('size')}")
        elif file_sha256(path) != want.get("sha256"):
            result.problems.append(f"{rel} does not match its checksum")
    if bm25_gone:
        result.repairs.append("the BM25 index is missing; it was rebuilt in memory from the chunks")
    return result


def check_collections(cols: tuple[Any, Any], manifest: Manifest, *, deep: bool = False) -> list[str]:
    """Problems of a generation's Chroma collections: counts, a probe query; deep: every chunk has its vectors."""
    col_chunks, col_sents = cols
    problems: list[str] = []
    want_chunks = (manifest.counts or {}).get("chunks", manifest.chunk_count())
    n_chunks = col_chunks.count()
    if n_chunks != want_chunks:
        problems.append(f"the chunk vectors hold {n_chunks} chunks, the manifest says {want_chunks}")
    want_sents = (manifest.counts or {}).get("sentences")
    n_sents = col_sents.count()
    if want_sents is not None and n_sents != want_sents:
        problems.append(f"the sentence vectors hold {n_sents} sentences, the manifest says {want_sents}")
    if n_chunks:
        got = col_chunks.get(limit=1, include=["embeddings"])
        col_chunks.query(query_embeddings=[list(got["embeddings"][0])], n_results=1, include=["distances"])
    if deep:
        ids = {cid for f in manifest.files.values() for cid in f.get("chunk_ids", [])}
        have: set[str] = set()
        with_sents: set[str] = set()
        for offset in range(0, max(n_chunks, 1), 1000):
            have.update(col_chunks.get(limit=1000, offset=offset, include=[])["ids"])
        for offset in range(0, max(n_sents, 1), 5000):
            metas = col_sents.get(limit=5000, offset=offset, include=["metadatas"])["metadatas"]
            with_sents.update(str(m.get("chunk_id")) for m in metas)
        if ids - have:
            problems.append(f"{len(ids - have)} chunks have no vector (e.g. {min(ids - have)})")
        if ids - with_sents:
            problems.append(f"{len(ids - with_sents)} chunks have no sentence vectors (e.g. {min(ids - with_sents)})")
    return problems


def check_generation(location: Location, manifest: Manifest, *, deep: bool = False) -> tuple[GenCheck, Any]:
    """Check one generation; returns the check and its opened collections (None when they cannot open)."""
    result = check_files(location, manifest)
    if result.problems:
        return result, None
    try:
        cols = location.collections(manifest.generation, create=False)
        result.problems.extend(check_collections(cols, manifest, deep=deep))
    except IndexServerDown:
        raise
    except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException; Ctrl-C goes on
        if not catchable(exc):
            raise
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        result.problems.append(f"its Chroma vectors cannot be read ({first})")
        return result, None
    return result, (None if result.problems else cols)


def candidate_manifests(location: Location) -> tuple[Manifest | None, str, list[Manifest]]:
    """(current manifest or None, why the pointer is unusable or "", earlier published manifests newest first)."""
    current: Manifest | None = None
    why = ""
    try:
        current = getattr(location, "read_pointer", location.read_manifest)()
    except IndexServerDown:
        raise
    except (ValueError, TypeError, KeyError, OSError) as exc:
        why = f"its pointer {getattr(location, 'pointer', 'record')} is unreadable ({type(exc).__name__})"
    earlier = [m for m in location.published_manifests() if current is None or m.generation != current.generation]
    earlier.sort(key=lambda m: (m.created, m.generation), reverse=True)
    return current, why, earlier


class DamageGuard:
    """A collection whose read failures (a damaged file found mid-question) become IndexDamagedError."""

    def __init__(self, col: Any, where: str) -> None:
        """Wrap a collection of the index at `where`."""
        self._col = col
        self._where = where

    def __getattr__(self, name: str) -> Any:
        """Methods guarded; other attributes as they are."""
        attr = getattr(self._col, name)
        if not callable(attr):
            return attr

        def call(*a: Any, **kw: Any) -> Any:
            try:
                return attr(*a, **kw)
            except (IndexServerDown, IndexDamagedError):
                raise
            except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
                if not catchable(exc) or isinstance(exc, ValueError | TypeError):
                    raise
                raise IndexDamagedError(
                    f"The index at {self._where} cannot be read ({type(exc).__name__}); "
                    "run `toolkit-assistant check`, then `toolkit-assistant ingest --rebuild`"
                ) from exc

        return call


@dataclass
class Usable:
    """The generation to answer from, its opened collections, and notices for every answer."""

    manifest: Manifest
    cols: tuple[Any, Any]
    notices: list[str]
    damaged: list[str]
    repairs: list[str] = field(default_factory=list)


def usable_generation(location: Location, embedding: str | None) -> Usable:
    """The current generation when whole; else the newest earlier complete one, with a notice.

    Raises:
        IndexNotBuiltError: no index at all.
        IndexMismatchError: the current index was built with another embedding model.
        IndexDamagedError: the current generation is damaged and no earlier one is usable.
    """
    current, why, earlier = candidate_manifests(location)
    if current is None and not why and not earlier:
        raise IndexNotBuiltError(location.describe())
    damaged: list[str] = [why] if why else []
    if current is not None:
        if embedding and current.embedding != embedding:
            raise IndexMismatchError(
                f"The index at {location.describe()} was built with {current.embedding}, but "
                f"the configured embedding model is {embedding}. Rebuild it with: "
                "toolkit-assistant ingest --rebuild (or set TOOLKIT_EMBEDDING back)"
            )
        check, cols = check_generation(location, current)
        cols = _guarded(cols, location)
        if check.ok:
            return Usable(current, cols, [f"The index is incomplete: {r}; {REBUILD}." for r in check.repairs], [],
                          check.repairs)
        damaged.extend(check.problems)
    elif not why and not earlier:
        raise IndexNotBuiltError(location.describe())
    for m in earlier:
        if embedding and m.embedding != embedding:
            continue
        check, cols = check_generation(location, m)
        cols = _guarded(cols, location)
        if check.ok:
            notice = (
                f"The index was damaged ({'; '.join(damaged)}); answering from the index of {gen_date(m)}; {REBUILD}."
            )
            return Usable(m, cols, [notice] + [f"The index is incomplete: {r}." for r in check.repairs], damaged,
                          check.repairs)
    raise IndexDamagedError(
        f"The index at {location.describe()} is damaged ({'; '.join(damaged) or 'no complete generation'}) "
        f"and no earlier complete index is usable; {REBUILD}."
    )


def _guarded(cols: Any, location: Location) -> Any:
    return None if cols is None else (DamageGuard(cols[0], location.describe()), DamageGuard(cols[1], location.describe()))


@dataclass
class IndexCheck:
    """What `toolkit-assistant check` found: problems (exit 1), facts about the index, and what to run."""

    where: str
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Nothing wrong."""
        return not self.problems


def check_index(location: Location, embedding: str) -> IndexCheck:
    """Verify the current generation thoroughly: files, counts, every chunk's vectors and BM25 entry, the model."""
    out = IndexCheck(location.describe())
    try:
        current, why, earlier = candidate_manifests(location)
    except IndexServerDown as exc:
        out.problems.append(str(exc))
        out.fix = "start the Chroma server again, then run: toolkit-assistant check"
        return out
    if current is None and not why:
        out.problems.append("there is no index yet")
        out.fix = "toolkit-assistant ingest"
        return out
    if why:
        out.problems.append(why)
    check = GenCheck("")
    if current is not None:
        out.facts.append(f"generation {current.generation}, built {gen_date(current)}, "
                         f"{len(current.files)} documents, {current.chunk_count()} chunks, model {current.embedding}")
        if current.embedding != embedding:
            out.problems.append(f"the index was built with {current.embedding}, the configured model is {embedding}")
        check, cols = check_generation(location, current, deep=True)
        out.problems.extend(check.problems)
        out.problems.extend(check.repairs)
        gen_dir = location.gen_dir(current.generation)
        ids = [cid for f in current.files.values() for cid in f.get("chunk_ids", [])]
        if gen_dir is not None and cols is not None and (gen_dir / "chunks.jsonl").exists():
            try:
                with (gen_dir / "chunks.jsonl").open(encoding="utf-8") as fh:
                    listed = [json.loads(line)["id"] for line in fh if line.strip()]
                if sorted(listed) != sorted(ids):
                    out.problems.append(f"chunks.jsonl lists {len(listed)} chunks, the manifest {len(ids)}")
            except (OSError, ValueError, KeyError) as exc:
                out.problems.append(f"chunks.jsonl cannot be read ({type(exc).__name__})")
        if gen_dir is not None and (gen_dir / "bm25").is_dir() and not check.repairs and not check.problems:
            try:
                import bm25s

                n = int(bm25s.BM25.load(str(gen_dir / "bm25")).scores["num_docs"])
                if n != len(ids):
                    out.problems.append(f"the BM25 index has {n} entries for {len(ids)} chunks")
            except Exception as exc:  # noqa: BLE001 - any unreadable BM25 file
                out.problems.append(f"the BM25 index cannot be read ({type(exc).__name__})")
    current_unusable = bool(why) or current is None or bool(check.problems)
    if out.problems and current_unusable:
        fallback = next((m for m in earlier if m.embedding == embedding and check_generation(location, m)[0].ok), None)
        if fallback is not None:
            out.facts.append(f"questions are answered from the previous complete index ({fallback.generation}, "
                             f"built {gen_date(fallback)}) until the index is rebuilt")
    if out.problems:
        if current is not None and current.embedding != embedding and len(out.problems) == 1:
            out.fix = "toolkit-assistant ingest --rebuild (or set TOOLKIT_EMBEDDING back)"
        else:
            out.fix = "toolkit-assistant ingest --rebuild"
    return out

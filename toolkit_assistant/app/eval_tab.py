"""The Evaluate tab's helpers: which gold cases to run, progress messages, the run's result as a dict."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolkit_assistant.evals.cases import CATEGORIES, GOLD_CASES

CASE_CATEGORIES = [c for c in CATEGORIES if c != "poisoned"]  # poisoned cases need the hostile index


def gold_case_index(path: Path = GOLD_CASES) -> tuple[list[str], list[str]]:
    """(categories, ids) of the gold cases, read straight from the JSONL file (empty if missing)."""
    cats: dict[str, None] = {}
    ids: list[str] = []
    if not path.is_file():
        return [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            if rec.get("category"):
                cats.setdefault(str(rec["category"]), None)
            if rec.get("id"):
                ids.append(str(rec["id"]))
    return list(cats), ids


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def select_cases(cases: list[Any], categories: Sequence[str], ids: Sequence[str]) -> list[Any]:
    """The cases of the given categories and/or ids (all cases when both are empty)."""
    if not categories and not ids:
        return list(cases)
    return [c for c in cases if str(_field(c, "category", "")) in categories or str(_field(c, "id", "")) in ids]


def progress_fraction(message: str) -> float | None:
    """The share of work done that a progress message such as 'answered 25/212 cases' names (scoring: 0.95)."""
    m = re.search(r"(\d+)\s*/\s*(\d+)", message)
    if m and int(m.group(2)):
        return min(1.0, int(m.group(1)) / int(m.group(2))) * 0.9
    return 0.95 if "scor" in message.lower() else None


def progress_adapter(progress: Any) -> Callable[[str], None]:
    """A run_eval progress callback (one message a call) that moves a gr.Progress bar."""

    def update(message: str) -> None:
        try:
            progress(progress_fraction(str(message)), desc=str(message))
        except Exception:  # noqa: BLE001 - progress display must never break a run
            pass

    return update


def result_data(result: Any, folder: Path) -> dict[str, Any]:
    """The eval result as a dict: results.json when written, else the result's own to_dict()."""
    path = folder / "results.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except (OSError, json.JSONDecodeError):
            pass
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    return {"metrics": _field(result, "metrics", {}), "failures": _field(result, "failures", [])}

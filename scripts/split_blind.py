"""Split the blind question sets (written by helpers who saw only corpus/) into dev and holdout.

The split is fixed by each case's id (SHA-1), so it never depends on how the assistant does on a case.
Tuners may read evals/blind/dev.jsonl; evals/blind/holdout.jsonl is only ever scored, never read.

    python scripts/split_blind.py RAW.jsonl... --out evals/blind
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path


def main() -> None:
    """Read the raw files, write dev.jsonl and holdout.jsonl."""
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("evals/blind"))
    ap.add_argument("--dev-only", nargs="*", type=Path, default=[],
                    help="Files whose cases all go to dev (a set written later, to tune on without the holdout).")
    args = ap.parse_args()
    splits: dict[str, list[dict]] = {"dev": [], "holdout": []}
    for path in [*args.raw, *args.dev_only]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            digest = int(hashlib.sha1(case["id"].encode()).hexdigest(), 16)
            name = "holdout" if digest % 2 and path not in args.dev_only else "dev"
            case["split"] = f"blind-{name}"
            splits[name].append(case)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, cases in splits.items():
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for case in cases:
                fh.write(json.dumps(case, ensure_ascii=False) + "\n")
        print(name, len(cases))


if __name__ == "__main__":
    main()

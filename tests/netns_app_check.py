"""Run inside a network namespace: start the app, ask one question through its API, print the result."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_ui import start_app, stop_app  # noqa: E402


def main() -> int:
    """Start, ask, stop."""
    from gradio_client import Client

    proc, url = start_app(Path(sys.argv[1]), Path(sys.argv[2]))
    try:
        answer = Client(url, verbose=False).predict("What share of judges use ChatGPT or similar tools for work?", api_name="/ask")
        print("ANSWERED 44%" if "44%" in answer["answer"] else f"WRONG {answer['answer'][:200]}")
    finally:
        stop_app(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

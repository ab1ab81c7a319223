"""`import gradio` for `serve`, without two costs of its import that the app never uses.

Measured on 2 shared cores (`python -X importtime -c "import gradio"`, gradio 6.31.0): the import takes 3.7 to
6 s, and two parts of it do nothing for a served app:

* Every component class Gradio defines (about 60, and each template class) re-reads its own source file,
  parses it with `ast` and compares it with a `.pyi` stub beside it (`gradio.component_meta.create_or_modify_pyi`,
  called from `ComponentMeta.__new__`): type stubs for editors, regenerated at each import. About 40% of the
  import. Here that function is replaced by a no-op as soon as its module has run, before any component class
  is made; nothing else in Gradio reads the stubs.
* `gradio.mcp` imports the `mcp` package when it is installed (the project's `[integrations]` and `[test]` extras
  install it) to define its MCP server class; about 1 s. The app launches with `mcp_server=False`, and Gradio
  guards that import with `except ImportError`, so `mcp` is hidden while Gradio is imported and visible again
  afterwards (`toolkit-assistant mcp` and the MCP tests import it as before).

Both are checked for: when a later Gradio has no such function, or `mcp` is already imported, the import is
plain. tests/test_startup.py checks that the app still builds and that `mcp` imports afterwards.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

STUB_WRITER_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def _no_stub(*args: Any, **kwargs: Any) -> None:
    """Stands in for Gradio's .pyi stub writer (see the module docstring)."""


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    """Finds gradio.component_meta as usual and, once it has run, swaps its stub writer for a no-op."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != STUB_WRITER_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if callable(getattr(module, STUB_WRITER, None)):
                setattr(module, STUB_WRITER, _no_stub)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def import_gradio() -> ModuleType:
    """The gradio module, imported without regenerating its type stubs or loading `mcp` (when not yet imported)."""
    if "gradio" in sys.modules:
        return sys.modules["gradio"]
    finder = _SkipStubWriter()
    sys.meta_path.insert(0, finder)
    hide_mcp = "mcp" not in sys.modules
    if hide_mcp:
        sys.modules["mcp"] = None  # type: ignore[assignment]  # `import mcp` raises ImportError meanwhile
    try:
        import gradio
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        if hide_mcp and "mcp" in sys.modules and sys.modules["mcp"] is None:
            del sys.modules["mcp"]
    return gradio

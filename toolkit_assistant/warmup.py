"""The Assistant opened in a background thread, so that the app serves its first page before the index loads.

`serve` starts Gradio first and opens the index and the embedding models here, in a thread (and, on a first
run, builds the index: the English one first, then the multilingual one). Whatever needs the Assistant calls
`get()`, which waits for it; `status()` says what is happening meanwhile, for /healthz and the app's notice.

    warmup = Warmup(lambda say: iter([Assistant.from_settings(settings)])).start()
    warmup.get().ask("...")        # blocks until the first Assistant is open
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from toolkit_assistant.errors import ToolkitError

if TYPE_CHECKING:
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.types import Answer

State = Literal["starting", "ready", "failed"]
# steps(say) yields Assistants: the first makes the warm-up ready, each later one replaces it (say reports progress)
Steps = Callable[[Callable[[str], None]], Iterator["Assistant"]]


class WarmupTimeout(ToolkitError):
    """The index and models were not open within the time a caller was willing to wait."""


class Warmup:
    """An Assistant that is being opened in a background thread; `get()` waits for it."""

    def __init__(self, steps: Steps, *, name: str = "warm-up") -> None:
        """Open the Assistant with `steps` once `start()` is called."""
        self._steps = steps
        self._name = name
        self._lock = threading.Lock()
        self._first = threading.Event()  # set when the first Assistant is open, or the opening failed
        self._done = threading.Event()  # set when the steps have ended (every index built and open)
        self._assistant: Assistant | None = None
        self._error: BaseException | None = None
        self._message = "loading the index and the models"
        self._thread: threading.Thread | None = None

    @classmethod
    def of(cls, assistant: Assistant) -> Warmup:
        """A warm-up that is already over: `get()` returns this Assistant at once."""
        w = cls(lambda say: iter([assistant]))
        w._assistant = assistant
        w._message = ""
        w._first.set()
        w._done.set()
        return w

    def start(self) -> Warmup:
        """Run the steps in a daemon thread (once); returns self."""
        with self._lock:
            if self._thread is None and not self._done.is_set():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return self

    def _say(self, message: str) -> None:
        with self._lock:
            self._message = message.strip()

    def _run(self) -> None:
        try:
            for assistant in self._steps(self._say):
                with self._lock:
                    self._assistant = assistant
                    self._message = ""  # a later step says what it does next, if anything
                self._first.set()
            self._say("")
        except BaseException as exc:  # noqa: BLE001 - kept and raised in the threads that wait for the Assistant
            with self._lock:
                if self._assistant is None:
                    self._error = exc
                else:  # a later step (the multilingual index) failed: the Assistant open so far goes on answering
                    self._message = f"the multilingual index could not be built ({exc})"
            self._first.set()
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        """Whether an Assistant is open (questions are answered without waiting)."""
        return self._assistant is not None

    @property
    def finished(self) -> bool:
        """Whether every step is over (nothing is left to build or open)."""
        return self._done.is_set()

    def status(self) -> tuple[State, str]:
        """("starting" | "ready" | "failed", what is happening: '' when nothing is left to do)."""
        with self._lock:
            if self._assistant is not None:
                return "ready", self._message
            if self._error is not None:
                return "failed", _reason(self._error)
            return "starting", self._message

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the first Assistant is open or the opening failed; whether that happened in time."""
        self.start()
        return self._first.wait(timeout)

    def wait_all(self, timeout: float | None = None) -> bool:
        """Wait until every step is over (on a first run: the multilingual index built too)."""
        self.start()
        return self._done.wait(timeout)

    def get(self, timeout: float | None = None) -> Assistant:
        """The open Assistant, waiting for it (starts the warm-up if nobody did).

        Raises:
            WarmupTimeout: not open within `timeout` seconds.
            ToolkitError: the index could not be opened or built (the error the opening raised).
        """
        if not self.wait(timeout):
            raise WarmupTimeout(f"The index and the models are still loading ({self._message}); try again shortly")
        with self._lock:
            assistant, error = self._assistant, self._error
        if assistant is not None:
            return assistant
        if isinstance(error, ToolkitError):
            raise error
        raise ToolkitError(f"The index could not be opened: {_reason(error)}") from error

    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        """Assistant.ask, once the Assistant is open."""
        return self.get().ask(*args, **kwargs)


def _reason(exc: BaseException | None) -> str:
    return (str(exc) or type(exc).__name__) if exc is not None else ""

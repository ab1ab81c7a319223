"""Child processes of the benchmark: how to start the CLI, wall time and peak RSS, stopping, environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class ProcResult:
    """A finished child process: exit code, output, wall seconds and peak RSS."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool = False
    cpu_s: float = 0.0  # user + system CPU seconds of the child (all its threads): steadier than wall time under load


def cli_command() -> list[str]:
    """How to start the toolkit-assistant CLI from this interpreter."""
    script = Path(sys.executable).parent / "toolkit-assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "toolkit_assistant"]


def run_process(args: list[str], env: dict[str, str], timeout_s: float, cwd: Path) -> ProcResult:
    """Run a child to completion: wall time from spawn to exit, and its own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcResult(
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            peak_rss_mb=usage.ru_maxrss / 1024.0,  # KiB on Linux
            timed_out=fired.is_set(),
            cpu_s=usage.ru_utime + usage.ru_stime,
        )


def tail(text: str, n: int = 400) -> str:
    """The last n characters of a child's output, for error messages."""
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vm_hwm_mb(pid: int) -> float | None:
    """Peak RSS of a running process from /proc (None when unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server we started (and its own process group), SIGKILL after 10 s; reap it."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pid, _, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return
        time.sleep(0.1)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.wait4(proc.pid, 0)


def exit_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit, so children are stopped and temp folders removed; the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def child_env(index_dir: Path, corpus: Path, state: Path) -> dict[str, str]:
    """Environment for CLI children: the bench's index, embedded Chroma, extractive, no query log, offline."""
    from toolkit_assistant.config import OFFLINE_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_CHROMA_URL", "TOOLKIT_QUERY_LOG")}
    env.update(OFFLINE_ENV)
    env.update(TOOLKIT_INDEX_DIR=str(index_dir), TOOLKIT_CORPUS_DIR=str(corpus), TOOLKIT_BACKEND="extractive",
               GRADIO_TEMP_DIR=str(state / "gradio-tmp"), HF_HUB_DISABLE_PROGRESS_BARS="1")
    return env

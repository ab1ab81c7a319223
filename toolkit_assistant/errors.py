"""The project's exceptions: each says what went wrong and what to do about it."""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(ToolkitError):
    """A setting has a value that cannot work."""


class InputError(ToolkitError):
    """A question or other user input was rejected (empty, too long, control characters)."""


class IndexNotBuiltError(ToolkitError):
    """No index exists yet where the settings point."""

    def __init__(self, where: str) -> None:
        """Name the index location and the command that builds it."""
        super().__init__(
            f"No index found at {where}. Build one first with: toolkit-assistant ingest"
        )


class IndexMismatchError(ToolkitError):
    """The index was built with a different embedding model than the one configured."""


class IngestLockedError(ToolkitError):
    """Another ingest holds the index lock."""


class BackendUnavailable(ToolkitError):
    """An answer backend cannot be used: its extra is missing or its server does not answer."""


class DocumentError(ToolkitError):
    """A file could not be read as a document; the message names the file and the reason."""


class IndexDamagedError(ToolkitError):
    """The index is damaged and no earlier complete generation can answer; the message names the fix."""


class IndexServerDown(ConfigError):
    """The Chroma server holding the index does not answer (after a few quick retries)."""

    def __init__(self, url: str) -> None:
        """Name the server and what to do."""
        self.url = url
        super().__init__(
            f"The index server at {url} does not answer. Start it again (chroma run --path DIR --host 127.0.0.1 "
            "--port P) or check TOOLKIT_CHROMA_URL; nothing was changed"
        )


class DiskFullError(ToolkitError):
    """Ingest ran out of disk space; the partial generation was removed and the previous index stays current."""

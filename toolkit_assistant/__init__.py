"""toolkit-assistant: cited, verified answers from UNESCO's materials on AI and the rule of law."""

from toolkit_assistant.errors import (
    BackendUnavailable,
    ConfigError,
    DocumentError,
    IndexNotBuiltError,
    InputError,
    ToolkitError,
)
from toolkit_assistant.types import Answer, Chunk, Citation, Hit, Verification

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "BackendUnavailable",
    "Chunk",
    "Citation",
    "ConfigError",
    "DocumentError",
    "Hit",
    "IndexNotBuiltError",
    "InputError",
    "ToolkitError",
    "Verification",
    "__version__",
]

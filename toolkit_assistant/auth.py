"""Login pairs from TOOLKIT_AUTH, shared by the app, the OpenAI-compatible routes and the MCP server."""

from __future__ import annotations

from pathlib import Path


def parse_auth(spec: str | None) -> list[tuple[str, str]] | None:
    """Login pairs from 'user:pass,user2:pass2' or from a file with one user:pass a line.

    Raises:
        ConfigError: the setting is present but holds no valid user:pass pair.
    """
    from toolkit_assistant.errors import ConfigError

    if not spec or not spec.strip():
        return None
    spec = spec.strip()
    path = Path(spec).expanduser()
    if ":" not in spec or path.is_file():
        if not path.is_file():
            raise ConfigError(f"TOOLKIT_AUTH: {spec!r} is neither user:pass pairs nor a readable file")
        entries = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    else:
        entries = [e.strip() for e in spec.split(",")]
    pairs = []
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError("TOOLKIT_AUTH: each entry must be user:password (one that is not was found)")
        pairs.append((user.strip(), password))
    if not pairs:
        raise ConfigError("TOOLKIT_AUTH is set but holds no user:password pair")
    return pairs

"""python -m toolkit_assistant."""

from toolkit_assistant.cli import main

main()

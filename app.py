"""Start the toolkit-assistant web app (as `toolkit-assistant serve` does)."""

from toolkit_assistant.config import load_settings
from toolkit_assistant.ui import launch

if __name__ == "__main__":
    launch(load_settings())

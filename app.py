"""Start the toolkit-assistant web app (as `toolkit-assistant serve` does)."""

from toolkit_assistant.app.launch import launch
from toolkit_assistant.config import load_settings

if __name__ == "__main__":
    launch(load_settings())

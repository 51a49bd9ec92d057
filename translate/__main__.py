"""`python -m translate ...` and the `legacy-translate` command: see translate/translate.py."""

import os


def run() -> None:
    """Parses the flags and runs translate.translate.main (exits with its status)."""
    # Keep TensorFlow's C++ start-up chatter (INFO lines) off the terminal unless asked for.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    from absl import app

    from translate import translate

    app.run(translate.main)


if __name__ == "__main__":
    run()

"""`python -m translate ...` and the `legacy-translate` command: see translate/translate.py."""

import sys

from translate import runtime_env


def run() -> None:
    """Parses the flags and runs translate.translate.main (exits with its status)."""
    runtime_env.configure(sys.argv)
    from absl import app, flags

    from translate import translate

    # --helpshort lists the key flags of the main module: make those of translate.py ours.
    flags.adopt_module_key_flags(translate)
    app.run(translate.main)


if __name__ == "__main__":
    run()

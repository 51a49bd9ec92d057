"""`python -m translate ...` and the `legacy-translate` command: see translate/translate.py."""

import sys

from translate import runtime_env


def run() -> None:
    """Parses the flags and runs translate.translate.main (exits with its status)."""
    from translate.infer import runtime

    if runtime.wants_exported_model(sys.argv):
        # No TensorFlow: an exported model runs with its runtime alone.
        sys.exit(runtime.main(sys.argv[1:]))
    runtime_env.configure(sys.argv)
    from absl import app, flags

    from translate import translate

    # --helpshort lists the key flags of the main module: make those of translate.py ours.
    flags.adopt_module_key_flags(translate)
    app.run(translate.main)


if __name__ == "__main__":
    run()

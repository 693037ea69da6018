"""``python -m looplens`` is the ``looplens`` command."""

from looplens.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module as its main
    raise SystemExit(main())

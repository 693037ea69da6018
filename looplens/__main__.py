"""``python -m looplens`` is the ``looplens`` command."""

from looplens.cli import main

raise SystemExit(main())

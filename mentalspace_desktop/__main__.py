"""``python -m mentalspace_desktop``: the same as the ``mentalspace`` command."""

from mentalspace_desktop.cli import main

raise SystemExit(main())

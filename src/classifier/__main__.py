"""Allow ``python -m classifier``."""

from classifier.cli import main

raise SystemExit(main())

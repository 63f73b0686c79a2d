"""``python -m fastspike``: the ``fastspike`` command (``info``, ``bench``)."""
import sys

from .cli import main

sys.exit(main())

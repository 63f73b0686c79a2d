"""How a run ends when the process is asked to stop.

Ctrl-C (SIGINT) and SIGTERM (SLURM time limits, ``scancel``, ``kill``, container stops) are
deferred while compiled code runs: the current chunk of steps finishes (a fraction of a
second), the records are drained and an output file is flushed and marked interrupted; then
``KeyboardInterrupt`` or :class:`Terminated` is raised. Uncaught, :class:`Terminated` ends the
process quietly with exit status 143 (128 + SIGTERM), as the shell reports a process
terminated by SIGTERM.
"""
from __future__ import annotations

import signal

__all__ = ["Terminated"]


class Terminated(SystemExit):
    """The process received SIGTERM during ``run()``; the run stopped after the current chunk,
    with its records (and output file) consistent. A ``SystemExit`` with code 143: not caught by
    ``except Exception``; uncaught, it ends the process without a traceback."""

    signal_name = "SIGTERM"

    def __init__(self) -> None:
        super().__init__(128 + int(getattr(signal, "SIGTERM", 15)))

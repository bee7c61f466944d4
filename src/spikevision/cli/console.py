"""Shared console entry for the command-line tools: our errors print as one line, exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from spikevision.errors import SpikevisionError


def console_main(run: Callable[[Sequence[str] | None], Any], argv: Sequence[str] | None = None,
                 expected: tuple[type[BaseException], ...] = ()) -> None:
    """Call ``run(argv)``; a :class:`SpikevisionError` (or one of ``expected``) becomes
    ``error: <message>`` on stderr and ``SystemExit(2)`` instead of a traceback."""
    try:
        run(argv)
    except (SpikevisionError, *expected) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None

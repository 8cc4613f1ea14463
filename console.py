"""What every ``yocr`` command shares: the stderr console and how a command fails."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, soft_wrap=True)  # no wrapping: messages name files and get grepped


def fail(exc: Exception, code: int = 2) -> None:
    """Print ``exc`` as an error and exit with ``code`` (2: bad usage or input)."""
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)  # names may hold [brackets]
    raise typer.Exit(code)

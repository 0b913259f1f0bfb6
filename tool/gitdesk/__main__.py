"""Entry point for `python -m gitdesk`."""

from gitdesk.cli import run

run()

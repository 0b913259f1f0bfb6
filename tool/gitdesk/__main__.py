"""Entry point for `python -m gitdesk`."""

from gitdesk.cli import main

main()

"""The `gitdesk` command line (click): thin commands over the tracker."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

from gitdesk import __version__
from gitdesk.cli.context import Context, fail
from gitdesk.errors import GitdeskError, UsageError


class Group(click.Group):
    """Turns GitdeskError into a message and exit code 1 (2 for usage), once, here."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as err:
            click.echo(f"gitdesk: {err}", err=True)
            ctx.exit(2)
        except GitdeskError as err:
            fail(str(err))
            ctx.exit(1)
        except BrokenPipeError:  # `gitdesk list | head`
            sys.stderr.close()
            ctx.exit(0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)  # by topic, as --help lists them

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Import a command's module only when it runs (or --help lists it): quick start-up."""
        where = COMMANDS.get(name)
        if where is None:
            return None
        return getattr(importlib.import_module(f"gitdesk.cli.{where[0]}"), where[1])  # type: ignore[no-any-return]


# name -> (module in gitdesk.cli, attribute), in the order --help lists them.
COMMANDS = {
    "init": ("setup", "init"),
    "new": ("write", "new"),
    "show": ("read", "show"),
    "list": ("read", "list_"),
    "move": ("write", "move"),
    "assign": ("write", "assign"),
    "comment": ("write", "comment"),
    "escalate": ("write", "escalate"),
    "feedback": ("write", "feedback"),
    "validate": ("setup", "validate"),
    "fmt": ("setup", "fmt"),
    "renumber": ("setup", "renumber"),
    "sla": ("sla", "sla"),
    "escalations": ("escalations", "escalations"),
}


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-C",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Run as if started in DIR.",
)
@click.version_option(__version__, prog_name="gitdesk")
@click.pass_context
def main(ctx: click.Context, directory: str | None) -> None:
    """A helpdesk that lives in a Git repository.

    Tickets are Markdown files with YAML front matter under tickets/.
    GITDESK_NOW sets the clock (ISO 8601) and GITDESK_USER the actor.

    \b
    Examples:
      gitdesk new --title "Printer jams on floor 3" --type incident --priority P3
      gitdesk list --assignee sari --sort priority
      gitdesk move T-42 resolved --resolution fixed --note "Replaced the fuser"
      gitdesk validate --base origin/main
    """
    if directory:
        try:
            os.chdir(directory)
        except OSError as err:
            raise click.BadParameter(f"cannot enter {directory}: {err.strerror}", param_hint="-C") from None
    ctx.obj = Context()


def run() -> None:
    """The `gitdesk` console script (and `python -m gitdesk`): one command, then out at once.

    After a bulk command, hundreds of thousands of objects are alive; the
    interpreter's clean-up would free them one by one and walk them once more
    for cycles (8-10% of a warm `sla --json` at 10k tickets, in two A/B
    runs). Nothing needs that clean-up: output is flushed here, locks go with
    the process and nothing registers exit handlers. So bulk commands leave
    the cycle collector paused (see context.bulk) and the process ends with
    os._exit.
    """
    from gitdesk.cli import context

    context.ONE_SHOT = True
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what the interpreter does with sys.exit("message")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a closed pipe (`| head`) or stream
            stream.flush()
    os._exit(code or 0)

"""Commands that change tickets: new, move, assign, comment, escalate, feedback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from gitdesk.cli.context import Context, interactive, note, pass_ctx
from gitdesk.errors import UsageError

if TYPE_CHECKING:
    from gitdesk.actions import Edit
    from gitdesk.ticket import Ticket


def _report(ticket: Ticket, path: str, what: str) -> None:
    click.echo(f"{ticket.id}: {what}")
    note(f"updated {path}")


@click.command()
@click.option("--title", help="One line saying what is wrong or wanted.")
@click.option("--type", "type_", metavar="TYPE", help="A type from tickets/config.yml (incident, ...).")
@click.option("--priority", help="P1 (critical) .. P4 (low), as configured.")
@click.option("--requester", help="Who asked (default: you).")
@click.option("--assignee", help="The owner (default: from routing).")
@click.option("--team", help="The team (default: from routing).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@click.option("--body", help="The description (default: the type's template).")
@click.option(
    "--body-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the description from a file (- for stdin).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any other field, e.g. --set location=HQ-3F.",
)
@click.option(
    "--branch",
    is_flag=True,
    help="Create and switch to branch ticket/<ID>-<slug> for a pull request.",
)
@click.option("--commit", is_flag=True, help="Commit the new file.")
@pass_ctx
def new(ctx: Context, title: str | None, type_: str | None, priority: str | None, requester: str | None,
        assignee: str | None, team: str | None, tags: tuple[str, ...], body: str | None,
        body_file: TextIO | None, sets: tuple[str, ...], branch: bool, commit: bool) -> None:  # fmt: skip
    """Create a ticket from its type's template, routed to a team; print its ID.

    Missing required fields are asked for on a terminal; elsewhere they are an
    error. The ID is 1 + the highest ID in the working tree and on every local
    and remote-tracking branch.

    \b
    Example:
      gitdesk new --title "VPN drops every hour" --type incident --priority P2 \\
          --tag vpn --tag network --body "Since Monday, on office Wi-Fi." --branch --commit
    """
    from gitdesk.cli.creating import create

    given = {"title": title, "type": type_, "priority": priority, "requester": requester,
             "assignee": assignee, "team": team, "tags": list(tags)}  # fmt: skip
    for item in sets:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"--set {item}: write KEY=VALUE, e.g. --set location=HQ-3F")
        given[key.strip()] = value
    text = body_file.read() if body_file else body
    ticket_id, path = create(ctx, {k: v for k, v in given.items() if v}, text, interactive())
    click.echo(ticket_id)
    note(f"created {path.relative_to(ctx.tracker.root).as_posix()}")
    if branch or commit:
        _git_steps(ctx, ticket_id, path, branch, commit)


def _git_steps(ctx: Context, ticket_id: str, path: Path, branch: bool, commit: bool) -> None:
    from gitdesk import git

    if branch:
        name = f"ticket/{path.stem}"
        git.switch_new_branch(ctx.tracker.root, name)
        note(f"switched to a new branch {name}")
    if commit:
        short = git.commit(ctx.tracker.root, [path], f"{ticket_id}: new ticket")
        note(f"committed {short}")


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.argument("status")
@click.option("--note", "text", help="Why, for the timeline (public).")
@click.option(
    "--resolution",
    help="How it ended, for a move to a done status: fixed, workaround, duplicate, ...",
)
@pass_ctx
def move(ctx: Context, ticket_id: str, status: str, text: str | None, resolution: str | None) -> None:
    """Move a ticket to another status along an allowed transition.

    A move from a done status back to an open one is recorded as a reopen. An
    illegal move changes nothing and names the allowed targets.

    \b
    Examples:
      gitdesk move T-42 in-progress
      gitdesk move T-42 resolved --resolution fixed --note "Replaced the access point"
      gitdesk move T-42 in-progress --note "Still dropping"     # reopen
    """
    from gitdesk import actions

    tracker = ctx.tracker

    def verb(t: Ticket) -> Edit:
        return actions.move(t, status, tracker.config, ctx.actor, ctx.now, text, resolution)

    ticket, path = tracker.change(ticket_id, verb)
    _report(ticket, path, f"{ticket.history[-1].from_} -> {ticket.status}")


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.argument("who")
@pass_ctx
def assign(ctx: Context, ticket_id: str, who: str) -> None:
    """Give a ticket to one owner (a handle from people in tickets/config.yml).

    \b
    Example:
      gitdesk assign T-42 agus
    """
    from gitdesk import actions

    ticket, path = ctx.tracker.change(
        ticket_id, lambda t: actions.assign(t, who, ctx.tracker.config, ctx.actor, ctx.now)
    )
    _report(ticket, path, f"assigned to {ticket.assignee}")


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.argument("text", required=False)
@click.option("--internal", is_flag=True, help="A note for the team; never published.")
@click.option("--reply", "reply", metavar="NAME", help="Start from the canned reply kb/replies/NAME.md.")
@pass_ctx
def comment(ctx: Context, ticket_id: str, text: str | None, internal: bool, reply: str | None) -> None:
    """Add a public reply or an internal note to a ticket's history.

    With --reply, the canned reply is filled with the ticket's fields
    ({id}, {title}, {requester}, {agent}, ...) and TEXT, if any, is added below.

    \b
    Examples:
      gitdesk comment T-42 "Please try the new VPN profile and tell us."
      gitdesk comment T-42 "RADIUS shows idle timeouts" --internal
      gitdesk comment T-42 --reply password-reset
    """
    if not text and not reply:
        raise UsageError("give the comment TEXT, or --reply NAME for a canned reply")
    from gitdesk import actions

    tracker = ctx.tracker
    template = tracker.reply(reply) if reply else None

    def verb(t: Ticket) -> Edit:
        parts = [actions.fill_reply(template, t, tracker.config, ctx.actor)] if template else []
        return actions.comment(
            t, "\n\n".join([*parts, *([text] if text else [])]), internal, ctx.actor, ctx.now
        )

    ticket, path = tracker.change(ticket_id, verb)
    _report(ticket, path, f"{'internal note' if internal else 'public comment'} added")


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.option("--to", "level", type=click.Choice(["L2", "L3"]), help="The level (default: one up).")
@click.option("--reason", help="Why it needs a higher level.")
@pass_ctx
def escalate(ctx: Context, ticket_id: str, level: str | None, reason: str | None) -> None:
    """Escalate a ticket to the next support level (L1 -> L2 -> L3).

    \b
    Example:
      gitdesk escalate T-42 --reason "Needs a firmware change on the controller"
    """
    from gitdesk import actions

    ticket, path = ctx.tracker.change(
        ticket_id, lambda t: actions.escalate(t, ctx.actor, ctx.now, level, reason)
    )
    _report(ticket, path, f"escalated to {ticket.level}")


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.argument("rating", type=click.IntRange(1, 5))
@click.option("--comment", "text", help="What the requester said.")
@pass_ctx
def feedback(ctx: Context, ticket_id: str, rating: int, text: str | None) -> None:
    """Record the requester's satisfaction (CSAT, 1-5) on a resolved ticket.

    \b
    Example:
      gitdesk feedback T-42 5 --comment "Fixed within the hour, thanks"
    """
    from gitdesk import actions

    ticket, path = ctx.tracker.change(
        ticket_id,
        lambda t: actions.feedback(t, rating, text, ctx.tracker.config, ctx.actor, ctx.now),
    )
    _report(ticket, path, f"feedback {rating}/5 recorded")

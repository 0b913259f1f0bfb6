"""Commands that read tickets: show and list."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from gitdesk.cli.context import Context, bulk, emit_json, left_out, pass_ctx, write_array
from gitdesk.query import SORT_KEYS

if TYPE_CHECKING:
    from gitdesk.query import Filter
    from gitdesk.ticket import Event, Ticket


def _when(event: Event) -> str:
    from gitdesk.ticket import format_time

    return format_time(event.at)[:-4].replace("T", " ") + "Z"


def _line(event: Event) -> str:
    what = {
        "created": "created the ticket",
        "transition": f"{event.from_} -> {event.to}" + (f" ({event.resolution})" if event.resolution else ""),
        "reopen": f"reopened: {event.from_} -> {event.to}",
        "assign": f"assigned to {event.to}",
        "comment": f"{event.visibility} comment",
        "escalate": f"escalated {event.from_ or ''} -> {event.to}".replace("  ", " "),
        "feedback": f"feedback {event.rating}/5",
    }.get(event.kind, event.kind)
    detail = event.text or event.note or event.reason
    if detail:
        lines = detail.strip().split("\n")
        indented = "\n".join([lines[0], *((" " * 36 + line).rstrip() for line in lines[1:])])
        what = f"{what}: {indented}"
    return f"  {_when(event)}  {event.by:<12}  {what}"


@click.command()
@click.argument("ticket_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields, body, history).")
@pass_ctx
def show(ctx: Context, ticket_id: str, as_json: bool) -> None:
    """Show one ticket: fields, description and history.

    \b
    Examples:
      gitdesk show T-42
      gitdesk show T-42 --json | jq .history
    """
    from gitdesk.ticket import as_dict, format_time

    tracker = ctx.tracker
    t = tracker.get(ticket_id)
    category = tracker.config.workflow.category(t.status)
    if as_json:
        emit_json({**as_dict(t, category), "body": t.body, "history": [e.to_mapping() for e in t.history]})
        return
    click.echo(click.style(f"{t.id}  {t.title}", bold=True))
    rows = [
        ("status", f"{t.status} ({category})" + (f", {t.resolution}" if t.resolution else "")),
        ("priority", t.priority), ("type", t.type), ("level", t.level),
        ("requester", t.requester), ("assignee", t.assignee or "-"), ("team", t.team or "-"),
        ("tags", ", ".join(t.tags) or "-"), ("created", format_time(t.created) if t.created else "-"),
        *((k, v) for k, v in t.extra), ("file", t.path),
    ]  # fmt: skip
    if t.rating:
        rows.append(("rating", f"{t.rating}/5"))
    for key, value in rows:
        click.echo(f"{key + ':':<11}{value}")
    if t.body.strip():
        click.echo("\n" + t.body.strip())
    click.echo("\nHistory")
    for event in t.history:
        click.echo(_line(event))


LIST_COLUMNS = ("id", "status", "priority", "type", "assignee", "team", "created", "title")


FILTERS = ("status", "category", "priority", "type_", "team", "assignee", "tag", "text", "include_done")


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The ticket filters shared by `list` and `sla`."""
    options = [
        click.option("--status", multiple=True, help="Only this status (repeatable)."),
        click.option("--category", multiple=True, type=click.Choice(["open", "paused", "done"]),
                     help="Only this status category."),
        click.option("--priority", multiple=True, help="Only this priority (repeatable)."),
        click.option("--type", "type_", multiple=True, help="Only this type (repeatable)."),
        click.option("--team", multiple=True, help="Only this team (repeatable)."),
        click.option("--assignee", multiple=True, help="Only this owner; 'none' for unassigned."),
        click.option("--tag", multiple=True, help="Only tickets with any of these tags."),
        click.option("--text", help="Only tickets whose ID, title, tags or body hold every word."),
        click.option("--all", "include_done", is_flag=True, help="Include done tickets (resolved, ...)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def make_filter(values: dict[str, Any]) -> Filter:
    from gitdesk.query import Filter

    return Filter(*(values.pop(name) for name in FILTERS))


@click.command("list")
@filter_options
@click.option("--sort", type=click.Choice(SORT_KEYS), default="id", show_default=True)
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for a spreadsheet).")
@pass_ctx
@bulk
def list_(ctx: Context, /, sort: str, reverse: bool, limit: int | None, as_json: bool, as_csv: bool,
          **filters: Any) -> None:  # fmt: skip
    """List tickets: open ones by default, filtered and sorted.

    \b
    Examples:
      gitdesk list                                  # the open queue
      gitdesk list --assignee sari --sort priority
      gitdesk list --all --type incident --tag vpn --json
      gitdesk list --all --csv > tickets.csv
    """
    from gitdesk.query import select
    from gitdesk.ticket import as_dict

    tracker = ctx.tracker
    where = make_filter(filters)
    tickets = tracker.tickets()
    if where.words:  # text search needs the bodies, which bulk reads leave on disk
        tickets = tracker.full(select(tickets, tracker.config, replace(where, text=None)))
    chosen = select(tickets, tracker.config, where, sort, reverse, limit)
    wf = tracker.config.workflow
    if as_json and not sys.stdout.isatty():  # compact, each ticket's JSON kept in the cache
        write_array(tracker.views(chosen))
    elif as_json:
        emit_json([as_dict(t, wf.category(t.status)) for t in chosen])
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow([*LIST_COLUMNS, "tags", "level"])
        for t in chosen:
            writer.writerow([*_cells(t), " ".join(t.tags), t.level])
    else:
        _table(chosen)
    left_out(tracker)


def _cells(t: Ticket) -> list[str]:
    created = t.created.strftime("%Y-%m-%d") if t.created else ""
    return [t.id, t.status, t.priority, t.type, t.assignee or "-", t.team or "-", created, t.title]


def _table(tickets: list[Ticket]) -> None:
    if not tickets:
        click.echo("no tickets match", err=True)
        return
    rows = [_cells(t) for t in tickets]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(LIST_COLUMNS[:-1])]
    header = "  ".join(c.upper().ljust(w) for c, w in zip(LIST_COLUMNS, widths, strict=False)) + "  TITLE"
    click.echo(header)
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])

"""`gitdesk sla`: the SLA clocks of the queue, most urgent first."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from gitdesk.cli.context import Context, bulk, emit_json, left_out, note, pass_ctx, write_array
from gitdesk.cli.read import filter_options, make_filter

if TYPE_CHECKING:
    from gitdesk.sla import Clock, Sla


def span(delta: timedelta) -> str:
    """A business-time span in hours and minutes (27h, 1h 5m, 45m): a business day is not 24 h."""
    hours, mins = divmod(int(abs(delta).total_seconds() // 60), 60)
    return " ".join([f"{hours}h"] * bool(hours) + [f"{mins}m"] * bool(mins)) or "0m"


def describe(c: Clock) -> str:
    if c.state in ("met", "missed"):
        return f"{c.state} ({span(c.used)} of {span(c.target)})"
    if c.state == "paused":
        return f"paused ({span(c.left)} left)"
    if c.state == "breached":
        return f"BREACHED {span(-c.left)} over"
    due = f", due {c.due:%m-%d %H:%MZ}" if c.due else ""
    return f"{c.state.upper() if c.state == 'warning' else c.state} {span(c.left)} left{due}"


@click.command("sla")
@filter_options
@click.option(
    "--fail-on", type=click.Choice(["warning", "breach"]), help="Exit 1 if any clock is at or past this."
)
@click.option("--json", "json_out", is_flag=True, help="Print JSON.")
@pass_ctx
@bulk
def sla(ctx: Context, /, fail_on: str | None, json_out: bool, **filters: Any) -> None:
    """Show the SLA clocks (first response, resolution) of open tickets, most urgent first.

    Clocks count business time in each policy's calendar and stand still while
    a ticket waits on its requester. GITDESK_NOW sets the moment.

    \b
    Examples:
      gitdesk sla
      gitdesk sla --team it-helpdesk --priority P1 --priority P2
      gitdesk sla --json --fail-on breach      # in a scheduled job
    """
    from gitdesk.query import select
    from gitdesk.sla import as_dict

    tracker, where = ctx.tracker, make_filter(filters)
    if json_out and not sys.stdout.isatty():  # compact, straight from the cache (see Tracker.sla_lines)
        lines = tracker.sla_lines(where, ctx.now)
        write_array(line.json for line in lines)
        worst = [(line.id, line.worst) for line in lines]
    else:
        report = tracker.sla(select(tracker.tickets(for_sla=True), tracker.config, where), ctx.now)
        if json_out:
            emit_json([as_dict(s) for s in report])
        else:
            _table(report)
        worst = [(s.ticket.id, s.worst) for s in report]
    left_out(tracker)
    bad = {"warning": ("warning", "breached"), "breach": ("breached",)}.get(fail_on or "", ())
    hits = [ticket_id for ticket_id, state in worst if state in bad]
    if hits:
        note(f"{len(hits)} ticket(s) at or past {fail_on}: {', '.join(hits)}")
        click.get_current_context().exit(1)


def _table(report: list[Sla]) -> None:
    if not report:
        note("no tickets match")
        return
    rows = [[s.ticket.id, s.ticket.priority, s.ticket.status, s.level, describe(s.first_response),
             describe(s.resolution), s.ticket.assignee or "-", s.ticket.title] for s in report]  # fmt: skip
    head = ["ID", "PRI", "STATUS", "LEVEL", "FIRST RESPONSE", "RESOLUTION", "ASSIGNEE", "TITLE"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head[:-1])]
    for row in [head, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])

"""`gitdesk sla`: the SLA clocks of the queue, most urgent first."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from gitdesk.cli.context import Context, emit_json, note, pass_ctx
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


def as_json(s: Sla) -> dict[str, object]:
    t = s.ticket
    return {"id": t.id, "title": t.title, "status": t.status, "priority": t.priority, "assignee": t.assignee,
            "team": t.team, "policy": s.policy, "calendar": s.calendar, "level": s.level,
            "auto_level": s.auto_level, "first_response": _clock(s.first_response),
            "resolution": _clock(s.resolution)}  # fmt: skip


def _clock(c: Clock) -> dict[str, object]:
    from gitdesk.ticket import format_micros

    return {"state": c.state, "target_minutes": c.target_us / MINUTE,
            "used_minutes": c.used_us / MINUTE, "left_minutes": (c.target_us - c.used_us) / MINUTE,
            "due": None if c.due_us is None else format_micros(c.due_us),
            "stopped": None if c.stopped_us is None else format_micros(c.stopped_us)}  # fmt: skip


MINUTE = 60_000_000  # µs


def compact(report: list[Sla]) -> str:
    """`[as_json(s) for s in report]` as compact JSON, written directly: at 10k tickets,
    building the dicts and encoding them took a third of a warm `sla --json`."""
    from json.encoder import encode_basestring as text

    from gitdesk.ticket import format_micros

    def maybe(value: str | None) -> str:
        return "null" if value is None else text(value)

    def clock(c: Clock) -> str:
        due = "null" if c.due_us is None else f'"{format_micros(c.due_us)}"'
        stopped = "null" if c.stopped_us is None else f'"{format_micros(c.stopped_us)}"'
        left = (c.target_us - c.used_us) / MINUTE
        return (f'{{"state":"{c.state}","target_minutes":{c.target_us / MINUTE!r},'
                f'"used_minutes":{c.used_us / MINUTE!r},"left_minutes":{left!r},'
                f'"due":{due},"stopped":{stopped}}}')  # fmt: skip

    def row(s: Sla) -> str:
        t = s.ticket
        return (f'{{"id":{text(t.id)},"title":{text(t.title)},"status":{text(t.status)},'
                f'"priority":{text(t.priority)},"assignee":{maybe(t.assignee)},"team":{maybe(t.team)},'
                f'"policy":{text(s.policy)},"calendar":{text(s.calendar)},"level":{text(s.level)},'
                f'"auto_level":{maybe(s.auto_level)},"first_response":{clock(s.first_response)},'
                f'"resolution":{clock(s.resolution)}}}')  # fmt: skip

    return "[" + ",".join(row(s) for s in report) + "]"


@click.command("sla")
@filter_options
@click.option(
    "--fail-on", type=click.Choice(["warning", "breach"]), help="Exit 1 if any clock is at or past this."
)
@click.option("--json", "json_out", is_flag=True, help="Print JSON.")
@pass_ctx
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

    tracker = ctx.tracker
    chosen = select(tracker.tickets(history=True), tracker.config, make_filter(filters))
    report = tracker.sla(chosen, ctx.now)
    if json_out and not sys.stdout.isatty():
        sys.stdout.write(compact(report) + "\n")
    elif json_out:
        emit_json([as_json(s) for s in report])
    else:
        _table(report)
    bad = {"warning": ("warning", "breached"), "breach": ("breached",)}.get(fail_on or "", ())
    hits = [s.ticket.id for s in report if any(c.state in bad for c in s.clocks)]
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

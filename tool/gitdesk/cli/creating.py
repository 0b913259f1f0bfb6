"""The `new` flow: template, routing, prompts for what is missing, validation, write."""

from __future__ import annotations

from pathlib import Path

import click

from gitdesk import actions
from gitdesk.cli.context import Context
from gitdesk.errors import GitdeskError
from gitdesk.schema import ticket_from_mapping
from gitdesk.validate import check_ticket, check_times


def create(ctx: Context, given: dict[str, object], body: str | None, can_ask: bool) -> tuple[str, Path]:
    tracker, config = ctx.tracker, ctx.tracker.config
    if not given.get("type") and can_ask:
        given["type"] = click.prompt("Type", type=click.Choice(list(config.types)))
    defaults, skeleton = tracker.template(str(given["type"])) if given.get("type") else ({}, "")
    fields = {**{k: v for k, v in defaults.items() if k not in ("id", "history")}, **given}
    data = actions.new_ticket("T-0", fields, config, ctx.actor, ctx.now)
    missing = actions.missing_fields(data, config)
    if missing and not can_ask:
        raise GitdeskError(f"missing required fields: {', '.join(missing)}; give them as options "
                           f"(--title, --type, --priority, or --set {missing[-1]}=...) "
                           "or run on a terminal to be asked")  # fmt: skip
    for field in missing:
        choices = {"type": list(config.types), "priority": list(config.priorities),
                   "team": list(config.teams) or None}.get(field)  # fmt: skip
        kind = click.Choice(choices) if choices else str
        fields[field] = click.prompt(field.capitalize(), type=kind)
        data = actions.new_ticket("T-0", fields, config, ctx.actor, ctx.now)
    _refuse_invalid(data, ctx)
    return tracker.create(data, body if body is not None else skeleton, tracker.highest_on_branches())


def _refuse_invalid(data: dict[str, object], ctx: Context) -> None:
    """Check the ticket as it would be written; refuse before anything is on disk."""
    tid = f"{ctx.tracker.config.id_prefix}-1"
    ticket, found = ticket_from_mapping(f"tickets/{tid}.md", {**data, "id": tid}, "")
    problems = [m for _, m in found]
    problems += [p.message for p in check_ticket(ticket, ctx.tracker.config) + check_times(ticket, ctx.now)]
    if problems:
        raise GitdeskError("not created:\n" + "\n".join(f"  {m}" for m in problems))

"""The verbs: what a move, assignment, comment, escalation or feedback changes.

Each verb takes the ticket, the configuration, who acts and when, and returns
an Edit (fields to set, events to append) or raises Refused. Nothing here
reads or writes a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from gitdesk.config import Config
from gitdesk.errors import NotFound, Refused, UsageError
from gitdesk.ticket import LEVELS, Event, Kind, Ticket, format_time


class Edit(NamedTuple):
    """Top-level fields to set and history events to append."""

    changes: Mapping[str, object] = MappingProxyType({})
    events: tuple[Event, ...] = ()


def move(
    ticket: Ticket,
    to: str,
    config: Config,
    by: str,
    at: datetime,
    note: str | None = None,
    resolution: str | None = None,
) -> Edit:
    """Change the status along an allowed transition (a done -> open move is a reopen)."""
    wf = config.workflow
    if to not in wf.statuses:
        raise UsageError(f"'{to}' is not a status; statuses: {', '.join(wf.statuses)}")
    if to == ticket.status:
        raise Refused(f"{ticket.id} is already {to}")
    if not wf.is_legal(ticket.status, to):
        targets = ", ".join(wf.targets(ticket.status)) or "none (a final status)"
        raise Refused(f"{ticket.id}: {ticket.status} -> {to} is not allowed; from "
                      f"{ticket.status} it can go to: {targets}")  # fmt: skip
    if resolution and wf.category(to) != "done":
        raise UsageError(f"--resolution is for a move to a done status, not to {to}")
    kind = Kind.REOPEN if wf.is_reopen(ticket.status, to) else Kind.TRANSITION
    event = Event(at, by, kind, from_=ticket.status, to=to, note=note, resolution=resolution)
    return Edit({"status": to}, (event,))


def assign(ticket: Ticket, who: str, config: Config, by: str, at: datetime) -> Edit:
    if config.people and who not in config.people:
        raise UsageError(f"'{who}' is not in people (tickets/config.yml); known: {', '.join(config.people)}")
    if who == ticket.assignee:
        raise Refused(f"{ticket.id} is already assigned to {who}")
    event = Event(at, by, Kind.ASSIGN, from_=ticket.assignee, to=who)
    return Edit({"assignee": who}, (event,))


def comment(ticket: Ticket, text: str, internal: bool, by: str, at: datetime) -> Edit:
    if not text.strip():
        raise UsageError("the comment is empty")
    visibility = "internal" if internal else "public"
    return Edit({}, (Event(at, by, Kind.COMMENT, visibility=visibility, text=text),))


def escalate(ticket: Ticket, by: str, at: datetime, to: str | None, reason: str | None) -> Edit:
    """Raise the level by one (or to `to`); L3 is the top."""
    current = ticket.level
    target = to or (LEVELS[LEVELS.index(current) + 1] if current != LEVELS[-1] else None)
    if target is None:
        raise Refused(f"{ticket.id} is already at {current}, the highest level")
    if target not in LEVELS:
        raise UsageError(f"'{target}' is not a level; levels: {', '.join(LEVELS)}")
    if LEVELS.index(target) <= LEVELS.index(current):
        raise Refused(f"{ticket.id} is already at {current}; escalation only goes up")
    return Edit({}, (Event(at, by, Kind.ESCALATE, from_=current, to=target, reason=reason),))


def feedback(ticket: Ticket, rating: int, text: str | None, config: Config, by: str, at: datetime) -> Edit:
    if not 1 <= rating <= 5:
        raise UsageError(f"a rating is 1 to 5, not {rating}")
    if config.workflow.category(ticket.status) != "done":
        raise Refused(f"{ticket.id} is {ticket.status}; feedback comes after it is resolved")
    return Edit({}, (Event(at, by, Kind.FEEDBACK, rating=rating, text=text),))


def fill_reply(template: str, ticket: Ticket, config: Config, by: str) -> str:
    """A canned reply with {id}, {title}, {requester}, {assignee}, {agent}, {team}... filled in.

    People are named by their full names from the config, the team by its name.
    """

    def name(handle: str | None) -> str:
        person = config.people.get(handle or "")
        return person.name if person else (handle or "")

    team = config.teams.get(ticket.team or "")
    values = {
        "id": ticket.id,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "requester": name(ticket.requester),
        "assignee": name(ticket.assignee),
        "team": team.label if team else (ticket.team or ""),
        "agent": name(by),
    }

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise NotFound(f"the reply uses {{{name}}}; known fields: {', '.join(values)}")
        return values[name]

    return re.sub(r"\{([a-z_]+)\}", one, template).strip()


def new_ticket(
    ticket_id: str,
    fields: Mapping[str, object],
    config: Config,
    by: str,
    at: datetime,
) -> dict[str, object]:
    """The front matter of a new ticket: fields, routing, `created` and its first event."""
    type_ = str(fields.get("type", ""))
    tags = fields.get("tags") or []
    route = config.route(
        type_, str(fields.get("priority", "")), tuple(tags) if isinstance(tags, list) else ()
    )
    data: dict[str, object] = {
        "id": ticket_id,
        "title": fields.get("title"),
        "type": type_,
        "status": config.workflow.initial,
        "priority": fields.get("priority"),
        "requester": fields.get("requester") or by,
    }
    assignee = fields.get("assignee") or (route.assignee if route else None)
    if assignee:
        data["assignee"] = assignee
    team = fields.get("team") or (route.team if route else None)
    if team:
        data["team"] = team
    if tags:
        data["tags"] = list(tags) if isinstance(tags, list) else tags
    data["created"] = format_time(at)
    for key, value in fields.items():
        if key not in data and key not in ("history", "created", "status", "id"):
            data[key] = value
    if config.is_confidential(type_):
        data["confidential"] = True
    history: list[dict[str, object]] = [Event(at, by, Kind.CREATED).to_mapping()]
    if assignee:
        routed = not fields.get("assignee")
        note = "by the routing rule for this type" if routed else None
        history.append(Event(at, by, Kind.ASSIGN, to=str(assignee), note=note).to_mapping())
    data["history"] = history
    return data


def missing_fields(data: Mapping[str, object], config: Config) -> list[str]:
    """Fields every ticket needs and those its type requires, still empty after routing."""
    kind = config.types.get(str(data.get("type", "")))
    needed = ["title", "type", "priority", *(kind.required if kind else ())]
    return [f for f in needed if data.get(f) in (None, "", [])]

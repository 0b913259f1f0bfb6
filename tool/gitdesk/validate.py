"""Validation of parsed tickets against the configuration: every problem, not the first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from gitdesk.config import Config
from gitdesk.errors import Problem
from gitdesk.ticket import ID_RE, LEVELS, VISIBILITIES, Event, Kind, Ticket

SKEW = timedelta(minutes=5)


def validate(
    tickets: Sequence[Ticket],
    config: Config,
    now: datetime,
    kb: Collection[str] | None = None,
) -> list[Problem]:
    """Problems in and between tickets. `kb` is the set of known KB slugs (None: unchecked)."""
    return [p for t in tickets for p in check_ticket(t, config)] + across(tickets, now, kb)


def across(tickets: Sequence[Ticket], now: datetime, kb: Collection[str] | None = None) -> list[Problem]:
    """The checks that need more than one ticket, or the clock: references, duplicate IDs,
    times in the future. They need no history, so they run on light tickets too."""
    problems: list[Problem] = []
    ids = {t.id for t in tickets}
    for ticket in tickets:
        problems.extend(check_times(ticket, now))
        problems.extend(_references(ticket, ids, kb))
    problems.extend(duplicates(tickets))
    return problems


def check_times(t: Ticket, now: datetime) -> list[Problem]:
    """Times later than `now` (beyond a small clock skew)."""
    out = []
    if t.created and t.created > now + SKEW:
        out.append(Problem(t.path, f"created: {t.created.isoformat()} is in the future", ("created",)))
    if t.updated and t.updated > now + SKEW and t.updated != t.created:
        late = next((i for i, e in enumerate(t.history) if e.at > now + SKEW), None)
        loc: tuple[str | int, ...] = ("history", late) if late is not None else ("history",)
        where = f"history[{late}].at" if late is not None else "history"
        out.append(Problem(t.path, f"{where}: {t.updated.isoformat()} is in the future", loc))
    return out


def duplicates(tickets: Iterable[Ticket]) -> list[Problem]:
    paths: dict[str, list[str]] = defaultdict(list)
    for ticket in tickets:
        if ticket.id:
            paths[ticket.id].append(ticket.path)
    return [
        Problem(
            path,
            f"id: {tid} is also used by {', '.join(p for p in found if p != path)}; "
            f"give one of them a new number with `gitdesk renumber {path}`",
            ("id",),
        )
        for tid, found in paths.items()
        if len(found) > 1
        for path in found
    ]


def _references(ticket: Ticket, ids: Collection[str], kb: Collection[str] | None) -> list[Problem]:
    out = []
    for ref in ticket.related:
        if ref not in ids:
            out.append(Problem(ticket.path, f"related: no ticket {ref} exists", ("related",)))
    if ticket.duplicate_of and ticket.duplicate_of not in ids:
        out.append(
            Problem(
                ticket.path,
                f"duplicate_of: no ticket {ticket.duplicate_of} exists",
                ("duplicate_of",),
            )
        )
    if kb is not None:
        for slug in ticket.kb:
            if slug not in kb:
                out.append(Problem(ticket.path, f"kb: no article kb/{slug}.md exists", ("kb",)))
    return out


def check_ticket(ticket: Ticket, config: Config) -> list[Problem]:
    """Problems within one ticket: schema values, names, and its history (not the clock)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    _names(ticket, config, found)
    _history(ticket, config, found)
    return [Problem(ticket.path, message, loc) for loc, message in found]


def _one_of(value: str, known: Mapping[str, object] | Collection[str], what: str) -> str:
    return f"'{value}' is not one of the {what}: {', '.join(known)}"


def _names(t: Ticket, config: Config, found: list[tuple[tuple[str | int, ...], str]]) -> None:
    match = ID_RE.match(t.id)
    name = t.path.rsplit("/", 1)[-1]
    if t.id and not match:
        found.append((("id",), f"id: '{t.id}' is not an ID like {config.id_prefix}-42"))
    elif match and match.group(1) != config.id_prefix:
        found.append((("id",), f"id: '{t.id}' does not use this tracker's prefix {config.id_prefix}-"))
    if t.id and not (name.startswith(f"{t.id}-") or name == f"{t.id}.md"):
        found.append((("id",), f"id: {t.id} does not match the file name {name}; rename the file "
                      f"to {t.id}-<slug>.md or fix the id"))  # fmt: skip
    wf = config.workflow
    if t.status and t.status not in wf.statuses:
        found.append((("status",), f"status: {_one_of(t.status, wf.statuses, 'statuses')}"))
    if t.priority and t.priority not in config.priorities:
        found.append((("priority",), f"priority: {_one_of(t.priority, config.priorities, 'priorities')}"))
    if t.type and t.type not in config.types:
        found.append((("type",), f"type: {_one_of(t.type, config.types, 'types')}"))
    if t.team and t.team not in config.teams and config.teams:
        found.append((("team",), f"team: {_one_of(t.team, config.teams, 'teams')}"))
    people = config.people
    if t.assignee and people and t.assignee not in people:
        found.append((("assignee",), f"assignee: '{t.assignee}' is not in people (tickets/config.yml)"))
    kind = config.types.get(t.type)
    for field in kind.required if kind else ():
        if field not in t.present:
            found.append(((field,), f"{field}: required for {t.type} tickets; add `{field}: ...`"))


def _history(t: Ticket, config: Config, found: list[tuple[tuple[str | int, ...], str]]) -> None:
    wf = config.workflow
    if not t.history:
        if t.status and t.status != wf.initial:
            found.append((("status",), f"status: '{t.status}' but history records no transition"
                          f" from '{wf.initial}'"))  # fmt: skip
        return
    first = t.history[0]
    if first.kind != Kind.CREATED:
        found.append((("history", 0), "history[0]: the first event must be `event: created`"))
    elif t.created and first.at != t.created:
        found.append((("history", 0), "history[0].at: differs from `created`; they must be equal"))
    status, assignee, previous = wf.initial, None, None
    allowed = set(config.people) | {t.requester} if config.people else None
    for i, event in enumerate(t.history):
        loc = ("history", i)
        if previous and event.at < previous:
            found.append((loc, f"history[{i}].at: {event.at.isoformat()} is earlier than the event "
                          "before it; history is in time order"))  # fmt: skip
        previous = event.at
        if allowed is not None and event.by and event.by not in allowed:
            found.append((loc, f"history[{i}].by: '{event.by}' is not in people or the requester"))
        if i and event.kind == Kind.CREATED:
            found.append((loc, f"history[{i}]: only the first event may be `created`"))
        if event.is_status_change:
            status = _status_change(i, event, status, config, found)
        elif event.kind == Kind.ASSIGN:
            if config.people and event.to not in config.people:
                found.append((loc, f"history[{i}].to: '{event.to}' is not in people"))
            assignee = event.to
        else:
            _other_event(i, event, found)
    if t.status and status != t.status:
        found.append((("status",), f"status: '{t.status}' but the last status change in history "
                      f"goes to '{status}'; record the move with `gitdesk move`"))  # fmt: skip
    if assignee is not None and t.assignee != assignee:
        found.append((("assignee",), f"assignee: '{t.assignee}' but the last assign event gives "
                      f"'{assignee}'; use `gitdesk assign`"))  # fmt: skip


def _status_change(
    i: int,
    event: Event,
    status: str,
    config: Config,
    found: list[tuple[tuple[str | int, ...], str]],
) -> str:
    wf, loc = config.workflow, ("history", i)
    old, new = event.from_ or "", event.to or ""
    if old != status:
        found.append((loc, f"history[{i}].from: '{old}' but the status was '{status}' at that point"))
    for end in (old, new):
        if end not in wf.statuses:
            found.append((loc, f"history[{i}]: {_one_of(end, wf.statuses, 'statuses')}"))
    if old in wf.statuses and new in wf.statuses:
        if not wf.is_legal(old, new):
            targets = ", ".join(wf.targets(old)) or "none"
            found.append((loc, f"history[{i}]: {old} -> {new} is not an allowed transition "
                          f"(from {old}: {targets})"))  # fmt: skip
        reopen = wf.is_reopen(old, new)
        if reopen and event.kind != Kind.REOPEN:
            found.append((loc, f"history[{i}]: {old} -> {new} reopens the ticket; write `event: reopen`"))
        elif not reopen and event.kind == Kind.REOPEN:
            found.append((loc, f"history[{i}]: {old} -> {new} is not a reopen; write `event: transition`"))
    return new


def _other_event(i: int, event: Event, found: list[tuple[tuple[str | int, ...], str]]) -> None:
    loc = ("history", i)
    if event.kind == Kind.COMMENT and event.visibility not in VISIBILITIES:
        found.append((loc, f"history[{i}].visibility: must be public or internal"))
    elif event.kind == Kind.ESCALATE:
        for key, level in (("from", event.from_), ("to", event.to)):
            if level is not None and level not in LEVELS:
                found.append((loc, f"history[{i}].{key}: '{level}' is not a level ({', '.join(LEVELS)})"))
    elif event.kind == Kind.FEEDBACK and event.rating is not None and not 1 <= event.rating <= 5:
        found.append((loc, f"history[{i}].rating: {event.rating} is not between 1 and 5"))


def check_change(old: Ticket | None, new: Ticket, base_ids: Collection[str]) -> list[Problem]:
    """Problems in how a ticket changed since the base: rewritten history, reused IDs."""
    if old is None or old.id != new.id:
        if new.id in base_ids:
            return [Problem(new.path, f"id: {new.id} already exists on the base branch; "
                            f"run `gitdesk renumber {new.path}`", ("id",))]  # fmt: skip
        return []
    out = []
    for i, event in enumerate(old.history):
        if i >= len(new.history):
            out.append(Problem(new.path, f"history: event {i} ({event.kind} at "
                               f"{event.at.isoformat()}) was removed; history is append-only",
                               ("history",)))  # fmt: skip
            break
        if new.history[i] != event:
            out.append(Problem(new.path, f"history[{i}]: was rewritten; history is append-only "
                               "(add a new event instead)", ("history", i)))  # fmt: skip
    return out

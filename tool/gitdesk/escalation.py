"""Escalation issues: what GitHub should show for the SLA state, and the steps to get there.

Pure: SLA results and the open issues in, a plan out. An issue is tied to its
ticket by a marker in its body (`<!-- gitdesk:escalation ticket=T-42 level=L3 -->`),
so a run finds its issues again by listing, never by remembering. Each step
that announces something (a level rise, a closure) posts a comment carrying
its own marker first, so a run that died half-way is finished by the next one
without saying anything twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import NamedTuple

from gitdesk.config import Config
from gitdesk.sla import Clock, Sla
from gitdesk.ticket import LEVELS, Ticket, format_time

MARKER = re.compile(r"<!-- gitdesk:escalation ticket=([A-Z][A-Z0-9]*-\d+) level=(L[1-3]) -->")
NOTE = "<!-- gitdesk:{what} ticket={id} level={level} -->"
LEVEL_LABEL = "level:"


class Issue(NamedTuple):
    """An open GitHub issue as listed."""

    number: int
    title: str
    body: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()

    @property
    def ticket_id(self) -> str | None:
        found = MARKER.search(self.body or "")
        return found.group(1) if found else None

    @property
    def level(self) -> str:
        found = MARKER.search(self.body or "")
        return found.group(2) if found else "L1"


class Want(NamedTuple):
    """The open issue a ticket should have."""

    ticket_id: str
    level: str
    title: str
    body: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]


class Step(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RISE = "rise"
    CLOSE = "close"


class Action(NamedTuple):
    step: Step
    ticket_id: str
    number: int | None = None
    want: Want | None = None
    comment: str | None = None


class Links(NamedTuple):
    """Where a ticket's page and file live (for the issue body)."""

    site: str | None = None
    files: str | None = None  # e.g. https://github.com/acme/helpdesk/blob/main


def _quiet(text: str) -> str:
    """Text from a ticket that must not ping people or break the Markdown table."""
    return text.replace("@", "@\u200b").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _clock(c: Clock) -> str:
    due = f" (due {format_time(c.due)})" if c.due and c.state in ("ok", "warning", "breached") else ""
    return f"{c.state.value}{due}"


def want_for(sla: Sla, config: Config, links: Links) -> Want:
    t = sla.ticket
    secret = t.confidential or config.is_confidential(t.type)
    title = f"[{sla.level}] {t.id}: " + ("confidential ticket" if secret else _quiet(t.title))[:200]
    notify = config.escalation.notify.get(t.team or "", {}).get(sla.level, ())
    people = tuple(sorted(h for h in notify if "/" not in h))
    page = f"{links.site.rstrip('/')}/tickets/{t.id}/" if links.site and not secret else None
    file = f"{links.files.rstrip('/')}/{t.path}" if links.files else None
    rows = [
        ("Ticket", f"[{t.id}]({page})" if page else t.id),
        ("Title", "(confidential)" if secret else _quiet(t.title)),
        ("Priority", t.priority), ("Status", t.status), ("Team", t.team or "-"),
        ("Assignee", _quiet(t.assignee or "-")), ("Policy", f"{sla.policy} ({sla.calendar})"),
        ("First response", _clock(sla.first_response)), ("Resolution", _clock(sla.resolution)),
        ("Escalation", f"{sla.level}" + (" (SLA)" if sla.auto_level == sla.level else " (manual)")),
    ]  # fmt: skip
    lines = [f"**{t.id}** is escalated to **{sla.level}**.", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    if file:
        lines += ["", f"File: {file}"]
    if notify:
        lines += ["", f"Notified at {sla.level}: " + " ".join(f"@{h}" for h in notify)]
    lines += ["", NOTE.format(what="escalation", id=t.id, level=sla.level)]
    labels = (*config.escalation.labels, f"{LEVEL_LABEL}{sla.level}")
    return Want(t.id, sla.level, title, "\n".join(lines), labels, people)


def wanted(slas: Iterable[Sla], config: Config, links: Links) -> dict[str, Want]:
    """The issues that should be open: one per open ticket above L1."""
    return {
        s.ticket.id: want_for(s, config, links)
        for s in slas
        if config.workflow.is_open(s.ticket.status) and s.level != LEVELS[0]
    }


def reasons(tickets: Iterable[Ticket], config: Config) -> dict[str, str]:
    """Why each ticket would need no escalation issue: done, or back within its SLA."""
    return {
        t.id: f"{t.id} is back within its SLA"
        if config.workflow.is_open(t.status)
        else f"{t.id} is {t.status}"
        for t in tickets
    }


def plan(
    wants: Mapping[str, Want],
    issues: Iterable[Issue],
    reasons: Mapping[str, str],
    unread: Collection[str] = (),
) -> list[Action]:
    """The steps that make the open issues match `wants`; nothing when they already do.

    `reasons` says, per ticket ID, why it needs no issue (see `reasons`). The
    issue of a ticket whose file cannot be read now (`unread`: IDs from file
    names) is left as it is: a broken edit does not close an escalation.
    """
    actions: list[Action] = []
    seen: dict[str, Issue] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        tid = issue.ticket_id
        if tid is None:
            continue
        if tid in seen:
            note = f"Duplicate of #{seen[tid].number}."
            actions.append(
                Action(Step.CLOSE, tid, issue.number, comment=_note("close", tid, issue.level, note))
            )
            continue
        seen[tid] = issue
        want = wants.get(tid)
        if want is None and tid in unread and tid not in reasons:
            continue
        if want is None:
            text = f"Closing: {reasons.get(tid, f'{tid} no longer exists')}."
            actions.append(
                Action(Step.CLOSE, tid, issue.number, comment=_note("close", tid, issue.level, text))
            )
        elif LEVELS.index(want.level) > LEVELS.index(issue.level):
            text = f"Escalated from {issue.level} to **{want.level}**."
            actions.append(Action(Step.RISE, tid, issue.number, want, _note("rise", tid, want.level, text)))
        elif _differs(issue, want):
            actions.append(Action(Step.UPDATE, tid, issue.number, want))
    actions += [Action(Step.CREATE, tid, want=w) for tid, w in wants.items() if tid not in seen]
    return actions


def _differs(issue: Issue, want: Want) -> bool:
    """Whether the issue says something other than it should.

    Labels and assignees people added by hand are theirs: only missing labels
    and a stale level label count. Assignees are set on creation and on a rise
    (GitHub silently drops users it cannot assign, so comparing them would
    rewrite the issue on every run).
    """
    return (
        issue.title != want.title
        or issue.body.strip() != want.body.strip()
        or set(labels(issue, want)) != set(issue.labels)
    )


def labels(issue: Issue, want: Want) -> list[str]:
    """The issue's labels with the wanted ones added and other level labels removed."""
    kept = [x for x in issue.labels if not x.startswith(LEVEL_LABEL) or x in want.labels]
    return kept + [x for x in want.labels if x not in kept]


def _note(what: str, tid: str, level: str, text: str) -> str:
    return f"{text}\n\n{NOTE.format(what=what, id=tid, level=level)}"


def announced(comment: str, comments: Iterable[str]) -> bool:
    """Whether a comment's marker was already posted (by a run that died before finishing)."""
    mark = comment.rsplit("\n", 1)[-1]
    return any(mark in c for c in comments)

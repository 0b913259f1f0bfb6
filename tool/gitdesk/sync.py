"""`gitdesk escalations sync`: make GitHub's escalation issues match the SLA state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gitdesk.escalation import Action, Issue, Links, Step, announced, labels, plan, reasons, wanted
from gitdesk.github import GitHub, Uncertain
from gitdesk.ticket import id_in_name
from gitdesk.tracker import Tracker

ATTEMPTS = 3


class Outcome:
    """The planned actions, how many open issues were seen, and the actions done."""

    __slots__ = ("actions", "done", "issues_seen")

    def __init__(self, actions: list[Action], issues_seen: int, done: list[str] | None = None) -> None:
        self.actions = actions
        self.issues_seen = issues_seen
        self.done = [] if done is None else done


def compute(tracker: Tracker, now: datetime, issues: list[Issue], links: Links) -> list[Action]:
    """The plan: open tickets' SLA clocks against the open escalation issues."""
    tickets = tracker.tickets(for_sla=True)
    config = tracker.config
    open_tickets = [t for t in tickets if config.workflow.is_open(t.status)]
    wants = wanted(tracker.sla(open_tickets, now), config, links)
    unread = {found for path in tracker.unreadable if (found := id_in_name(path))}
    return plan(wants, issues, reasons(tickets, config), unread)


def run(tracker: Tracker, gh: GitHub | None, now: datetime, links: Links, apply: bool,
        report: Callable[[str], None] = lambda _: None) -> Outcome:  # fmt: skip
    label = tracker.config.escalation.labels[0]
    issues = gh.open_issues(label) if gh else []
    actions = compute(tracker, now, issues, links)
    outcome = Outcome(actions, len(issues))
    if not apply or gh is None:
        return outcome
    by_number = {i.number: i for i in issues}
    for action in actions:
        _apply(gh, action, by_number, label)
        outcome.done.append(f"{action.step} {action.ticket_id}")
        report(describe(action))
    return outcome


def describe(a: Action) -> str:
    where = f"#{a.number} " if a.number else ""
    if a.step == Step.CLOSE:
        return f"close {where}{a.ticket_id}: {(a.comment or '').splitlines()[0]}"
    assert a.want is not None
    return f"{a.step} {where}{a.ticket_id} at {a.want.level}: {a.want.title}"


def _apply(gh: GitHub, a: Action, issues: dict[int, Issue], label: str) -> None:
    if a.step == Step.CREATE:
        _create(gh, a, label)
        return
    assert a.number is not None
    issue = issues[a.number]
    if a.comment:
        _say_once(gh, a.number, a.comment)
    if a.step == Step.CLOSE:
        _retry(lambda: gh.close(a.number))  # type: ignore[arg-type]
        return
    want = a.want
    assert want is not None
    people = sorted({*issue.assignees, *want.assignees}) if a.step == Step.RISE else None
    _retry(lambda: gh.update(a.number, want.title, want.body, labels(issue, want), people))  # type: ignore[arg-type]


def _create(gh: GitHub, a: Action, label: str) -> None:
    """Create, and after an uncertain failure list again rather than create blindly."""
    want = a.want
    assert want is not None
    for _ in range(ATTEMPTS):
        try:
            gh.create(want.title, want.body, want.labels, want.assignees)
            return
        except Uncertain:
            if any(i.ticket_id == want.ticket_id for i in gh.open_issues(label)):
                return
    raise Uncertain(f"could not create the escalation issue for {want.ticket_id}; the next run retries")


def _say_once(gh: GitHub, number: int, comment: str) -> None:
    """Post a comment unless an earlier, interrupted run already did."""
    for _ in range(ATTEMPTS):
        if announced(comment, gh.comments(number)):
            return
        try:
            gh.comment(number, comment)
            return
        except Uncertain:
            continue
    raise Uncertain(f"could not comment on #{number}; the next run retries")


def _retry(write: Callable[[], None]) -> None:
    """Idempotent writes (PATCH with the full wanted state) may simply be sent again."""
    for attempt in range(ATTEMPTS):
        try:
            write()
            return
        except Uncertain:
            if attempt == ATTEMPTS - 1:
                raise

"""SLA clocks: first response and resolution, in business time, at a given moment.

Pure: a ticket, its policy and calendar, the workflow and `now` in; two
clocks and an escalation level out. Only history up to `now` counts, so the
answer is honest for any GITDESK_NOW.

- The first-response clock stops at the first public comment or status
  change by someone other than the requester (or when the ticket is done).
- The resolution clock stops when the ticket reaches a `done` status; a
  reopen resumes it with the time already used.
- Both clocks stand still while the status is in the `paused` category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from gitdesk.businesstime import Calendar, add, elapsed, parse_duration
from gitdesk.slaconfig import Policy
from gitdesk.ticket import LEVELS, Kind, Ticket
from gitdesk.workflow import Workflow


class State(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    MISSED = "missed"


RUNNING = (State.OK, State.WARNING, State.BREACHED)
# Most urgent first, for sorting a queue.
URGENCY = (State.BREACHED, State.WARNING, State.OK, State.PAUSED, State.MISSED, State.MET)
Segment = tuple[datetime, datetime | None]  # business time counts from start to end (None: still running)


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock. `due` is when the target is (or was) reached; None while paused short of it."""

    name: str
    state: State
    target: timedelta
    used: timedelta
    due: datetime | None
    stopped: datetime | None = None

    @property
    def left(self) -> timedelta:
        return self.target - self.used

    @property
    def fraction(self) -> float:
        return self.used / self.target if self.target else 1.0


@dataclass(frozen=True, slots=True)
class Sla:
    """A ticket's two clocks and its level (the higher of manual and automatic escalation)."""

    ticket: Ticket
    policy: str
    calendar: str
    first_response: Clock
    resolution: Clock
    level: str
    auto_level: str | None

    @property
    def clocks(self) -> tuple[Clock, Clock]:
        return (self.first_response, self.resolution)

    @property
    def worst(self) -> State:
        return min((c.state for c in self.clocks), key=URGENCY.index)

    def urgency(self) -> tuple[int, float]:
        """Sort key: most urgent state first, then the least time left."""
        worst = self.worst
        left = min((c.left for c in self.clocks if c.state == worst), default=timedelta(0))
        return (URGENCY.index(worst), left.total_seconds())


def segments(ticket: Ticket, workflow: Workflow, now: datetime) -> tuple[list[Segment], datetime | None]:
    """When the resolution clock runs (an `open` status), and when the first response came."""
    if ticket.created is None:
        return [], None
    status = workflow.initial
    start: datetime | None = ticket.created if workflow.category(status) == "open" else None
    runs: list[Segment] = []
    response = None
    for event in ticket.history:
        if event.at > now:
            break
        if (
            response is None
            and event.by != ticket.requester
            and (event.is_status_change or event.is_public_comment)
        ):
            response = event.at
        if not event.is_status_change or event.to is None:
            continue
        was, now_open = workflow.category(status) == "open", workflow.category(event.to) == "open"
        if was and not now_open and start is not None:
            runs.append((start, event.at))
            start = None
        elif now_open and not was:
            start = event.at
        if workflow.category(event.to) == "done" and response is None:
            response = event.at  # a ticket closed before anyone answered stops that clock too
        status = event.to
    if start is not None:
        runs.append((start, None))
    return runs, response


def clock(
    name: str,
    runs: list[Segment],
    stop: datetime | None,
    target: timedelta,
    warning: float,
    cal: Calendar,
    now: datetime,
) -> Clock:
    """Measure business time over the runs up to `stop` (or `now`) and name the state."""
    end_all = stop or now
    used = timedelta(0)
    due = None
    running = False
    for begin, end in runs:
        if begin > end_all:
            break
        finish = min(end or end_all, end_all)
        part = elapsed(cal, begin, finish)
        if due is None and used + part >= target and target > timedelta(0):
            due = add(cal, begin, target - used)
        used += part
        running = end is None and stop is None
    if stop is not None:
        return Clock(name, State.MET if used <= target else State.MISSED, target, used, due, stop)
    if running and due is None:
        due = add(cal, now, target - used)
    if used > target:
        state = State.BREACHED
    elif not running:
        state = State.PAUSED
    elif used >= target * warning:
        state = State.WARNING
    else:
        state = State.OK
    return Clock(name, state, target, used, due)


def evaluate(
    ticket: Ticket,
    policy: Policy,
    cal: Calendar,
    workflow: Workflow,
    raise_on: Mapping[str, str],
    now: datetime,
) -> Sla:
    """Both clocks of one ticket at `now`, and its escalation level."""
    runs, response = segments(ticket, workflow, now)
    day = _working_day(cal)
    first = clock("first_response", runs, response, _duration(policy.first_response, day),
                  policy.warning, cal, now)  # fmt: skip
    resolved = _resolved_at(ticket, workflow, now)
    resolution = clock("resolution", runs, resolved, _duration(policy.resolution, day),
                       policy.warning, cal, now)  # fmt: skip
    states = {first.state, resolution.state}
    auto = next((raise_on[s] for s in ("breached", "warning") if s in states and s in raise_on), None)
    manual = max((e.to for e in ticket.history if e.kind == Kind.ESCALATE and e.at <= now and e.to in LEVELS),
                 default="L1")  # fmt: skip
    level = max(manual, auto or "L1")
    return Sla(ticket, policy.name, cal.name, first, resolution, level, auto)


# Policies and calendars are few and tickets many: parse each target once.
_duration = lru_cache(maxsize=256)(parse_duration)


_days: dict[int, tuple[Calendar, timedelta]] = {}


def _working_day(cal: Calendar) -> timedelta:
    """A calendar's working day, computed once per calendar object (calendars are unhashable)."""
    found = _days.get(id(cal))
    if found is None or found[0] is not cal:
        if len(_days) > 64:
            _days.clear()
        found = _days[id(cal)] = (cal, cal.working_day())
    return found[1]


def _resolved_at(ticket: Ticket, workflow: Workflow, now: datetime) -> datetime | None:
    """When the ticket last reached `done`, if it is done at `now`."""
    done_at = None
    for event in ticket.history:
        if event.at > now:
            break
        if event.is_status_change and event.to is not None:
            done_at = event.at if workflow.category(event.to) == "done" else None
    return done_at

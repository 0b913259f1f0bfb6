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
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import takewhile
from typing import Any, NamedTuple, cast

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


class Tally(NamedTuple):
    """What a history fixes about one clock, whatever `now` is after its last event.

    `used` is the business time of the finished runs, `due` when the target was
    reached within them, `running` the start of the run still going (None when
    paused or stopped), `stopped` when the clock stopped for good.
    """

    target: timedelta
    warning: float
    used: timedelta
    due: datetime | None
    running: datetime | None
    stopped: datetime | None


class Plan(NamedTuple):
    """A ticket's two tallies and its manual level: valid for any `now` at or after `since`.

    Computing a plan walks the history and measures every finished run; the
    measurement at `now` (`measure`) only adds the run still going. So a plan
    is worth keeping: it depends on nothing but the ticket file and the config.
    """

    policy: str
    calendar: str
    since: datetime
    first_response: Tally
    resolution: Tally
    manual: str


def tally(
    runs: list[Segment], stop: datetime | None, target: timedelta, warning: float, cal: Calendar
) -> Tally:
    """Measure the finished runs (up to `stop`, if the clock stopped) and note the one still going."""
    used = timedelta(0)
    due = running = None
    for begin, end in runs:
        if stop is not None and begin > stop:
            break
        if end is None and stop is None:
            running = begin  # always the last run
            break
        finish = min(end or stop, stop) if stop is not None else end
        assert finish is not None
        part = elapsed(cal, begin, finish)
        if due is None and used + part >= target and target > timedelta(0):
            due = add(cal, begin, target - used)
        used += part
    if running is not None and due is None:
        # Business time accrues from `running` on, so the moment it reaches the target
        # is fixed now: `read` need not work it out again for every `now`.
        due = add(cal, running, target - used) if target > used else running
    return Tally(target, warning, used, due, running, stop)


def read(name: str, t: Tally, now: datetime, run: timedelta) -> Clock:
    """The clock at `now`: the tally plus `run`, the business time of the run still going."""
    if t.stopped is not None:
        return Clock(
            name, State.MET if t.used <= t.target else State.MISSED, t.target, t.used, t.due, t.stopped
        )
    used = t.used + run if t.running is not None else t.used
    if used > t.target:
        state = State.BREACHED
    elif t.running is None:
        state = State.PAUSED
    elif used >= t.target * t.warning:
        state = State.WARNING
    else:
        state = State.OK
    return Clock(name, state, t.target, used, t.due)


def plan(
    ticket: Ticket, policy: Policy, cal: Calendar, workflow: Workflow, upto: datetime | None = None
) -> Plan:
    """Walk the history (up to `upto`, if given) once: both tallies and the manual level."""
    events = ticket.history if upto is None else tuple(takewhile(lambda e: e.at <= upto, ticket.history))
    seen = ticket._replace(history=events)
    horizon = max((e.at for e in events), default=ticket.created)
    assert horizon is not None and ticket.created is not None
    runs, response = segments(seen, workflow, horizon)
    day = _working_day(cal)
    first = tally(runs, response, _duration(policy.first_response, day), policy.warning, cal)
    resolved = _resolved_at(seen, workflow, horizon)
    resolution = tally(runs, resolved, _duration(policy.resolution, day), policy.warning, cal)
    manual = max((e.to for e in events if e.kind == Kind.ESCALATE and e.to in LEVELS), default="L1")
    return Plan(policy.name, cal.name, max(horizon, ticket.created), first, resolution, manual)


def measure(ticket: Ticket, plan: Plan, cal: Calendar, raise_on: Mapping[str, str], now: datetime) -> Sla:
    """Both clocks at `now` (at or after `plan.since`) and the escalation level."""
    f, r = plan.first_response, plan.resolution
    zero = timedelta(0)
    # Both clocks usually run from the same moment: measure that run once.
    run_f = elapsed(cal, f.running, now) if f.running is not None and f.stopped is None else zero
    run_r = (
        run_f if r.running == f.running else elapsed(cal, r.running, now) if r.running is not None else zero
    )
    first = read("first_response", f, now, run_f)
    resolution = read("resolution", r, now, run_r)
    states = {first.state, resolution.state}
    auto = next((raise_on[s] for s in ("breached", "warning") if s in states and s in raise_on), None)
    level = max(plan.manual, auto or "L1")
    return Sla(ticket, plan.policy, plan.calendar, first, resolution, level, auto)


def evaluate(
    ticket: Ticket,
    policy: Policy,
    cal: Calendar,
    workflow: Workflow,
    raise_on: Mapping[str, str],
    now: datetime,
) -> Sla:
    """Both clocks of one ticket at `now`, and its escalation level (history after `now` ignored)."""
    return measure(ticket, plan(ticket, policy, cal, workflow, upto=now), cal, raise_on, now)


# --- plans as plain values, for the cache --------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICRO


def _at(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def pack(p: Plan) -> tuple[object, ...]:
    """A plan as strings and integers (microseconds), for marshal."""

    def one(t: Tally) -> tuple[object, ...]:
        return (t.target // _MICRO, t.warning, t.used // _MICRO, _us(t.due), _us(t.running), _us(t.stopped))

    return (p.policy, p.calendar, _us(p.since), one(p.first_response), one(p.resolution), p.manual)


def unpack(value: object) -> Plan:
    def one(v: tuple[int, float, int, int | None, int | None, int | None]) -> Tally:
        target, warning, used, due, running, stopped = v
        return Tally(timedelta(microseconds=target), warning, timedelta(microseconds=used), _at(due),
                     _at(running), _at(stopped))  # fmt: skip

    policy, calendar, since, first, resolution, manual = cast(Any, value)
    return Plan(policy, calendar, _EPOCH + timedelta(microseconds=since), one(first), one(resolution), manual)


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

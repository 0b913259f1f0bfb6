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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import takewhile
from json.encoder import encode_basestring as _text
from typing import Any, NamedTuple, cast

from gitdesk.businesstime import ZERO, Calendar, add, elapsed, new_year, parse_duration
from gitdesk.slaconfig import Policy
from gitdesk.ticket import LEVELS, MICROSECOND, Kind, Ticket, format_micros, id_order, micros, moment_of
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


class Clock(NamedTuple):
    """One SLA clock. `due` is when the target is (or was) reached; None while paused short of it.

    Kept as integer microseconds (durations) and microseconds since the epoch
    (moments), as plans are; the properties give timedelta and datetime.
    """

    name: str
    state: State
    target_us: int
    used_us: int
    due_us: int | None
    stopped_us: int | None = None

    @property
    def target(self) -> timedelta:
        return timedelta(microseconds=self.target_us)

    @property
    def used(self) -> timedelta:
        return timedelta(microseconds=self.used_us)

    @property
    def left(self) -> timedelta:
        return timedelta(microseconds=self.target_us - self.used_us)

    @property
    def due(self) -> datetime | None:
        return None if self.due_us is None else moment_of(self.due_us)

    @property
    def stopped(self) -> datetime | None:
        return None if self.stopped_us is None else moment_of(self.stopped_us)

    @property
    def fraction(self) -> float:
        return self.used_us / self.target_us if self.target_us else 1.0


class Sla(NamedTuple):
    """A ticket's two clocks and its level (the higher of manual and automatic escalation).

    `texts` are the parts of its JSON that depend only on the ticket file and the
    config (see `texts`), if they were made beforehand (the cache keeps them).
    """

    ticket: Ticket
    policy: str
    calendar: str
    first_response: Clock
    resolution: Clock
    level: str
    auto_level: str | None
    texts: tuple[str, ...] = ()

    @property
    def clocks(self) -> tuple[Clock, Clock]:
        return (self.first_response, self.resolution)

    @property
    def worst(self) -> State:
        f, r = self.first_response.state, self.resolution.state
        return f if _RANK[f] <= _RANK[r] else r

    def urgency(self) -> tuple[int, int]:
        """Sort key: most urgent state first, then the least time left (µs)."""
        f, r = self.first_response, self.resolution
        return _urgency(f.state, f.target_us - f.used_us, r.state, r.target_us - r.used_us)


_RANK = {state: n for n, state in enumerate(URGENCY)}


def _urgency(first: State, first_left: int, resolution: State, resolution_left: int) -> tuple[int, int]:
    """The more urgent clock's rank and the time it has left; on a tie, the lesser time left."""
    rf, rr = _RANK[first], _RANK[resolution]
    if rf < rr:
        return (rf, first_left)
    if rr < rf:
        return (rr, resolution_left)
    return (rf, min(first_left, resolution_left))


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

    Times are integer microseconds since the epoch (durations: microseconds),
    which is what the cache keeps and what `read` adds up. `used` is the
    business time of the finished runs; `due` when the target is reached (for
    a running clock that moment is already fixed); `running` the start of the
    run still going (None when paused or stopped) and `before` the business
    time from the local new year of `year` up to it; `stopped` when the clock
    stopped for good.
    """

    target: int
    warning: float
    used: int
    due: int | None
    running: int | None
    stopped: int | None
    year: int = 0
    before: int = 0


class Plan(NamedTuple):
    """A ticket's two tallies and its manual level: valid for any `now` at or after `since`.

    Making a plan walks the history and measures every finished run; reading
    it at `now` (`measure`) adds only the run still going, as a difference of
    two "business time since new year" figures, the one at `now` shared by
    every ticket. So a plan is worth keeping: it depends only on the ticket
    file and the config.
    """

    policy: str
    calendar: str
    since: int
    first_response: Tally
    resolution: Tally
    manual: str


def tally(
    runs: list[Segment],
    stop: datetime | None,
    target: timedelta,
    warning: float,
    cal: Calendar,
    memo: dict[tuple[datetime, datetime], timedelta] | None = None,
) -> Tally:
    """Measure the finished runs (up to `stop`, if the clock stopped) and note the one still going.

    `memo` keeps business time per span between the two clocks of one ticket,
    which share their runs.
    """
    memo = {} if memo is None else memo
    used = ZERO
    due = running = None
    for begin, end in runs:
        if stop is not None and begin > stop:
            break
        if end is None and stop is None:
            running = begin  # always the last run
            break
        finish = min(end or stop, stop) if stop is not None else end
        assert finish is not None
        part = memo.get((begin, finish))
        if part is None:
            part = memo[begin, finish] = elapsed(cal, begin, finish)
        if due is None and used + part >= target and target > ZERO:
            due = add(cal, begin, target - used)
        used += part
    year = before = 0
    if running is not None:
        if due is None:  # business time accrues from `running` on: the due moment is fixed now
            due = add(cal, running, target - used) if target > used else running
        year = running.astimezone(cal.tz).year
        origin = new_year(cal, year)
        span = memo.get((origin, running))
        if span is None:
            span = memo[origin, running] = elapsed(cal, origin, running)
        before = span // _MICRO
    return Tally(target // _MICRO, warning, used // _MICRO, _us(due), _us(running), _us(stop), year, before)


def read(name: str, t: Tally, run: int) -> Clock:
    """The clock given `run`, the business time (µs) of the run still going."""
    state, used = _reading(t, run)
    return _new(Clock, (name, state, t.target, used, t.due, t.stopped))  # type: ignore[no-any-return]


def _reading(t: tuple[Any, ...], run: int) -> tuple[State, int]:
    """A tally's state and business time used (µs), given `run` (see `read`); `t` may be packed."""
    target, warning, used, _, running, stopped, _, _ = t
    if stopped is not None:
        return (State.MET if used <= target else State.MISSED), used
    if running is None:
        return (State.BREACHED if used > target else State.PAUSED), used
    used += run
    if used > target:
        return State.BREACHED, used
    return (State.WARNING if used >= target * warning else State.OK), used


class Timeline(NamedTuple):
    """What a history says about the clocks before any calendar is applied: when the
    resolution clock ran, when the first response came, when the ticket was done, its
    manual level, and the moment it all holds from (its last event)."""

    runs: tuple[Segment, ...]
    response: datetime | None
    resolved: datetime | None
    manual: str
    since: datetime


def timeline(ticket: Ticket, workflow: Workflow, upto: datetime | None = None) -> Timeline:
    """Walk the history (up to `upto`, if given) once."""
    events = ticket.history if upto is None else tuple(takewhile(lambda e: e.at <= upto, ticket.history))
    seen = ticket._replace(history=events)
    horizon = max((e.at for e in events), default=ticket.created)
    assert horizon is not None and ticket.created is not None
    runs, response = segments(seen, workflow, horizon)
    resolved = _resolved_at(seen, workflow, horizon)
    manual = max((e.to for e in events if e.kind == Kind.ESCALATE and e.to in LEVELS), default="L1")
    return Timeline(tuple(runs), response, resolved, manual, max(horizon, ticket.created))


def plan(
    ticket: Ticket, policy: Policy, cal: Calendar, workflow: Workflow, upto: datetime | None = None
) -> Plan:
    """Both tallies and the manual level, from the history up to `upto` (all of it if None)."""
    return plan_from(timeline(ticket, workflow, upto), policy, cal)


def plan_from(line: Timeline, policy: Policy, cal: Calendar) -> Plan:
    """Measure a timeline's finished runs in the policy's calendar."""
    day = _working_day(cal)
    memo: dict[tuple[datetime, datetime], timedelta] = {}
    runs = list(line.runs)
    first = tally(runs, line.response, _duration(policy.first_response, day), policy.warning, cal, memo)
    resolution = tally(runs, line.resolved, _duration(policy.resolution, day), policy.warning, cal, memo)
    return Plan(policy.name, cal.name, micros(line.since), first, resolution, line.manual)


class Marks(dict[tuple[str, int], int]):
    """Business time (µs) from the new year of each (calendar, year) to `now`, worked out
    once: one for all the tickets measured at the same `now`."""

    def __init__(self, cals: Mapping[str, Calendar], now: datetime) -> None:
        super().__init__()
        self.cals, self.now = cals, now

    def __missing__(self, key: tuple[str, int]) -> int:
        cal = self.cals[key[0]]
        mark = self[key] = elapsed(cal, new_year(cal, key[1]), self.now) // _MICRO
        return mark


def measure(
    ticket: Ticket,
    plan: Plan,
    cal: Calendar,
    raise_on: Mapping[str, str],
    now: datetime,
    marks: Marks | None = None,
    texts: tuple[str, ...] = (),
) -> Sla:
    """Both clocks at `now` (at or after `plan.since`) and the escalation level.

    Pass one `marks` (holding `cal` by its name) for all the tickets measured at `now`.
    """
    marks = Marks({cal.name: cal}, now) if marks is None else marks
    f, r = plan.first_response, plan.resolution
    first = read("first_response", f, _ran(f, cal.name, marks))
    resolution = read("resolution", r, _ran(r, cal.name, marks))
    level, auto = _levels(plan.manual, raise_on, first.state, resolution.state)
    return _new(Sla, (ticket, plan.policy, plan.calendar, first, resolution, level, auto, texts))  # type: ignore[no-any-return]


def _levels(manual: str, raise_on: Mapping[str, str], first: State, second: State) -> tuple[str, str | None]:
    """The level (the higher of manual and automatic) and the automatic one, if any."""
    auto = None
    if "breached" in raise_on and State.BREACHED in (first, second):
        auto = raise_on["breached"]
    elif "warning" in raise_on and State.WARNING in (first, second):
        auto = raise_on["warning"]
    return max(manual, auto or "L1"), auto


class Line(NamedTuple):
    """One ticket's row of `gitdesk sla --json` (see `lines`): its ID, its worst state,
    and what its JSON is made of (`_json`'s arguments), which is made when it is
    written: at 100k tickets, the rows' JSON would hold 50 MB at once."""

    id: str
    worst: State
    texts: tuple[str, ...]
    level: str
    auto_level: str | None
    first: State
    first_used: int
    first_target: int
    resolution: State
    resolution_used: int
    resolution_target: int

    @property
    def json(self) -> str:
        return _json(*self[2:])


Cached = tuple[int, str, Any, tuple[str, ...]]  # a number, a ticket ID, its packed plan and texts
Ranked = tuple[int, int, str, int, int, Line]  # urgency, ID order and number: sorted, they give the queue


def lines(
    cached: Iterable[Cached], cals: Mapping[str, Calendar], raise_on: Mapping[str, str], now: datetime
) -> list[Ranked]:
    """`to_json(measure(...))` of each ticket whose plan (see `pack`) and texts were kept,
    with its sort key: urgency, then ID, then its number (the order of its file). No
    Ticket, Plan, Clock or Sla is made: this runs for each of 10k tickets in a warm
    `gitdesk sla --json`."""
    marks = Marks(cals, now)
    out: list[Ranked] = []
    for n, ticket_id, (_, calendar, _, f, r, manual), texts in cached:
        fs, fu = _reading(f, _ran(f, calendar, marks))
        rs, ru = _reading(r, _ran(r, calendar, marks))
        level, auto = _levels(manual, raise_on, fs, rs)
        rank, left = _urgency(fs, f[0] - fu, rs, r[0] - ru)
        worst = fs if _RANK[fs] <= _RANK[rs] else rs
        line = _new(Line, (ticket_id, worst, texts, level, auto, fs, fu, f[0], rs, ru, r[0]))
        out.append((rank, left, *id_order(ticket_id), n, line))
    return out


def ranked(s: Sla, n: int) -> Ranked:
    """What `lines` gives for a measured ticket."""
    return (*s.urgency(), *id_order(s.ticket.id), n, Line(s.ticket.id, s.worst, *_parts(s)))


def _ran(t: tuple[Any, ...], calendar: str, marks: Marks) -> int:
    """Business time (µs) from the start of the run still going to `now`, if any; `t` is
    a Tally or a packed one: (target, warning, used, due, running, stopped, year, before)."""
    return 0 if t[4] is None or t[5] is not None else marks[calendar, t[6]] - t[7]


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

_MICRO = MICROSECOND


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else micros(moment)


FORMAT = "plan-5"  # bump when Plan or Tally change shape: cached plans of another format are dropped


def pack(p: Plan) -> tuple[object, ...]:
    """A plan as strings and numbers, for marshal."""
    return (p.policy, p.calendar, p.since, tuple(p.first_response), tuple(p.resolution), p.manual)


def unpack(value: object) -> Plan:
    policy, calendar, since, first, resolution, manual = cast(Any, value)
    return _new(Plan, (policy, calendar, since, _new(Tally, first), _new(Tally, resolution), manual))  # type: ignore[no-any-return]


# tuple.__new__ builds a NamedTuple from a tuple in C, skipping the generated Python
# __new__: several per ticket when measuring 10k clocks.
_new: Any = tuple.__new__


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


# --- JSON: the form `gitdesk sla --json` prints ----------------------------------

MINUTE = 60_000_000  # µs


def as_dict(s: Sla) -> dict[str, object]:
    """A JSON-ready view of one ticket's clocks."""
    t = s.ticket
    return {"id": t.id, "title": t.title, "status": t.status, "priority": t.priority, "assignee": t.assignee,
            "team": t.team, "policy": s.policy, "calendar": s.calendar, "level": s.level,
            "auto_level": s.auto_level, "first_response": _clock_dict(s.first_response),
            "resolution": _clock_dict(s.resolution)}  # fmt: skip


def _clock_dict(c: Clock) -> dict[str, object]:
    return {"state": c.state, "target_minutes": c.target_us / MINUTE,
            "used_minutes": c.used_us / MINUTE, "left_minutes": (c.target_us - c.used_us) / MINUTE,
            "due": None if c.due_us is None else format_micros(c.due_us),
            "stopped": None if c.stopped_us is None else format_micros(c.stopped_us)}  # fmt: skip


def texts(ticket: Ticket, plan: Plan) -> tuple[str, ...]:
    """The parts of `to_json` that depend only on the ticket file and the config: the fields
    up to "calendar", and per clock its target and its due and stopped times, or the whole
    clock when it is not running (stopped or paused, it reads the same at any later moment)."""
    tallies = (plan.first_response, plan.resolution)
    out = list(_texts(ticket, plan.policy, plan.calendar, [(t.target, t.due, t.stopped) for t in tallies]))
    for n, tally in zip((1, 3), tallies, strict=True):
        if tally.running is None:
            state, used = _reading(tally, 0)
            out[n : n + 2] = ["", _clock_json(state, used, tally.target, out[n], out[n + 1])]
    return tuple(out)


def _texts(
    t: Ticket, policy: str, calendar: str, clocks: list[tuple[int, int | None, int | None]]
) -> tuple[str, ...]:
    head = (f'{{"id":{_text(t.id)},"title":{_text(t.title)},"status":{_text(t.status)},'
            f'"priority":{_text(t.priority)},"assignee":{_maybe(t.assignee)},'
            f'"team":{_maybe(t.team)},"policy":{_text(policy)},"calendar":{_text(calendar)},')  # fmt: skip
    out = [head]
    for target, due, stopped in clocks:
        when = "null" if due is None else f'"{format_micros(due)}"'
        end = "null" if stopped is None else f'"{format_micros(stopped)}"'
        out += [repr(target / MINUTE), f'"due":{when},"stopped":{end}}}']
    return tuple(out)


def to_json(s: Sla) -> str:
    """`as_dict(s)` as compact JSON (what json.dumps gives with separators (",", ":") and
    ensure_ascii off), written directly: for 10k tickets, building dicts and encoding them
    took a third of a warm `gitdesk sla --json`."""
    return _json(*_parts(s))


Parts = tuple[tuple[str, ...], str, str | None, State, int, int, State, int, int]  # `_json`'s arguments


def _parts(s: Sla) -> Parts:
    f, r = s.first_response, s.resolution
    texts = s.texts or _texts(
        s.ticket, s.policy, s.calendar, [(c.target_us, c.due_us, c.stopped_us) for c in (f, r)]
    )
    return (texts, s.level, s.auto_level, f.state, f.used_us, f.target_us, r.state, r.used_us, r.target_us)


def _json(
    texts: tuple[str, ...],
    level: str,
    auto: str | None,
    first: State,
    first_used: int,
    first_target: int,
    resolution: State,
    resolution_used: int,
    resolution_target: int,
) -> str:
    """A row from its texts and what changes with `now`: the level and the running clocks
    (each clock's state, business time used and target, in µs)."""
    head, f_target, f_tail, r_target, r_tail = texts
    f = _clock_json(first, first_used, first_target, f_target, f_tail) if f_target else f_tail
    r = _clock_json(resolution, resolution_used, resolution_target, r_target, r_tail) if r_target else r_tail
    return f'{head}"level":{_text(level)},"auto_level":{_maybe(auto)},"first_response":{f},"resolution":{r}}}'


def _clock_json(state: State, used_us: int, target_us: int, target: str, tail: str) -> str:
    used, left = used_us / MINUTE, (target_us - used_us) / MINUTE
    return (f'{{"state":"{state}","target_minutes":{target},"used_minutes":{used!r},'
            f'"left_minutes":{left!r},{tail}')  # fmt: skip


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)

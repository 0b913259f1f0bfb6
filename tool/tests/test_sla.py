"""SLA clocks: hand-computed cases, one per line of the table, the arithmetic in the comment.

Calendars: Jakarta office Mon-Fri 08:00-17:00 (UTC+7, so 01:00Z-10:00Z), closed
2026-12-24 and 2026-12-25; New York office Mon-Fri 09:00-17:00 (EDT until
2026-11-01, then EST); and 24x7. 2026-11-16 is a Monday, 2026-11-20 a Friday.
Policies: P1 15m/4h (24x7), P2 1h/1d, P3 4h/3d (1d = one 9 h working day in
Jakarta, 8 h in New York), warning at 75%.
"""

from __future__ import annotations

import marshal
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitdesk.businesstime import Calendar, elapsed
from gitdesk.sla import State, evaluate, measure, pack, plan, segments, unpack
from gitdesk.slaconfig import Policy
from gitdesk.ticket import Event, Kind, Ticket, micros
from gitdesk.workflow import default_workflow

JKT = Calendar("jkt", ZoneInfo("Asia/Jakarta"), {d: ((time(8), time(17)),) for d in range(5)},
               frozenset({date(2026, 12, 24), date(2026, 12, 25)}))  # fmt: skip
NY = Calendar("ny", ZoneInfo("America/New_York"), {d: ((time(9), time(17)),) for d in range(5)})
ALWAYS = Calendar("24x7", ZoneInfo("UTC"), {}, always_open=True)
P1 = Policy("P1", "24x7", "15m", "4h", 0.75)
P2 = Policy("P2", "office", "1h", "1d", 0.75)
P3 = Policy("P3", "office", "4h", "3d", 0.75)
RAISE = {"warning": "L2", "breached": "L3"}
WF = default_workflow()


def z(text: str) -> datetime:
    """'11-16 02:00' -> 2026-11-16T02:00Z; a full date with year also works."""
    stamp = text if text.count("-") == 2 else f"2026-{text}"
    return datetime.fromisoformat(stamp.replace(" ", "T")).replace(tzinfo=UTC)


def ticket(created: str, *steps: tuple[str, str, str, str], requester: str = "budi") -> Ticket:
    """steps: (time, who, what, arg): what is move/comment/internal/escalate."""
    events = [Event(z(created), requester, Kind.CREATED)]
    status = "new"
    for at, who, what, arg in steps:
        if what == "move":
            kind = Kind.REOPEN if WF.is_reopen(status, arg) else Kind.TRANSITION
            events.append(Event(z(at), who, kind, from_=status, to=arg))
            status = arg
        elif what in ("comment", "internal"):
            visibility = "public" if what == "comment" else "internal"
            events.append(Event(z(at), who, Kind.COMMENT, visibility=visibility, text=arg))
        elif what == "escalate":
            events.append(Event(z(at), who, Kind.ESCALATE, to=arg))
    return Ticket("tickets/T-1-x.md", "T-1", "x", "incident", status, "P3", requester, z(created),
                  history=tuple(events))  # fmt: skip


START = ("11-16 02:00",)  # Monday 09:00 in Jakarta
TRIAGE = ("11-16 02:10", "sari", "move", "triaged")
WORK = ("11-16 02:20", "sari", "move", "in-progress")

# (case, calendar, policy, ticket, now, (FR state, FR minutes used), (resolution state, minutes used))
CASES = [
    # 02:00Z -> 03:00Z is one working hour; 60 of 240 min is 25%.
    ("one hour in", JKT, P3, ticket(*START), "11-16 03:00", ("ok", 60), ("ok", 60)),
    # 180 of 240 min is exactly 75%: the warning starts at the threshold.
    ("exactly at the threshold", JKT, P3, ticket(*START), "11-16 05:00", ("warning", 180), ("ok", 180)),
    ("one minute before it", JKT, P3, ticket(*START), "11-16 04:59", ("ok", 179), ("ok", 179)),
    # 240 of 240: still within the target; 241 is over.
    ("exactly at the target", JKT, P3, ticket(*START), "11-16 06:00", ("warning", 240), ("ok", 240)),
    ("one minute over", JKT, P3, ticket(*START), "11-16 06:01", ("breached", 241), ("ok", 241)),
    # Created 07:00 local; the clock starts at 08:00 (01:00Z): 01:00Z -> 02:00Z.
    ("before opening", JKT, P3, ticket("11-16 00:00"), "11-16 02:00", ("ok", 60), ("ok", 60)),
    # Created 18:00 local Monday; counts from Tuesday 08:00 (01:00Z) to 01:30Z.
    ("after closing", JKT, P3, ticket("11-16 11:00"), "11-17 01:30", ("ok", 30), ("ok", 30)),
    # Created 03:00 local Tuesday (at night); counts from 08:00 local (01:00Z) to 02:00Z.
    ("at night", JKT, P3, ticket("11-16 20:00"), "11-17 02:00", ("ok", 60), ("ok", 60)),
    # Created Saturday; Monday 08:00 -> 10:00 local is 2 h.
    ("on a Saturday", JKT, P3, ticket("11-21 03:00"), "11-23 03:00", ("ok", 120), ("ok", 120)),
    # Friday 16:00 -> 17:00 local (1 h) + Monday 08:00 -> 09:00 (1 h) = 2 h > 1 h.
    (
        "Friday evening to Monday",
        JKT,
        P2,
        ticket("11-20 09:00"),
        "11-23 02:00",
        ("breached", 120),
        ("ok", 120),
    ),
    # Wednesday 16:00 -> 17:00 (1 h); Thursday 24th and Friday 25th closed; Monday 1 h.
    ("over the holidays", JKT, P3, ticket("12-23 09:00"), "12-28 02:00", ("ok", 120), ("ok", 120)),
    # The requester's own comment is not a first response.
    (
        "requester comments",
        JKT,
        P3,
        ticket(*START, ("11-16 02:30", "budi", "comment", "any news?")),
        "11-16 03:00",
        ("ok", 60),
        ("ok", 60),
    ),
    # An agent's public comment 30 min in is the first response.
    (
        "agent replies",
        JKT,
        P3,
        ticket(*START, ("11-16 02:30", "sari", "comment", "on it")),
        "11-16 03:00",
        ("met", 30),
        ("ok", 60),
    ),
    # An internal note is not a response.
    (
        "internal note only",
        JKT,
        P3,
        ticket(*START, ("11-16 02:30", "sari", "internal", "hmm")),
        "11-16 03:00",
        ("ok", 60),
        ("ok", 60),
    ),
    # A transition by an agent is a response: 45 min.
    (
        "transition answers",
        JKT,
        P3,
        ticket(*START, ("11-16 02:45", "sari", "move", "triaged")),
        "11-16 03:00",
        ("met", 45),
        ("ok", 60),
    ),
    # A reply after 5 working hours misses a 4 h target.
    (
        "late reply",
        JKT,
        P3,
        ticket(*START, ("11-16 07:00", "sari", "comment", "sorry")),
        "11-16 08:00",
        ("missed", 300),
        ("ok", 360),
    ),
    # Waiting Monday 03:00Z -> Tuesday 02:00Z does not count: 60 + 60 = 120 min.
    (
        "a waiting period",
        JKT,
        P3,
        ticket(
            *START,
            TRIAGE,
            WORK,
            ("11-16 03:00", "sari", "move", "waiting"),
            ("11-17 02:00", "budi", "move", "in-progress"),
        ),
        "11-17 03:00",
        ("met", 10),
        ("ok", 120),
    ),
    # Still waiting: the clock stands at 60 min, no due time.
    (
        "waiting now",
        JKT,
        P3,
        ticket(*START, TRIAGE, WORK, ("11-16 03:00", "sari", "move", "waiting")),
        "11-16 09:00",
        ("met", 10),
        ("paused", 60),
    ),
    # Monday 9 h + Tuesday 1 h = 10 h > 9 h before waiting: breached stays breached.
    (
        "breached, then waiting",
        JKT,
        P2,
        ticket(
            "11-16 01:00",
            ("11-16 01:10", "sari", "move", "in-progress"),
            ("11-17 02:00", "sari", "move", "waiting"),
        ),
        "11-18 02:00",
        ("met", 10),
        ("breached", 600),
    ),
    # Resolved at 08:00Z: 6 h of a 27 h target.
    (
        "resolved in time",
        JKT,
        P3,
        ticket(*START, TRIAGE, WORK, ("11-16 08:00", "sari", "move", "resolved")),
        "11-17 08:00",
        ("met", 10),
        ("met", 360),
    ),
    # Reopened Tuesday 02:00Z: 6 h + 2 h = 8 h, running again.
    (
        "reopened",
        JKT,
        P3,
        ticket(
            *START,
            TRIAGE,
            WORK,
            ("11-16 08:00", "sari", "move", "resolved"),
            ("11-17 02:00", "budi", "move", "in-progress"),
        ),
        "11-17 04:00",
        ("met", 10),
        ("ok", 480),
    ),
    (
        "reopened and resolved",
        JKT,
        P3,
        ticket(
            *START,
            TRIAGE,
            WORK,
            ("11-16 08:00", "sari", "move", "resolved"),
            ("11-17 02:00", "budi", "move", "in-progress"),
            ("11-17 04:00", "sari", "move", "resolved"),
        ),
        "11-18 04:00",
        ("met", 10),
        ("met", 480),
    ),
    # Monday 9 h + Tuesday 2 h = 11 h > a 9 h day.
    (
        "resolved late",
        JKT,
        P2,
        ticket(
            "11-16 01:00",
            ("11-16 01:10", "sari", "move", "in-progress"),
            ("11-17 03:00", "sari", "move", "resolved"),
        ),
        "11-18 03:00",
        ("met", 10),
        ("missed", 660),
    ),
    # 24x7: 12 of 15 min = 80%.
    ("24x7 warning", ALWAYS, P1, ticket("11-21 03:00"), "11-21 03:12", ("warning", 12), ("ok", 12)),
    ("24x7 breach", ALWAYS, P1, ticket("11-21 03:00"), "11-21 03:16", ("breached", 16), ("ok", 16)),
    # New York: Friday 16:00 -> 17:00 EDT (1 h) + Monday 09:00 -> 10:00 EST (1 h), across the DST end.
    ("New York across DST", NY, P2, ticket("10-30 20:00"), "11-02 15:00", ("breached", 120), ("ok", 120)),
    # 24x7 across the DST end: 24 h of real time, not 25 h of wall time.
    (
        "24x7 across DST",
        ALWAYS,
        P1,
        ticket("10-31 12:00"),
        "11-01 12:00",
        ("breached", 1440),
        ("breached", 1440),
    ),
    # GITDESK_NOW before the reply: the reply has not happened yet.
    (
        "now before the reply",
        JKT,
        P3,
        ticket(*START, ("11-16 02:30", "sari", "comment", "on it")),
        "11-16 02:20",
        ("ok", 20),
        ("ok", 20),
    ),
    # Cancelled by the requester before any answer: both clocks stop at once.
    (
        "cancelled unanswered",
        JKT,
        P3,
        ticket(*START, ("11-16 02:30", "budi", "move", "cancelled")),
        "11-16 05:00",
        ("met", 30),
        ("met", 30),
    ),
]


@pytest.mark.parametrize(
    ("case", "cal", "policy", "t", "now", "first", "resolution"), CASES, ids=[c[0] for c in CASES]
)
def test_clocks(case: str, cal: Calendar, policy: Policy, t: Ticket, now: str,
                first: tuple[str, int], resolution: tuple[str, int]) -> None:  # fmt: skip
    sla = evaluate(t, policy, cal, WF, RAISE, z(now))
    got = [(c.state.value, c.used / timedelta(minutes=1)) for c in sla.clocks]
    assert got == [first, resolution]


@pytest.mark.parametrize(
    ("case", "cal", "policy", "t", "now", "due"),
    [
        # 02:00Z + 4 working hours, all on Monday.
        ("due today", JKT, P3, ticket(*START), "11-16 03:00", "11-16 06:00"),
        # 1 h of target from Friday 16:00 local ends exactly at closing time, 10:00Z.
        ("due at closing", JKT, P2, ticket("11-20 09:00"), "11-20 09:30", "11-20 10:00"),
        # Created after closing: 4 h from Tuesday 08:00 local = 05:00Z.
        ("due next morning", JKT, P3, ticket("11-16 11:00"), "11-16 12:00", "11-17 05:00"),
        # New York: 30 min on Friday, 3.5 h from Monday 09:00 EST (14:00Z) = 17:30Z.
        ("due across DST", NY, P3, ticket("10-30 20:30"), "11-02 14:00", "11-02 17:30"),
        # A breached clock keeps the time it breached: Friday 17:00 local.
        ("breach time kept", JKT, P2, ticket("11-20 09:00"), "11-23 02:00", "11-20 10:00"),
    ],
)
def test_first_response_due(case: str, cal: Calendar, policy: Policy, t: Ticket, now: str, due: str) -> None:
    assert evaluate(t, policy, cal, WF, RAISE, z(now)).first_response.due == z(due)


def test_paused_clock_has_no_due_time() -> None:
    t = ticket(*START, TRIAGE, WORK, ("11-16 03:00", "sari", "move", "waiting"))
    assert evaluate(t, P3, JKT, WF, RAISE, z("11-16 09:00")).resolution.due is None


@pytest.mark.parametrize(
    ("steps", "now", "level", "auto"),
    [
        ((), "11-16 03:00", "L1", None),  # ok: no escalation
        ((), "11-16 05:00", "L2", "L2"),  # warning raises to L2
        ((), "11-16 06:01", "L3", "L3"),  # breach raises to L3
        ((("11-16 02:05", "sari", "escalate", "L3"),), "11-16 03:00", "L3", None),  # manual L3 stays
        ((("11-16 02:05", "sari", "escalate", "L2"),), "11-16 06:01", "L3", "L3"),  # the higher wins
        ((("11-16 02:05", "sari", "escalate", "L2"),), "11-16 02:04", "L1", None),  # not yet escalated
    ],
)
def test_level_is_the_higher_of_manual_and_automatic(
    steps: tuple[tuple[str, str, str, str], ...], now: str, level: str, auto: str | None
) -> None:
    sla = evaluate(ticket(*START, *steps), P3, JKT, WF, RAISE, z(now))
    assert (sla.level, sla.auto_level) == (level, auto)


def test_urgency_orders_breached_then_warning_then_ok_then_paused() -> None:
    now = z("11-16 05:30")
    waiting = ticket(*START, TRIAGE, WORK, ("11-16 03:00", "sari", "move", "waiting"))
    breached = ticket("11-16 01:00")
    warning = ticket("11-16 02:00")
    fresh = ticket("11-16 05:00")
    slas = [evaluate(t, P3, JKT, WF, RAISE, now) for t in (waiting, fresh, warning, breached)]
    ordered = sorted(slas, key=lambda s: s.urgency())
    assert [s.worst.value for s in ordered] == ["breached", "warning", "ok", "paused"]
    assert State.BREACHED in {c.state for c in ordered[0].clocks}


@pytest.mark.parametrize(
    ("case", "cal", "policy", "t", "now", "first", "resolution"), CASES, ids=[c[0] for c in CASES]
)
def test_a_cached_plan_reads_like_a_fresh_evaluation_at_every_later_moment(
    case: str, cal: Calendar, policy: Policy, t: Ticket, now: str, first: object, resolution: object
) -> None:
    made = plan(t, policy, cal, WF)
    kept = unpack(marshal.loads(marshal.dumps(pack(made))))  # as the cache stores it
    assert kept == made
    last = max(e.at for e in t.history)
    assert made.since == micros(last)
    used = [timedelta(0), timedelta(0)]
    for hours in (0, 1, 7, 30, 24 * 9, 24 * 40):
        moment = last + timedelta(hours=hours)
        got = measure(t, kept, cal, RAISE, moment)
        assert got == evaluate(t, policy, cal, WF, RAISE, moment)
        # Business time used never goes backwards as the clock moves on.
        assert all(c.used >= u for c, u in zip(got.clocks, used, strict=True))
        used = [c.used for c in got.clocks]


def test_a_plan_made_up_to_an_earlier_moment_ignores_what_came_after() -> None:
    t = ticket(
        *START, ("11-16 03:00", "sari", "comment", "public"), ("11-16 04:00", "sari", "move", "resolved")
    )
    early = plan(t, P3, JKT, WF, upto=z("11-16 02:30"))
    assert early.since == micros(z("11-16 02:00"))
    assert early.first_response.stopped is None and early.first_response.running == micros(z("11-16 02:00"))
    later = measure(t, early, JKT, RAISE, z("11-16 02:30"))
    assert [c.state.value for c in later.clocks] == ["ok", "ok"]
    done = plan(t, P3, JKT, WF)
    assert done.first_response.stopped == micros(z("11-16 03:00"))
    assert done.resolution.stopped == micros(z("11-16 04:00"))


MOVES = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=60 * 24 * 200),  # minutes after the previous event
        st.sampled_from(["triaged", "in-progress", "waiting", "resolved", "in-progress", "comment"]),
        st.sampled_from(["budi", "sari"]),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([JKT, NY, ALWAYS]),
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1)),
    MOVES,
    st.integers(min_value=0, max_value=60 * 24 * 800),
)
def test_used_time_is_the_business_time_of_the_runs_up_to_now(
    cal: Calendar, created: datetime, moves: list[tuple[int, str, str]], later: int
) -> None:
    """Measured through the new-year marks, `used` equals summing `elapsed` over each run."""
    at = created.replace(tzinfo=UTC)
    events = [Event(at, "budi", Kind.CREATED)]
    status = "new"
    for gap, what, who in moves:
        at += timedelta(minutes=gap)
        if what == "comment":
            events.append(Event(at, who, Kind.COMMENT, visibility="public", text="x"))
        elif what != status:
            kind = Kind.REOPEN if WF.is_reopen(status, what) else Kind.TRANSITION
            events.append(Event(at, who, kind, from_=status, to=what))
            status = what
    t = Ticket("tickets/T-1-x.md", "T-1", "x", "incident", status, "P3", "budi", events[0].at,
               history=tuple(events))  # fmt: skip
    now = at + timedelta(minutes=later)
    got = evaluate(t, P3, cal, WF, RAISE, now)
    runs, response = segments(t, WF, now)
    resolved = next((e.at for e in reversed(events) if e.kind in ("transition", "reopen")), None)
    resolved = resolved if status == "resolved" else None
    for clock, stop in ((got.first_response, response), (got.resolution, resolved)):
        end = stop or now
        expected = sum((elapsed(cal, a, min(b or end, end)) for a, b in runs if a <= end), timedelta(0))
        assert clock.used == expected

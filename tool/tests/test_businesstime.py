"""Tests for gitdesk.businesstime: hand-computed cases and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitdesk.businesstime import Calendar, add, elapsed, is_open, next_open, parse_duration

JAKARTA = ZoneInfo("Asia/Jakarta")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = range(5)
HOLIDAYS = frozenset({date(2026, 12, 25), date(2026, 8, 17)})  # Christmas (Fri), Independence Day (Mon)

# Mon-Fri 08:00-17:00, 9 hours a day.
OFFICE = Calendar("office", JAKARTA, {wd: ((time(8), time(17)),) for wd in WEEKDAYS}, HOLIDAYS)
# Mon-Fri 08:00-12:00 and 13:00-17:00, 8 hours a day.
LUNCH = Calendar(
    "lunch", JAKARTA, {wd: ((time(8), time(12)), (time(13), time(17))) for wd in WEEKDAYS}, HOLIDAYS
)
# Every day 01:00-03:00 New York time: the hours that DST changes.
NIGHT = Calendar("night", NEW_YORK, {wd: ((time(1), time(3)),) for wd in range(7)}, frozenset())
# Every day 00:00-24:00 New York time (end time(0) means midnight at the end of the day).
FULL = Calendar("full", NEW_YORK, {wd: ((time(0), time(0)),) for wd in range(7)}, frozenset())
# Sundays 01:00-02:30 and 03:00-04:00 New York time; 02:30 does not exist on 2026-03-08.
GAP = Calendar("gap", NEW_YORK, {6: ((time(1), time(2, 30)), (time(3), time(4)))}, frozenset())
ALWAYS = Calendar("24x7", ZoneInfo("UTC"), {}, frozenset(), always_open=True)


def jkt(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=JAKARTA)


def nyc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NEW_YORK, fold=fold)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


H = timedelta(hours=1)
M = timedelta(minutes=1)

# 2026-03-02 is a Monday; 2026-03-06 Fri, 03-07 Sat, 03-09 Mon.
ELAPSED_CASES = [
    # 09:00 -> 11:30 inside one working day: 2h30.
    ("same-day", OFFICE, jkt(2026, 3, 2, 9), jkt(2026, 3, 2, 11, 30), 2 * H + 30 * M),
    # Created 06:00 before opening: only 08:00-10:00 counts = 2h.
    ("before-opening", OFFICE, jkt(2026, 3, 2, 6), jkt(2026, 3, 2, 10), 2 * H),
    # Created 18:00 after closing: nothing Mon evening, Tue 08:00-09:00 = 1h.
    ("after-closing", OFFICE, jkt(2026, 3, 2, 18), jkt(2026, 3, 3, 9), H),
    # 23:00 -> 03:00 next night is all outside hours = 0.
    ("night", OFFICE, jkt(2026, 3, 2, 23), jkt(2026, 3, 3, 3), timedelta(0)),
    # Saturday 10:00 -> Monday 10:00: weekend counts 0, Mon 08:00-10:00 = 2h.
    ("saturday", OFFICE, jkt(2026, 3, 7, 10), jkt(2026, 3, 9, 10), 2 * H),
    # Fri 16:00 -> Mon 09:00: Fri 16-17 = 1h + Mon 08-09 = 1h = 2h.
    ("friday-to-monday", OFFICE, jkt(2026, 3, 6, 16), jkt(2026, 3, 9, 9), 2 * H),
    # 2026-11-20 is a Friday: 17:30 (closed) -> Mon 11-23 08:30 = 30m.
    ("friday-evening", OFFICE, jkt(2026, 11, 20, 17, 30), jkt(2026, 11, 23, 8, 30), 30 * M),
    # Mon 08:00 -> next Mon 08:00: five days of 9h = 45h.
    ("full-week", OFFICE, jkt(2026, 3, 2, 8), jkt(2026, 3, 9, 8), 45 * H),
    # Fri 08-14 16:00 -> Tue 08-18 10:00, Mon 08-17 closed: 1h + 0 + 2h = 3h.
    ("independence-day", OFFICE, jkt(2026, 8, 14, 16), jkt(2026, 8, 18, 10), 3 * H),
    # Thu 12-24 15:00 -> Mon 12-28 09:00, Fri 12-25 closed: 2h + 0 + 1h = 3h.
    ("christmas", OFFICE, jkt(2026, 12, 24, 15), jkt(2026, 12, 28, 9), 3 * H),
    # Exactly closing -> exactly next opening: the gap between them counts 0.
    ("boundary-gap", OFFICE, jkt(2026, 3, 2, 17), jkt(2026, 3, 3, 8), timedelta(0)),
    # Exactly opening -> exactly closing: the whole 9h day.
    ("boundary-day", OFFICE, jkt(2026, 3, 2, 8), jkt(2026, 3, 2, 17), 9 * H),
    # end before start counts 0.
    ("reversed", OFFICE, jkt(2026, 3, 2, 12), jkt(2026, 3, 2, 9), timedelta(0)),
    # Instants in UTC: 01:00Z = 08:00 WIB, 03:00Z = 10:00 WIB = 2h.
    ("utc-input", OFFICE, utc(2026, 3, 2, 1), utc(2026, 3, 2, 3), 2 * H),
    # Lunch break: 11:00-12:00 = 1h + 13:00-14:00 = 1h = 2h.
    ("lunch-across", LUNCH, jkt(2026, 3, 2, 11), jkt(2026, 3, 2, 14), 2 * H),
    # Created during lunch 12:30 -> 13:30: only 13:00-13:30 = 30m.
    ("lunch-inside", LUNCH, jkt(2026, 3, 2, 12, 30), jkt(2026, 3, 2, 13, 30), 30 * M),
    # 07:00 -> 18:00 covers both halves: 4h + 4h = 8h.
    ("lunch-day", LUNCH, jkt(2026, 3, 2, 7), jkt(2026, 3, 2, 18), 8 * H),
    # Ordinary Saturday 03-07: 01:00-03:00 EST is 2h.
    ("ny-ordinary", NIGHT, nyc(2026, 3, 7), nyc(2026, 3, 7, 12), 2 * H),
    # Spring forward 03-08: 01:00 EST = 06:00Z to 03:00 EDT = 07:00Z = 1h.
    ("ny-spring", NIGHT, nyc(2026, 3, 8), nyc(2026, 3, 8, 12), H),
    # Fall back 11-01: 01:00 EDT (first) = 05:00Z to 03:00 EST = 08:00Z = 3h.
    ("ny-fall", NIGHT, nyc(2026, 11, 1), nyc(2026, 11, 1, 12), 3 * H),
    # Fall back, from the second 01:30 (EST, 06:30Z) to 08:00Z = 1h30.
    ("ny-fall-second", NIGHT, nyc(2026, 11, 1, 1, 30, fold=1), nyc(2026, 11, 1, 12), H + 30 * M),
    # 24h calendar, spring-forward day 00:00 EST (05:00Z) -> next 00:00 EDT (04:00Z) = 23h.
    ("ny-24h-spring", FULL, nyc(2026, 3, 8), nyc(2026, 3, 9), 23 * H),
    # 24h calendar, fall-back day 00:00 EDT (04:00Z) -> next 00:00 EST (05:00Z) = 25h.
    ("ny-24h-fall", FULL, nyc(2026, 11, 1), nyc(2026, 11, 2), 25 * H),
    # 02:30 read with fold=0 is 07:30Z, after 03:00 EDT = 07:00Z: the overlap counts once,
    # 01:00 EST = 06:00Z to 04:00 EDT = 08:00Z = 2h (not 1h30 + 1h).
    ("ny-gap-overlap", GAP, nyc(2026, 3, 8), nyc(2026, 3, 8, 12), 2 * H),
    # 24x7: wall time, Sat 22:00Z -> Mon 01:30Z = 27h30.
    ("always-open", ALWAYS, utc(2026, 3, 7, 22), utc(2026, 3, 9, 1, 30), 27 * H + 30 * M),
]


@pytest.mark.parametrize(
    ("cal", "start", "end", "expected"), [c[1:] for c in ELAPSED_CASES], ids=[c[0] for c in ELAPSED_CASES]
)
def test_elapsed_cases(cal: Calendar, start: datetime, end: datetime, expected: timedelta) -> None:
    assert elapsed(cal, start, end) == expected


ADD_CASES = [
    # Mon 09:00 + 2h inside the day = 11:00.
    ("same-day", OFFICE, jkt(2026, 3, 2, 9), 2 * H, jkt(2026, 3, 2, 11)),
    # Mon 15:00 + 2h uses up 15-17 exactly: lands at closing 17:00, not Tue 08:00.
    ("lands-at-closing", OFFICE, jkt(2026, 3, 2, 15), 2 * H, jkt(2026, 3, 2, 17)),
    # Mon 15:00 + 2h01: 2h Monday, the last minute Tue 08:00-08:01.
    ("one-minute-more", OFFICE, jkt(2026, 3, 2, 15), 2 * H + M, jkt(2026, 3, 3, 8, 1)),
    # Mon 18:00 (closed) + 1h: Tue 08:00-09:00.
    ("after-closing", OFFICE, jkt(2026, 3, 2, 18), H, jkt(2026, 3, 3, 9)),
    # Sat 10:00 + 1h: weekend skipped, Mon 08:00-09:00.
    ("saturday", OFFICE, jkt(2026, 3, 7, 10), H, jkt(2026, 3, 9, 9)),
    # Fri 16:00 + 4h: Fri 1h, Mon 08:00-11:00 3h.
    ("friday-to-monday", OFFICE, jkt(2026, 3, 6, 16), 4 * H, jkt(2026, 3, 9, 11)),
    # Fri 08-14 16:00 + 4h: Fri 1h, Mon 08-17 closed, Tue 08:00-11:00 3h.
    ("independence-day", OFFICE, jkt(2026, 8, 14, 16), 4 * H, jkt(2026, 8, 18, 11)),
    # Thu 12-24 16:00 + 9h: Thu 1h, Fri 12-25 closed, weekend, Mon 12-28 08:00-16:00 8h.
    ("christmas", OFFICE, jkt(2026, 12, 24, 16), 9 * H, jkt(2026, 12, 28, 16)),
    # Mon 08:00 + 27h (3 working days of 9h): Mon, Tue, Wed, ending Wed 17:00.
    ("three-days", OFFICE, jkt(2026, 3, 2, 8), 27 * H, jkt(2026, 3, 4, 17)),
    # add(..., 0) is start itself, even on a Saturday.
    ("zero", OFFICE, jkt(2026, 3, 7, 10), timedelta(0), jkt(2026, 3, 7, 10)),
    # Lunch: 11:00 + 2h = 11-12 1h + 13-14 1h = 14:00.
    ("lunch-across", LUNCH, jkt(2026, 3, 2, 11), 2 * H, jkt(2026, 3, 2, 14)),
    # Lunch: 11:00 + 1h lands at the start of lunch, 12:00.
    ("lunch-lands", LUNCH, jkt(2026, 3, 2, 11), H, jkt(2026, 3, 2, 12)),
    # Lunch: created 12:15 + 30m = 13:00-13:30.
    ("lunch-inside", LUNCH, jkt(2026, 3, 2, 12, 15), 30 * M, jkt(2026, 3, 2, 13, 30)),
    # Spring forward: 03-08 has 1h (06:00Z-07:00Z), so +1h ends at 03:00 EDT = 07:00Z.
    ("ny-spring", NIGHT, nyc(2026, 3, 8), H, utc(2026, 3, 8, 7)),
    # +1h30: 1h on 03-08, then 03-09 01:00 EDT (05:00Z) + 30m = 05:30Z.
    ("ny-spring-next", NIGHT, nyc(2026, 3, 8), H + 30 * M, utc(2026, 3, 9, 5, 30)),
    # Fall back: 11-01 has 3h from 05:00Z; +2h30 = 07:30Z = 02:30 EST.
    ("ny-fall", NIGHT, nyc(2026, 11, 1), 2 * H + 30 * M, utc(2026, 11, 1, 7, 30)),
    # 24h calendar: 03-08 00:00 EST (05:00Z) + 23h = 03-09 00:00 EDT (04:00Z).
    ("ny-24h-spring", FULL, nyc(2026, 3, 8), 23 * H, nyc(2026, 3, 9)),
    # 24x7: + 3 days is + 72h wall time.
    ("always-open", ALWAYS, utc(2026, 3, 7, 22), 72 * H, utc(2026, 3, 10, 22)),
]


@pytest.mark.parametrize(
    ("cal", "start", "duration", "expected"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_cases(cal: Calendar, start: datetime, duration: timedelta, expected: datetime) -> None:
    result = add(cal, start, duration)
    assert result == expected
    assert result.tzinfo is UTC
    assert elapsed(cal, start, result) == duration


def test_is_open_and_next_open() -> None:
    assert is_open(OFFICE, jkt(2026, 3, 2, 8))  # opening instant is inside
    assert not is_open(OFFICE, jkt(2026, 3, 2, 17))  # closing instant is outside
    assert not is_open(OFFICE, jkt(2026, 8, 17, 10))  # Independence Day
    assert not is_open(LUNCH, jkt(2026, 3, 2, 12, 30))
    assert is_open(ALWAYS, utc(2026, 3, 7, 3))
    assert next_open(OFFICE, jkt(2026, 3, 2, 10)) == jkt(2026, 3, 2, 10)
    assert next_open(OFFICE, jkt(2026, 3, 2, 17)) == jkt(2026, 3, 3, 8)
    assert next_open(OFFICE, jkt(2026, 3, 6, 20)) == jkt(2026, 3, 9, 8)
    assert next_open(OFFICE, jkt(2026, 8, 14, 20)) == jkt(2026, 8, 18, 8)
    assert next_open(LUNCH, jkt(2026, 3, 2, 12, 1)) == jkt(2026, 3, 2, 13)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9)
    for call in (
        lambda: elapsed(OFFICE, naive, jkt(2026, 3, 2)),
        lambda: add(OFFICE, naive, H),
        lambda: is_open(OFFICE, naive),
        lambda: next_open(OFFICE, naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add(OFFICE, jkt(2026, 3, 2), -H)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({}, "no working hours"),
        ({7: ((time(8), time(9)),)}, "weekdays 0"),
        ({0: ((time(9), time(8)),)}, "start < end"),
        ({0: ((time(8), time(8)),)}, "start < end"),
        ({0: ((time(8), time(12)), (time(11), time(13)))}, "not overlap"),
        ({0: ((time(13), time(17)), (time(8), time(12)))}, "sorted"),
        ({0: ((time(8), time(0)), (time(9), time(10)))}, "sorted"),
        ({0: (("08:00", "17:00"),)}, "datetime.time"),
    ],
)
def test_bad_hours_are_refused(hours: dict[int, tuple[tuple[time, time], ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar("bad", JAKARTA, hours, frozenset())


def test_closed_dates_must_be_dates() -> None:
    with pytest.raises(ValueError, match="closed dates"):
        Calendar("bad", JAKARTA, {0: ((time(8), time(9)),)}, frozenset({datetime(2026, 1, 1)}))


def test_add_gives_up_after_ten_years() -> None:
    # Open only on Mondays, and every Monday for 11 years is closed.
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(11 * 53))
    cal = Calendar("never", JAKARTA, {0: ((time(8), time(9)),)}, mondays)
    with pytest.raises(ValueError, match="within 10 years"):
        add(cal, jkt(2026, 1, 1), H)
    with pytest.raises(ValueError, match="within 10 years"):
        next_open(cal, jkt(2026, 1, 1))


def test_working_day() -> None:
    assert OFFICE.working_day() == 9 * H
    assert LUNCH.working_day() == 8 * H
    assert FULL.working_day() == 24 * H
    assert ALWAYS.working_day() == 24 * H
    saturday = Calendar("sat", JAKARTA, {**OFFICE.hours, 5: ((time(9), time(13)),)}, frozenset())
    assert saturday.working_day() == 9 * H


@pytest.mark.parametrize(
    ("text", "day", "expected"),
    [
        ("15m", 24 * H, 15 * M),
        ("90m", 24 * H, 90 * M),
        ("4h", 24 * H, 4 * H),
        ("3d", 24 * H, 72 * H),
        ("1d 4h", 24 * H, 28 * H),
        ("1d4h30m", 24 * H, 28 * H + 30 * M),
        ("2w", 24 * H, 14 * 24 * H),
        (" 0m ", 24 * H, timedelta(0)),
        ("3d", 9 * H, 27 * H),  # business days of 9h
        ("1w", 9 * H, 45 * H),  # a business week is 5 business days
    ],
)
def test_parse_duration(text: str, day: timedelta, expected: timedelta) -> None:
    assert parse_duration(text, day) == expected


@pytest.mark.parametrize("text", ["", "   ", "5", "4x", "-3h", "4h 1d", "1.5h", "h", "4 h", "1d 1d"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration like"):
        parse_duration(text)


# --- properties -----------------------------------------------------------

BASE = utc(2026, 1, 1)
SPAN_US = 2 * 365 * 86_400 * 10**6  # 2026 and 2027
OFFICE_NY = Calendar(
    "office-ny",
    NEW_YORK,
    {wd: ((time(9), time(12, 30)), (time(13, 15), time(17, 45))) for wd in WEEKDAYS}
    | {5: ((time(10), time(14)),)},
    frozenset({date(2026, 12, 25), date(2027, 1, 1), date(2026, 11, 26)}),
)
# Santiago changes its clocks at midnight (2026-04-04 24:00 back, 2026-09-06 00:00 forward).
SANTIAGO = Calendar(
    "santiago",
    ZoneInfo("America/Santiago"),
    {wd: ((time(0), time(2)), (time(22), time(0))) for wd in range(7)},
    frozenset({date(2026, 9, 18)}),
)
CALENDARS = st.sampled_from([OFFICE, LUNCH, NIGHT, FULL, OFFICE_NY, SANTIAGO])
instants = st.integers(0, SPAN_US).map(lambda us: BASE + timedelta(microseconds=us))
durations = st.integers(1, 30 * 86_400 * 10**6).map(lambda us: timedelta(microseconds=us))
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(CALENDARS, instants, instants, instants)
def test_elapsed_is_monotone_in_end(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    b, c = sorted((b, c))
    assert elapsed(cal, a, b) <= elapsed(cal, a, c)


@PROPERTY
@given(CALENDARS, instants, instants, instants)
def test_elapsed_is_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert elapsed(cal, a, b) + elapsed(cal, b, c) == elapsed(cal, a, c)


@PROPERTY
@given(CALENDARS, instants, durations)
def test_add_inverts_elapsed(cal: Calendar, start: datetime, duration: timedelta) -> None:
    end = add(cal, start, duration)
    assert elapsed(cal, start, end) == duration
    # And it is the first such instant: a microsecond earlier is not enough, and it was working time.
    tick = timedelta(microseconds=1)
    assert elapsed(cal, start, end - tick) == duration - tick
    assert is_open(cal, end - tick)


@PROPERTY
@given(CALENDARS, instants, durations, durations)
def test_add_is_monotone_in_duration(cal: Calendar, start: datetime, d1: timedelta, d2: timedelta) -> None:
    d1, d2 = sorted((d1, d2))
    assert add(cal, start, d1) <= add(cal, start, d2)


@PROPERTY
@given(instants, instants)
def test_always_open_is_wall_time(a: datetime, b: datetime) -> None:
    assert elapsed(ALWAYS, a, b) == max(b - a, timedelta(0))
    assert add(ALWAYS, a, abs(b - a)) == a + abs(b - a)


@PROPERTY
@given(CALENDARS, instants)
def test_next_open_is_open_and_nothing_skipped(cal: Calendar, moment: datetime) -> None:
    found = next_open(cal, moment)
    assert found >= moment
    assert is_open(cal, found)
    assert elapsed(cal, moment, found) == timedelta(0)


def reference_elapsed(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """A slow, independent version: each local day's intervals converted with astimezone."""
    total = timedelta(0)
    day = start.astimezone(cal.tz).date() - timedelta(days=1)
    while datetime.combine(day, time(), cal.tz) < end:
        for s, e in () if day in cal.closed else cal.hours.get(day.weekday(), ()):
            lo = datetime.combine(day, s, cal.tz).astimezone(UTC)
            end_day = day + timedelta(days=1) if e == time(0) else day
            hi = datetime.combine(end_day, e, cal.tz).astimezone(UTC)
            total += max(min(hi, end) - max(lo, start), timedelta(0))
        day += timedelta(days=1)
    return total


@PROPERTY
@given(CALENDARS, instants, durations)
def test_elapsed_matches_reference(cal: Calendar, start: datetime, span: timedelta) -> None:
    end = start + span
    assert elapsed(cal, start, end) == reference_elapsed(cal, start, end)

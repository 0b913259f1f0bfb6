"""Business time for SLA clocks: working hours, closed dates and time zones.

Conventions:

* Working hours are half-open intervals ``[start, end)`` of local wall time. An ``end`` of
  ``time(0, 0)`` means 24:00, midnight at the end of that day (``start < end`` otherwise).
* Each interval endpoint is turned into an instant with ``fold=0`` (zoneinfo's default) and
  business time is the real time between those instants, measured in UTC. So a non-existent
  local time (spring forward) counts as if the clock had not yet jumped, and an ambiguous one
  (fall back) means its first occurrence: 01:00-03:00 in America/New_York lasts 1 hour on
  2026-03-08 and 3 hours on 2026-11-01. Where such instants would overlap, each day keeps to
  ``[its midnight, the next midnight)`` and an interval never starts before the previous one
  ends, so no real time is counted twice.
* ``add(cal, start, 0) == start``, even outside working hours; for ``d > 0`` ``add`` returns the
  first instant at which ``d`` of business time has passed, so it can be a closing time.
* Functions return aware datetimes in UTC and raise ValueError on naive ones.

A Calendar memoises the UTC intervals of each date it has seen, so a span of days costs one
dictionary look-up per day once the dates are known.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
_FULL_DAY = timedelta(hours=24)
_SEARCH_DAYS = 3653 + 2  # ten years (and the day before and after), the limit of add/next_open
_CACHE_DAYS = 8192  # memoised dates per calendar before the memo is cleared


class _Day(NamedTuple):
    """One local date in UTC: its window [start, end) and its working intervals inside it."""

    start: datetime
    end: datetime
    spans: tuple[tuple[datetime, datetime], ...]
    total: timedelta


class _Prefix:
    """Running totals of whole days' working time from `anchor`: sums[i] = days before anchor+i."""

    __slots__ = ("anchor", "sums")

    def __init__(self, anchor: date | None = None, sums: list[timedelta] | None = None) -> None:
        self.anchor = anchor
        self.sums = [] if sums is None else sums

    @property
    def stop(self) -> date | None:
        return self.anchor + timedelta(days=len(self.sums) - 1) if self.anchor else None

    def covers(self, first: date, stop: date) -> bool:
        return self.anchor is not None and self.anchor <= first and stop <= (self.stop or first)

    def build(self, cal: Calendar, first: date, stop: date) -> None:
        margin = timedelta(days=31)  # room for the next tickets' spans without a rebuild
        self.anchor, self.sums, day = first - margin, [ZERO], first - margin
        while day < stop + margin:
            self.sums.append(self.sums[-1] + cal._day(day).total)
            day += ONE_DAY

    def between(self, first: date, stop: date) -> timedelta:
        assert self.anchor is not None
        return self.sums[(stop - self.anchor).days] - self.sums[(first - self.anchor).days]


class Calendar:
    """Working hours per weekday (0=Mon..6=Sun) in a time zone, minus closed local dates."""

    __slots__ = ("_memo", "_sums", "_week", "always_open", "closed", "hours", "name", "tz")

    def __init__(
        self,
        name: str,
        tz: ZoneInfo,
        hours: Mapping[int, tuple[tuple[time, time], ...]],
        closed: frozenset[date] = frozenset(),
        always_open: bool = False,
    ) -> None:
        if not isinstance(tz, ZoneInfo):
            raise ValueError(f"calendar {name!r}: tz must be a zoneinfo.ZoneInfo, e.g. ZoneInfo('UTC')")
        if not isinstance(closed, frozenset):
            closed = frozenset(closed)
        for day in closed:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"calendar {name!r}: closed dates must be datetime.date, got {day!r}")
        bad = [key for key in hours if key not in range(7)]
        if bad:
            raise ValueError(f"calendar {name!r}: hours keys must be weekdays 0 (Mon) to 6 (Sun), got {bad}")
        # Offsets from local midnight per weekday, built from `hours` once.
        week = tuple(_offsets(name, wd, hours.get(wd, ())) for wd in range(7))
        if not always_open and not any(week):
            raise ValueError(
                f"calendar {name!r} has no working hours; "
                "give hours for at least one weekday or set always_open=True"
            )
        self.name = name
        self.tz = tz
        self.hours = hours
        self.closed = closed
        self.always_open = always_open
        self._week = week
        self._memo: dict[date, _Day] = {}
        self._sums = _Prefix()

    def __repr__(self) -> str:
        return (
            f"Calendar(name={self.name!r}, tz={self.tz!r}, hours={self.hours!r}, "
            f"closed={self.closed!r}, always_open={self.always_open!r})"
        )

    def working_day(self) -> timedelta:
        """The most common daily total of working hours (the longest on a tie); 24h if always open."""
        if self.always_open:
            return _FULL_DAY
        totals = Counter(sum((e - s for s, e in day), ZERO) for day in self._week if day)
        return max(totals, key=lambda total: (totals[total], total))

    def _day(self, day: date) -> _Day:
        """The memoised UTC intervals of one local date."""
        found = self._memo.get(day)
        if found is None:
            if len(self._memo) >= _CACHE_DAYS:
                self._memo.clear()
            found = self._memo[day] = self._build_day(day)
        return found

    def _build_day(self, day: date) -> _Day:
        midnight = datetime.combine(day, time())
        start, end = _instant(self.tz, midnight), _instant(self.tz, midnight + ONE_DAY)
        spans: list[tuple[datetime, datetime]] = []
        floor = start  # clipping keeps intervals disjoint where DST makes instants overlap
        if day not in self.closed:
            for begin, finish in self._week[day.weekday()]:
                lo = max(_instant(self.tz, midnight + begin), floor)
                hi = min(_instant(self.tz, midnight + finish), end)
                if hi > lo:
                    spans.append((lo, hi))
                    floor = hi
        return _Day(start, end, tuple(spans), sum((e - s for s, e in spans), ZERO))

    def _whole(self, first: date, stop: date) -> timedelta:
        """Working time of the whole days [first, stop), from prefix sums built as needed."""
        if stop <= first:
            return ZERO
        sums = self._sums
        if not sums.covers(first, stop):
            sums.build(self, min(first, sums.anchor or first), max(stop, sums.stop or stop))
        return sums.between(first, stop)

    def _first_day(self, moment: datetime) -> date:
        """A local date whose window starts at or before `moment` (UTC), close before it."""
        # The day before the local date: DST can put a moment in its neighbour's window.
        return moment.astimezone(self.tz).date() - ONE_DAY


def _offsets(name: str, weekday: int, intervals: object) -> tuple[tuple[timedelta, timedelta], ...]:
    """Validate one weekday's intervals and turn them into offsets from local midnight."""
    where = f"calendar {name!r}, weekday {weekday}"
    if not isinstance(intervals, tuple | list):
        raise ValueError(f"{where}: hours must be a tuple of (start, end) pairs of datetime.time")
    result: list[tuple[timedelta, timedelta]] = []
    for pair in intervals:
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(type(t) is time for t in pair)):
            raise ValueError(
                f"{where}: each interval must be a (start, end) pair of datetime.time, got {pair!r}"
            )
        start, end = pair
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: use naive local times; the calendar's tz applies to them")
        begin = _since_midnight(start)
        finish = _since_midnight(end) if end != time() else _FULL_DAY  # time(0) as end is 24:00
        if begin >= finish:
            raise ValueError(f"{where}: interval {start}-{end} must have start < end (end 00:00 means 24:00)")
        if result and begin < result[-1][1]:
            raise ValueError(f"{where}: intervals must be sorted and not overlap, at {start}-{end}")
        result.append((begin, finish))
    return tuple(result)


def _since_midnight(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _instant(tz: tzinfo, local: datetime) -> datetime:
    """The UTC instant of a naive local wall time, read with fold=0."""
    offset = tz.utcoffset(local)
    assert offset is not None  # a ZoneInfo always has an offset
    return (local - offset).replace(tzinfo=UTC)


def new_year(cal: Calendar, year: int) -> datetime:
    """Local midnight starting January 1 of `year`, in UTC: an origin for "business time so far"."""
    return _instant(cal.tz, datetime(year, 1, 1))


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def elapsed(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time between `start` and `end`; zero if `end` is not after `start`.

    Spans of more than a week add up their whole days from per-calendar prefix
    sums, so a ticket open for two years costs as little as one open for two days.
    """
    a, b = _utc(start, "start"), _utc(end, "end")
    if b <= a:
        return ZERO
    if cal.always_open:
        return b - a
    day = cal._first_day(a)
    if b - a <= _WALK:
        return _walk(cal, day, a, b)
    total = ZERO
    while (rec := cal._day(day)).start < a:  # the days `start` cuts into
        total += _part(rec, a, b)
        day += ONE_DAY
    last = b.astimezone(cal.tz).date() + ONE_DAY  # starts after `end`
    while (rec := cal._day(last - ONE_DAY)).end > b:  # the days `end` cuts into
        total += _part(rec, a, b)
        last -= ONE_DAY
    return total + cal._whole(day, last)


_WALK = timedelta(days=8)


def _walk(cal: Calendar, day: date, a: datetime, b: datetime) -> timedelta:
    total = ZERO
    while True:
        rec = cal._day(day)
        if rec.start >= b:
            return total
        total += rec.total if a <= rec.start and rec.end <= b else _part(rec, a, b)
        day += ONE_DAY


def _part(rec: _Day, a: datetime, b: datetime) -> timedelta:
    """The part of one day's working time inside [a, b)."""
    total = ZERO
    if rec.end > a and rec.start < b:
        for s, e in rec.spans:
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
    return total


def add(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The first instant (UTC) at which `duration` of business time has passed since `start`."""
    a = _utc(start, "start")
    if duration < ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if duration == ZERO:
        return a
    if cal.always_open:
        return a + duration
    left = duration
    day = cal._first_day(a)
    for _ in range(_SEARCH_DAYS):
        rec = cal._day(day)
        day += ONE_DAY
        if rec.end <= a:
            continue
        if rec.start >= a and rec.total < left:
            left -= rec.total  # the whole day counts and is not enough
            continue
        for s, e in rec.spans:
            lo = max(s, a)
            if e > lo:
                if left <= e - lo:
                    return lo + left
                left -= e - lo
    raise ValueError(_too_far(cal, a))


def is_open(cal: Calendar, moment: datetime) -> bool:
    """Whether `moment` is inside working time (opening instants are, closing ones are not)."""
    m = _utc(moment, "moment")
    if cal.always_open:
        return True
    day = cal._first_day(m)
    while (rec := cal._day(day)).start <= m:
        if any(s <= m < e for s, e in rec.spans):
            return True
        day += ONE_DAY
    return False


def next_open(cal: Calendar, moment: datetime) -> datetime:
    """The first instant (UTC) at or after `moment` that is inside working time."""
    m = _utc(moment, "moment")
    if cal.always_open:
        return m
    day = cal._first_day(m)
    for _ in range(_SEARCH_DAYS):
        rec = cal._day(day)
        day += ONE_DAY
        for s, e in rec.spans:
            if e > m:
                return max(s, m)
    raise ValueError(_too_far(cal, m))


def _too_far(cal: Calendar, moment: datetime) -> str:
    return (
        f"calendar {cal.name!r} has no working time within 10 years after {moment.isoformat()}; "
        "check its hours and closed dates"
    )


_DURATION = re.compile(r"(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?")
_DURATION_FORM = "a duration like '15m', '4h', '3d', '1d 4h' or '2w' (units w, d, h, m, largest first)"


def parse_duration(text: str, day: timedelta = _FULL_DAY) -> timedelta:
    """Parse an SLA target such as "15m", "4h", "1d 4h" or "2w".

    Units: ``m`` minutes, ``h`` hours, ``d`` one `day`, ``w`` a week. Numbers are whole and
    non-negative, units appear at most once and largest first. `day` defaults to 24 hours of
    business time; pass ``cal.working_day()`` to make "1d" one working day. A week is 7 x 24h
    when `day` is 24 hours, else 5 working days (5 x `day`).
    """
    if day <= ZERO:
        raise ValueError(f"day must be positive, got {day}")
    stripped = text.strip()
    match = _DURATION.fullmatch(stripped)
    if not stripped or match is None:
        raise ValueError(f"bad duration {text!r}: expected {_DURATION_FORM}")
    weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    week = 7 * day if day == _FULL_DAY else 5 * day
    return weeks * week + days * day + timedelta(hours=hours, minutes=minutes)

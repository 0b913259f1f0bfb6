"""The `sla` and `escalation` sections of the configuration: schema and defaults.

Pure: plain data in, frozen specs out, every problem reported through the
config checker. Turning a CalendarSpec into a working calendar (public
holidays from the `holidays` package) is the calendars adapter's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time, timedelta
from types import MappingProxyType
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gitdesk.businesstime import parse_duration
from gitdesk.errors import Loc
from gitdesk.schema import describe
from gitdesk.ticket import LEVELS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24x7"
_INTERVAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_PERCENT = re.compile(r"^(\d{1,3})%$")
STATES = ("warning", "breached")


class Checker(Protocol):
    def add(self, loc: Loc, message: str) -> None: ...
    def mapping(self, value: object, loc: Loc) -> Mapping[str, object]: ...
    def words(self, value: object, loc: Loc) -> tuple[str, ...]: ...
    def text(self, value: object, loc: Loc, default: str = "") -> str: ...


class CalendarSpec(NamedTuple):
    """Working hours per weekday (0 = Monday) in a zone, holidays to look up, extra closed dates."""

    name: str
    timezone: str
    hours: Mapping[int, tuple[tuple[time, time], ...]] = MappingProxyType({})
    holidays: tuple[str, str | None] | None = None
    closed: tuple[date, ...] = ()
    always_open: bool = False


class Policy(NamedTuple):
    """SLA targets for the tickets it matches (None matches anything)."""

    name: str
    calendar: str
    first_response: str
    resolution: str
    warning: float
    priority: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    team: tuple[str, ...] = ()

    def matches(self, priority: str, type_: str, team: str | None) -> bool:
        return (
            (not self.priority or priority in self.priority)
            and (not self.type or type_ in self.type)
            and (not self.team or (team or "") in self.team)
        )


class SlaSpec(NamedTuple):
    calendars: Mapping[str, CalendarSpec]
    policies: tuple[Policy, ...]

    def policy_for(self, priority: str, type_: str, team: str | None) -> Policy:
        for policy in self.policies:
            if policy.matches(priority, type_, team):
                return policy
        return self.policies[-1]


class EscalationSpec(NamedTuple):
    """Which SLA states raise the level, whom to tell at each level, issue labels, auto-close."""

    raise_on: Mapping[str, str] = MappingProxyType({"warning": "L2", "breached": "L3"})
    notify: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    labels: tuple[str, ...] = ("escalation",)
    autoclose_after: timedelta = timedelta(days=5)


def _office(weekdays: range, start: time, end: time) -> dict[int, tuple[tuple[time, time], ...]]:
    return {d: ((start, end),) for d in weekdays}


def default_sla() -> SlaSpec:
    """P1 15 min / 4 h around the clock ... P4 1 business day / 5 business days."""
    calendars = {
        "office": CalendarSpec("office", "UTC", _office(range(5), time(9), time(17))),
        ALWAYS: CalendarSpec(ALWAYS, "UTC", always_open=True),
    }
    policies = (
        Policy("P1", ALWAYS, "15m", "4h", 0.75, priority=("P1",)),
        Policy("P2", "office", "1h", "8h", 0.75, priority=("P2",)),
        Policy("P3", "office", "4h", "3d", 0.75, priority=("P3",)),
        Policy("default", "office", "1d", "5d", 0.75),
    )
    return SlaSpec(calendars, policies)


def parse_sla(c: Checker, value: object) -> SlaSpec:
    if value is None:
        return default_sla()
    spec = c.mapping(value, ("sla",))
    for key in spec:
        if key not in ("calendars", "policies", "warning"):
            c.add(("sla", key), "unknown key; expected calendars, policies, warning")
    warning = _percent(c, spec.get("warning", "75%"), ("sla", "warning"))
    calendars = {
        name: _calendar(c, name, entry)
        for name, entry in c.mapping(spec.get("calendars"), ("sla", "calendars")).items()
    }
    if not calendars:
        calendars = dict(default_sla().calendars)
    policies = spec.get("policies")
    if not isinstance(policies, list) or not policies:
        c.add(("sla", "policies"), "expected a list of policies, the last one without `match` (the default)")
        return default_sla()
    parsed = tuple(_policy(c, i, p, calendars, warning) for i, p in enumerate(policies))
    if parsed[-1].priority or parsed[-1].type or parsed[-1].team:
        c.add(("sla", "policies", len(parsed) - 1), "the last policy must have no `match`: it is the default")
    return SlaSpec(calendars, parsed)


def _percent(c: Checker, value: object, loc: Loc) -> float:
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(1)) <= 100:
        c.add(loc, f"expected a percentage like 75%, got {describe(value)}")
        return 0.75
    return int(match.group(1)) / 100


def _calendar(c: Checker, name: str, entry: object) -> CalendarSpec:
    loc: Loc = ("sla", "calendars", name)
    if entry == ALWAYS:
        return CalendarSpec(name, "UTC", always_open=True)
    info = c.mapping(entry, loc)
    for key in info:
        if key not in ("timezone", "hours", "holidays", "closed"):
            c.add((*loc, key), "unknown key; expected timezone, hours, holidays, closed (or write 24x7)")
    zone = c.text(info.get("timezone"), (*loc, "timezone"), "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        c.add((*loc, "timezone"), f"'{zone}' is not an IANA time zone like Asia/Jakarta or America/New_York")
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for days, spans in c.mapping(info.get("hours"), (*loc, "hours")).items():
        for day in _weekdays(c, days, (*loc, "hours", days)):
            hours[day] = _intervals(c, spans, (*loc, "hours", days))
    if not any(hours.values()):
        c.add((*loc, "hours"), "no working hours; write e.g. hours: {mon-fri: [08:00-17:00]} or 24x7")
    return CalendarSpec(name, zone, hours, _holidays(c, info.get("holidays"), loc), _closed(c, info, loc))


def _weekdays(c: Checker, key: str, loc: Loc) -> list[int]:
    first, _, last = key.lower().partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        c.add(loc, f"'{key}' is not a weekday or a range like mon-fri ({', '.join(WEEKDAYS)})")
        return []
    a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]


def _intervals(c: Checker, value: object, loc: Loc) -> tuple[tuple[time, time], ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        match = _INTERVAL.match(item) if isinstance(item, str) else None
        if not match:
            hint = " (quote it: YAML reads 13:00 as a number)" if isinstance(item, int) else ""
            c.add(loc, f"expected times like 08:00-17:00, got {describe(item)}{hint}")
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        end = time(0) if (h2, m2) == (24, 0) else time(h2 % 24, m2)
        if h2 == 24 and m2 != 0:
            c.add(loc, f"'{item}': the day ends at 24:00")
            continue
        if end != time(0) and end <= time(h1, m1):
            c.add(loc, f"'{item}': the end must be after the start (use 24:00 for midnight)")
            continue
        out.append((time(h1, m1), end))
    out.sort()
    return tuple(out)


def _holidays(c: Checker, value: object, loc: Loc) -> tuple[str, str | None] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value.upper(), None)
    info = c.mapping(value, (*loc, "holidays"))
    country = c.text(info.get("country"), (*loc, "holidays", "country"))
    if not re.match(r"^[A-Za-z]{2,3}$", country):
        c.add((*loc, "holidays"), "expected a country code like ID or {country: US, subdivision: NY}")
        return None
    sub = info.get("subdivision")
    return (country.upper(), str(sub) if sub is not None else None)


def _closed(c: Checker, info: Mapping[str, object], loc: Loc) -> tuple[date, ...]:
    out = []
    for item in c.words(info.get("closed"), (*loc, "closed")):
        try:
            out.append(date.fromisoformat(item))
        except ValueError:
            c.add((*loc, "closed"), f"'{item}' is not a date like 2026-12-24")
    return tuple(out)


def _policy(
    c: Checker, i: int, entry: object, calendars: Mapping[str, CalendarSpec], warning: float
) -> Policy:
    loc: Loc = ("sla", "policies", i)
    info = c.mapping(entry, loc)
    for key in info:
        if key not in ("name", "match", "calendar", "first_response", "resolution", "warning"):
            c.add(
                (*loc, key),
                "unknown key; expected name, match, calendar, first_response, resolution, warning",
            )
    match = c.mapping(info.get("match"), (*loc, "match"))
    for key in match:
        if key not in ("priority", "type", "team"):
            c.add((*loc, "match", key), "unknown key; expected priority, type, team")
    calendar = c.text(info.get("calendar"), (*loc, "calendar"), next(iter(calendars)))
    if calendar not in calendars:
        c.add((*loc, "calendar"), f"'{calendar}' is not a calendar; calendars: {', '.join(calendars)}")
    targets = []
    for key in ("first_response", "resolution"):
        text = c.text(info.get(key), (*loc, key))
        try:
            parse_duration(text)
        except ValueError as err:
            c.add((*loc, key), str(err))
        targets.append(text)
    pick = {k: _names(c, match.get(k), (*loc, "match", k)) for k in ("priority", "type", "team")}
    return Policy(
        name=c.text(info.get("name"), (*loc, "name"), f"policy-{i + 1}"),
        calendar=calendar,
        first_response=targets[0],
        resolution=targets[1],
        warning=_percent(c, info["warning"], (*loc, "warning")) if "warning" in info else warning,
        **pick,
    )


def _names(c: Checker, value: object, loc: Loc) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else c.words(value, loc)


def parse_escalation(c: Checker, value: object) -> EscalationSpec:
    defaults = EscalationSpec()
    if value is None:
        return defaults
    spec = c.mapping(value, ("escalation",))
    for key in spec:
        if key not in ("levels", "notify", "labels", "autoclose_after"):
            c.add(("escalation", key), "unknown key; expected levels, notify, labels, autoclose_after")
    raise_on = dict(defaults.raise_on)
    if "levels" in spec:
        raise_on = {}
        for state, level in c.mapping(spec["levels"], ("escalation", "levels")).items():
            if state not in STATES or level not in LEVELS:
                c.add(("escalation", "levels", state), f"write {{warning: L2, breached: L3}} (states: "
                      f"{', '.join(STATES)}; levels: {', '.join(LEVELS)})")  # fmt: skip
            raise_on[state] = str(level)
    notify = {}
    for team, levels in c.mapping(spec.get("notify"), ("escalation", "notify")).items():
        entry = c.mapping(levels, ("escalation", "notify", team))
        for level in entry:
            if level not in LEVELS:
                c.add(("escalation", "notify", team, level), f"levels are {', '.join(LEVELS)}")
        notify[team] = {lv: c.words(who, ("escalation", "notify", team, lv)) for lv, who in entry.items()}
    autoclose = c.text(spec.get("autoclose_after"), ("escalation", "autoclose_after"), "5d")
    try:
        after = parse_duration(autoclose)
    except ValueError as err:
        c.add(("escalation", "autoclose_after"), str(err))
        after = defaults.autoclose_after
    labels = c.words(spec["labels"], ("escalation", "labels")) if "labels" in spec else defaults.labels
    return EscalationSpec(raise_on, notify, labels, after)

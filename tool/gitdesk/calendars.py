"""Business calendars from the config, with public holidays from the `holidays` package.

Working out a country's holidays is slow (importing the package and computing
lunar dates take about 0.2 s for Indonesia over five years), so the dates are
kept (by the caller, in the cache) under the installed package's `stamp`:
a new release is asked again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import date
from importlib.util import find_spec
from zoneinfo import ZoneInfo

from gitdesk.businesstime import Calendar
from gitdesk.errors import GitdeskError
from gitdesk.slaconfig import CalendarSpec


def stamp() -> str:
    """Names the installed `holidays` package (its location and modification time) without importing it."""
    spec = find_spec("holidays")
    if spec is None or spec.origin is None:
        return "none"
    return f"{spec.origin}:{os.stat(spec.origin).st_mtime_ns}"


Known = MutableMapping[str, object]


def build(
    specs: Mapping[str, CalendarSpec], years: Iterable[int], known: Known | None = None
) -> dict[str, Calendar]:
    """One Calendar per spec, closed on its country's public holidays in `years`.

    `known` holds holiday dates worked out before (as day ordinals) and gets
    the ones worked out now.
    """
    span = sorted(set(years))
    return {name: _one(spec, span, known) for name, spec in specs.items()}


def _one(spec: CalendarSpec, years: list[int], known: Known | None) -> Calendar:
    closed = set(spec.closed)
    if spec.holidays and years:
        closed.update(_holidays(spec, years, known))
    return Calendar(spec.name, ZoneInfo(spec.timezone), spec.hours, frozenset(closed), spec.always_open)


def _holidays(spec: CalendarSpec, years: list[int], known: Known | None) -> list[date]:
    assert spec.holidays is not None
    country, subdivision = spec.holidays
    name = f"{country}/{subdivision or ''}/{years[0]}-{years[-1]}"
    kept = known.get(name) if known is not None else None
    if isinstance(kept, tuple):
        return [date.fromordinal(n) for n in kept]
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        where = f"tickets/config.yml: sla.calendars.{spec.name}.holidays"
        raise GitdeskError(f"{where}: no public holidays are known for '{country}'; "
                           "use an ISO code like ID, US, DE") from None  # fmt: skip
    except ValueError as err:
        raise GitdeskError(f"tickets/config.yml: sla.calendars.{spec.name}.holidays: {err}") from None
    dates = sorted(found.keys())
    if known is not None:
        known[name] = tuple(d.toordinal() for d in dates)
    return dates

"""Business calendars from the config, with public holidays from the `holidays` package."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from gitdesk.businesstime import Calendar
from gitdesk.errors import GitdeskError
from gitdesk.slaconfig import CalendarSpec


def build(specs: Mapping[str, CalendarSpec], years: Iterable[int]) -> dict[str, Calendar]:
    """One Calendar per spec, closed on its country's public holidays in `years`."""
    span = sorted(set(years))
    return {name: _one(spec, span) for name, spec in specs.items()}


def _one(spec: CalendarSpec, years: list[int]) -> Calendar:
    closed = set(spec.closed)
    if spec.holidays and years:
        import holidays

        country, subdivision = spec.holidays
        try:
            found = holidays.country_holidays(country, subdiv=subdivision, years=years)
        except NotImplementedError:
            where = f"tickets/config.yml: sla.calendars.{spec.name}.holidays"
            raise GitdeskError(f"{where}: no public holidays are known for '{country}'; "
                               "use an ISO code like ID, US, DE") from None  # fmt: skip
        except ValueError as err:
            raise GitdeskError(f"tickets/config.yml: sla.calendars.{spec.name}.holidays: {err}") from None
        closed.update(found.keys())
    return Calendar(spec.name, ZoneInfo(spec.timezone), spec.hours, frozenset(closed), spec.always_open)

"""Selecting and ordering tickets: the filters behind `list`, `sla` and the board."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitdesk.ticket import id_order

if TYPE_CHECKING:
    from gitdesk.config import Config
    from gitdesk.ticket import Ticket

SORT_KEYS = ("id", "priority", "created", "updated", "status", "assignee", "title")


@dataclass(frozen=True)
class Filter:
    """Every given criterion must hold; several values for one criterion mean any of them."""

    status: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    assignee: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    text: str | None = None
    include_done: bool = True
    words: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple((self.text or "").lower().split()))

    @property
    def by_status_alone(self) -> bool:
        """Whether a ticket's status alone decides whether it matches."""
        return not (self.priority or self.type or self.team or self.assignee or self.tag or self.words)

    def matches(self, t: Ticket, config: Config) -> bool:
        """Whether `t` passes. Reads no times: Tracker.sla_lines passes tickets whose
        `created` and `updated` are still the cache's microseconds."""
        category = config.workflow.category(t.status)
        if not self.include_done and category == "done" and not (self.status or self.category):
            return False
        if (
            (self.status and t.status not in self.status)
            or (self.category and category not in self.category)
            or (self.priority and t.priority not in self.priority)
            or (self.type and t.type not in self.type)
            or (self.team and t.team not in self.team)
            or (self.assignee and (t.assignee or "none") not in self.assignee)
        ):
            return False
        if self.tag and not any(tag in t.tags for tag in self.tag):
            return False
        if self.words:
            haystack = f"{t.id} {t.title} {' '.join(t.tags)} {t.body}".lower()
            return all(word in haystack for word in self.words)
        return True


def _id_number(t: Ticket) -> tuple[str, int]:
    return id_order(t.id)


def select(
    tickets: Iterable[Ticket],
    config: Config,
    where: Filter,
    sort: str = "id",
    reverse: bool = False,
    limit: int | None = None,
) -> list[Ticket]:
    chosen = [t for t in tickets if where.matches(t, config)]
    order: Sequence[str] = list(config.priorities)
    statuses = list(config.workflow.statuses)
    keys = {
        "id": _id_number,
        "priority": lambda t: (
            order.index(t.priority) if t.priority in order else len(order),
            _id_number(t),
        ),
        "created": lambda t: (t.created.timestamp() if t.created else 0.0, _id_number(t)),
        "updated": lambda t: (t.updated.timestamp() if t.updated else 0.0, _id_number(t)),
        "status": lambda t: (
            statuses.index(t.status) if t.status in statuses else 99,
            _id_number(t),
        ),
        "assignee": lambda t: (t.assignee or "~", _id_number(t)),
        "title": lambda t: (t.title.lower(), _id_number(t)),
    }
    chosen.sort(key=keys[sort], reverse=reverse)
    return chosen[:limit] if limit else chosen

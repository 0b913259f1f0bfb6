"""The ticket model: frozen records built from a ticket file's front matter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from sys import intern
from typing import NamedTuple

from gitdesk.errors import Loc

ID_RE = re.compile(r"^([A-Z][A-Z0-9]*)-([1-9][0-9]*)$")
HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
REQUIRED = ("id", "title", "type", "status", "priority", "requester", "created")
LEVELS = ("L1", "L2", "L3")


class Kind(StrEnum):
    """What a history event records."""

    CREATED = "created"
    TRANSITION = "transition"
    REOPEN = "reopen"
    ASSIGN = "assign"
    COMMENT = "comment"
    ESCALATE = "escalate"
    FEEDBACK = "feedback"


KINDS = frozenset(k.value for k in Kind)
STATUS_CHANGES = frozenset({Kind.TRANSITION.value, Kind.REOPEN.value})
# The keys each kind may carry besides at/by/event, in the order they are written.
EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "created": ("note",),
    "transition": ("from", "to", "resolution", "note"),
    "reopen": ("from", "to", "note"),
    "assign": ("from", "to", "note"),
    "comment": ("visibility", "text"),
    "escalate": ("from", "to", "reason"),
    "feedback": ("rating", "text"),
}
EVENT_REQUIRED: dict[str, tuple[str, ...]] = {
    "transition": ("from", "to"),
    "reopen": ("from", "to"),
    "assign": ("to",),
    "comment": ("visibility", "text"),
    "escalate": ("to",),
    "feedback": ("rating",),
}
VISIBILITIES = ("public", "internal")


class Event(NamedTuple):
    """One history entry. `kind` is the file's `event` key.

    Tickets and events are NamedTuples rather than dataclasses: just as
    immutable, but built, pickled (the parse cache) and compared in C, which
    matters at 100k tickets with ten events each.
    """

    at: datetime
    by: str
    kind: str
    from_: str | None = None
    to: str | None = None
    visibility: str | None = None
    text: str | None = None
    note: str | None = None
    reason: str | None = None
    resolution: str | None = None
    rating: int | None = None

    def __reduce__(self) -> tuple[object, tuple[type[Event], tuple[object, ...]]]:
        # Unpickle through C's tuple.__new__, not the generated Python __new__ (the cache
        # holds about ten events per ticket).
        return (tuple.__new__, (Event, tuple(self)))

    @property
    def is_status_change(self) -> bool:
        return self.kind in STATUS_CHANGES

    @property
    def is_public_comment(self) -> bool:
        return self.kind == Kind.COMMENT and self.visibility == "public"

    def to_mapping(self) -> dict[str, object]:
        """The event as it is written in the file, keys in canonical order."""
        out: dict[str, object] = {"at": format_time(self.at), "by": self.by, "event": str(self.kind)}
        values = {
            "from": self.from_,
            "to": self.to,
            "visibility": self.visibility,
            "rating": self.rating,
            "resolution": self.resolution,
            "note": self.note,
            "reason": self.reason,
            "text": self.text,
        }
        for key in EVENT_KEYS.get(self.kind, ()):
            if values[key] is not None:
                out[key] = values[key]
        return out


class Ticket(NamedTuple):
    """A parsed ticket. `path` is relative to the tracker root, with slashes."""

    path: str
    id: str
    title: str
    type: str
    status: str
    priority: str
    requester: str
    created: datetime | None
    assignee: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()
    kb: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    duplicate_of: str | None = None
    confidential: bool = False
    history: tuple[Event, ...] = ()
    # Every top-level key with a non-empty value, for a type's required fields.
    present: frozenset[str] = frozenset()
    # Fields the tool does not own, as text, in file order (shown on the site).
    extra: tuple[tuple[str, str], ...] = ()
    body: str = ""
    # Derived from history when the file is read (see `derive`), so that a ticket
    # loaded without its history (the light form bulk reads keep) still knows them.
    level: str = "L1"
    resolution: str | None = None
    rating: int | None = None
    updated: datetime | None = None

    def references(self) -> tuple[str, ...]:
        """IDs of other tickets this one points at."""
        refs = self.related
        return (*refs, self.duplicate_of) if self.duplicate_of else refs


def derive(history: tuple[Event, ...], created: datetime | None) -> dict[str, object]:
    """level (highest manual escalation), resolution (of the last status change), rating
    (last feedback) and updated (latest event), in one pass over the history."""
    level, resolution, rating, updated = "L1", None, None, created
    for event in history:
        kind = event.kind
        if kind == "escalate" and event.to in LEVELS and event.to > level:
            level = event.to
        elif kind in STATUS_CHANGES:
            resolution = event.resolution
        elif kind == "feedback":
            rating = event.rating
        if updated is None or event.at > updated:
            updated = event.at
    return {"level": level, "resolution": resolution, "rating": rating, "updated": updated}


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second (how the tool writes times)."""
    if moment.tzinfo is UTC and not moment.microsecond:
        return moment.isoformat()[:-6] + "Z"  # the common case, several times faster
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return text + "Z"


def parse_time(value: object) -> tuple[datetime | None, str | None]:
    """A zoned ISO 8601 time, or None and the reason it is not one."""
    if not isinstance(value, str):
        return None, f"expected a time like 2026-11-20T08:15:00Z, got {describe(value)}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, f"'{value}' is not an ISO 8601 time; write it like 2026-11-20T08:15:00Z"
    if moment.tzinfo is None or "T" not in value.upper():
        return None, (
            f"'{value}' has no time zone; write UTC with a Z (2026-11-20T08:15:00Z) "
            "or an offset (2026-11-20T15:15:00+07:00)"
        )
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)), None


def describe(value: object) -> str:
    """Name a YAML value's type the way a user wrote it, with the YAML 1.1 hint."""
    if isinstance(value, bool):
        word = str(value).lower()
        return f"the boolean {word} (YAML reads unquoted yes/no/on/off as booleans; quote it)"
    if isinstance(value, int | float):
        return f"the number {value} (quote it to keep it as text)"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{value}'"


def slugify(title: str, limit: int = 48) -> str:
    """The file-name slug for a title: lower-case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "ticket"


@dataclass
class _Reader:
    """Reads typed fields out of a mapping, noting every problem."""

    data: Mapping[str, object]
    problems: list[tuple[Loc, str]] = field(default_factory=list)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(((key,), f"{key}: missing; every ticket needs it"))
            return None
        if not isinstance(value, str):
            self.problems.append(((key,), f"{key}: expected text, got {describe(value)}"))
            return str(value) if isinstance(value, int | float | bool) else None
        if not value.strip() and required:
            self.problems.append(((key,), f"{key}: is empty"))
        return value

    def words(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            self.problems.append(((key,), f"{key}: expected a list like [{value}], got the text '{value}'"))
            return (value,)
        if not isinstance(value, list):
            self.problems.append(((key,), f"{key}: expected a list, got {describe(value)}"))
            return ()
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                self.problems.append(((key, i), f"{key}[{i}]: expected text, got {describe(item)}"))
        return tuple(out)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.problems.append(((key,), f"{key}: expected true or false, got {describe(value)}"))
            return False
        return value


OWNED = frozenset(
    {
        *REQUIRED,
        "assignee",
        "team",
        "tags",
        "kb",
        "related",
        "duplicate_of",
        "confidential",
        "history",
    }
)


def ticket_from_mapping(
    path: str, data: Mapping[str, object], body: str
) -> tuple[Ticket, list[tuple[Loc, str]]]:
    """Build a Ticket from front-matter data; problems are returned, not raised.

    A ticket with problems is still built (with empty values where a field is
    unusable) so that validation can go on to find every other problem.
    """
    r = _Reader(data)
    created, why = parse_time(data["created"]) if "created" in data else (None, None)
    if "created" not in data:
        r.problems.append((("created",), "created: missing; every ticket needs it"))
    elif why:
        r.problems.append((("created",), f"created: {why}"))
    history = _history(data.get("history"), r.problems)
    extra = tuple(
        (k, v if isinstance(v, str) else str(v))
        for k, v in data.items()
        if k not in OWNED and isinstance(v, str | int | float | bool)
    )
    ticket = Ticket(
        path=path,
        id=r.text("id", required=True) or "",
        title=r.text("title", required=True) or "",
        type=r.text("type", required=True) or "",
        status=r.text("status", required=True) or "",
        priority=r.text("priority", required=True) or "",
        requester=r.text("requester", required=True) or "",
        created=created,
        assignee=r.text("assignee"),
        team=r.text("team"),
        tags=r.words("tags"),
        kb=r.words("kb"),
        related=r.words("related"),
        duplicate_of=r.text("duplicate_of"),
        confidential=r.flag("confidential"),
        history=history,
        present=frozenset(k for k, v in data.items() if v not in (None, "", [], {})),
        extra=extra,
        body=body,
        **derive(history, created),  # type: ignore[arg-type]
    )
    return ticket, r.problems


def _history(value: object, problems: list[tuple[Loc, str]]) -> tuple[Event, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append((("history",), f"history: expected a list of events, got {describe(value)}"))
        return ()
    events = []
    for i, item in enumerate(value):
        event = _event(i, item, problems)
        if event is not None:
            events.append(event)
    return tuple(events)


def _event(i: int, item: object, problems: list[tuple[Loc, str]]) -> Event | None:
    where = f"history[{i}]"
    if not isinstance(item, dict):
        problems.append(
            (("history", i), f"{where}: expected a mapping like {{at: ..., by: ..., event: ...}}")
        )
        return None
    at, why = parse_time(item.get("at"))
    if why:
        problems.append((("history", i), f"{where}.at: {why}"))
    kind = item.get("event")
    by = item.get("by")
    if not isinstance(by, str) or not by:
        problems.append((("history", i), f"{where}.by: expected who did it, got {describe(by)}"))
    if kind not in KINDS:
        known = ", ".join(k.value for k in Kind)
        problems.append((("history", i), f"{where}.event: '{kind}' is not one of: {known}"))
        return None
    assert isinstance(kind, str)
    allowed = {"at", "by", "event", *EVENT_KEYS[kind]}
    for key in item:
        if key not in allowed:
            problems.append((("history", i), f"{where}: '{key}' is not a key of a {kind} event"))
    for key in EVENT_REQUIRED.get(kind, ()):
        if item.get(key) in (None, ""):
            problems.append((("history", i), f"{where}: a {kind} event needs '{key}'"))
    texts = {}
    for key in ("from", "to", "visibility", "text", "note", "reason", "resolution"):
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            problems.append((("history", i), f"{where}.{key}: expected text, got {describe(value)}"))
            value = str(value)
        texts[key] = value
    rating = item.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
        problems.append((("history", i), f"{where}.rating: expected a whole number 1-5"))
        rating = None
    if at is None:
        return None
    # Names repeat in every event of every ticket: one copy each (a third of the memory at 100k).
    return Event(
        at=at,
        by=intern(by) if isinstance(by, str) else "",
        kind=intern(str(kind)),
        from_=intern(texts["from"]) if texts["from"] else None,
        to=intern(texts["to"]) if texts["to"] else None,
        visibility=intern(texts["visibility"]) if texts["visibility"] else None,
        text=texts["text"],
        note=texts["note"],
        reason=texts["reason"],
        resolution=texts["resolution"],
        rating=rating,
    )


def as_dict(ticket: Ticket, category: str | None = None) -> dict[str, object]:
    """A JSON-ready view of a ticket with derived fields (level, resolution, rating)."""
    return {
        "id": ticket.id,
        "path": ticket.path,
        "title": ticket.title,
        "type": ticket.type,
        "status": ticket.status,
        "category": category,
        "priority": ticket.priority,
        "requester": ticket.requester,
        "assignee": ticket.assignee,
        "team": ticket.team,
        "tags": list(ticket.tags),
        "created": format_time(ticket.created) if ticket.created else None,
        "updated": format_time(ticket.updated) if ticket.updated else None,
        "level": ticket.level,
        "resolution": ticket.resolution,
        "rating": ticket.rating,
        "kb": list(ticket.kb),
        "related": list(ticket.related),
        "duplicate_of": ticket.duplicate_of,
        "confidential": ticket.confidential,
        "fields": dict(ticket.extra),
    }


def event_dict(event: Event) -> dict[str, object]:
    return event.to_mapping()

"""The ticket model: frozen records built from a ticket file's front matter."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from json.encoder import encode_basestring as _q
from typing import NamedTuple

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
    immutable, but built (`tuple.__new__`), turned into the cache's plain
    tuples and compared in C, which matters at 100k tickets with ten events each.
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """An aware moment as integer microseconds since the epoch: how the cache keeps times."""
    return (moment - EPOCH) // MICROSECOND


def moment_of(us: int) -> datetime:
    """The UTC datetime of integer microseconds since the epoch (`micros` undone)."""
    seconds, fraction = divmod(us, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC) if not fraction else EPOCH + timedelta(microseconds=us)


def format_micros(us: int) -> str:
    """`format_time` of a moment given as integer microseconds since the epoch."""
    return format_time(moment_of(us))


_NAMED = re.compile(r"^([A-Z][A-Z0-9]*-[1-9][0-9]*)(?:-.*)?\.md$")


def id_in_name(path: str) -> str | None:
    """The ticket ID a file's name gives (`tickets/T-42-vpn-drops.md`: T-42), if any."""
    found = _NAMED.match(path.rsplit("/", 1)[-1])
    return found.group(1) if found else None


def id_order(ticket_id: str) -> tuple[str, int]:
    """Sort key of an ID: by prefix, then by number (T-9 before T-10)."""
    prefix, _, number = ticket_id.rpartition("-")
    return (prefix, int(number)) if number.isdigit() else (ticket_id, 0)


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


def to_json(ticket: Ticket, category: str | None = None) -> str:
    """`as_dict` as compact JSON, the form `list --json` prints for a program.

    Exactly what json.dumps gives (separators ",", ":" and ensure_ascii off),
    written directly: it is made for every ticket parsed, so it counts in a cold run.
    """
    t = ticket
    plain = (
        type(t.confidential) is bool
        and (t.rating is None or type(t.rating) is int)
        and all(type(k) is str and type(v) is str for k, v in t.extra)
        and len({k for k, _ in t.extra}) == len(t.extra)
    )
    if not plain:  # keys that are numbers, say: let json decide how they read
        return json.dumps(as_dict(t, category), ensure_ascii=False, separators=(",", ":"))
    fields = "{" + ",".join(f"{_q(k)}:{_q(v)}" for k, v in t.extra) + "}"
    rating = "null" if t.rating is None else str(t.rating)
    return (f'{{"id":{_q(t.id)},"path":{_q(t.path)},"title":{_q(t.title)},"type":{_q(t.type)},'
            f'"status":{_q(t.status)},"category":{_m(category)},"priority":{_q(t.priority)},'
            f'"requester":{_q(t.requester)},"assignee":{_m(t.assignee)},"team":{_m(t.team)},'
            f'"tags":[{",".join(map(_q, t.tags))}],'
            f'"created":{_m(format_time(t.created) if t.created else None)},'
            f'"updated":{_m(format_time(t.updated) if t.updated else None)},"level":{_q(t.level)},'
            f'"resolution":{_m(t.resolution)},"rating":{rating},"kb":[{",".join(map(_q, t.kb))}],'
            f'"related":[{",".join(map(_q, t.related))}],"duplicate_of":{_m(t.duplicate_of)},'
            f'"confidential":{"true" if t.confidential else "false"},"fields":{fields}}}')  # fmt: skip


def _m(value: str | None) -> str:
    return "null" if value is None else _q(value)


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

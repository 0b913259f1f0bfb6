"""The ticket schema: front-matter data in, a Ticket and every problem out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from sys import intern
from typing import Any

from gitdesk.errors import Loc
from gitdesk.ticket import EVENT_KEYS, EVENT_REQUIRED, KINDS, REQUIRED, Event, Kind, Ticket, derive


def parse_time(value: object) -> tuple[datetime | None, str | None]:
    """A zoned ISO 8601 time, or None and the reason it is not one."""
    if not isinstance(value, str):
        return None, f"expected a time like 2026-11-20T08:15:00Z, got {describe(value)}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, f"'{value}' is not an ISO 8601 time; write it like 2026-11-20T08:15:00Z"
    if moment.tzinfo is None or ("T" not in value and "t" not in value):
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


class _Reader:
    """Reads typed fields out of a mapping, noting every problem."""

    __slots__ = ("data", "problems")

    def __init__(self, data: Mapping[str, object], problems: list[tuple[Loc, str]] | None = None) -> None:
        self.data = data
        self.problems = [] if problems is None else problems

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
        type=intern(r.text("type", required=True) or ""),
        status=intern(r.text("status", required=True) or ""),
        priority=intern(r.text("priority", required=True) or ""),
        requester=intern(r.text("requester", required=True) or ""),
        created=created,
        assignee=_interned(r.text("assignee")),
        team=_interned(r.text("team")),
        tags=tuple(intern(tag) for tag in r.words("tags")),
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


def _interned(text: str | None) -> str | None:
    """One shared copy of a name that thousands of tickets repeat."""
    return intern(text) if text else text


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


_ALLOWED = {kind: frozenset({"at", "by", "event", *keys}) for kind, keys in EVENT_KEYS.items()}
_TEXTS = ("from", "to", "visibility", "text", "note", "reason", "resolution")
_new: Any = tuple.__new__  # an Event from a tuple, in C (ten events a ticket, 100k tickets)


def _event(i: int, item: object, problems: list[tuple[Loc, str]]) -> Event | None:
    loc: Loc = ("history", i)
    where = f"history[{i}]"
    if not isinstance(item, dict):
        problems.append((loc, f"{where}: expected a mapping like {{at: ..., by: ..., event: ...}}"))
        return None
    at, why = parse_time(item.get("at"))
    if why:
        problems.append((loc, f"{where}.at: {why}"))
    kind = item.get("event")
    by = item.get("by")
    if not isinstance(by, str) or not by:
        problems.append((loc, f"{where}.by: expected who did it, got {describe(by)}"))
    if kind not in KINDS:
        known = ", ".join(k.value for k in Kind)
        problems.append((loc, f"{where}.event: '{kind}' is not one of: {known}"))
        return None
    assert isinstance(kind, str)
    allowed = _ALLOWED[kind]
    for key in item:
        if key not in allowed:
            problems.append((loc, f"{where}: '{key}' is not a key of a {kind} event"))
    for key in EVENT_REQUIRED.get(kind, ()):
        if item.get(key) in (None, ""):
            problems.append((loc, f"{where}: a {kind} event needs '{key}'"))
    texts = [item.get(key) for key in _TEXTS]
    for n, value in enumerate(texts):
        if value is not None and type(value) is not str:
            problems.append((loc, f"{where}.{_TEXTS[n]}: expected text, got {describe(value)}"))
            texts[n] = str(value)
    rating = item.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
        problems.append((loc, f"{where}.rating: expected a whole number 1-5"))
        rating = None
    if at is None:
        return None
    from_, to, visibility, text, note, reason, resolution = texts
    # Names repeat in every event of every ticket: one copy each (a third of the memory at 100k).
    return _new(  # type: ignore[no-any-return]
        Event,
        (
            at,
            intern(by) if isinstance(by, str) else "",
            intern(str(kind)),
            intern(from_) if from_ else None,
            intern(to) if to else None,
            intern(visibility) if visibility else None,
            text,
            note,
            reason,
            resolution,
            rating,
        ),
    )

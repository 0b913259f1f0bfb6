"""Minimal-diff edits of front matter: change only the lines a change touches.

A file's top-level keys are found by scanning lines at column 0; the scan is
trusted only when it finds exactly the keys PyYAML found, in the same order.
Otherwise (a flow-style mapping, say) the whole front matter is re-emitted in
canonical form, which is still correct, just a larger diff. Every result is
parsed again and compared with the intended data before anyone writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from gitdesk.errors import Loc
from gitdesk.frontmatter import KEY_ORDER, Document, canonical, entry, load

DELETE = object()
_KEY_LINE = re.compile(r"""^(?:'((?:[^']|'')*)'|"([^"\\]*)"|([^\s#'"\-?:,\[\]{}][^:]*?))\s*:(?:\s|$)""")
_ITEM_LINE = re.compile(r"^( *)- ")


class Span(NamedTuple):
    """Lines [start, end) of the front matter that hold one key (trailing blanks excluded)."""

    key: str
    start: int
    end: int


def scan(lines: list[str]) -> list[Span]:
    """Top-level key spans of front-matter lines."""
    starts: list[tuple[str, int]] = []
    for i, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if match:
            quoted, double, plain = match.groups()
            key = quoted.replace("''", "'") if quoted is not None else (double or plain or "")
            starts.append((key, i))
    spans = []
    for n, (key, start) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else len(lines)
        # Trailing blank lines and comments go with the gap, unless a block scalar that
        # keeps its final line breaks (`|+`, `>+`) may own them.
        keeps = any(_KEEP.search(lines[i]) for i in range(start, end))
        while (
            not keeps and end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#"))
        ):
            end -= 1
        spans.append(Span(key, start, end))
    return spans


_KEEP = re.compile(r"[:-]\s+[|>](?:[1-9]?\+|\+[1-9]?)\s*(?:#.*)?$")


def _trusted(spans: list[Span], data: Mapping[str, object]) -> bool:
    return [s.key for s in spans] == [str(k) for k in data]


def items(lines: list[str], span: Span) -> list[int]:
    """Line indexes where the list items of a block-sequence key start."""
    starts = [i for i in range(span.start + 1, span.end) if _ITEM_LINE.match(lines[i])]
    if not starts:
        return []
    indent = min(len(_ITEM_LINE.match(lines[i]).group(1)) for i in starts)  # type: ignore[union-attr]
    return [i for i in starts if len(_ITEM_LINE.match(lines[i]).group(1)) == indent]  # type: ignore[union-attr]


def line_of(front: str, data: Mapping[str, object], loc: Loc, first_line: int = 2) -> int | None:
    """The 1-based file line of a key path such as ("history", 3, "at"), if it can be found."""
    if not loc:
        return None
    lines = front.split("\n")
    spans = scan(lines)
    if not _trusted(spans, data):
        return None
    span = next((s for s in spans if s.key == loc[0]), None)
    if span is None:
        return None
    if len(loc) > 1 and isinstance(loc[1], int):
        starts = items(lines, span)
        if loc[1] < len(starts):
            return first_line + starts[loc[1]]
    return first_line + span.start


def _anchor(key: str, present: list[str]) -> str | None:
    """The existing key a new key goes after, by the canonical order."""
    if key in KEY_ORDER:
        before = KEY_ORDER[: KEY_ORDER.index(key)]
        candidates = [k for k in present if k in before]
        return max(candidates, key=KEY_ORDER.index) if candidates else None
    candidates = [k for k in present if k != "history"]
    return candidates[-1] if candidates else None


def apply(
    doc: Document,
    data: Mapping[str, object],
    changes: Mapping[str, object],
    events: list[dict[str, object]] | None = None,
    body: str | None = None,
) -> Document:
    """Set or DELETE top-level keys and append history events, touching nothing else."""
    events = events or []
    new: dict[str, object] = dict(data)
    for key, value in changes.items():
        if value is DELETE:
            new.pop(key, None)
        else:
            new[key] = value
    history = new.get("history")
    if events:
        history = [*(history if isinstance(history, list) else []), *events]
        new["history"] = history
    lines = doc.front.split("\n")[:-1] if doc.front else []
    spans = scan(lines)
    # An untrusted scan (unusual layout) falls back to re-emitting everything.
    trusted = bool(data) and _trusted(spans, data)
    front = _splice(lines, spans, new, changes, events) if trusted else canonical(new)
    result = Document(front, doc.body if body is None else body)
    if load(result.front) != new:
        raise AssertionError("gitdesk produced front matter that does not read back; not written")
    return result


def _splice(
    lines: list[str],
    spans: list[Span],
    new: Mapping[str, object],
    changes: Mapping[str, object],
    events: list[dict[str, object]],
) -> str:
    by_key = {s.key: s for s in spans}
    replace: dict[int, tuple[int, list[str]]] = {}  # start -> (end, new lines)
    inserts: dict[int, list[str]] = {}  # insert before this line index
    present = [s.key for s in spans]
    changed = dict(changes)
    if events:
        span = by_key.get("history")
        starts = items(lines, span) if span else []
        if span and starts and lines[span.start].rstrip() == "history:":
            indent = _ITEM_LINE.match(lines[starts[0]]).group(1)  # type: ignore[union-attr]
            added: list[str] = []
            for event in events:
                added.extend(entry("h", [event], indent)[1:])
            inserts.setdefault(span.end, []).extend(added)
        else:
            changed["history"] = new["history"]
    for key, value in changed.items():
        if key in by_key:
            span = by_key[key]
            lines_for = [] if value is DELETE else entry(key, value)
            replace[span.start] = (span.end, lines_for)
        elif value is not DELETE:
            after = _anchor(key, present)
            at = by_key[after].end if after else 0
            inserts.setdefault(at, []).extend(entry(key, value))
    out: list[str] = []
    i = 0
    while i <= len(lines):
        out.extend(inserts.get(i, []))
        if i == len(lines):
            break
        if i in replace:
            end, new_lines = replace[i]
            out.extend(new_lines)
            i = end
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out) + "\n" if out else ""

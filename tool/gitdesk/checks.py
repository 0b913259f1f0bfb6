"""`gitdesk validate` over a tracker: parse problems, validation, and changes since a base."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from gitdesk import git, store
from gitdesk.errors import Problem
from gitdesk.ticket import Ticket
from gitdesk.tracker import Tracker
from gitdesk.validate import across, check_change


def run(
    tracker: Tracker,
    now: datetime,
    paths: Sequence[str] = (),
    base: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list[Problem]]:
    """(number of tickets checked, problems), problems sorted by file and line.

    Cross-ticket checks (duplicate IDs, references) always look at every
    ticket; `paths` only limits which files' problems are reported.
    """
    tracker.config  # noqa: B018  (the config is checked first, even with no tickets)
    loaded = tracker.load_all(progress)  # each ticket already checked on its own
    tickets = [x.ticket for x in loaded if x.ticket is not None]
    problems = [p for x in loaded for p in x.problems]
    problems += across(tickets, now, tracker.kb_slugs())
    if base:
        problems += changes_since(tracker, base, {t.path: t for t in tickets})
    if paths:
        wanted = [_rel(tracker.root, p) for p in paths]
        problems = [p for p in problems if any(p.path == w or p.path.startswith(w + "/") for w in wanted)]
        count = sum(1 for x in loaded if any(x.path == w or x.path.startswith(w + "/") for w in wanted))
    else:
        count = len(loaded)
    problems = tracker.resolve_lines(problems)
    problems.sort(key=lambda p: (p.path, p.line or 0, p.message))
    return count, problems


def changes_since(tracker: Tracker, base: str, current: dict[str, Ticket]) -> list[Problem]:
    """History rewrites and reused IDs in ticket files changed since `base`."""
    prefix = re.escape(tracker.config.id_prefix)
    id_of = re.compile(rf"^({prefix}-[1-9][0-9]*)(?:-|\.md$)")
    base_ids = {
        m.group(1) for rel in git.paths_at(tracker.root, base) if (m := id_of.match(rel.rsplit("/", 1)[-1]))
    }
    out: list[Problem] = []
    for old_rel, new_rel in git.changed_since(tracker.root, base):
        if new_rel is None:
            out.append(Problem(old_rel or "", "was deleted since the base; tickets are closed or "
                               "cancelled, never deleted (restore it with git)"))  # fmt: skip
            continue
        if new_rel not in current:
            continue  # unreadable now: its parse problems are already reported
        new = store.load_file(tracker.root, new_rel).ticket  # whole: light copies lack history
        if new is None:
            continue
        old = None
        if old_rel is not None:
            text = git.read_at(tracker.root, base, old_rel)
            old = store.parse(old_rel, text)[0].ticket if text is not None else None
        out.extend(check_change(old, new, base_ids))
    return out


def _rel(root: Path, given: str) -> str:
    path = Path(given)
    full = path if path.is_absolute() else Path.cwd() / path
    try:
        return full.resolve().relative_to(root).as_posix().rstrip("/")
    except ValueError:
        return given.rstrip("/")

"""`gitdesk renumber`: give a ticket a new ID, fixing references to it."""

from __future__ import annotations

import os
import re

from gitdesk import git, store
from gitdesk.errors import GitdeskError, UsageError
from gitdesk.frontmatter import Document
from gitdesk.splice import apply
from gitdesk.ticket import ID_RE
from gitdesk.tracker import Tracker, max_number


class Renumbered:
    """What a renumbering did: the old and new ID and path, and the files whose references changed."""

    __slots__ = ("new_id", "new_path", "old_id", "old_path", "updated")

    def __init__(
        self, old_id: str, new_id: str, old_path: str, new_path: str, updated: list[str] | None = None
    ) -> None:
        self.old_id = old_id
        self.new_id = new_id
        self.old_path = old_path
        self.new_path = new_path
        self.updated = [] if updated is None else updated


def pick(tracker: Tracker, target: str, base: str | None) -> str:
    """The file to renumber: a path, or an ID (on a collision, the one not on `base`)."""
    if target.endswith(".md"):
        rel = os.path.relpath(os.path.abspath(target), tracker.root)
        if not (tracker.root / rel).is_file():
            raise GitdeskError(f"{target}: no such ticket file")
        return rel.replace(os.sep, "/")
    if not ID_RE.match(target):
        raise UsageError(f"'{target}' is neither a ticket ID nor a path to a ticket file")
    paths = store.find_by_id(tracker.root, target)
    if len(paths) > 1 and base:
        on_base = set(git.paths_at(tracker.root, base))
        paths = [p for p in paths if p not in on_base] or paths
    if not paths:
        raise GitdeskError(f"no ticket {target}")
    if len(paths) > 1:
        raise UsageError(f"{target} is used by {', '.join(paths)}; name the file to renumber, "
                         f"or give --base REF to pick the one that is not on REF")  # fmt: skip
    return paths[0]


def renumber(tracker: Tracker, rel: str, to: str | None, base: str | None) -> Renumbered:
    loaded = store.load_file(tracker.root, rel)
    if loaded.ticket is None:
        raise GitdeskError("\n".join(p.render() for p in loaded.problems))
    old_id = loaded.ticket.id
    prefix = tracker.config.id_prefix
    collided = len(store.find_by_id(tracker.root, old_id)) > 1
    names = [r.rsplit("/", 1)[-1] for r in store.names(tracker.root)]
    new_id = to or f"{prefix}-{1 + max(max_number(names, prefix), tracker.highest_on_branches())}"
    if not ID_RE.match(new_id):
        raise UsageError(f"'{new_id}' is not an ID like {prefix}-42")
    if store.find_by_id(tracker.root, new_id):
        raise GitdeskError(f"{new_id} is already taken")
    name = rel.rsplit("/", 1)[-1]
    slug = name[len(old_id) + 1 :] if name.startswith(f"{old_id}-") else f"{name[:-3]}.md"
    new_rel = f"{rel.rsplit('/', 1)[0]}/{new_id}-{slug}" if "/" in rel else f"{new_id}-{slug}"
    path = tracker.root / rel
    with store.locked(path):
        text = store.read_text(path, rel)
        _, doc, data = store.parse(rel, text)
        assert doc is not None and isinstance(data, dict)
        moved = apply(doc, data, {"id": new_id})
        store.create_exclusive(tracker.root / new_rel, moved.render())
        os.unlink(path)
    result = Renumbered(old_id, new_id, rel, new_rel)
    scope = _scope(tracker, base, collided)
    for other in store.names(tracker.root):
        in_scope = other != new_rel and (scope is None or other in scope)
        if in_scope and tracker.rewrite(other, lambda d, m: _retarget(d, m, old_id, new_id)):
            result.updated.append(other)
    return result


def _scope(tracker: Tracker, base: str | None, collided: bool) -> set[str] | None:
    """Which files may refer to the renumbered ticket: all, unless the ID was shared.

    When two tickets share an ID, a reference is only known to mean the moved one
    in files changed on this branch (since `base`); with no base, none are touched.
    """
    if not collided:
        return None
    if not base:
        return set()
    return {new for _, new in git.changed_since(tracker.root, base) if new}


def _retarget(doc: Document, data: dict[str, object], old: str, new: str) -> Document | None:
    word = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-]|-\d)")
    changes: dict[str, object] = {}
    related = data.get("related")
    if isinstance(related, list) and old in related:
        changes["related"] = [new if r == old else r for r in related]
    if data.get("duplicate_of") == old:
        changes["duplicate_of"] = new
    body = word.sub(new, doc.body)
    if not changes and body == doc.body:
        return None
    return apply(doc, data, changes, body=body)

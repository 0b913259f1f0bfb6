"""The workflow: statuses, their categories, legal transitions, approvals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

CATEGORIES = ("open", "paused", "done")


class Approval(NamedTuple):
    """A transition that a pull request may only make with a review from `reviewers`.

    `from_` or `to` left as None matches any status.
    """

    from_: str | None
    to: str | None
    reviewers: tuple[str, ...]

    def matches(self, old: str, new: str) -> bool:
        return (self.from_ in (None, old)) and (self.to in (None, new))


class Workflow(NamedTuple):
    """Statuses (name -> category), the initial status and the allowed moves."""

    statuses: Mapping[str, str]
    initial: str
    transitions: Mapping[str, tuple[str, ...]]
    approvals: tuple[Approval, ...] = ()

    def category(self, status: str) -> str | None:
        return self.statuses.get(status)

    def is_open(self, status: str) -> bool:
        return self.statuses.get(status) in ("open", "paused")

    def targets(self, status: str) -> tuple[str, ...]:
        return self.transitions.get(status, ())

    def is_legal(self, old: str, new: str) -> bool:
        return new in self.transitions.get(old, ())

    def is_reopen(self, old: str, new: str) -> bool:
        return self.category(old) == "done" and self.category(new) != "done"

    def approval_for(self, old: str, new: str) -> Approval | None:
        for approval in self.approvals:
            if approval.matches(old, new):
                return approval
        return None


def default_workflow() -> Workflow:
    """new -> triaged -> in-progress <-> waiting -> resolved -> closed, cancel, reopen."""
    statuses = {
        "new": "open",
        "triaged": "open",
        "in-progress": "open",
        "waiting": "paused",
        "resolved": "done",
        "closed": "done",
        "cancelled": "done",
    }
    transitions = {
        "new": ("triaged", "in-progress", "cancelled"),
        "triaged": ("in-progress", "waiting", "cancelled"),
        "in-progress": ("waiting", "resolved", "cancelled"),
        "waiting": ("in-progress", "resolved", "cancelled"),
        "resolved": ("closed", "in-progress"),
        "closed": ("in-progress",),
    }
    return Workflow(statuses=statuses, initial="new", transitions=transitions)

"""Shared state for commands: the tracker, the clock, the actor, output helpers."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from gitdesk.errors import GitdeskError

if TYPE_CHECKING:
    from datetime import datetime

    from gitdesk.tracker import Tracker


class Context:
    """Built once per run; everything is looked up lazily."""

    @cached_property
    def tracker(self) -> Tracker:
        from gitdesk.tracker import Tracker

        return Tracker.at(Path.cwd())

    @cached_property
    def now(self) -> datetime:
        from gitdesk.tracker import clock

        return clock()

    @cached_property
    def actor(self) -> str:
        """GITDESK_USER, else the person whose email or name matches git's user."""
        user = os.environ.get("GITDESK_USER", "").strip()
        if user:
            return user
        from gitdesk import git

        name, email = git.identity(self.tracker.root)
        for person in self.tracker.config.people.values():
            if email and email.lower() in (e.lower() for e in person.emails):
                return person.handle
            if name and name == person.name:
                return person.handle
        if email or name:
            return str(email or name)
        raise GitdeskError("who are you? set GITDESK_USER=<handle> or `git config user.email`")


pass_ctx = click.make_pass_decorator(Context)

F = TypeVar("F", bound=Callable[..., Any])

# Set by the console script (gitdesk.cli.run), whose process ends right after one
# command: bulk commands then leave the cycle collector off and their objects alive
# (see `bulk`).
ONE_SHOT = False
_KEPT: list[object] = []


def bulk(command: F) -> F:
    """For commands that read every ticket: run with the cycle collector paused.

    They build hundreds of thousands of small acyclic objects; each collection
    would walk all of them (see gitdesk.store.no_gc). Turned back on, it would
    walk them all at once. In the console script, where the process ends next,
    it stays off, and the command's arguments (the Context, which holds the
    tracker and its caches) are kept: freeing them one by one took 20-50 ms of
    a warm `gitdesk sla --json` at 10k tickets.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from gitdesk.store import no_gc

        if ONE_SHOT:
            _KEPT.append(args)
        with no_gc(resume=not ONE_SHOT):
            return command(*args, **kwargs)

    return cast(F, run)


def fail(message: str) -> None:
    for line in message.splitlines() or [""]:
        click.echo(f"gitdesk: {line}" if not _located(line) else line, err=True)


def _located(line: str) -> bool:
    head = line.split(":", 1)[0]
    return head.endswith((".md", ".yml"))


def emit_json(data: object) -> None:
    """JSON on stdout: indented for a person at a terminal, compact (and fast) for a program.

    json's C encoder only runs without `indent`; indenting 10k tickets takes seconds.
    """
    if sys.stdout.isatty():
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_array(items: Iterable[str], chunk: int = 1000) -> None:
    """A JSON array of already-encoded items, written in chunks: at 100k tickets the
    whole text at once would be another 60 MB of peak memory."""
    out, first, batch = sys.stdout, True, []
    out.write("[")
    for item in items:
        batch.append(item)
        if len(batch) == chunk:
            out.write(("" if first else ",") + ",".join(batch))
            first, batch = False, []
    if batch:
        out.write(("" if first else ",") + ",".join(batch))
    out.write("]\n")


def note(message: str) -> None:
    """A message for the person (stderr), never mixed into data on stdout."""
    click.echo(message, err=True)


def left_out(tracker: Tracker, what: str = "left out") -> None:
    """Name the ticket files the last bulk read could not use (the exit code is the command's)."""
    bad = tracker.unreadable
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        note(f"gitdesk: {len(bad)} ticket file(s) could not be read and are {what}: {shown}; "
             "run `gitdesk validate`")  # fmt: skip


def interactive() -> bool:
    return sys.stdin.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")

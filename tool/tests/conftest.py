"""Shared fixtures: a real tracker in a real git repository, and guards.

The guards make a test fail loudly if it writes to $HOME or opens a network
connection beyond loopback.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gitdesk.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CONFIG = REPO / "tickets" / "config.yml"
NOW = "2026-11-20T06:00:00Z"


@pytest.fixture(autouse=True)
def _guards(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GITDESK_NOW", NOW)
    monkeypatch.setenv("GITDESK_USER", "sari")
    monkeypatch.delenv("GITDESK_CACHE_DIR", raising=False)
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@dataclass
class Desk:
    """A tracker in a temporary git repository, driven through the real CLI."""

    root: Path

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            main, ["-C", str(self.root), *args], input=input, env=env, catch_exceptions=False
        )

    def ok(self, *args: str, **kw: object) -> Result:
        result = self.run(*args, **kw)  # type: ignore[arg-type]
        assert result.exit_code == 0, (
            f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def new(self, title: str = "VPN drops every hour", *extra: str) -> str:
        args = ["new", "--title", title, "--type", "incident", "--priority", "P2", *extra]
        return self.ok(*args).stdout.strip()

    def path(self, ticket_id: str) -> Path:
        (found,) = (self.root / "tickets").rglob(f"{ticket_id}-*.md")
        return found

    def text(self, ticket_id: str) -> str:
        return self.path(ticket_id).read_text(encoding="utf-8")

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def snapshot(self) -> dict[str, bytes]:
        """Every file under tickets/ and kb/, to prove a refused command changed nothing."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and ".git" not in p.parts
        }


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    root = tmp_path / "desk"
    (root / "tickets").mkdir(parents=True)
    shutil.copy(SAMPLE_CONFIG, root / "tickets" / "config.yml")
    shutil.copytree(REPO / "tickets" / "templates", root / "tickets" / "templates")
    (root / "kb" / "replies").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Sari Wulandari")
    git(root, "config", "user.email", "sari@example.co.id")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "tracker")
    yield Desk(root)


TICKET = """\
---
id: T-7
title: Printer on floor 3 jams
type: incident
status: new
priority: P3
requester: budi
team: it-helpdesk
created: 2026-11-19T02:00:00Z
history:
  - {at: 2026-11-19T02:00:00Z, by: budi, event: created}
---
Paper jams on every second page.
"""

"""Files on disk: racing writers, atomic writes, and a cache that is never stale."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitdesk import store
from tests.conftest import TICKET, Desk


def cached(desk: Desk) -> set[str]:
    """The paths the parse cache holds (whatever its tag)."""
    path = store.cache_path(desk.root)
    assert path is not None
    found: set[str] = set()
    with path.open("rb") as handle:
        pickle.load(handle)  # the tag
        with contextlib.suppress(EOFError):
            while True:
                found.update(rel for rel, _ in pickle.load(handle))
    return found


def race(desk: Desk, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gitdesk", "-C", str(desk.root), *cmd],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cmd in commands
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(), *p.communicate()) for p in procs]


def test_two_processes_commenting_at_once_lose_nothing(desk: Desk) -> None:
    tid = desk.new()
    script = "; ".join(f"gitdesk -C {desk.root} comment {tid} 'writer {{w}} comment {i}'" for i in range(8))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    procs = [
        subprocess.Popen(
            ["sh", "-c", script.replace("{w}", str(w))],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in (1, 2)
    ]
    for p in procs:
        assert p.wait() == 0, p.stderr.read() if p.stderr else ""
        if p.stderr:
            p.stderr.close()
    texts = [e.get("text") for e in json.loads(desk.ok("show", tid, "--json").stdout)["history"]]
    for w in (1, 2):
        for i in range(8):
            assert f"writer {w} comment {i}" in texts
    assert desk.run("validate").exit_code == 0


def test_concurrent_new_tickets_get_distinct_ids(desk: Desk) -> None:
    results = race(
        desk, [["new", "--title", f"t{i}", "--type", "question", "--priority", "P4"] for i in range(6)]
    )
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    ids = sorted(int(r.stdout.strip().split("-")[1]) for r in results)
    assert ids == [1, 2, 3, 4, 5, 6]


def test_write_atomic_leaves_no_temp_files_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "T-1-x.md"
    path.write_text("old")
    os.chmod(path, 0o600)
    store.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["T-1-x.md"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "T-1-x.md"
    path.write_text("old")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        store.write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["T-1-x.md"]


def test_cache_is_used_when_nothing_changed(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    past = time.time() - 60
    os.utime(desk.root / "tickets/T-7-printer.md", (past, past))
    desk.ok("list", "--json")
    assert (desk.root / ".git/gitdesk/tickets.pickle").is_file()
    calls: list[str] = []
    real = store.load_file
    monkeypatch.setattr(store, "load_file", lambda root, rel: calls.append(rel) or real(root, rel))
    assert json.loads(desk.ok("list", "--json").stdout)[0]["title"] == "Printer on floor 3 jams"
    assert calls == []


def test_cache_never_serves_a_stale_ticket_after_two_quick_edits(desk: Desk) -> None:
    path = desk.write("tickets/T-7-printer.md", TICKET)
    old = time.time() - 60
    for title in ("Printer on floor 4 jams", "Printer on floor 5 jams", "Printer on floor 6 jams"):
        # Same size, same inode and the same mtime each time (as on a file system with
        # coarse timestamps, or a tool that restores mtimes): the cache must still notice.
        path.write_text(TICKET.replace("Printer on floor 3 jams", title))
        os.utime(path, (old, old))
        assert json.loads(desk.ok("list", "--json").stdout)[0]["title"] == title
        assert "tickets/T-7-printer.md" in cached(desk)


def test_cache_drops_entries_of_files_changed_just_before_saving(desk: Desk) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    desk.ok("list")
    assert "tickets/T-7-printer.md" not in cached(desk)  # modified < 2 s ago: racy, not kept


def test_a_planted_cache_file_is_ignored(desk: Desk) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    (desk.root / ".git/gitdesk").mkdir(parents=True)
    (desk.root / ".git/gitdesk/tickets.pickle").write_bytes(b"not a pickle")
    assert json.loads(desk.ok("list", "--json").stdout)[0]["id"] == "T-7"


def test_cached_problems_are_reported_again_and_config_changes_invalidate(desk: Desk) -> None:
    path = desk.write("tickets/T-7-printer.md", TICKET.replace("priority: P3", "priority: P9"))
    old = time.time() - 60
    os.utime(path, (old, old))
    first = desk.run("validate")
    assert first.exit_code == 1 and "priority: 'P9'" in first.stdout
    assert "tickets/T-7-printer.md" in cached(desk)
    again = desk.run("validate")  # served from the cache: the problem is still there
    assert again.exit_code == 1 and again.stdout == first.stdout
    config = desk.root / "tickets/config.yml"
    config.write_text(
        config.read_text().replace("  P4: {name: Low,", "  P9: {name: Someday}\n  P4: {name: Low,")
    )
    assert desk.run("validate").exit_code == 0  # the file did not change, the config did


def test_bulk_reads_are_light_but_text_search_and_done_clocks_read_whole_files(desk: Desk) -> None:
    desk.new("alpha", "--body", "The fuser smells of smoke.")
    desk.new("beta")
    desk.ok("move", "T-2", "cancelled")
    old = time.time() - 60
    for path in (desk.root / "tickets").glob("T-*.md"):
        os.utime(path, (old, old))
    desk.ok("list")  # fills the cache
    assert json.loads(desk.ok("list", "--text", "smoke", "--json").stdout)[0]["id"] == "T-1"
    rows = json.loads(desk.ok("sla", "--all", "--json").stdout)
    assert {r["id"]: r["resolution"]["state"] for r in rows} == {"T-1": "ok", "T-2": "met"}
    shown = json.loads(desk.ok("show", "T-1", "--json").stdout)
    assert shown["body"] == "The fuser smells of smoke.\n" and shown["history"][0]["event"] == "created"


def test_cache_written_in_several_chunks_is_read_back_whole(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "CHUNK", 2)  # five tickets: three pickles, each standing alone
    old = time.time() - 60
    for n in range(1, 6):
        path = desk.write(f"tickets/T-{n}-x.md", TICKET.replace("T-7", f"T-{n}"))
        os.utime(path, (old, old))
    desk.ok("list")
    assert cached(desk) == {f"tickets/T-{n}-x.md" for n in range(1, 6)}
    calls: list[str] = []
    real = store.load_file
    monkeypatch.setattr(store, "load_file", lambda root, rel: calls.append(rel) or real(root, rel))
    assert len(json.loads(desk.ok("list", "--json").stdout)) == 5
    assert calls == []  # every ticket came from the cache

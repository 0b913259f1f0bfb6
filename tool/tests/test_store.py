"""Files on disk: racing writers, atomic writes, and a cache that is never stale."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitdesk import store
from tests.conftest import TICKET, Desk, git


def cache_file(desk: Desk, name: str = "tickets.v5") -> Path:
    folder = store.cache_dir(desk.root)
    assert folder is not None
    return folder / name


def cached(desk: Desk, name: str = "tickets.v5") -> set[str]:
    """The paths a cache file holds (whatever its tag)."""
    raw = cache_file(desk, name).read_bytes()
    payload = raw[raw.index(b"\n", len(store.Shelf.MAGIC)) + 1 + store.CHECK :]
    return set(marshal.loads(payload))


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
    assert cache_file(desk) == desk.root / ".git/gitdesk/tickets.v5"
    assert cache_file(desk).is_file()
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
    cache_file(desk).write_bytes(b"not a cache")
    assert json.loads(desk.ok("list", "--json").stdout)[0]["id"] == "T-7"


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "other tag"])
def test_a_damaged_cache_is_ignored_and_rewritten(desk: Desk, damage: str) -> None:
    path = desk.write("tickets/T-7-printer.md", TICKET)
    old = time.time() - 60
    os.utime(path, (old, old))
    desk.ok("list")
    raw = cache_file(desk).read_bytes()
    if damage == "flip a byte":  # inside the cached title: marshal alone would load it happily
        at = raw.index(b"Printer on floor 3")
        bad = raw[:at] + b"Q" + raw[at + 1 :]
    elif damage == "truncate":
        bad = raw[: len(raw) - 10]
    else:
        bad = raw.replace(store.CACHE_TAG.encode(), b"0.0.0/0")
    cache_file(desk).write_bytes(bad)
    assert json.loads(desk.ok("list", "--json").stdout)[0]["title"] == "Printer on floor 3 jams"
    assert cache_file(desk).read_bytes() == raw  # written afresh


def test_a_value_marshal_cannot_hold_costs_only_its_own_entry(tmp_path: Path) -> None:
    shelf = store.Shelf(tmp_path / "x.v1", "t")
    old = (1, 1, 1, 1)  # an mtime long past: not racy
    shelf.put("a.md", old, ("fine", 1))
    shelf.put("b.md", old, ("not marshal", object()))
    shelf.save()
    again = store.Shelf(tmp_path / "x.v1", "t")
    assert again.get("a.md", old) == ("fine", 1)
    assert again.get("b.md", old) is None
    assert store.Shelf(tmp_path / "x.v1", "another tag").get("a.md", old) is None


def test_list_json_from_the_cache_matches_the_tickets_read_whole(desk: Desk) -> None:
    """The JSON kept per ticket is exactly what as_dict gives for the file read afresh."""
    from gitdesk.config import parse_config
    from gitdesk.frontmatter import load
    from gitdesk.ticket import as_dict
    from tests.conftest import REPO

    for path in (REPO / "tickets").glob("T-*.md"):
        target = desk.write(f"tickets/{path.name}", path.read_bytes())
        os.utime(target, (time.time() - 60,) * 2)
    config = parse_config(load((REPO / "tickets/config.yml").read_text()), "tickets/config.yml")
    expected = []
    for rel in store.names(desk.root):
        t = store.load_file(desk.root, rel).ticket
        assert t is not None
        expected.append(as_dict(t, config.workflow.category(t.status)))
    cold = desk.ok("list", "--all", "--json").stdout
    warm = desk.ok("list", "--all", "--json").stdout
    assert len(expected) >= 40
    assert json.loads(cold) == json.loads(warm) == sorted(expected, key=lambda d: int(str(d["id"])[2:]))
    assert warm == cold


TEXT = st.text(max_size=12)
MAYBE = st.none() | TEXT


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT),
    st.tuples(MAYBE, MAYBE, MAYBE, MAYBE, st.none() | st.sampled_from(["open", "done"])),
    st.lists(TEXT, max_size=3),
    st.none() | st.integers(min_value=1, max_value=5) | st.booleans(),
    st.booleans() | st.just("yes"),
    st.lists(st.tuples(TEXT | st.integers() | st.booleans(), TEXT | st.integers()), max_size=3),
    st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_the_list_json_written_by_hand_is_json_dumps_exactly(
    words: tuple[str, ...], maybes: tuple[str | None, ...], tags: list[str], rating: object,
    confidential: object, extra: list[tuple[object, object]], when: datetime | None,
) -> None:  # fmt: skip
    from gitdesk.ticket import Ticket, as_dict, to_json

    path, tid, title, type_, status, priority, requester = words
    assignee, team, duplicate_of, resolution, category = maybes
    t = Ticket(path, tid, title, type_, status, priority, requester, when, assignee, team, tuple(tags),
               tuple(tags[:1]), tuple(tags[1:]), duplicate_of, confidential, extra=tuple(extra),  # type: ignore[arg-type]
               resolution=resolution, rating=rating, updated=when)  # type: ignore[arg-type]  # fmt: skip
    assert to_json(t, category) == json.dumps(as_dict(t, category), ensure_ascii=False, separators=(",", ":"))


def test_find_by_id_reads_names_only_and_walks_folders_like_discovery(tmp_path: Path) -> None:
    for rel in ("T-1-a.md", "T-10-b.md", "T-1.md", "sub/T-1-c.md", "sub/deeper/T-1-d.md", "templates/T-1-t.md",
                ".hidden/T-1-h.md", "T-1-notes.txt", "xT-1-y.md"):  # fmt: skip
        path = tmp_path / "tickets" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (tmp_path / "tickets" / "T-1-dir.md").mkdir()  # a folder with a ticket's name is not a ticket
    (tmp_path / "tickets" / "T-1-link.md").symlink_to(tmp_path / "tickets" / "T-1-a.md")
    found = store.find_by_id(tmp_path, "T-1")
    assert found == [
        "tickets/T-1-a.md",
        "tickets/T-1.md",
        "tickets/sub/T-1-c.md",
        "tickets/sub/deeper/T-1-d.md",
    ]
    walked = [rel for rel in store.names(tmp_path) if rel.rsplit("/", 1)[-1].startswith(("T-1-", "T-1."))]
    assert walked == found  # the same files discovery sees
    assert store.find_by_id(tmp_path, "T-10") == ["tickets/T-10-b.md"]
    assert store.find_by_id(tmp_path / "nowhere", "T-1") == []


def test_a_kept_folder_listing_serves_only_an_unchanged_folder(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    folder = desk.root / "tickets"
    old = time.time() - 60
    os.utime(folder, (old, old))  # not changed within the last 2 s: its listing may be kept
    listed: list[str] = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: listed.append(str(path)) or real(path))
    assert store.find_by_id(desk.root, "T-8") == []
    assert len(listed) == 1
    assert store.find_by_id(desk.root, "T-8") == []
    assert len(listed) == 1  # the kept listing
    desk.write("tickets/T-8-new.md", TICKET)  # the folder changed: listed again
    assert store.find_by_id(desk.root, "T-8") == ["tickets/T-8-new.md"]
    assert len(listed) == 2


def test_a_ticket_found_alone_is_not_listed_again_while_git_tracks_no_other_file_with_its_id(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    for n in range(1, 7):
        desk.write(f"tickets/T-{n}-other.md", TICKET.replace("T-7", f"T-{n}"))
    desk.write("tickets/sub/T-70-near.md", TICKET.replace("T-7", "T-70"))  # a name T-7 must not match
    git(desk.root, "add", "-A")
    listed: list[object] = []
    real = os.listdir

    def counting(path: str) -> list[str]:  # listings of ticket folders (not of .git: a dozen names)
        if not str(path).endswith(".git"):
            listed.append(path)
        return real(path)

    monkeypatch.setattr(os, "listdir", counting)
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-printer.md"]
    assert len(listed) == 2  # tickets/ and tickets/sub/
    # Edits, moves, new tickets and commits change the folder or the index...
    assert desk.run("move", "T-7", "in-progress").exit_code == 0
    desk.write("tickets/T-9-new.md", TICKET.replace("T-7", "T-9"))
    git(desk.root, "add", "-A")
    git(desk.root, "commit", "-qm", "work")
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-printer.md"]
    assert len(listed) == 2  # ... but T-7 is known, still there, and the only T-7 git tracks
    # A second T-7 that git brings in is in the index: the folders are read again.
    desk.write("tickets/sub/T-7-again.md", TICKET)
    git(desk.root, "add", "tickets/sub/T-7-again.md")
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-printer.md", "tickets/sub/T-7-again.md"]
    assert len(listed) == 4
    assert desk.run("show", "T-7").exit_code == 1  # and locate refuses the collision
    # So is one in a folder whose path ends like the known file's.
    os.remove(desk.root / "tickets/sub/T-7-again.md")
    git(desk.root, "add", "-A")
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-printer.md"]
    desk.write("tickets/sub/tickets/T-7-printer.md", TICKET)
    git(desk.root, "add", "-A")
    assert store.find_by_id(desk.root, "T-7") == [
        "tickets/T-7-printer.md",
        "tickets/sub/tickets/T-7-printer.md",
    ]
    os.remove(desk.root / "tickets/sub/tickets/T-7-printer.md")
    git(desk.root, "add", "-A")
    # A known file that is gone (renamed, removed) is looked for again.
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-printer.md"]
    (desk.root / "tickets/T-7-printer.md").rename(desk.root / "tickets/T-7-renamed.md")
    before = len(listed)
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-renamed.md"]
    assert len(listed) > before
    # An index in a format whose paths cannot be counted (4 compresses them): listed again.
    git(desk.root, "add", "-A")
    git(desk.root, "update-index", "--index-version", "4")
    before = len(listed)
    assert store.find_by_id(desk.root, "T-7") == ["tickets/T-7-renamed.md"]
    assert len(listed) > before
    # A duplicate copied by hand (not in the index) is what validate is for.
    desk.write("tickets/T-7-copy.md", TICKET)
    result = desk.run("validate")
    assert result.exit_code == 1
    assert "tickets/T-7-copy.md:2: id: T-7 is also used by tickets/T-7-renamed.md" in result.output

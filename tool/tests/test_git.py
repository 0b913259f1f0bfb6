"""Behaviour that depends on git: IDs across branches, checks against a base, branches, renumber."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TICKET, Desk, git


def commit_all(desk: Desk, message: str) -> None:
    desk.git("add", "-A")
    desk.git("commit", "-qm", message)


def test_new_id_looks_at_local_and_remote_tracking_branches(desk: Desk, tmp_path: Path) -> None:
    desk.new("on main")  # T-1
    commit_all(desk, "T-1")
    desk.git("switch", "-qc", "feature")
    desk.write("tickets/T-5-feature.md", TICKET.replace("T-7", "T-5"))
    commit_all(desk, "T-5 on a branch")
    desk.git("switch", "-q", "main")
    assert not (desk.root / "tickets/T-5-feature.md").exists()
    assert desk.new("next") == "T-6"
    # A clone sees a colleague's branch only through its remote-tracking ref.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(desk.root), str(clone))
    desk.git("switch", "-qc", "colleague")
    desk.write("tickets/T-9-colleague.md", TICKET.replace("T-7", "T-9"))
    commit_all(desk, "T-9")
    git(clone, "fetch", "-q")
    other = Desk(clone)
    assert other.new("in the clone") == "T-10"


def test_new_branch_and_commit(desk: Desk) -> None:
    tid = desk.new("Laptop will not boot", "--branch", "--commit")
    assert desk.git("branch", "--show-current").strip() == "ticket/T-1-laptop-will-not-boot"
    assert desk.git("log", "-1", "--format=%s").strip() == f"{tid}: new ticket"
    assert (
        desk.git("show", "--name-only", "--format=", "HEAD").strip() == "tickets/T-1-laptop-will-not-boot.md"
    )
    assert desk.git("status", "--porcelain") == ""


def test_validate_base_accepts_recorded_moves(desk: Desk) -> None:
    tid = desk.new()
    commit_all(desk, "new")
    desk.ok("move", tid, "triaged")
    desk.ok("comment", tid, "On it")
    result = desk.run("validate", "--base", "main")
    assert result.exit_code == 0, result.stdout


def test_validate_base_catches_status_edit_without_history(desk: Desk) -> None:
    tid = desk.new()
    commit_all(desk, "new")
    path = desk.path(tid)
    path.write_text(path.read_text().replace("status: new", "status: in-progress"))
    out = desk.run("validate", "--base", "main").stdout
    assert ":5: status: 'in-progress' but the last status change in history goes to 'new'" in out


def test_validate_base_catches_rewritten_and_removed_history(desk: Desk) -> None:
    tid = desk.new()
    desk.ok("comment", tid, "First reply")
    commit_all(desk, "new")
    path = desk.path(tid)
    original = path.read_text()
    path.write_text(original.replace("text: First reply", "text: A nicer reply"))
    out = desk.run("validate", "--base", "main").stdout
    assert "history[1]: was rewritten; history is append-only" in out
    path.write_text("".join(line for line in original.splitlines(keepends=True) if "First reply" not in line))
    out = desk.run("validate", "--base", "main").stdout
    assert "history: event 1 (comment at 2026-11-20T06:00:00+00:00) was removed" in out


def test_validate_base_catches_reused_id_and_deleted_ticket(desk: Desk) -> None:
    desk.new("first")
    commit_all(desk, "T-1")
    desk.write("tickets/T-1-again.md", TICKET.replace("T-7", "T-1"))
    (desk.root / "tickets/T-1-first.md").unlink()
    out = desk.run("validate", "--base", "main").stdout
    assert "tickets/T-1-again.md:2: id: T-1 already exists on the base branch" in out
    assert "tickets/T-1-first.md: was deleted since the base" in out


def test_validate_base_unknown_ref(desk: Desk) -> None:
    result = desk.run("validate", "--base", "no-such-branch")
    assert result.exit_code == 1 and "'no-such-branch' is not a commit" in result.stderr


def test_renumber_after_a_collision(desk: Desk) -> None:
    desk.new("base ticket")  # T-1
    commit_all(desk, "T-1")
    desk.git("switch", "-qc", "mine")
    mine = desk.new("my printer")  # T-2 on my branch
    desk.write(
        "tickets/T-3-links.md",
        TICKET.replace("T-7", "T-3")
        .replace("team: it-helpdesk", "team: it-helpdesk\nrelated: [T-2]")
        .replace("Paper jams", "See T-2. Paper jams"),
    )
    commit_all(desk, "mine")
    desk.git("switch", "-q", "main")
    desk.write("tickets/T-2-theirs.md", TICKET.replace("T-7", "T-2"))
    commit_all(desk, "theirs")
    desk.git("switch", "-q", "mine")
    desk.git("merge", "-q", "main", "-m", "merge")
    assert desk.run("validate").exit_code == 1  # duplicate T-2
    result = desk.ok("renumber", mine, "--base", "main")
    assert result.stdout.strip() == "T-2 -> T-4"
    assert (desk.root / "tickets/T-4-my-printer.md").read_text().startswith("---\nid: T-4\n")
    assert (desk.root / "tickets/T-2-theirs.md").exists()
    links = (desk.root / "tickets/T-3-links.md").read_text()
    assert "related: [T-4]" in links and "See T-4. Paper" in links
    assert desk.run("validate").exit_code == 0


def test_renumber_by_ambiguous_id_without_base_asks_for_the_file(desk: Desk) -> None:
    desk.write("tickets/T-7-a.md", TICKET)
    desk.write("tickets/T-7-b.md", TICKET)
    result = desk.run("renumber", "T-7")
    assert result.exit_code == 2 and "name the file to renumber" in result.stderr


def test_renumber_to_a_given_id_updates_every_reference(desk: Desk) -> None:
    desk.write("tickets/T-7-printer.md", TICKET)
    desk.write(
        "tickets/T-8-dup.md",
        TICKET.replace("id: T-7", "id: T-8")
        .replace("team: it-helpdesk", "team: it-helpdesk\nduplicate_of: T-7")
        .replace("Paper", "Like T-7 and T-70, paper"),
    )
    desk.ok("renumber", "tickets/T-7-printer.md", "--to", "T-20")
    dup = (desk.root / "tickets/T-8-dup.md").read_text()
    assert "duplicate_of: T-20" in dup and "Like T-20 and T-70, paper" in dup


def test_each_branch_tree_is_read_once_and_a_moved_branch_again(desk: Desk, monkeypatch: object) -> None:
    from gitdesk import git as gitdesk_git

    reads: list[bytes] = []
    real = gitdesk_git._highest_in

    def counting(repo: object, tree: bytes, *args: object) -> int:
        if args[2].get(args[1] + tree.hex()) is None:  # type: ignore[attr-defined,operator]
            reads.append(tree)  # a tree the memo does not know: read from git
        return real(repo, tree, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(gitdesk_git, "_highest_in", counting)  # type: ignore[attr-defined]
    desk.new("on main")
    commit_all(desk, "T-1")
    desk.git("switch", "-qc", "feature")
    desk.write("tickets/T-5-feature.md", TICKET.replace("T-7", "T-5"))
    commit_all(desk, "T-5 on a branch")
    desk.git("switch", "-q", "main")
    reads.clear()
    assert desk.new("next") == "T-6"
    first = len(reads)
    assert first == 2  # the tickets/ trees of main and of feature (templates/ was read before)
    assert desk.new("again") == "T-7"
    assert len(reads) == first  # nothing moved: every tree came from the cache
    desk.git("switch", "-q", "feature")
    desk.write("tickets/T-20-feature.md", TICKET.replace("T-7", "T-20"))
    commit_all(desk, "T-20 on the branch")
    desk.git("switch", "-q", "main")
    assert desk.new("after the branch moved") == "T-21"
    assert len(reads) == first + 1  # only the branch's new tree was read

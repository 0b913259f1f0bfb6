"""The ticket life cycle through the real CLI, on real files in a real git repo."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitdesk.cli import main
from tests.conftest import NOW, TICKET, Desk


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_new_routes_and_prints_id_on_stdout(desk: Desk) -> None:
    result = desk.ok("new", "--title", "Phishing mail from 'CEO'", "--type", "incident",
                     "--priority", "P1", "--tag", "security", "--body", "Link to fake login.")  # fmt: skip
    assert result.stdout == "T-1\n"
    assert "created tickets/T-1-phishing-mail-from-ceo.md" in result.stderr
    text = desk.text("T-1")
    # The routing rule for security incidents gives team and assignee.
    assert "team: it-helpdesk\n" in text and "assignee: agus\n" in text
    assert (
        "  - {at: 2026-11-20T06:00:00Z, by: sari, event: assign, to: agus, note: by the routing rule for this type}\n"
        in text
    )
    assert "title: Phishing mail from 'CEO'\n" in text
    assert text.endswith("---\nLink to fake login.\n")


def test_new_uses_template_body_and_defaults(desk: Desk) -> None:
    tid = desk.ok("new", "--title", "Need a monitor", "--type", "service-request").stdout.strip()
    text = desk.text(tid)
    assert "priority: P4\n" in text  # the template's default
    assert "## What you need" in text


def test_ids_increase_and_confidential_type_is_marked(desk: Desk) -> None:
    assert desk.new("one") == "T-1"
    assert desk.new("two") == "T-2"
    hr = desk.ok("new", "--title", "Leave request", "--type", "hr", "--priority", "P3").stdout.strip()
    assert hr == "T-3"
    assert "confidential: true" in desk.text("T-3")
    assert "assignee: lukas" in desk.text("T-3")


def test_full_life_cycle_and_validate_clean(desk: Desk) -> None:
    tid = desk.new()
    desk.ok("move", tid, "triaged")
    desk.ok("assign", tid, "budi")
    desk.ok("comment", tid, "Please try the new profile: it resets at 60 min.")
    desk.ok("comment", tid, "RADIUS idle timeout\nis 3600 s", "--internal")
    desk.ok("move", tid, "in-progress")
    desk.ok("escalate", tid, "--reason", "Controller firmware")
    desk.ok("move", tid, "waiting", "--note", "Asked for logs")
    desk.ok("move", tid, "resolved", "--resolution", "fixed")
    desk.ok("feedback", tid, "4", "--comment", "Works now")
    desk.ok("move", tid, "in-progress", "--note", "Dropped again")
    shown = json.loads(desk.ok("show", tid, "--json").stdout)
    kinds = [e["event"] for e in shown["history"]]
    assert kinds == ["created", "transition", "assign", "comment", "comment", "transition", "escalate",
                     "transition", "transition", "feedback", "reopen"]  # fmt: skip
    assert shown["status"] == "in-progress" and shown["level"] == "L2" and shown["assignee"] == "budi"
    assert shown["history"][4]["text"] == "RADIUS idle timeout\nis 3600 s"
    assert shown["history"][4]["visibility"] == "internal"
    assert shown["rating"] == 4
    result = desk.run("validate")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_move_changes_only_the_lines_it_must(desk: Desk) -> None:
    tid = desk.new()
    before = desk.text(tid)
    desk.ok("move", tid, "triaged", "--note", "Looking")
    diff = changed_lines(before, desk.text(tid))
    assert diff == [
        "-status: new",
        "+status: triaged",
        "+  - {at: 2026-11-20T06:00:00Z, by: sari, event: transition, from: new, to: triaged, note: Looking}",
    ]


def test_move_keeps_a_hand_written_file_as_it_was(desk: Desk) -> None:
    hand = TICKET.replace(
        "title: Printer on floor 3 jams", 'title: "Printer on floor 3 jams"  # hmm'
    ).replace(
        "team: it-helpdesk\n",
        "team: it-helpdesk\n\n# Custom fields\nasset_tag: PRN-0042\nlocation: {floor: 3}\n",
    )
    path = desk.write("tickets/sub/T-7-printer.md", hand)
    desk.ok("move", "T-7", "triaged")
    after = path.read_text()
    assert changed_lines(hand, after) == [
        "-status: new",
        "+status: triaged",
        "+  - {at: 2026-11-20T06:00:00Z, by: sari, event: transition, from: new, to: triaged}",
    ]


def test_illegal_move_exits_1_names_targets_and_changes_nothing(desk: Desk) -> None:
    tid = desk.new()
    before = desk.snapshot()
    result = desk.run("move", tid, "closed")
    assert result.exit_code == 1
    assert "new -> closed is not allowed" in result.stderr
    assert "triaged, in-progress, cancelled" in result.stderr
    assert result.stdout == ""
    assert desk.snapshot() == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["move", "T-99", "triaged"], 1, "no ticket T-99"),
        (["show", "T-99"], 1, "no ticket T-99"),
        (["show", "banana"], 2, "is not a ticket ID"),
        (["move", "T-1", "doing"], 2, "'doing' is not a status; statuses: new, triaged"),
        (["assign", "T-1", "nobody"], 2, "'nobody' is not in people"),
        (["feedback", "T-1", "4"], 1, "feedback comes after it is resolved"),
        (["feedback", "T-1", "9"], 2, "9 is not in the range 1<=x<=5"),
        (["comment", "T-1"], 2, "give the comment TEXT"),
        (["comment", "T-1", "--reply", "nope"], 1, "no canned reply kb/replies/nope.md"),
        (["escalate", "T-1", "--to", "L9"], 2, "'L9' is not one of 'L2', 'L3'"),
        (["list", "--sort", "colour"], 2, "'colour' is not one of"),
    ],
)
def test_refusals_and_usage_errors(desk: Desk, args: list[str], code: int, message: str) -> None:
    desk.new()
    before = desk.snapshot()
    result = desk.run(*args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert desk.snapshot() == before


def test_escalation_stops_at_l3(desk: Desk) -> None:
    tid = desk.new()
    desk.ok("escalate", tid)
    desk.ok("escalate", tid)
    result = desk.run("escalate", tid)
    assert result.exit_code == 1 and "already at L3, the highest level" in result.stderr


def test_canned_reply_is_filled_with_ticket_fields(desk: Desk) -> None:
    desk.write("kb/replies/need-info.md", "---\ntitle: Need info\n---\nHello {requester},\n\nAbout {id} ({title}): "
               "please send a screenshot.\n\n{agent}\n")  # fmt: skip
    tid = desk.new("VPN drops", "--requester", "budi")
    desk.ok("comment", tid, "--reply", "need-info")
    shown = json.loads(desk.ok("show", tid, "--json").stdout)
    assert shown["history"][-1]["text"] == (
        "Hello Budi Santoso,\n\nAbout T-1 (VPN drops): please send a screenshot.\n\nSari Wulandari"
    )


def test_list_filters_sorts_and_formats(desk: Desk) -> None:
    desk.new("alpha vpn", "--tag", "vpn")
    desk.ok("new", "--title", "beta", "--type", "question", "--priority", "P1")
    desk.new("gamma")
    desk.ok("move", "T-3", "cancelled")
    listed = desk.ok("list", "--json").stdout
    assert [t["id"] for t in json.loads(listed)] == ["T-1", "T-2"]  # done tickets hidden by default
    assert [t["id"] for t in json.loads(desk.ok("list", "--all", "--json").stdout)] == ["T-1", "T-2", "T-3"]
    by_priority = json.loads(desk.ok("list", "--sort", "priority", "--json").stdout)
    assert [t["id"] for t in by_priority] == ["T-2", "T-1"]
    assert [t["id"] for t in json.loads(desk.ok("list", "--tag", "vpn", "--json").stdout)] == ["T-1"]
    assert [t["id"] for t in json.loads(desk.ok("list", "--text", "BETA", "--json").stdout)] == ["T-2"]
    assert [t["id"] for t in json.loads(desk.ok("list", "--status", "cancelled", "--json").stdout)] == ["T-3"]
    csv_out = desk.ok("list", "--all", "--csv").stdout.splitlines()
    assert csv_out[0].startswith("id,status,priority,type,assignee,team,created,title")
    assert csv_out[3].startswith("T-3,cancelled,P2,incident")
    table = desk.ok("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "STATUS", "PRIORITY"] and len(table) == 3


def test_show_human_output(desk: Desk) -> None:
    tid = desk.new()
    desk.ok("comment", tid, "Two\nlines", "--internal")
    out = desk.ok("show", tid).stdout
    assert out.startswith("T-1  VPN drops every hour\n")
    assert "status:    new (open)" in out
    assert "internal comment: Two" in out


def test_new_without_a_terminal_refuses_missing_fields(desk: Desk) -> None:
    before = desk.snapshot()
    result = desk.run("new", "--title", "Crate arrived broken", "--type", "logistics", "--priority", "P3")
    assert result.exit_code == 1
    assert "missing required fields: location" in result.stderr
    assert desk.snapshot() == before


def test_new_refuses_unknown_values_before_writing(desk: Desk) -> None:
    before = desk.snapshot()
    result = desk.run("new", "--title", "x", "--type", "incident", "--priority", "P9", "--assignee", "zed")
    assert result.exit_code == 1
    assert "priority: 'P9' is not one of the priorities: P1, P2, P3, P4" in result.stderr
    assert "assignee: 'zed' is not in people" in result.stderr
    assert desk.snapshot() == before


def test_new_prompts_for_missing_fields_on_a_terminal(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitdesk.cli.write.interactive", lambda: True)
    result = desk.run(
        "new", "--type", "logistics", input="Chairs for room 4\nHQ 4th floor\n"
    )  # priority: template default
    assert result.exit_code == 0, result.stderr
    text = desk.text("T-1")
    assert "title: Chairs for room 4" in text and "location: HQ 4th floor" in text


def test_every_command_help_has_an_example() -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    for name in main.list_commands(None):  # type: ignore[arg-type]
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, f"gitdesk {name} --help has no example"


def test_dash_c_and_actor_from_git_identity(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITDESK_USER")
    tid = desk.new()
    # git config user.email is sari@example.co.id, which people maps to the handle sari.
    assert "by: sari, event: created" in desk.text(tid)


def test_bad_gitdesk_now_is_a_usage_error(desk: Desk) -> None:
    result = desk.run("new", "--title", "x", "--type", "question", env={"GITDESK_NOW": "2026-11-20 06:00"})
    assert result.exit_code == 2 and "has no time zone" in result.stderr


def test_init_scaffolds_a_working_tracker_and_never_overwrites(tmp_path: Path) -> None:
    from tests.conftest import git

    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    desk = Desk(root)
    created = desk.ok("init").stdout
    assert "created tickets/config.yml" in created and "created tickets/templates/incident.md" in created
    assert desk.ok("new", "--title", "First", "--type", "question", "--priority", "P4").stdout == "T-1\n"
    assert desk.run("validate").exit_code == 0
    config = root / "tickets/config.yml"
    config.write_text(config.read_text() + "# mine\n")
    again = desk.ok("init")
    assert "kept 6 existing file(s)" in again.stderr and config.read_text().endswith("# mine\n")
    desk.ok("init", "--force")
    assert not config.read_text().endswith("# mine\n")


def test_the_console_script_flushes_everything_and_keeps_exit_codes(desk: Desk) -> None:
    """`gitdesk` ends with os._exit after one command: output must be complete and codes kept."""
    for n in range(60):
        desk.new(title=f"Printer {n} jams with a long title " + "x" * 200)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "GITDESK_NOW": NOW}
    env.pop("PYTHONUNBUFFERED", None)  # stdout to a pipe is then buffered, as for a user

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "gitdesk", "-C", str(desk.root), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    listed = run("list", "--all", "--json")  # about 20 kB through a pipe: more than one buffer
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 60
    assert len(json.loads(run("sla", "--all", "--json").stdout)) == 60
    missing = run("show", "T-999")
    assert (missing.returncode, missing.stderr) == (
        1,
        "gitdesk: no ticket T-999 (no tickets/**/T-999-*.md)\n",
    )
    assert run("show", "nonsense").returncode == 2
    assert run("no-such-command").returncode == 2
    # A reader that goes away early: no traceback, and the process still ends.
    head = subprocess.run(
        f"{sys.executable} -m gitdesk -C {desk.root} list --all --json | head -c 10",
        shell=True, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert len(head.stdout) == 10 and "Traceback" not in head.stderr

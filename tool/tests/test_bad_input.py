"""Every kind of bad input gets a message naming file, line and fix; exit 1; nothing changes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TICKET, Desk

PATH = "tickets/T-7-printer.md"


def t(old: str, new: str) -> str:
    assert old in TICKET
    return TICKET.replace(old, new)


CASES = [
    ("empty file", "", "T-7-printer.md:1: the file is empty"),
    ("no fence", "id: T-7\ntitle: x\n", ":1: no front matter: the first line must be ---"),
    ("unclosed fence", "---\nid: T-7\ntitle: x\n", ":1: the front matter is not closed"),
    ("invalid yaml", t("priority: P3", "priority: [P3"), ":7: invalid YAML"),
    (
        "python tag",
        t("priority: P3", "priority: !!python/object/apply:os.system ['id']"),
        ":6: invalid YAML: YAML tags such as !!python/object are not allowed",
    ),
    (
        "duplicate key",
        t("priority: P3", "priority: P3\npriority: P1"),
        ":7: invalid YAML: duplicate key 'priority' (first on line 6); keep one",
    ),
    (
        "title as list",
        t("title: Printer on floor 3 jams", "title: [a, b]"),
        ":3: title: expected text, got a list",
    ),
    (
        "tags as text",
        t("team: it-helpdesk", "team: it-helpdesk\ntags: printer"),
        ":9: tags: expected a list like [printer], got the text 'printer'",
    ),
    (
        "yaml 1.1 no",
        t("title: Printer on floor 3 jams", "title: no"),
        ":3: title: expected text, got the boolean false (YAML reads unquoted yes/no/on/off as booleans; quote it)",
    ),
    (
        "unknown status",
        t("status: new", "status: doing"),
        ":5: status: 'doing' is not one of the statuses: new, triaged, in-progress, waiting, resolved, closed",
    ),
    (
        "unknown priority",
        t("priority: P3", "priority: urgent"),
        ":6: priority: 'urgent' is not one of the priorities",
    ),
    ("unknown type", t("type: incident", "type: bug"), ":4: type: 'bug' is not one of the types: incident"),
    ("unknown team", t("team: it-helpdesk", "team: ops"), ":8: team: 'ops' is not one of the teams"),
    (
        "unknown person",
        t("team: it-helpdesk", "team: it-helpdesk\nassignee: zed"),
        ":9: assignee: 'zed' is not in people",
    ),
    (
        "naive time",
        t("created: 2026-11-19T02:00:00Z", "created: 2026-11-19T02:00:00"),
        ":9: created: '2026-11-19T02:00:00' has no time zone",
    ),
    (
        "bare date",
        t("created: 2026-11-19T02:00:00Z", "created: 2026-11-19"),
        ":9: created: '2026-11-19' has no time zone",
    ),
    (
        "malformed time",
        t("{at: 2026-11-19T02:00:00Z, by: budi", "{at: yesterday, by: budi"),
        ":11: history[0].at: 'yesterday' is not an ISO 8601 time",
    ),
    (
        "future time",
        t("created: 2026-11-19T02:00:00Z", "created: 2026-12-19T02:00:00Z").replace(
            "{at: 2026-11-19T02:00:00Z", "{at: 2026-12-19T02:00:00Z"
        ),
        ":9: created: 2026-12-19T02:00:00+00:00 is in the future",
    ),
    ("id mismatch", t("id: T-7", "id: T-8"), ":2: id: T-8 does not match the file name T-7-printer.md"),
    ("malformed id", t("id: T-7", "id: t7"), ":2: id: 't7' is not an ID like T-42"),
    (
        "missing field",
        t("requester: budi\n", ""),
        "T-7-printer.md: requester: missing; every ticket needs it",
    ),
    (
        "required by type",
        t("team: it-helpdesk\n", ""),
        "team: required for incident tickets; add `team: ...`",
    ),
    (
        "status without transition",
        t("status: new", "status: triaged"),
        ":5: status: 'triaged' but the last status change in history goes to 'new'",
    ),
    (
        "history out of order",
        TICKET.replace(
            "---\nPaper",
            "  - {at: 2026-11-18T02:00:00Z, by: sari, event: comment, "
            "visibility: public, text: hi}\n---\nPaper",
        ),
        ":12: history[1].at: 2026-11-18T02:00:00+00:00 is earlier than",
    ),
    (
        "illegal transition in history",
        t("status: new", "status: closed").replace(
            "---\nPaper",
            "  - {at: 2026-11-19T03:00:00Z, by: sari, event: transition, from: new, to: closed}\n---\nPaper",
        ),
        ":12: history[1]: new -> closed is not an allowed transition (from new: triaged, in-progress, cancelled)",
    ),
    (
        "unknown event",
        TICKET.replace("---\nPaper", "  - {at: 2026-11-19T03:00:00Z, by: sari, event: poke}\n---\nPaper"),
        ":12: history[1].event: 'poke' is not one of: created, transition",
    ),
    (
        "dangling reference",
        t("team: it-helpdesk", "team: it-helpdesk\nrelated: [T-404]\nkb: [no-such-article]"),
        ":9: related: no ticket T-404 exists",
    ),
    ("anchors", t("team: it-helpdesk", "team: &t it-helpdesk\nextra: *t"), ":8: YAML anchors and aliases"),
    (
        "deep nesting",
        t("priority: P3", "priority: P3\nx: " + "[" * 50_000 + "]" * 50_000),
        ":7: nested more than 64",
    ),
    (
        "deep block nesting",
        t("priority: P3", "priority: P3\nx:\n" + "- " * 20_000 + "a"),
        ":8: nested more than 64",
    ),
    ("not a mapping", "---\n- a\n- b\n---\n", ":2: the front matter must be a mapping"),
]


@pytest.mark.parametrize(("case", "text", "message"), CASES, ids=[c[0] for c in CASES])
def test_validate_reports_bad_ticket(desk: Desk, case: str, text: str, message: str) -> None:
    desk.write(PATH, text)
    before = desk.snapshot()
    result = desk.run("validate")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"tickets/T-7-printer.md{message}" in result.stdout or message in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert desk.snapshot() == before


def test_every_problem_is_reported_in_one_run(desk: Desk) -> None:
    desk.write(
        PATH,
        t("status: new", "status: doing")
        .replace("priority: P3", "priority: P9")
        .replace("type: incident", "type: bug"),
    )
    desk.write("tickets/T-8-x.md", "")
    out = desk.run("validate").stdout
    assert "status: 'doing'" in out and "priority: 'P9'" in out and "type: 'bug'" in out
    assert "T-8-x.md:1: the file is empty" in out


def test_non_utf8_bytes(desk: Desk) -> None:
    desk.write(PATH, TICKET.encode().replace(b"Paper", b"Pap\xe9r"))
    result = desk.run("validate")
    assert result.exit_code == 1
    assert "tickets/T-7-printer.md:13: byte" in result.stdout and "is not UTF-8" in result.stdout
    show = desk.run("show", "T-7")
    assert show.exit_code == 1 and "is not UTF-8" in show.stderr


def test_fifty_megabyte_file_is_refused_without_reading_it(desk: Desk) -> None:
    desk.write(PATH, TICKET + "x" * 50_000_000)
    result = desk.run("validate")
    assert result.exit_code == 1
    assert "tickets/T-7-printer.md:1: the file is 50,000," in result.stdout
    assert "a ticket may be at most 1,000,000" in result.stdout


def test_duplicate_ids_are_reported_on_both_files(desk: Desk) -> None:
    desk.write(PATH, TICKET)
    desk.write("tickets/2026/T-7-other.md", TICKET.replace("Printer on floor 3 jams", "Other"))
    out = desk.run("validate").stdout
    assert "tickets/T-7-printer.md:2: id: T-7 is also used by tickets/2026/T-7-other.md" in out
    assert "tickets/2026/T-7-other.md:2: id: T-7 is also used by tickets/T-7-printer.md" in out
    show = desk.run("show", "T-7")
    assert show.exit_code == 1 and "T-7 is used by 2 files" in show.stderr


def test_move_of_an_invalid_ticket_is_refused(desk: Desk) -> None:
    desk.write(PATH, t("priority: P3", "priority: [P3"))
    before = desk.snapshot()
    result = desk.run("move", "T-7", "triaged")
    assert result.exit_code == 1 and "invalid YAML" in result.stderr
    assert desk.snapshot() == before


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("workflow: [a", "tickets/config.yml:2: invalid YAML"),
        ("colour: blue\n", "tickets/config.yml:1: colour: unknown section"),
        ("id_prefix: t-\n", "tickets/config.yml:1: id_prefix: 't-' must be capital letters"),
        (
            "workflow:\n  statuses:\n    new: {category: opened}\n",
            "tickets/config.yml:3: workflow.statuses.new.category",
        ),
        (
            "workflow:\n  statuses:\n    new: {category: open}\n  transitions:\n    new: [gone]\n",
            "tickets/config.yml:5: workflow.transitions.new: 'gone' is not a status",
        ),
        ("routing:\n  - {match: {type: bug}, team: ops}\n", "routing.0.match.type: 'bug' is not a type"),
        ("types:\n  hr: {confidential: yes please}\n", "types.hr.confidential: expected true or false"),
        (
            "people:\n  a: {name: A}\n  a: {name: B}\n",
            "tickets/config.yml:3: invalid YAML: duplicate key 'a'",
        ),
    ],
)
def test_malformed_config(desk: Desk, config: str, message: str) -> None:
    desk.write("tickets/config.yml", config)
    desk.write(PATH, TICKET)
    before = desk.snapshot()
    for args in (["validate"], ["list"], ["move", "T-7", "triaged"]):
        result = desk.run(*args)
        assert result.exit_code == 1, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert desk.snapshot() == before


def test_validate_formats(desk: Desk) -> None:
    desk.write(PATH, t("status: new", "status: doing"))
    as_json = json.loads(desk.run("validate", "--format", "json").stdout)
    assert as_json[0]["path"] == "tickets/T-7-printer.md" and as_json[0]["line"] == 5
    github = desk.run("validate", "--format", "github").stdout
    assert "::error file=tickets/T-7-printer.md,line=5::status: 'doing' is not one of" in github


def test_validate_limits_to_given_paths(desk: Desk) -> None:
    desk.write(PATH, t("status: new", "status: doing"))
    desk.write("tickets/T-9-fine.md", TICKET.replace("T-7", "T-9"))
    assert desk.run("validate", str(desk.root / "tickets/T-9-fine.md")).exit_code == 0
    assert desk.run("validate", str(desk.root / PATH)).exit_code == 1


def test_outside_a_tracker(tmp_path: pytest.TempPathFactory) -> None:
    desk = Desk(tmp_path)  # type: ignore[arg-type]
    result = desk.run("list")
    assert result.exit_code == 1 and "run `gitdesk init`" in result.stderr

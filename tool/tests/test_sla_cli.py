"""`gitdesk sla` and the `sla`/`escalation` sections of the config, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from gitdesk import store
from tests.conftest import Desk

# Tickets created on Friday 2026-11-20 (Jakarta office hours 01:00Z-10:00Z), NOW is 06:00Z.


def make(desk: Desk, title: str, priority: str, created: str) -> str:
    env = {"GITDESK_NOW": created}
    return desk.ok(
        "new", "--title", title, "--type", "incident", "--priority", priority, env=env
    ).stdout.strip()


def test_sla_table_json_and_fail_on(desk: Desk) -> None:
    late = make(desk, "Mail down", "P2", "2026-11-20T04:00:00Z")  # 2 h of a 1 h first response
    soon = make(desk, "Printer", "P3", "2026-11-20T03:00:00Z")  # 3 h of 4 h = 75%: warning
    fresh = make(desk, "Monitor", "P4", "2026-11-20T05:00:00Z")  # 1 h of 9 h: ok
    waiting = make(desk, "Wi-Fi", "P3", "2026-11-20T02:00:00Z")
    desk.ok("move", waiting, "triaged", env={"GITDESK_NOW": "2026-11-20T02:30:00Z", "GITDESK_USER": "agus"})
    desk.ok("move", waiting, "waiting", env={"GITDESK_NOW": "2026-11-20T03:00:00Z", "GITDESK_USER": "agus"})
    rows = json.loads(desk.ok("sla", "--json").stdout)
    assert [r["id"] for r in rows] == [late, soon, fresh, waiting]  # most urgent first
    by_id = {r["id"]: r for r in rows}
    assert by_id[late]["first_response"] == {"state": "breached", "target_minutes": 60.0, "used_minutes": 120.0,
                                             "left_minutes": -60.0, "due": "2026-11-20T05:00:00Z", "stopped": None}  # fmt: skip
    assert by_id[late]["level"] == "L3" and by_id[soon]["level"] == "L2" and by_id[fresh]["level"] == "L1"
    assert (
        by_id[waiting]["resolution"]["state"] == "paused"
        and by_id[waiting]["first_response"]["state"] == "met"
    )
    assert by_id[fresh]["policy"] == "low" and by_id[fresh]["calendar"] == "jakarta-office"
    table = desk.ok("sla").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "PRI", "STATUS", "LEVEL"]
    assert "BREACHED 1h over" in table[1] and "WARNING 1h left, due 11-20 07:00Z" in table[2]
    assert desk.run("sla", "--fail-on", "breach").exit_code == 1
    assert desk.run("sla", "--fail-on", "warning", "--priority", "P4").exit_code == 0
    failed = desk.run("sla", "--fail-on", "warning")
    assert failed.exit_code == 1 and f"2 ticket(s) at or past warning: {late}, {soon}" in failed.stderr


def test_sla_is_honest_at_any_now(desk: Desk) -> None:
    tid = make(desk, "Mail down", "P2", "2026-11-20T04:00:00Z")
    desk.ok("comment", tid, "On it", env={"GITDESK_NOW": "2026-11-20T04:30:00Z", "GITDESK_USER": "agus"})
    before = json.loads(desk.ok("sla", "--json", env={"GITDESK_NOW": "2026-11-20T04:20:00Z"}).stdout)
    assert before[0]["first_response"]["state"] == "ok"  # 20 of 60 min; the reply is still ahead
    assert before[0]["first_response"]["used_minutes"] == 20.0
    after = json.loads(desk.ok("sla", "--json").stdout)
    assert after[0]["first_response"]["state"] == "met"
    earlier = desk.ok("sla", "--json", env={"GITDESK_NOW": "2026-11-20T03:00:00Z"}).stdout
    assert json.loads(earlier) == []  # the ticket did not exist yet


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "sla:\n  calendars:\n    office: {timezone: Mars/Olympus, hours: {mon-fri: [08:00-17:00]}}\n"
            "  policies:\n    - {calendar: office, first_response: 1h, resolution: 1d}\n",
            "sla.calendars.office.timezone: 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "sla:\n  calendars:\n    office: {timezone: UTC, hours: {mon-fri: [17:00-08:00]}}\n"
            "  policies:\n    - {calendar: office, first_response: 1h, resolution: 1d}\n",
            "'17:00-08:00': the end must be after the start",
        ),
        (
            "sla:\n  calendars:\n    office: {timezone: UTC, hours: {monday: [08:00-17:00]}}\n"
            "  policies:\n    - {calendar: office, first_response: 1h, resolution: 1d}\n",
            "'monday' is not a weekday or a range like mon-fri",
        ),
        (
            "sla:\n  calendars: {always: 24x7}\n  policies:\n    - {calendar: always, first_response: soon, resolution: 1d}\n",
            "sla.policies.0.first_response: bad duration 'soon'",
        ),
        (
            "sla:\n  calendars: {always: 24x7}\n  policies:\n    - {match: {priority: P1}, calendar: always, first_response: 1h, resolution: 1d}\n",
            "sla.policies.0: the last policy must have no `match`: it is the default",
        ),
        (
            "sla:\n  calendars: {always: 24x7}\n  policies:\n    - {calendar: nowhere, first_response: 1h, resolution: 1d}\n",
            "sla.policies.0.calendar: 'nowhere' is not a calendar; calendars: always",
        ),
        ("sla:\n  warning: 75\n", "sla.warning: expected a percentage like 75%"),
        (
            "escalation:\n  levels: {warning: L5}\n",
            "escalation.levels.warning: write {warning: L2, breached: L3}",
        ),
        ("escalation:\n  on: {warning: L2}\n", "a key reads as the boolean true"),
        ("escalation:\n  notify: {ops: {L2: [x]}}\n", "escalation.notify.ops: 'ops' is not a team"),
    ],
)
def test_sla_config_errors(desk: Desk, section: str, message: str) -> None:
    config = desk.root / "tickets/config.yml"
    text = config.read_text()
    head = text.split("\nsla:\n")[0] if section.startswith("sla") else text.split("\nescalation:\n")[0]
    config.write_text(head + "\n" + section)
    result = desk.run("validate")
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr


def test_unknown_holiday_country(desk: Desk) -> None:
    config = desk.root / "tickets/config.yml"
    config.write_text(config.read_text().replace("holidays: ID ", "holidays: XX "))
    make(desk, "x", "P3", "2026-11-20T04:00:00Z")
    result = desk.run("sla")
    assert result.exit_code == 1 and "no public holidays are known for 'XX'" in result.stderr


def age(*paths: Path) -> None:
    """Date ticket files a minute back, so the cache keeps them (it skips files just written).

    (That changes their ctime, which is part of the cache key, as any edit does.)"""
    old = time.time() - 60
    for path in paths:
        os.utime(path, (old, old))


def test_warm_sla_reads_no_ticket_file_and_an_edit_is_never_missed(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail = make(desk, "Mail down", "P2", "2026-11-20T04:00:00Z")
    make(desk, "Printer", "P3", "2026-11-20T03:00:00Z")
    age(*(desk.root / "tickets").glob("T-*.md"))
    first = desk.ok("sla", "--json").stdout
    assert (desk.root / ".git/gitdesk/sla.v2").is_file() and (
        desk.root / ".git/gitdesk/holidays.v1"
    ).is_file()
    reads: list[str] = []
    real = store.load_file
    monkeypatch.setattr(store, "load_file", lambda root, rel: reads.append(rel) or real(root, rel))
    import holidays

    def no_holidays(*args: object, **kwargs: object) -> object:
        raise AssertionError("the holidays were worked out again")

    monkeypatch.setattr(holidays, "country_holidays", no_holidays)
    assert desk.ok("sla", "--json").stdout == first
    assert reads == []  # plans, tickets and holidays all came from the cache
    # Later the same plans give later clocks; earlier than the last event, the file is read.
    later = json.loads(desk.ok("sla", "--json", env={"GITDESK_NOW": "2026-11-20T08:00:00Z"}).stdout)
    assert {r["id"]: r["first_response"]["used_minutes"] for r in later}[mail] == 240.0
    assert reads == []
    desk.ok("comment", mail, "Looking", env={"GITDESK_NOW": "2026-11-20T05:30:00Z", "GITDESK_USER": "agus"})
    age(desk.path(mail))
    rows = {r["id"]: r for r in json.loads(desk.ok("sla", "--json").stdout)}
    assert rows[mail]["first_response"]["state"] == "missed"  # answered after 90 of 60 min
    assert reads == [desk.path(mail).relative_to(desk.root).as_posix()]
    earlier = json.loads(desk.ok("sla", "--json", env={"GITDESK_NOW": "2026-11-20T04:30:00Z"}).stdout)
    assert {r["id"]: r["first_response"]["state"] for r in earlier}[mail] == "ok"  # the reply is ahead


def test_compact_json_is_exactly_what_json_dumps_gives(desk: Desk) -> None:
    """`sla --json` off a terminal writes its JSON by hand; it must be json.dumps's, byte for byte."""
    from gitdesk.sla import as_dict, to_json
    from gitdesk.tracker import Tracker

    odd = make(desk, 'Quote " backslash \\ tab \t émoji 🎉 and </script>', "P2", "2026-11-20T04:00:00Z")
    make(desk, "Printer", "P3", "2026-11-20T03:00:00Z")
    paused = make(desk, "Wi-Fi", "P3", "2026-11-20T02:00:00Z")
    desk.ok("move", paused, "triaged", env={"GITDESK_NOW": "2026-11-20T02:30:00Z", "GITDESK_USER": "agus"})
    desk.ok("move", paused, "waiting", env={"GITDESK_NOW": "2026-11-20T03:00:00Z", "GITDESK_USER": "agus"})
    desk.ok("assign", odd, "agus", env={"GITDESK_NOW": "2026-11-20T04:10:00Z", "GITDESK_USER": "agus"})
    desk.ok("move", odd, "in-progress", env={"GITDESK_NOW": "2026-11-20T04:15:00Z", "GITDESK_USER": "agus"})
    desk.ok("move", odd, "resolved", "--resolution", "fixed",
            env={"GITDESK_NOW": "2026-11-20T04:20:00Z", "GITDESK_USER": "agus"})  # fmt: skip
    for extra in ([], ["--all"]):
        printed = desk.ok("sla", "--json", *extra).stdout
        tracker = Tracker(desk.root)
        tickets = tracker.tickets(for_sla=True)
        chosen = tickets if extra else [t for t in tickets if tracker.config.workflow.is_open(t.status)]
        report = tracker.sla(chosen, datetime.fromisoformat("2026-11-20T06:00:00+00:00"))
        expected = json.dumps([as_dict(s) for s in report], ensure_ascii=False, separators=(",", ":"))
        assert "[" + ",".join(to_json(s) for s in report) + "]" == expected
        assert all(s.texts for s in report)  # each from the cache or made once, beside the plan
        assert [to_json(s._replace(texts=())) for s in report] == [to_json(s) for s in report]
        assert printed == expected + "\n"
    assert '"state":"met"' in printed and '"state":"paused"' in printed and "🎉" in printed
    again = desk.ok("sla", "--json", "--all").stdout  # the clocks' fixed parts now from the cache
    assert again == printed


def sample(desk: Desk) -> None:
    """The bundled sample tickets, in the desk, old enough for the cache to keep them."""
    from tests.conftest import REPO

    for path in (REPO / "tickets").glob("T-*.md"):
        desk.write(f"tickets/{path.name}", path.read_bytes())
    age(*(desk.root / "tickets").glob("T-*.md"))


def test_the_sample_tracker_shows_every_sla_state_at_its_documented_now(desk: Desk) -> None:
    sample(desk)
    rows = json.loads(desk.ok("sla", "--all", "--json", env={"GITDESK_NOW": "2026-11-20T06:00:00Z"}).stdout)
    states = {r[clock]["state"] for r in rows for clock in ("first_response", "resolution")}
    assert states == {"ok", "warning", "breached", "paused", "met", "missed"}
    assert {r["level"] for r in rows} == {"L1", "L2", "L3"}


def test_the_json_rows_made_from_the_cache_are_those_of_the_measured_tickets(desk: Desk) -> None:
    """Tracker.sla_lines (what `sla --json` prints off a terminal) against `sla(select(...))` and
    `to_json`: the same rows, order and worst states, cold and warm, at moments before, inside
    and after the sample's histories (where a plan made later than `now` is not used), under
    filters, and with a ticket changed since the cache was filled."""
    from gitdesk.query import Filter, select
    from gitdesk.sla import to_json
    from gitdesk.tracker import Tracker

    sample(desk)
    moments = [datetime.fromisoformat(f"2026-11-{day:02}T{hour:02}:00:00+00:00") for day in (1, 16, 18, 20)
               for hour in (0, 3, 7, 13)] + [datetime.fromisoformat("2027-03-01T00:00:00+00:00")]  # fmt: skip
    filters = [Filter(include_done=False), Filter(), Filter(include_done=False, team=("it-helpdesk",)),
               Filter(priority=("P1", "P2")), Filter(status=("waiting",)), Filter(text="vpn"),
               Filter(category=("done",)), Filter(include_done=False, assignee=("none",))]  # fmt: skip

    def compare() -> int:
        rows = 0
        for now in moments:
            for where in filters:
                lines = Tracker(desk.root).sla_lines(where, now)
                tracker = Tracker(desk.root)
                report = tracker.sla(select(tracker.tickets(for_sla=True), tracker.config, where), now)
                assert [line.json for line in lines] == [to_json(s) for s in report], (now, where)
                assert [(line.id, line.worst) for line in lines] == [(s.ticket.id, s.worst) for s in report]
                rows += len(lines)
        return rows

    shutil.rmtree(desk.root / ".git/gitdesk", ignore_errors=True)
    assert compare() > 500  # the first call read every file
    assert compare() > 500  # from the cache
    agus = {"GITDESK_USER": "agus"}
    desk.ok("comment", "T-5", "Still looking", env={"GITDESK_NOW": "2026-11-19T03:00:00Z", **agus})
    desk.ok("move", "T-9", "in-progress", env={"GITDESK_NOW": "2026-11-20T01:00:00Z", **agus})  # a reopen
    (desk.root / "tickets/T-12-erp-access-for-new-sales-admin-rizky-starts-12.md").unlink()
    compare()


def test_a_ticket_file_that_cannot_be_read_is_named_not_silently_dropped(desk: Desk) -> None:
    kept = make(desk, "Mail down", "P2", "2026-11-20T04:00:00Z")
    desk.write("tickets/T-8-broken.md", "---\nid: T-8\ntitle: [unclosed\n---\n")
    desk.write("tickets/T-9-binary.md", b"\xff\xfe\x00 not text")
    age(*(desk.root / "tickets").glob("T-*.md"))
    for _ in range(2):  # parsed, then from the cache
        for args in (["sla", "--json"], ["sla"], ["list", "--json"], ["list"]):
            result = desk.run(*args)
            assert result.exit_code == 0, result.stderr
            assert kept in result.stdout
            assert (
                "2 ticket file(s) could not be read and are left out: tickets/T-8-broken.md, "
                "tickets/T-9-binary.md; run `gitdesk validate`" in result.stderr
            ), args
    assert desk.run("sla", "--fail-on", "breach").exit_code == 1  # the readable ticket is breached

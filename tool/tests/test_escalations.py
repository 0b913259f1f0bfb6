"""`gitdesk escalations sync` against a local server that speaks GitHub's REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import NOW, Desk
from tests.github_server import FakeGitHub

T0 = datetime.fromisoformat(NOW)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo="acme/helpdesk") as server:
        yield server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Rate-limit and backoff waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("gitdesk.github.time.sleep", waited.append)
    return waited


def sync(desk: Desk, gh: FakeGitHub, now: str, *extra: str, code: int = 0, token: str = "") -> str:
    env = {"GITHUB_TOKEN": token or gh.token, "GITHUB_REPOSITORY": "acme/helpdesk", "GITHUB_API_URL": gh.url,
           "GITHUB_SERVER_URL": "https://github.example", "GITDESK_NOW": now, "GITDESK_HTTP_TIMEOUT": "1"}  # fmt: skip
    result = desk.run("escalations", "sync", *extra, env=env)
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout + result.stderr


def p1(desk: Desk, title: str, minutes: int, *extra: str) -> str:
    """A P1 incident (15 min first response, around the clock) created `minutes` before NOW."""
    args = ["new", "--title", title, "--type", "incident", "--priority", "P1", *extra]
    return desk.ok(*args, env={"GITDESK_NOW": at(-minutes)}).stdout.strip()


def open_issues(gh: FakeGitHub) -> list[dict[str, object]]:
    return [i for i in gh.issues.values() if i["state"] == "open"]


def test_creates_one_issue_per_escalated_ticket_then_stays_quiet(desk: Desk, gh: FakeGitHub) -> None:
    breached = p1(desk, "Mail server down", 20)  # 20 of 15 min: breached -> L3
    warning = p1(desk, "Wi-Fi slow on floor 2", 12)  # 12 of 15 min = 80%: warning -> L2
    p1(desk, "Printer offline", 5)  # 5 of 15 min: ok, no issue
    out = sync(desk, gh, NOW)
    assert "create 2" in out
    issues = {i["title"]: i for i in open_issues(gh)}
    assert set(issues) == {f"[L3] {breached}: Mail server down", f"[L2] {warning}: Wi-Fi slow on floor 2"}
    l3 = issues[f"[L3] {breached}: Mail server down"]
    assert [label["name"] for label in l3["labels"]] == ["escalation", "sla", "level:L3"]  # type: ignore[index]
    assert [u["login"] for u in l3["assignees"]] == ["rinak"]  # type: ignore[index]
    body = str(l3["body"])
    assert f"<!-- gitdesk:escalation ticket={breached} level=L3 -->" in body
    assert "| First response | breached (due 2026-11-20T05:55:00Z) |" in body
    assert f"https://github.example/acme/helpdesk/blob/main/tickets/{breached}-mail-server-down.md" in body
    gh.clear_requests()
    assert "create 0, raise 0, update 0, close 0" in sync(desk, gh, NOW)
    assert gh.count_writes() == 0
    assert [(r.method, r.path.split("?")[0]) for r in gh.requests] == [("GET", "/repos/acme/helpdesk/issues")]


def test_level_rise_comments_once_and_close_when_done(desk: Desk, gh: FakeGitHub) -> None:
    tid = p1(desk, "Mail server down", 12)
    sync(desk, gh, NOW)
    (issue,) = open_issues(gh)
    number = int(issue["number"])  # type: ignore[call-overload]
    gh.clear_requests()
    sync(desk, gh, at(5))  # 17 min: breached -> L3
    assert [r.method for r in gh.writes()] == ["POST", "PATCH"]
    assert gh.issues[number]["title"].startswith("[L3]")
    assert "Escalated from L2 to **L3**." in gh.comments[number][-1]["body"]
    assert [u["login"] for u in gh.issues[number]["assignees"]] == ["agusp", "rinak"]
    gh.clear_requests()
    sync(desk, gh, at(5))
    assert gh.count_writes() == 0
    desk.ok("move", tid, "in-progress", env={"GITDESK_NOW": at(6)})
    desk.ok("move", tid, "resolved", "--resolution", "fixed", env={"GITDESK_NOW": at(7)})
    sync(desk, gh, at(8))
    assert gh.issues[number]["state"] == "closed"
    assert gh.comments[number][-1]["body"].startswith(f"Closing: {tid} is resolved.")
    gh.clear_requests()
    sync(desk, gh, at(9))
    assert gh.count_writes() == 0


def test_back_within_sla_closes_the_issue(desk: Desk, gh: FakeGitHub) -> None:
    tid = p1(desk, "VPN flaps", 12)
    sync(desk, gh, NOW)
    reply = {"GITDESK_NOW": at(1), "GITDESK_USER": "agus"}
    desk.ok("comment", tid, "Looking at it now.", env=reply)  # first response by an agent: met
    sync(desk, gh, at(2))
    (issue,) = gh.issues.values()
    assert issue["state"] == "closed"
    assert gh.comments[issue["number"]][-1]["body"].startswith(f"Closing: {tid} is back within its SLA.")


def test_manual_escalation_opens_an_issue(desk: Desk, gh: FakeGitHub) -> None:
    tid = desk.new("Laptop screen flickers")  # P2, just created: SLA ok
    desk.ok("escalate", tid, "--reason", "Needs a hardware swap")
    sync(desk, gh, NOW)
    (issue,) = open_issues(gh)
    assert issue["title"] == f"[L2] {tid}: Laptop screen flickers"
    assert "| Escalation | L2 (manual) |" in str(issue["body"])


def test_confidential_ticket_details_stay_off_github(desk: Desk, gh: FakeGitHub) -> None:
    desk.ok("new", "--title", "Salary slip for Budi is wrong", "--type", "hr", "--priority", "P3",
            env={"GITDESK_NOW": at(-60 * 24 * 5)})  # fmt: skip
    sync(desk, gh, NOW)
    (issue,) = open_issues(gh)
    text = json.dumps(issue) + json.dumps(gh.comments)
    assert "Salary" not in text and "Budi" not in text
    assert issue["title"] == "[L3] T-1: confidential ticket"


def test_hostile_title_does_not_ping_people(desk: Desk, gh: FakeGitHub) -> None:
    p1(desk, "@everyone <img src=x onerror=alert(1)> | broken", 20)
    sync(desk, gh, NOW)
    (issue,) = open_issues(gh)
    assert "@everyone" not in str(issue["title"]) and "@everyone" not in str(issue["body"])
    assert "<img" not in str(issue["body"])


def test_created_then_502_makes_no_duplicate(desk: Desk, gh: FakeGitHub, sleeps: list[float]) -> None:
    p1(desk, "Mail server down", 20)
    gh.applied_then_fail_next("POST", "/repos/acme/helpdesk/issues", status=502)
    sync(desk, gh, NOW)
    assert len(open_issues(gh)) == 1
    assert gh.count("POST") == 1


def test_dropped_connection_and_slow_answer_after_create(
    desk: Desk, gh: FakeGitHub, sleeps: list[float]
) -> None:
    p1(desk, "Mail server down", 20)
    p1(desk, "DNS fails", 20)
    gh.drop_next("POST", "/repos/acme/helpdesk/issues", applied=True)
    gh.slow_next(3, "POST", "/repos/acme/helpdesk/issues")  # the client gives up after 1 s
    sync(desk, gh, NOW)
    assert sorted(str(i["title"])[5:8] for i in open_issues(gh)) == ["T-1", "T-2"]
    assert gh.count("POST") == 2


def test_rate_limits_are_waited_out(desk: Desk, gh: FakeGitHub, sleeps: list[float]) -> None:
    p1(desk, "Mail server down", 20)
    gh.secondary_rate_limit_next("GET", "/repos/acme/helpdesk/issues", retry_after=7)
    gh.too_many_requests_next("POST", "/repos/acme/helpdesk/issues", retry_after=3)
    gh.now = datetime.now(UTC)
    gh.primary_rate_limit_next("POST", "/repos/acme/helpdesk/issues", reset_in=20)
    sync(desk, gh, NOW)
    assert len(open_issues(gh)) == 1
    assert sleeps[:2] == [7.0, 3.0]
    assert 15 <= sleeps[2] <= 21


def test_server_errors_on_reads_are_retried_with_backoff(
    desk: Desk, gh: FakeGitHub, sleeps: list[float]
) -> None:
    p1(desk, "Mail server down", 20)
    gh.fail_next("GET", "/repos/acme/helpdesk/issues", status=502, times=2)
    sync(desk, gh, NOW)
    assert sleeps == [1, 2] and len(open_issues(gh)) == 1


def test_a_too_long_rate_limit_stops_the_run_cleanly(desk: Desk, gh: FakeGitHub, sleeps: list[float]) -> None:
    p1(desk, "Mail server down", 20)
    gh.secondary_rate_limit_next("GET", "/repos/acme/helpdesk/issues", retry_after=3600)
    out = sync(desk, gh, NOW, code=1)
    assert "rate limit asks to wait 3600 s" in out and "the next run continues" in out
    assert "Traceback" not in out


def test_a_run_that_died_half_way_is_finished_without_repeats(
    desk: Desk, gh: FakeGitHub, sleeps: list[float]
) -> None:
    p1(desk, "Mail server down", 12)
    sync(desk, gh, NOW)
    (issue,) = open_issues(gh)
    number = int(issue["number"])  # type: ignore[call-overload]
    gh.fail_next("PATCH", f"/repos/acme/helpdesk/issues/{number}", status=500, times=3)
    sync(desk, gh, at(5), code=1)  # the rise comment went out, the PATCH did not
    assert len(gh.comments[number]) == 1 and gh.issues[number]["title"].startswith("[L2]")
    sync(desk, gh, at(5))
    assert len(gh.comments[number]) == 1  # not said twice
    assert gh.issues[number]["title"].startswith("[L3]")


def test_duplicate_open_issues_are_closed(desk: Desk, gh: FakeGitHub) -> None:
    tid = p1(desk, "Mail server down", 20)
    sync(desk, gh, NOW)
    (first,) = open_issues(gh)
    gh.add_issue(title="copy", body=str(first["body"]), labels=["escalation"])
    sync(desk, gh, NOW)
    assert [i["number"] for i in open_issues(gh)] == [first["number"]]
    assert tid in str(gh.comments[max(gh.issues)][-1]["body"])


def test_more_than_a_page_of_issues(desk: Desk, gh: FakeGitHub) -> None:
    created = (T0 - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n in range(1, 131):
        desk.write(f"tickets/T-{n}-outage.md", f"---\nid: T-{n}\ntitle: Outage {n}\ntype: incident\nstatus: new\n"
                   f"priority: P1\nrequester: budi\nteam: it-helpdesk\ncreated: {created}\nhistory:\n"
                   f"  - {{at: {created}, by: budi, event: created}}\n---\n")  # fmt: skip
    sync(desk, gh, NOW)
    assert len(open_issues(gh)) == 130
    gh.clear_requests()
    sync(desk, gh, NOW)
    assert gh.count_writes() == 0
    assert gh.count("GET") == 2  # two pages of 100, not one request per ticket


def test_dry_run_plans_and_writes_nothing(desk: Desk, gh: FakeGitHub) -> None:
    tid = p1(desk, "Mail server down", 20)
    out = sync(desk, gh, NOW, "--dry-run")
    assert f"create {tid} at L3: [L3] {tid}: Mail server down" in out
    assert gh.count_writes() == 0
    plan = json.loads(desk.run("escalations", "sync", "--dry-run", "--json").stdout)
    assert plan == [{"step": "create", "ticket": tid, "issue": None, "level": "L3",
                     "title": f"[L3] {tid}: Mail server down"}]  # fmt: skip


def test_missing_token_is_a_clear_error(desk: Desk) -> None:
    result = desk.run("escalations", "sync", env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""})
    assert result.exit_code == 1 and "set GITHUB_TOKEN and GITHUB_REPOSITORY" in result.stderr


def test_bad_credentials(desk: Desk, gh: FakeGitHub) -> None:
    p1(desk, "Mail server down", 20)
    out = sync(desk, gh, NOW, code=1, token="wrong")
    assert "GitHub refused the request (401): Bad credentials" in out


def test_settings_come_from_the_actions_environment_and_never_show_the_token() -> None:
    from gitdesk.github import Settings

    env = {
        "GITHUB_TOKEN": "ghs_secret",
        "GITHUB_REPOSITORY": "acme/desk",
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }
    settings = Settings.from_env(env)
    assert (settings.token, settings.repository, settings.api_url) == (
        "ghs_secret",
        "acme/desk",
        "http://127.0.0.1:9",
    )
    assert "ghs_secret" not in repr(settings)


def test_a_ticket_file_broken_by_an_edit_does_not_close_its_issue(desk: Desk, gh: FakeGitHub) -> None:
    tid = p1(desk, "Mail server down", 20)  # breached: an L3 issue
    sync(desk, gh, NOW)
    assert len(open_issues(gh)) == 1
    path = desk.path(tid)
    rel = path.relative_to(desk.root).as_posix()
    path.write_text(f"---\nid: {tid}\ntitle: [an edit that broke the YAML\n---\n")
    gh.clear_requests()
    out = sync(desk, gh, NOW)
    assert "create 0, raise 0, update 0, close 0" in out and gh.count_writes() == 0
    assert f"could not be read and are left out (their escalation issues are left as they are): {rel}" in out
    assert len(open_issues(gh)) == 1
    path.unlink()  # a ticket that is gone closes its issue, as before
    assert "close 1" in sync(desk, gh, NOW)
    assert open_issues(gh) == []

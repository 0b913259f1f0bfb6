"""Tests of the FakeGitHub fixture itself, with urllib (stdlib) as the client."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest

from tests.github_server import DEFAULT_LABELS, FakeGitHub, Request

TOKEN = "t0ken"
REPO = "acme/helpdesk"
ISSUES = f"/repos/{REPO}/issues"
LABELS = f"/repos/{REPO}/labels"

ISSUE_FIELDS = {
    "id",
    "node_id",
    "number",
    "title",
    "body",
    "state",
    "state_reason",
    "labels",
    "assignee",
    "assignees",
    "user",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "html_url",
    "url",
    "repository_url",
    "comments_url",
    "locked",
    "milestone",
}
LABEL_FIELDS = {"id", "node_id", "url", "name", "color", "default", "description"}
USER_FIELDS = {
    "login",
    "id",
    "node_id",
    "avatar_url",
    "gravatar_id",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
    "type",
    "site_admin",
}
COMMENT_FIELDS = {
    "id",
    "node_id",
    "url",
    "html_url",
    "body",
    "user",
    "created_at",
    "updated_at",
    "issue_url",
    "author_association",
}

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(
    gh: FakeGitHub,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    scheme: str = "Bearer",
    timeout: float = 5.0,
    raw: bytes | None = None,
) -> tuple[int, Message, Any]:
    """One request; returns (status, headers, decoded JSON). ``path`` may be an absolute URL."""
    url = path if path.startswith("http") else gh.url + path
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            text = error.read()
            try:
                payload = json.loads(text or b"null")
            except ValueError:
                payload = text.decode()
            return error.code, error.headers, payload


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, repo=REPO) as server:
        yield server
    assert server.errors == []


def create(gh: FakeGitHub, title: str = "Escalation", **fields: Any) -> dict[str, Any]:
    status, _, issue = call(gh, "POST", ISSUES, {"title": title, **fields})
    assert status == 201, issue
    assert isinstance(issue, dict)
    return issue


# ---------------------------------------------------------------- basics


def test_url_and_lifecycle() -> None:
    gh = FakeGitHub()
    assert gh.url == ""
    with pytest.raises(RuntimeError):
        gh.add_issue("too early")
    with gh:
        assert gh.url.startswith("http://127.0.0.1:")
        assert call(gh, "GET", f"/repos/{REPO}")[0] == 200
    gh.stop()  # a second stop is harmless
    with pytest.raises(urllib.error.URLError):
        call(gh, "GET", f"/repos/{REPO}", timeout=1)


@pytest.mark.parametrize("scheme", ["Bearer", "token", "bearer"])
def test_repository_with_either_auth_scheme(gh: FakeGitHub, scheme: str) -> None:
    status, headers, repo = call(gh, "GET", f"/repos/{REPO}", scheme=scheme)
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert repo["full_name"] == REPO and repo["name"] == "helpdesk"
    assert repo["owner"]["login"] == "acme" and repo["owner"]["type"] == "Organization"
    assert repo["url"] == f"{gh.url}/repos/{REPO}"
    assert repo["html_url"] == f"https://github.com/{REPO}"
    assert repo["has_issues"] is True and repo["default_branch"] == "main"
    assert isinstance(repo["id"], int) and isinstance(repo["private"], bool)


@pytest.mark.parametrize(
    ("token", "scheme"), [(None, "Bearer"), ("wrong", "Bearer"), (TOKEN, "Basic"), ("", "Bearer")]
)
def test_bad_credentials_is_401(gh: FakeGitHub, token: str | None, scheme: str) -> None:
    status, headers, body = call(gh, "GET", ISSUES, token=token, scheme=scheme)
    assert status == 401
    assert body["message"] == "Bad credentials"
    assert body["documentation_url"] == "https://docs.github.com/rest"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    status, _, _ = call(gh, "POST", ISSUES, {"title": "x"}, token="wrong")
    assert status == 401 and gh.issues == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing"),
        ("GET", "/repos/other/repo/issues"),
        ("GET", f"{ISSUES}/999"),
        ("PATCH", f"{ISSUES}/999"),
        ("GET", f"{ISSUES}/999/comments"),
        ("DELETE", f"{ISSUES}/1"),
        ("PUT", f"/repos/{REPO}/issues/1/lock"),
        ("GET", "/user"),
    ],
)
def test_unknown_is_404(gh: FakeGitHub, method: str, path: str) -> None:
    status, _, body = call(gh, method, path, {} if method in ("PATCH", "PUT") else None)
    assert status == 404
    assert body["message"] == "Not Found"
    assert body["documentation_url"] == "https://docs.github.com/rest"


def test_repo_names_match_case_insensitively(gh: FakeGitHub) -> None:
    status, _, _ = call(gh, "GET", "/repos/ACME/HelpDesk/issues")
    assert status == 200


def test_standard_headers(gh: FakeGitHub) -> None:
    _, first, _ = call(gh, "GET", ISSUES)
    _, second, _ = call(gh, "GET", ISSUES)
    assert first["x-github-api-version-selected"] == "2022-11-28"
    assert first["x-ratelimit-resource"] == "core"
    assert first["x-ratelimit-limit"] == "5000"
    assert (first["x-ratelimit-used"], first["x-ratelimit-remaining"]) == ("1", "4999")
    assert (second["x-ratelimit-used"], second["x-ratelimit-remaining"]) == ("2", "4998")
    assert int(first["x-ratelimit-reset"]) == int(gh.now.timestamp()) + 3600
    assert "Link" not in first


def test_rate_limit_endpoint(gh: FakeGitHub) -> None:
    call(gh, "GET", ISSUES)
    status, _, body = call(gh, "GET", "/rate_limit")
    assert status == 200
    assert body["resources"]["core"] == body["rate"]
    assert body["rate"]["limit"] == 5000 and body["rate"]["used"] == 1 and body["rate"]["remaining"] == 4999
    assert set(body["rate"]) == {"limit", "used", "remaining", "reset"}


def test_exhausted_rate_limit_answers_403() -> None:
    with FakeGitHub(rate_limit=2) as gh:
        assert call(gh, "GET", ISSUES)[0] == 200
        assert call(gh, "GET", ISSUES)[0] == 200
        status, headers, body = call(gh, "GET", ISSUES)
        assert status == 403 and "rate limit exceeded" in body["message"]
        assert headers["x-ratelimit-remaining"] == "0"


# ---------------------------------------------------------------- issues


def test_created_issue_has_every_field(gh: FakeGitHub) -> None:
    status, headers, issue = call(
        gh, "POST", ISSUES, {"title": "SLA breach T-7", "body": "details", "labels": ["escalation", "bug"]}
    )
    assert status == 201
    assert headers["Location"] == f"{gh.url}{ISSUES}/1"
    assert set(issue) >= ISSUE_FIELDS
    assert "pull_request" not in issue
    assert issue["number"] == 1 and issue["title"] == "SLA breach T-7" and issue["body"] == "details"
    assert issue["state"] == "open" and issue["state_reason"] is None
    assert issue["closed_at"] is None and issue["milestone"] is None and issue["locked"] is False
    assert issue["assignee"] is None and issue["assignees"] == [] and issue["comments"] == 0
    assert issue["created_at"] == issue["updated_at"] == "2026-11-20T06:00:00Z"
    assert issue["url"] == f"{gh.url}{ISSUES}/1"
    assert issue["repository_url"] == f"{gh.url}/repos/{REPO}"
    assert issue["comments_url"] == f"{gh.url}{ISSUES}/1/comments"
    assert issue["html_url"] == f"https://github.com/{REPO}/issues/1"
    assert isinstance(issue["id"], int) and isinstance(issue["node_id"], str)
    user = issue["user"]
    assert set(user) >= USER_FIELDS
    assert (user["login"], user["type"], user["id"]) == ("github-actions[bot]", "Bot", 41898282)
    assert [label["name"] for label in issue["labels"]] == ["escalation", "bug"]
    for label in issue["labels"]:
        assert set(label) >= LABEL_FIELDS
    escalation, bug = issue["labels"]
    assert (escalation["color"], escalation["default"], escalation["description"]) == ("ededed", False, None)
    assert escalation["url"] == f"{gh.url}{LABELS}/escalation"
    assert bug["default"] is True  # one of GitHub's default labels
    assert gh.find_label("escalation") is not None  # unknown labels are created
    assert gh.issues[1]["title"] == "SLA breach T-7"
    status, _, fetched = call(gh, "GET", f"{ISSUES}/1")
    assert status == 200 and fetched == issue


def test_created_issue_author_and_clock_are_configurable() -> None:
    with FakeGitHub(bot_login="gitdesk-bot", bot_type="User", now=datetime(2027, 1, 2, 3, 4, 5)) as gh:
        issue = create(gh)
        assert issue["user"]["login"] == "gitdesk-bot" and issue["user"]["type"] == "User"
        assert issue["created_at"] == "2027-01-02T03:04:05Z"
        gh.now = datetime(2027, 1, 3, tzinfo=UTC)
        status, _, patched = call(gh, "PATCH", f"{ISSUES}/1", {"body": "new"})
        assert status == 200
        assert (
            patched["updated_at"] == "2027-01-03T00:00:00Z"
            and patched["created_at"] == "2027-01-02T03:04:05Z"
        )


def test_issue_numbers_count_up_and_titles_may_be_numbers(gh: FakeGitHub) -> None:
    assert [create(gh, f"t{n}")["number"] for n in range(3)] == [1, 2, 3]
    assert create(gh, 42)["title"] == "42"  # type: ignore[arg-type]


def test_assignees_not_collaborators_are_dropped_silently() -> None:
    with FakeGitHub(collaborators={"sari", "Kim"}) as gh:
        issue = create(gh, assignees=["sari", "stranger", "kim"])
        assert [a["login"] for a in issue["assignees"]] == ["sari", "kim"]
        assert issue["assignee"]["login"] == "sari"
        assert set(issue["assignee"]) >= USER_FIELDS and issue["assignee"]["type"] == "User"


def test_everyone_may_be_assigned_without_collaborators(gh: FakeGitHub) -> None:
    issue = create(gh, assignees=["anyone"], assignee="ignored-when-assignees-given")
    assert [a["login"] for a in issue["assignees"]] == ["anyone"]
    assert create(gh, assignee="solo")["assignee"]["login"] == "solo"


def test_create_validation(gh: FakeGitHub) -> None:
    status, _, body = call(gh, "POST", ISSUES, {"body": "no title"})
    assert status == 422 and body["message"] == "Validation Failed"
    assert body["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]
    status, _, body = call(gh, "POST", ISSUES, raw=b"{not json")
    assert status == 400 and body["message"] == "Problems parsing JSON"
    status, _, body = call(gh, "POST", ISSUES, {"title": "x", "labels": "bug"})
    assert status == 422
    assert gh.issues == {}


def test_patch_close_and_reopen(gh: FakeGitHub) -> None:
    create(gh)
    gh.now = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    status, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"state": "closed", "state_reason": "not_planned"})
    assert status == 200
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert issue["closed_at"] == "2026-11-21T08:30:00Z" == issue["updated_at"]
    assert gh.issues[1]["state"] == "closed"
    status, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"state": "open"})
    assert (issue["state"], issue["state_reason"], issue["closed_at"]) == ("open", "reopened", None)
    _, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"state": "closed"})
    assert issue["state_reason"] == "completed"
    _, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"state_reason": "not_planned"})
    assert issue["state_reason"] == "completed"  # ignored unless the state changes
    status, _, body = call(gh, "PATCH", f"{ISSUES}/1", {"state": "done"})
    assert status == 422 and body["errors"][0]["field"] == "state"


def test_patch_replaces_title_body_labels_assignees(gh: FakeGitHub) -> None:
    create(gh, body="old", labels=["a", "b"], assignees=["x"])
    status, _, issue = call(
        gh,
        "PATCH",
        f"{ISSUES}/1",
        {"title": "new", "body": "fresh", "labels": ["c"], "assignees": ["y", "z"]},
    )
    assert status == 200
    assert (issue["title"], issue["body"]) == ("new", "fresh")
    assert [label["name"] for label in issue["labels"]] == ["c"]
    assert [a["login"] for a in issue["assignees"]] == ["y", "z"] and issue["assignee"]["login"] == "y"
    _, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"labels": [], "assignees": []})
    assert issue["labels"] == [] and issue["assignees"] == [] and issue["assignee"] is None
    _, _, issue = call(gh, "PATCH", f"{ISSUES}/1", {"labels": [{"name": "A"}]})
    assert [label["name"] for label in issue["labels"]] == ["a"]  # existing label, case-insensitively
    assert issue["title"] == "new"  # fields not sent are kept


# ---------------------------------------------------------------- listing and pagination


def link_header(gh: FakeGitHub, pairs: list[tuple[str, int]]) -> str:
    return ", ".join(
        f'<{gh.url}{ISSUES}?state=all&per_page=100&page={page}>; rel="{rel}"' for rel, page in pairs
    )


def test_250_issues_make_three_pages_with_github_link_headers(gh: FakeGitHub) -> None:
    for n in range(250):
        gh.add_issue(f"issue {n}", state="closed" if n % 2 else "open")
    query = f"{ISSUES}?state=all&per_page=100"
    pages = []
    for page in (1, 2, 3):
        status, headers, items = call(gh, "GET", f"{query}&page={page}")
        assert status == 200
        pages.append((headers["Link"], items))
    assert [len(items) for _, items in pages] == [100, 100, 50]
    assert pages[0][0] == link_header(gh, [("next", 2), ("last", 3)])
    assert pages[1][0] == link_header(gh, [("prev", 1), ("next", 3), ("last", 3), ("first", 1)])
    assert pages[2][0] == link_header(gh, [("prev", 2), ("first", 1)])
    numbers = [issue["number"] for _, items in pages for issue in items]
    assert numbers == list(range(250, 0, -1))  # newest first by default


def test_following_next_links_collects_everything(gh: FakeGitHub) -> None:
    for n in range(250):
        gh.add_issue(f"issue {n}")
    url: str | None = f"{gh.url}{ISSUES}?per_page=100"
    seen: list[int] = []
    while url:
        _, headers, items = call(gh, "GET", url)
        seen += [issue["number"] for issue in items]
        links = dict(
            (part.split("; ")[1][5:-1], part.split("; ")[0][1:-1])
            for part in headers.get("Link", "").split(", ")
            if part
        )
        url = links.get("next")
    assert sorted(seen) == list(range(1, 251))
    assert gh.count("GET") == 3


def test_per_page_defaults_to_30_and_caps_at_100(gh: FakeGitHub) -> None:
    for n in range(150):
        gh.add_issue(f"issue {n}")
    _, headers, items = call(gh, "GET", ISSUES)
    assert len(items) == 30
    assert headers["Link"] == f'<{gh.url}{ISSUES}?page=2>; rel="next", <{gh.url}{ISSUES}?page=5>; rel="last"'
    _, headers, items = call(gh, "GET", f"{ISSUES}?per_page=500")
    assert len(items) == 100
    _, _, items = call(gh, "GET", f"{ISSUES}?per_page=100&page=9")
    assert items == []


def test_state_filter(gh: FakeGitHub) -> None:
    gh.add_issue("open one")
    gh.add_issue("closed one", state="closed")
    titles = {
        s: [i["title"] for i in call(gh, "GET", f"{ISSUES}?state={s}")[2]] for s in ("open", "closed", "all")
    }
    assert titles == {"open": ["open one"], "closed": ["closed one"], "all": ["closed one", "open one"]}
    assert [i["title"] for i in call(gh, "GET", ISSUES)[2]] == ["open one"]  # default state=open
    assert call(gh, "GET", f"{ISSUES}?state=weird")[0] == 422


def test_label_filter_needs_all_labels(gh: FakeGitHub) -> None:
    gh.add_issue("both", labels=["escalation", "p1"])
    gh.add_issue("one", labels=["escalation"])
    gh.add_issue("none")
    gh.add_issue("closed both", labels=["escalation", "p1"], state="closed")

    def titles(query: str) -> list[str]:
        return sorted(i["title"] for i in call(gh, "GET", f"{ISSUES}?{query}")[2])

    assert titles("labels=escalation") == ["both", "one"]
    assert titles("labels=escalation,p1") == ["both"]
    assert titles("labels=Escalation,%20P1") == ["both"]
    assert titles("labels=escalation,p1&state=all") == ["both", "closed both"]
    assert titles("labels=missing") == []


def test_sort_direction_and_since(gh: FakeGitHub) -> None:
    gh.add_issue("old")
    gh.now = datetime(2026, 12, 1, tzinfo=UTC)
    gh.add_issue("new")
    asc = [i["title"] for i in call(gh, "GET", f"{ISSUES}?sort=created&direction=asc")[2]]
    assert asc == ["old", "new"]
    assert [i["title"] for i in call(gh, "GET", f"{ISSUES}?since=2026-11-25T00:00:00Z")[2]] == ["new"]


def test_other_list_filters(gh: FakeGitHub) -> None:
    gh.add_issue("mine", assignees=["sari"])
    gh.add_issue("nobody's", user="kim")

    def titles(query: str) -> list[str]:
        return [i["title"] for i in call(gh, "GET", f"{ISSUES}?{query}")[2]]

    assert titles("assignee=sari") == ["mine"]
    assert titles("assignee=none") == ["nobody's"]
    assert titles("assignee=*") == ["mine"]
    assert titles("creator=kim") == ["nobody's"]
    assert titles("milestone=*") == []


# ---------------------------------------------------------------- comments


def test_comments_create_and_list(gh: FakeGitHub) -> None:
    create(gh)
    gh.now = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    status, headers, comment = call(gh, "POST", f"{ISSUES}/1/comments", {"body": "still breached"})
    assert status == 201
    assert set(comment) >= COMMENT_FIELDS
    assert comment["body"] == "still breached" and comment["user"]["login"] == "github-actions[bot]"
    assert comment["issue_url"] == f"{gh.url}{ISSUES}/1"
    assert comment["url"] == f"{gh.url}{ISSUES}/comments/{comment['id']}" == headers["Location"]
    assert comment["html_url"] == f"https://github.com/{REPO}/issues/1#issuecomment-{comment['id']}"
    assert comment["created_at"] == "2026-11-20T07:00:00Z"
    issue = call(gh, "GET", f"{ISSUES}/1")[2]
    assert issue["comments"] == 1 and issue["updated_at"] == "2026-11-20T07:00:00Z"
    for n in range(4):
        gh.add_comment(1, f"note {n}")
    status, headers, page = call(gh, "GET", f"{ISSUES}/1/comments?per_page=2&page=2")
    assert status == 200
    assert [c["body"] for c in page] == ["note 1", "note 2"]  # oldest first
    assert 'rel="next"' in headers["Link"] and 'rel="prev"' in headers["Link"]
    assert len(call(gh, "GET", f"{ISSUES}/1/comments")[2]) == 5
    assert call(gh, "POST", f"{ISSUES}/1/comments", {"body": ""})[0] == 422
    assert call(gh, "POST", f"{ISSUES}/9/comments", {"body": "x"})[0] == 404


# ---------------------------------------------------------------- labels


def test_labels_list_create_and_already_exists(gh: FakeGitHub) -> None:
    status, headers, labels = call(gh, "GET", f"{LABELS}?per_page=5")
    assert status == 200 and len(labels) == 5
    assert 'rel="last"' in headers["Link"]
    all_names = [label["name"] for label in call(gh, "GET", LABELS)[2]]
    assert all_names == sorted(name for name, _, _ in DEFAULT_LABELS)
    status, headers, label = call(
        gh, "POST", LABELS, {"name": "escalation", "color": "#B60205", "description": "SLA breached"}
    )
    assert status == 201
    assert set(label) == LABEL_FIELDS
    assert (label["name"], label["color"], label["description"], label["default"]) == (
        "escalation",
        "b60205",
        "SLA breached",
        False,
    )
    assert headers["Location"] == label["url"]
    status, _, body = call(gh, "POST", LABELS, {"name": "Escalation", "color": "000000"})
    assert status == 422
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [{"resource": "Label", "code": "already_exists", "field": "name"}]
    assert body["documentation_url"].startswith("https://docs.github.com/")
    assert call(gh, "POST", LABELS, {"name": "x", "color": "red"})[0] == 422
    assert call(gh, "POST", LABELS, {"color": "000000"})[0] == 422


# ---------------------------------------------------------------- fault injection


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fail_next_does_not_perform_and_then_recovers(gh: FakeGitHub, status: int) -> None:
    fault = gh.fail_next(method="POST", path_prefix=ISSUES, status=status, times=2)
    assert call(gh, "GET", ISSUES)[0] == 200  # does not match
    for _ in range(2):
        code, headers, body = call(gh, "POST", ISSUES, {"title": "x"})
        assert code == status and "message" in body
        assert headers["x-ratelimit-resource"] == "core"
    assert gh.issues == {} and fault.remaining == 0 and gh.pending_faults() == []
    assert call(gh, "POST", ISSUES, {"title": "x"})[0] == 201


def test_fail_next_custom_body_and_headers(gh: FakeGitHub) -> None:
    gh.fail_next(status=502, body="<html>Bad gateway</html>", headers={"X-Extra": "1"})
    status, headers, body = call(gh, "GET", ISSUES)
    assert (status, body) == (502, "<html>Bad gateway</html>")
    assert headers["Content-Type"].startswith("text/html") and headers["X-Extra"] == "1"
    gh.fail_next(status=500, body={"message": "boom"})
    assert call(gh, "GET", ISSUES)[2] == {"message": "boom"}


def test_faults_are_used_in_order_and_can_be_cleared(gh: FakeGitHub) -> None:
    gh.fail_next(status=500)
    gh.fail_next(status=503)
    assert call(gh, "GET", ISSUES)[0] == 500
    assert call(gh, "GET", ISSUES)[0] == 503
    gh.fail_next(status=500, times=5)
    gh.clear_faults()
    assert call(gh, "GET", ISSUES)[0] == 200


def test_secondary_rate_limit(gh: FakeGitHub) -> None:
    gh.secondary_rate_limit_next(method="POST", retry_after=7)
    status, headers, body = call(gh, "POST", ISSUES, {"title": "x"})
    assert status == 403
    assert body["message"].startswith("You have exceeded a secondary rate limit")
    assert headers["Retry-After"] == "7"
    assert int(headers["x-ratelimit-remaining"]) > 0
    assert gh.issues == {}


def test_primary_rate_limit(gh: FakeGitHub) -> None:
    gh.primary_rate_limit_next(reset_in=90)
    status, headers, body = call(gh, "GET", ISSUES)
    assert status == 403 and body["message"].startswith("API rate limit exceeded")
    assert headers["x-ratelimit-remaining"] == "0"
    assert int(headers["x-ratelimit-reset"]) == int(gh.now.timestamp()) + 90
    assert "Retry-After" not in headers


def test_429_with_retry_after(gh: FakeGitHub) -> None:
    gh.too_many_requests_next(retry_after=3)
    status, headers, body = call(gh, "GET", ISSUES)
    assert status == 429 and headers["Retry-After"] == "3" and "secondary rate limit" in body["message"]
    assert call(gh, "GET", ISSUES)[0] == 200


def test_slow_answer_times_the_client_out_after_the_write(gh: FakeGitHub) -> None:
    gh.slow_next(2.0, method="POST")
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        call(gh, "POST", ISSUES, {"title": "slow"}, timeout=0.2)
    assert time.monotonic() - started < 1.5
    assert [i["title"] for i in gh.issues.values()] == ["slow"]  # GitHub did it anyway
    assert call(gh, "GET", ISSUES)[0] == 200  # other requests are answered meanwhile


def test_slow_answer_arrives_for_a_patient_client(gh: FakeGitHub) -> None:
    gh.slow_next(0.2)
    started = time.monotonic()
    assert call(gh, "GET", ISSUES)[0] == 200
    assert time.monotonic() - started >= 0.2


def test_dropped_connection(gh: FakeGitHub) -> None:
    gh.drop_next(method="POST")
    with pytest.raises((http.client.HTTPException, ConnectionError, urllib.error.URLError)):
        call(gh, "POST", ISSUES, {"title": "lost"})
    assert gh.issues == {}
    assert gh.count("POST") == 1


def test_dropped_connection_after_the_write(gh: FakeGitHub) -> None:
    gh.drop_next(method="POST", applied=True)
    with pytest.raises((http.client.HTTPException, ConnectionError, urllib.error.URLError)):
        call(gh, "POST", ISSUES, {"title": "done but unanswered"})
    assert [i["title"] for i in gh.issues.values()] == ["done but unanswered"]


def test_applied_then_502_leaves_the_issue_created(gh: FakeGitHub) -> None:
    gh.applied_then_fail_next(method="POST", path_prefix=ISSUES)
    status, _, body = call(gh, "POST", ISSUES, {"title": "Escalate T-7", "labels": ["escalation"]})
    assert status == 502 and body["message"] == "Bad Gateway"
    assert [i["title"] for i in gh.issues.values()] == ["Escalate T-7"]
    # a careful client looks before it retries, and finds it
    listed = call(gh, "GET", f"{ISSUES}?labels=escalation&state=all")[2]
    assert [i["title"] for i in listed] == ["Escalate T-7"]


def test_applied_then_fail_on_patch(gh: FakeGitHub) -> None:
    create(gh)
    gh.applied_then_fail_next(method="PATCH", status=500)
    assert call(gh, "PATCH", f"{ISSUES}/1", {"state": "closed"})[0] == 500
    assert gh.issues[1]["state"] == "closed"


def test_faults_take_precedence_over_auth(gh: FakeGitHub) -> None:
    gh.fail_next(status=503)
    assert call(gh, "GET", ISSUES, token=None)[0] == 503


# ---------------------------------------------------------------- request log


def test_request_log_and_counters(gh: FakeGitHub) -> None:
    create(gh, labels=["e"])
    call(gh, "GET", f"{ISSUES}?state=all")
    call(gh, "PATCH", f"{ISSUES}/1", {"state": "closed"})
    call(gh, "GET", "/rate_limit")
    assert gh.requests[0] == Request("POST", ISSUES, {"title": "Escalation", "labels": ["e"]})
    method, path, body = gh.requests[1]
    assert (method, path, body) == ("GET", f"{ISSUES}?state=all", None)
    assert gh.count() == 4 and gh.count("get") == 2 and gh.count("GET", path_prefix=ISSUES) == 1
    assert gh.count_writes() == 2 and [r.method for r in gh.writes()] == ["POST", "PATCH"]
    assert gh.request_headers[0]["Authorization"] == f"Bearer {TOKEN}"
    gh.clear_requests()
    call(gh, "GET", ISSUES)
    assert gh.count_writes() == 0 and gh.count() == 1


def test_concurrent_creates_get_distinct_numbers(gh: FakeGitHub) -> None:
    results: list[int] = []

    def worker(n: int) -> None:
        results.append(create(gh, f"t{n}")["number"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 13))


def test_exit_is_prompt_with_an_idle_keep_alive_connection() -> None:
    gh = FakeGitHub().start()
    connection = http.client.HTTPConnection("127.0.0.1", int(gh.url.rsplit(":", 1)[1]), timeout=5)
    try:
        connection.request("GET", ISSUES, headers={"Authorization": f"token {TOKEN}"})
        response = connection.getresponse()
        assert response.status == 200
        response.read()
        started = time.monotonic()
        gh.stop()
        assert time.monotonic() - started < 1.0
    finally:
        connection.close()
        gh.stop()


def test_exit_is_prompt_while_a_slow_answer_waits() -> None:
    gh = FakeGitHub().start()
    gh.slow_next(30)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            call(gh, "GET", ISSUES, timeout=10)
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 2
    while gh.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    gh.stop()
    thread.join()
    assert time.monotonic() - started < 1.0
    assert len(errors) == 1  # the connection was closed unanswered

"""A local stand-in for GitHub's REST API (v3), for tests that must not touch the network.

``FakeGitHub`` is a real HTTP server on 127.0.0.1 (stdlib ``ThreadingHTTPServer`` in a
background thread, any free port) that keeps issues, comments and labels in memory and
answers the subset of the REST contract gitdesk uses for escalation issues:

    GET    /repos/{owner}/{repo}
    GET    /repos/{owner}/{repo}/issues            (state, labels, sort, direction, since,
                                                    assignee, creator, milestone, per_page, page)
    POST   /repos/{owner}/{repo}/issues
    GET    /repos/{owner}/{repo}/issues/{number}
    PATCH  /repos/{owner}/{repo}/issues/{number}
    GET    /repos/{owner}/{repo}/issues/{number}/comments   (since, per_page, page)
    POST   /repos/{owner}/{repo}/issues/{number}/comments
    GET    /repos/{owner}/{repo}/labels            (per_page, page)
    POST   /repos/{owner}/{repo}/labels
    GET    /rate_limit

Anything else answers 404 ``{"message": "Not Found", ...}``. Response bodies follow the
schemas ``issue``, ``issue-comment``, ``label``, ``simple-user``, ``full-repository``,
``rate-limit-overview``, ``basic-error`` and ``validation-error`` of GitHub's OpenAPI
description (as shipped in the npm package ``@octokit/openapi``, generated/api.github.com.json).

Usage::

    with FakeGitHub(token="t0ken", repo="acme/helpdesk") as gh:
        os.environ["GITHUB_API_URL"] = gh.url
        gh.applied_then_fail_next(method="POST", path_prefix="/repos/acme/helpdesk/issues")
        ...
        assert gh.count_writes() == 0

Fault injection: every ``*_next`` helper queues a ``Fault`` that answers the next ``times``
matching requests (``method`` None = any, ``path_prefix`` None = any path; the prefix is
matched against the path with its query string). Faults are tried in the order they were
queued and the first match is used up. Every request that reached the server is logged in
``gh.requests``, whether it was answered normally, faulted, refused or dropped.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
DEFAULT_NOW = datetime(2026, 11, 20, 6, 0, 0, tzinfo=UTC)
DEFAULT_BOT = "github-actions[bot]"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)
PRIMARY_RATE_LIMIT_MESSAGE = (
    "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, "
    "please include the request ID 0000:0000:0000000:0000000:00000000."
)
# The labels GitHub puts in every new repository (name, color, description).
DEFAULT_LABELS: tuple[tuple[str, str, str], ...] = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
)
# Color GitHub gives a label it creates on the fly for an issue.
AUTO_LABEL_COLOR = "ededed"
KNOWN_USER_IDS = {"github-actions[bot]": 41898282, "dependabot[bot]": 49699333}
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")

_HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}")
_REPO_PATH = re.compile(r"/repos/([^/]+)/([^/]+)(/.*)?")
_ISSUE_PATH = re.compile(r"/issues/(\d+)")
_COMMENTS_PATH = re.compile(r"/issues/(\d+)/comments")


class Request(NamedTuple):
    """One logged request: ``(method, path_with_query, json_body)``.

    ``body`` is the decoded JSON body, None when there was none, or the raw text when it
    was not valid JSON.
    """

    method: str
    path: str
    body: Any


@dataclass
class Fault:
    """A queued misbehaviour; see the ``*_next`` helpers of ``FakeGitHub``."""

    kind: str  # "fail" | "applied_then_fail" | "slow" | "drop"
    method: str | None = None
    path_prefix: str | None = None
    times: int = 1
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    applied: bool = False  # for "drop": perform the request before dropping the connection
    reset_in: int | None = None  # primary rate limit: x-ratelimit-reset = now + reset_in
    hits: int = 0

    @property
    def remaining(self) -> int:
        return self.times - self.hits

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


class ApiError(Exception):
    """An error answer of the API (raised inside the routes)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


@dataclass
class _Outcome:
    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    drop: bool = False


def _error_body(status: int, message: str, docs: str = DOCS) -> dict[str, Any]:
    return {"message": message, "documentation_url": docs, "status": str(status)}


def _not_found() -> ApiError:
    return ApiError(404, _error_body(404, "Not Found"))


def _validation_failed(resource: str, field_name: str, code: str, docs: str = DOCS, **extra: Any) -> ApiError:
    error = {"resource": resource, "code": code, "field": field_name, **extra}
    return ApiError(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": docs, "status": "422"}
    )


def _node_id(prefix: str, number: int) -> str:
    return prefix + "_" + base64.urlsafe_b64encode(str(number).encode()).decode().rstrip("=")


def _legacy_node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    """Set a header, replacing any spelling of the same name."""
    for key in [k for k in headers if k.lower() == name.lower()]:
        del headers[key]
    headers[name] = value


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True
    request_queue_size = 128  # many simultaneous connects must not overflow the listen backlog

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def wake_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.fake.errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is let go after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        fake = self.server.fake
        try:
            raw = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        outcome = fake._serve(self.command, self.path, dict(self.headers.items()), raw)
        if outcome.delay and fake._stopping.wait(outcome.delay):
            outcome.drop = True  # the server is shutting down: do not answer
        if outcome.drop:
            self.close_connection = True
            return
        try:
            self.send_response(outcome.status)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(outcome.body)))
            self.end_headers()
            self.wfile.write(outcome.body)
        except OSError:  # the client went away (e.g. it timed out)
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch


class FakeGitHub:
    """An in-memory GitHub REST API on 127.0.0.1; use it as a context manager.

    Attributes (all may be read and changed by the test, also while serving):
      url             "http://127.0.0.1:PORT" once started (what GITHUB_API_URL is set to)
      token           the accepted token (``Authorization: Bearer <token>`` or ``token <token>``)
      owner, repo     the one repository served (``full_name`` = "owner/repo")
      issues          number -> issue dict (API shape, ``issue`` schema)
      comments        issue number -> list of comment dicts (``issue-comment`` schema)
      labels          name -> label dict (``label`` schema); names match case-insensitively
      requests        list of ``Request(method, path_with_query, json_body)``
      request_headers list of header dicts, parallel to ``requests``
      now             the clock for every timestamp (aware datetime; naive = UTC)
      bot_login       login of the author of created issues/comments (``bot_type`` its type)
      collaborators   logins that may be assigned; empty = everyone
      rate_limit, rate_used   drive the x-ratelimit-* headers; at rate_used >= rate_limit every
                      request gets GitHub's primary rate-limit 403
      faults          queued ``Fault`` objects
      errors          tracebacks of unexpected exceptions inside the server (should stay empty)
    """

    def __init__(
        self,
        token: str = "t0ken",
        repo: str = "acme/helpdesk",
        *,
        bot_login: str = DEFAULT_BOT,
        bot_type: str = "Bot",
        now: datetime = DEFAULT_NOW,
        collaborators: Iterable[str] = (),
        default_labels: bool = True,
        rate_limit: int = 5000,
        html_url: str = "https://github.com",
        author_association: str = "NONE",
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repo must be 'owner/name', not {repo!r}")
        self.token = token
        self.owner = owner
        self.repo = name
        self.bot_login = bot_login
        self.bot_type = bot_type
        self.now = now
        self.collaborators: set[str] = set(collaborators)
        self.rate_limit = rate_limit
        self.rate_used = 0
        self.html_base = html_url.rstrip("/")
        self.author_association = author_association
        self.repo_id = 812345678
        self.url = ""
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.request_headers: list[dict[str, str]] = []
        self.faults: list[Fault] = []
        self.errors: list[str] = []
        self.lock = threading.RLock()
        self._default_labels = default_labels
        self._next_number = 1
        self._next_issue_id = 3100000001
        self._next_comment_id = 2400000001
        self._next_label_id = 7600000001
        self._user_ids: dict[str, int] = dict(KNOWN_USER_IDS)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeGitHub:
        if self._server is not None:
            raise RuntimeError("FakeGitHub is already running")
        self._stopping.clear()
        self._server = _Server(self)
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        if self._default_labels and not self.labels:
            for name, color, description in DEFAULT_LABELS:
                self.add_label(name, color, description, default=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="FakeGitHub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # slow answers stop waiting
        server.shutdown()  # the accept loop ends
        server.wake_connections()  # idle keep-alive connections end
        server.server_close()  # closes the listening socket, joins the handler threads
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeGitHub {self.owner}/{self.repo} at {self.url or 'not started'}>"

    # ------------------------------------------------------------------ fault injection

    def _queue(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail_next(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int = 500,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer the next matching request(s) with ``status`` without performing them.

        ``body``: dict/list (sent as JSON), str or bytes (sent as is, text/html unless the
        headers say otherwise); None = ``{"message": <reason phrase>, ...}``.
        """
        return self._queue(Fault("fail", method, path_prefix, times, status, body, dict(headers or {})))

    def applied_then_fail_next(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int = 502,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Perform the next matching request(s) (e.g. create the issue), then answer ``status``.

        This is GitHub creating an issue yet reporting an error: a client that simply retries
        makes a duplicate.
        """
        return self._queue(
            Fault("applied_then_fail", method, path_prefix, times, status, body, dict(headers or {}))
        )

    def secondary_rate_limit_next(
        self, method: str | None = None, path_prefix: str | None = None, retry_after: int = 60, times: int = 1
    ) -> Fault:
        """403 "You have exceeded a secondary rate limit" with ``Retry-After``; not performed."""
        body = _error_body(403, SECONDARY_RATE_LIMIT_MESSAGE, SECONDARY_RATE_LIMIT_DOCS)
        return self.fail_next(method, path_prefix, 403, times, body, {"Retry-After": str(retry_after)})

    def too_many_requests_next(
        self, method: str | None = None, path_prefix: str | None = None, retry_after: int = 60, times: int = 1
    ) -> Fault:
        """429 (GitHub's other answer to a secondary rate limit) with ``Retry-After``; not performed."""
        body = _error_body(429, SECONDARY_RATE_LIMIT_MESSAGE, SECONDARY_RATE_LIMIT_DOCS)
        return self.fail_next(method, path_prefix, 429, times, body, {"Retry-After": str(retry_after)})

    def primary_rate_limit_next(
        self, method: str | None = None, path_prefix: str | None = None, reset_in: int = 60, times: int = 1
    ) -> Fault:
        """403 "API rate limit exceeded": x-ratelimit-remaining 0, x-ratelimit-reset = now + reset_in
        (``now`` read when answering); not performed."""
        body = _error_body(403, PRIMARY_RATE_LIMIT_MESSAGE, RATE_LIMIT_DOCS)
        fault = Fault("fail", method, path_prefix, times, 403, body, reset_in=reset_in)
        return self._queue(fault)

    def slow_next(
        self, delay: float, method: str | None = None, path_prefix: str | None = None, times: int = 1
    ) -> Fault:
        """Perform the next matching request(s), then wait ``delay`` seconds before answering.

        A client with a shorter timeout gives up although the write took effect. Waiting ends
        early when the server stops.
        """
        fault = Fault("slow", method, path_prefix, times)
        fault.delay = delay
        return self._queue(fault)

    def drop_next(
        self, method: str | None = None, path_prefix: str | None = None, times: int = 1, applied: bool = False
    ) -> Fault:
        """Close the connection without any answer. With ``applied=True`` the request is
        performed first (the write happened, the answer was lost)."""
        fault = Fault("drop", method, path_prefix, times)
        fault.applied = applied
        return self._queue(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def pending_faults(self) -> list[Fault]:
        with self.lock:
            return [fault for fault in self.faults if fault.remaining > 0]

    # ------------------------------------------------------------------ request log helpers

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many requests (of ``method``, under ``path_prefix``) reached the server."""
        return len(self.logged(method, path_prefix))

    def logged(self, method: str | None = None, path_prefix: str | None = None) -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            ]

    def writes(self, path_prefix: str | None = None) -> list[Request]:
        """The logged POST/PATCH/PUT/DELETE requests."""
        return [r for r in self.logged(path_prefix=path_prefix) if r.method in WRITE_METHODS]

    def count_writes(self, path_prefix: str | None = None) -> int:
        return len(self.writes(path_prefix))

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()
            self.request_headers.clear()

    # ------------------------------------------------------------------ state helpers (no HTTP)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def api_repo_url(self) -> str:
        return f"{self.url}/repos/{self.full_name}"

    def timestamp(self) -> str:
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def find_label(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            for label in self.labels.values():
                if label["name"].lower() == name.lower():
                    return label
        return None

    def add_label(
        self,
        name: str,
        color: str = AUTO_LABEL_COLOR,
        description: str | None = None,
        *,
        default: bool = False,
    ) -> dict[str, Any]:
        self._require_started()
        with self.lock:
            label_id = self._next_label_id
            self._next_label_id += 1
            label = {
                "id": label_id,
                "node_id": _node_id("LA", label_id),
                "url": f"{self.api_repo_url}/labels/{quote(name, safe='')}",
                "name": name,
                "color": color.lstrip("#").lower(),
                "default": default,
                "description": description,
            }
            self.labels[name] = label
            return label

    def add_issue(
        self,
        title: str,
        body: str | None = None,
        *,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Put an issue straight into the state (no request logged, no collaborator check)."""
        self._require_started()
        with self.lock:
            issue = self._new_issue(title, body, list(labels), list(assignees), user or self.bot_login)
            if state == "closed":
                self._set_state(issue, "closed", state_reason or "completed")
            return issue

    def add_comment(self, number: int, body: str, user: str | None = None) -> dict[str, Any]:
        """Put a comment straight into the state (no request logged)."""
        self._require_started()
        with self.lock:
            return self._new_comment(self.issues[number], body, user or self.bot_login)

    def user(self, login: str) -> dict[str, Any]:
        """A ``simple-user`` object for ``login``."""
        with self.lock:
            uid = self._user_ids.get(login)
            if uid is None:
                uid = self._user_ids[login] = 100001 + len(self._user_ids)
        if login == self.bot_login:
            kind = self.bot_type
        elif login == self.owner:
            kind = "Organization"
        else:
            kind = "Bot" if login.endswith("[bot]") else "User"
        api = f"{self.url}/users/{quote(login, safe='')}"
        if kind == "Bot":
            html = f"{self.html_base}/apps/{login.removesuffix('[bot]')}"
            avatar = f"https://avatars.githubusercontent.com/in/{uid}?v=4"
        else:
            html = f"{self.html_base}/{login}"
            avatar = f"https://avatars.githubusercontent.com/u/{uid}?v=4"
        return {
            "login": login,
            "id": uid,
            "node_id": _legacy_node_id(kind, uid),
            "avatar_url": avatar,
            "gravatar_id": "",
            "url": api,
            "html_url": html,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _require_started(self) -> None:
        if not self.url:
            raise RuntimeError("start FakeGitHub (use it as a context manager) before adding state")

    def _may_be_assigned(self, login: str) -> bool:
        if not self.collaborators:
            return True
        return login.lower() in {c.lower() for c in self.collaborators}

    def _resolve_labels(self, names: list[str]) -> list[dict[str, Any]]:
        resolved: list[dict[str, Any]] = []
        for name in names:
            label = self.find_label(name) or self.add_label(name)
            if label not in resolved:
                resolved.append(label)
        return resolved

    def _set_assignees(self, issue: dict[str, Any], logins: list[str]) -> None:
        unique = list(dict.fromkeys(logins))
        issue["assignees"] = [self.user(login) for login in unique]
        issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None

    def _set_state(self, issue: dict[str, Any], state: str, reason: str | None) -> None:
        issue["state"] = state
        issue["state_reason"] = reason
        if state == "closed":
            issue["closed_at"] = self.timestamp()
            issue["closed_by"] = self.user(self.bot_login)
        else:
            issue["closed_at"] = None
            issue["closed_by"] = None

    def _new_issue(
        self, title: str, body: str | None, labels: list[str], assignees: list[str], login: str
    ) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        issue_id = self._next_issue_id
        self._next_issue_id += 1
        api = f"{self.api_repo_url}/issues/{number}"
        now = self.timestamp()
        issue: dict[str, Any] = {
            "url": api,
            "repository_url": self.api_repo_url,
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{self.html_base}/{self.full_name}/issues/{number}",
            "id": issue_id,
            "node_id": _node_id("I", issue_id),
            "number": number,
            "title": title,
            "user": self.user(login),
            "labels": self._resolve_labels(labels),
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "author_association": self.author_association,
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": body,
            "closed_by": None,
            "reactions": self._reactions(f"{api}/reactions"),
            "timeline_url": f"{api}/timeline",
            "performed_via_github_app": None,
            "state_reason": None,
        }
        self._set_assignees(issue, assignees)
        self.issues[number] = issue
        self.comments[number] = []
        return issue

    def _new_comment(self, issue: dict[str, Any], body: str, login: str) -> dict[str, Any]:
        comment_id = self._next_comment_id
        self._next_comment_id += 1
        now = self.timestamp()
        comment = {
            "id": comment_id,
            "node_id": _node_id("IC", comment_id),
            "url": f"{self.api_repo_url}/issues/comments/{comment_id}",
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "body": body,
            "user": self.user(login),
            "created_at": now,
            "updated_at": now,
            "issue_url": issue["url"],
            "author_association": self.author_association,
            "reactions": self._reactions(f"{self.api_repo_url}/issues/comments/{comment_id}/reactions"),
            "performed_via_github_app": None,
        }
        self.comments.setdefault(issue["number"], []).append(comment)
        issue["comments"] += 1
        issue["updated_at"] = now
        return comment

    @staticmethod
    def _reactions(url: str) -> dict[str, Any]:
        counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
        return {"url": url, "total_count": 0, **counts}

    def _repository(self) -> dict[str, Any]:
        api = self.api_repo_url
        html = f"{self.html_base}/{self.full_name}"
        open_issues = sum(1 for issue in self.issues.values() if issue["state"] == "open")
        created = "2024-01-15T09:00:00Z"
        return {
            "id": self.repo_id,
            "node_id": _node_id("R", self.repo_id),
            "name": self.repo,
            "full_name": self.full_name,
            "private": True,
            "owner": self.user(self.owner),
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            "issues_url": f"{api}/issues{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments{{/number}}",
            "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "assignees_url": f"{api}/assignees{{/user}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "clone_url": f"{html}.git",
            "git_url": f"git://github.com/{self.full_name}.git",
            "ssh_url": f"git@github.com:{self.full_name}.git",
            "svn_url": html,
            "homepage": None,
            "language": "Python",
            "size": 0,
            "default_branch": "main",
            "visibility": "private",
            "archived": False,
            "disabled": False,
            "is_template": False,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "subscribers_count": 1,
            "network_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "mirror_url": None,
            "license": None,
            "topics": [],
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "created_at": created,
            "updated_at": self.timestamp(),
            "pushed_at": self.timestamp(),
        }

    # ------------------------------------------------------------------ serving

    def _reset_epoch(self, seconds_from_now: int = 3600) -> int:
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        return int(now.timestamp()) + seconds_from_now

    def _standard_headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "x-github-api-version-selected": API_VERSION,
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - self.rate_used)),
            "x-ratelimit-reset": str(self._reset_epoch()),
            "x-ratelimit-used": str(self.rate_used),
            "x-ratelimit-resource": "core",
            "X-GitHub-Request-Id": f"FAKE:{len(self.requests):06d}",
        }

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    def _fault_outcome(self, fault: Fault) -> _Outcome:
        headers = self._standard_headers()
        body = fault.body
        if body is None:
            body = _error_body(fault.status, HTTPStatus(fault.status).phrase)
        if isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
            headers["Content-Type"] = "text/html; charset=utf-8"
        else:
            raw = json.dumps(body).encode()
        if fault.reset_in is not None:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-used"] = str(self.rate_limit)
            headers["x-ratelimit-reset"] = str(self._reset_epoch(fault.reset_in))
        for name, value in fault.headers.items():
            _set_header(headers, name, value)
        return _Outcome(fault.status, headers, raw)

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Outcome:
        """Answer one request (called from a handler thread)."""
        logged: Any = None
        if raw:
            try:
                logged = json.loads(raw)
            except ValueError:
                logged = raw.decode("utf-8", "replace")
        with self.lock:
            self.requests.append(Request(method, target, logged))
            self.request_headers.append(headers)
            fault = self._take_fault(method, target)
            if fault is not None and fault.kind == "fail":
                return self._fault_outcome(fault)
            if fault is not None and fault.kind == "drop" and not fault.applied:
                return _Outcome(0, {}, b"", drop=True)
            outcome = self._answer(method, target, headers, raw)
            if fault is None:
                return outcome
            if fault.kind == "applied_then_fail":
                return self._fault_outcome(fault)
            if fault.kind == "drop":
                outcome.drop = True
            elif fault.kind == "slow":
                outcome.delay = fault.delay
            return outcome

    def _authorized(self, headers: dict[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, credential = value.strip().partition(" ")
        return scheme.lower() in ("bearer", "token") and credential.strip() == self.token and bool(self.token)

    def _answer(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Outcome:
        split = urlsplit(target)
        path = split.path
        query = parse_qsl(split.query, keep_blank_values=True)
        extra: dict[str, str] = {}
        try:
            if not self._authorized(headers):
                raise ApiError(401, _error_body(401, "Bad credentials"))
            if path != "/rate_limit":
                if self.rate_used >= self.rate_limit:
                    body = _error_body(403, PRIMARY_RATE_LIMIT_MESSAGE, RATE_LIMIT_DOCS)
                    raise ApiError(403, body)
                self.rate_used += 1
            status, payload = self._route(method, path, query, raw, extra)
        except ApiError as error:
            status, payload = error.status, error.body
        except Exception:
            self.errors.append(traceback.format_exc())
            status, payload = 500, _error_body(500, "Server Error")
        response_headers = self._standard_headers()
        response_headers.update(extra)
        return _Outcome(status, response_headers, json.dumps(payload).encode())

    @staticmethod
    def _json_object(raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ApiError(400, _error_body(400, "Problems parsing JSON"))
        return data

    def _route(
        self, method: str, path: str, query: list[tuple[str, str]], raw: bytes, extra: dict[str, str]
    ) -> tuple[int, Any]:
        if path == "/rate_limit" and method == "GET":
            return 200, self._rate_limit_overview()
        match = _REPO_PATH.fullmatch(path)
        if match is None:
            raise _not_found()
        owner, name, rest = unquote(match[1]), unquote(match[2]), match[3] or ""
        if (owner.lower(), name.lower()) != (self.owner.lower(), self.repo.lower()):
            raise _not_found()
        args = dict(query)
        if rest == "" and method == "GET":
            return 200, self._repository()
        if rest == "/issues":
            if method == "GET":
                return 200, self._page(self._list_issues(args), path, query, extra)
            if method == "POST":
                return 201, self._create_issue(self._json_object(raw), extra)
        if (m := _ISSUE_PATH.fullmatch(rest)) is not None:
            issue = self._issue_or_404(int(m[1]))
            if method == "GET":
                return 200, issue
            if method == "PATCH":
                return 200, self._update_issue(issue, self._json_object(raw))
        if (m := _COMMENTS_PATH.fullmatch(rest)) is not None:
            issue = self._issue_or_404(int(m[1]))
            if method == "GET":
                comments = list(self.comments.get(issue["number"], []))
                if "since" in args:
                    since = self._since(args["since"])
                    comments = [c for c in comments if _parse_time(c["updated_at"]) >= since]
                return 200, self._page(comments, path, query, extra)
            if method == "POST":
                return 201, self._create_comment(issue, self._json_object(raw), extra)
        if rest == "/labels":
            if method == "GET":
                labels = sorted(self.labels.values(), key=lambda label: label["name"].lower())
                return 200, self._page(labels, path, query, extra)
            if method == "POST":
                return 201, self._create_label(self._json_object(raw), extra)
        raise _not_found()

    def _issue_or_404(self, number: int) -> dict[str, Any]:
        issue = self.issues.get(number)
        if issue is None:
            raise _not_found()
        return issue

    def _rate_limit_overview(self) -> dict[str, Any]:
        core = {
            "limit": self.rate_limit,
            "used": self.rate_used,
            "remaining": max(0, self.rate_limit - self.rate_used),
            "reset": self._reset_epoch(),
        }
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": self._reset_epoch(60)}
        graphql = {"limit": 5000, "used": 0, "remaining": 5000, "reset": self._reset_epoch()}
        return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": dict(core)}

    @staticmethod
    def _since(text: str) -> datetime:
        try:
            return _parse_time(text)
        except ValueError:
            raise _validation_failed("Issue", "since", "invalid") from None

    def _page(
        self, items: list[Any], path: str, query: list[tuple[str, str]], extra: dict[str, str]
    ) -> list[Any]:
        """One page of ``items`` and GitHub's ``Link`` header (prev, next, last, first)."""
        args = dict(query)
        try:
            per_page = int(args.get("per_page", "30"))
        except ValueError:
            per_page = 30
        per_page = 30 if per_page < 1 else min(per_page, 100)
        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        last = max(1, math.ceil(len(items) / per_page))

        def link(number: int) -> str:
            pairs = [(k, str(number) if k == "page" else v) for k, v in query]
            if "page" not in args:
                pairs.append(("page", str(number)))
            return f"{self.url}{path}?{urlencode(pairs, safe=',')}"

        links = []
        if page > 1:
            links.append(f'<{link(min(page - 1, last))}>; rel="prev"')
        if page < last:
            links.append(f'<{link(page + 1)}>; rel="next"')
            links.append(f'<{link(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{link(1)}>; rel="first"')
        if links:
            extra["Link"] = ", ".join(links)
        return items[(page - 1) * per_page : page * per_page]

    def _list_issues(self, args: dict[str, str]) -> list[dict[str, Any]]:
        state = args.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise _validation_failed("Issue", "state", "invalid")
        issues = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        wanted = [name.strip().lower() for name in args.get("labels", "").split(",") if name.strip()]
        if wanted:
            issues = [i for i in issues if set(wanted) <= {label["name"].lower() for label in i["labels"]}]
        if "since" in args:
            since = self._since(args["since"])
            issues = [i for i in issues if _parse_time(i["updated_at"]) >= since]
        assignee = args.get("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i["assignees"]]
        elif assignee == "*":
            issues = [i for i in issues if i["assignees"]]
        elif assignee:
            issues = [i for i in issues if assignee.lower() in {a["login"].lower() for a in i["assignees"]}]
        if args.get("creator"):
            issues = [i for i in issues if i["user"]["login"].lower() == args["creator"].lower()]
        milestone = args.get("milestone")
        if milestone and milestone != "none":
            issues = []  # no issue has a milestone
        sort = args.get("sort", "created")
        key = {"updated": "updated_at", "comments": "comments"}.get(sort, "created_at")
        descending = args.get("direction", "desc") != "asc"
        return sorted(issues, key=lambda i: (i[key], i["number"]), reverse=descending)

    def _label_names(self, value: Any, resource: str) -> list[str]:
        if not isinstance(value, list):
            raise _validation_failed(resource, "labels", "invalid")
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str | int) or not str(name).strip():
                raise _validation_failed(resource, "labels", "invalid")
            names.append(str(name).strip())
        return names

    def _assignee_logins(self, body: dict[str, Any]) -> list[str] | None:
        if "assignees" in body:
            value = body["assignees"]
            if value is None:
                return []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _validation_failed("Issue", "assignees", "invalid")
            logins = list(value)
        elif "assignee" in body:
            logins = [body["assignee"]] if isinstance(body["assignee"], str) and body["assignee"] else []
        else:
            return None
        return [login for login in logins if self._may_be_assigned(login)]  # others silently dropped

    def _create_issue(self, body: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
        docs = "https://docs.github.com/rest/issues/issues#create-an-issue"
        title = body.get("title")
        if isinstance(title, int) and not isinstance(title, bool):
            title = str(title)
        if not isinstance(title, str) or not title.strip():
            raise _validation_failed("Issue", "title", "missing_field", docs)
        text = body.get("body")
        if text is not None and not isinstance(text, str):
            raise _validation_failed("Issue", "body", "invalid", docs)
        labels = self._label_names(body.get("labels") or [], "Issue")
        assignees = self._assignee_logins(body) or []
        issue = self._new_issue(title, text, labels, assignees, self.bot_login)
        extra["Location"] = issue["url"]
        return issue

    def _update_issue(self, issue: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        docs = "https://docs.github.com/rest/issues/issues#update-an-issue"
        if "title" in body and body["title"] is not None:
            title = body["title"]
            if isinstance(title, bool) or not isinstance(title, str | int) or not str(title).strip():
                raise _validation_failed("Issue", "title", "invalid", docs)
            issue["title"] = str(title)
        if "body" in body:
            if body["body"] is not None and not isinstance(body["body"], str):
                raise _validation_failed("Issue", "body", "invalid", docs)
            issue["body"] = body["body"]
        state = body.get("state")
        reason = body.get("state_reason")
        if state is not None and state not in ("open", "closed"):
            raise _validation_failed("Issue", "state", "invalid", docs, value=state)
        if reason is not None and reason not in STATE_REASONS:
            raise _validation_failed("Issue", "state_reason", "invalid", docs, value=reason)
        if "labels" in body:
            issue["labels"] = self._resolve_labels(self._label_names(body["labels"] or [], "Issue"))
        logins = self._assignee_logins(body)
        if logins is not None:
            self._set_assignees(issue, logins)
        if state is not None and state != issue["state"]:  # state_reason is ignored otherwise
            if state == "closed":
                self._set_state(
                    issue,
                    "closed",
                    reason if reason in ("completed", "not_planned", "duplicate") else "completed",
                )
            else:
                self._set_state(issue, "open", "reopened")
        issue["updated_at"] = self.timestamp()
        return issue

    def _create_comment(
        self, issue: dict[str, Any], body: dict[str, Any], extra: dict[str, str]
    ) -> dict[str, Any]:
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            docs = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
            raise _validation_failed("IssueComment", "body", "missing_field", docs)
        comment = self._new_comment(issue, text, self.bot_login)
        extra["Location"] = comment["url"]
        return comment

    def _create_label(self, body: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
        docs = "https://docs.github.com/rest/issues/labels#create-a-label"
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _validation_failed("Label", "name", "missing_field", docs)
        name = name.strip()
        color = body.get("color", AUTO_LABEL_COLOR)
        if not isinstance(color, str) or not _HEX_COLOR.fullmatch(color.lstrip("#")):
            raise _validation_failed("Label", "color", "invalid", docs)
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 100):
            raise _validation_failed("Label", "description", "invalid", docs)
        if self.find_label(name) is not None:
            raise _validation_failed("Label", "name", "already_exists", docs)
        label = self.add_label(name, color, description)
        extra["Location"] = label["url"]
        return label

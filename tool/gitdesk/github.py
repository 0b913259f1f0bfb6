"""The only module that talks to GitHub's REST API (through PyGithub).

PyGithub's own retries are turned off (its default retries POSTs on 5xx,
which duplicates an issue GitHub did create). Instead, here:

- reads are retried on 5xx, timeouts and dropped connections, with backoff;
- any request refused by a rate limit (403/429 with Retry-After, or
  x-ratelimit-remaining 0) is retried after the wait GitHub asks for,
  because GitHub did not perform it;
- a write that fails otherwise raises Uncertain: it may or may not have
  happened, and the caller lists again to find out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gitdesk.errors import GitdeskError
from gitdesk.escalation import Issue

T = TypeVar("T")
PER_PAGE = 100


class Uncertain(GitdeskError):
    """A write failed in a way that does not say whether GitHub performed it."""


@dataclass(frozen=True)
class Settings:
    """Which repository, where its API is, and how long to wait for it (the token is kept out of repr)."""

    token: str = field(repr=False)
    repository: str
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    timeout: float = 15.0
    max_wait: float = 120.0  # the longest rate-limit wait before giving up for this run
    read_attempts: int = 4
    sleep: Callable[[float], None] | None = field(default=None, repr=False)  # None: time.sleep

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """The variables GitHub Actions sets; GITHUB_API_URL can point at another server."""
        missing = [k for k in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(k)]
        if missing:
            raise GitdeskError(f"set {' and '.join(missing)} (GitHub Actions sets them; give the job "
                               "`permissions: issues: write`)")  # fmt: skip
        repository = env["GITHUB_REPOSITORY"]
        if repository.count("/") != 1:
            raise GitdeskError(f"GITHUB_REPOSITORY='{repository}' is not owner/name")
        return cls(
            token=env["GITHUB_TOKEN"],
            repository=repository,
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            timeout=float(env.get("GITDESK_HTTP_TIMEOUT") or 15),
        )


class GitHub:
    """Escalation-issue operations on one repository."""

    def __init__(self, settings: Settings) -> None:
        import github

        self.settings = settings
        self._github = github
        self._api = github.Github(
            auth=github.Auth.Token(settings.token),
            base_url=settings.api_url.rstrip("/"),
            timeout=max(1, int(settings.timeout)),
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
            user_agent="gitdesk",
        )
        self._repo = self._api.get_repo(settings.repository)

    # --- reads -------------------------------------------------------------------

    def open_issues(self, label: str) -> list[Issue]:
        """Every open issue with `label`, all pages (the list endpoint, never search: it lags)."""

        def fetch() -> list[Issue]:
            found = self._repo.get_issues(state="open", labels=[label], sort="created", direction="asc")
            # Pull requests come in this list too; their html_url says so (reading
            # `pull_request` would fetch each issue again).
            return [_issue(i) for i in found if "/pull/" not in (i.html_url or "")]

        return self._call(fetch, write=False)

    def comments(self, number: int) -> list[str]:
        return self._call(lambda: [c.body or "" for c in self._issue(number).get_comments()], write=False)

    # --- writes ------------------------------------------------------------------

    def create(self, title: str, body: str, labels: Iterable[str], assignees: Iterable[str]) -> int:
        return self._call(
            lambda: int(self._repo.create_issue(title=title, body=body, labels=list(labels),
                                                assignees=list(assignees)).number),
            write=True,
        )  # fmt: skip

    def update(
        self, number: int, title: str, body: str, labels: list[str], assignees: list[str] | None
    ) -> None:
        changes: dict[str, Any] = {"title": title, "body": body, "labels": labels}
        if assignees is not None:
            changes["assignees"] = assignees
        self._call(lambda: self._issue(number).edit(**changes), write=True)

    def comment(self, number: int, body: str) -> None:
        self._call(lambda: self._issue(number).create_comment(body), write=True)

    def close(self, number: int) -> None:
        self._call(lambda: self._issue(number).edit(state="closed", state_reason="completed"), write=True)

    # --- plumbing ----------------------------------------------------------------

    def _issue(self, number: int) -> Any:
        return self._repo.get_issue(number)

    def _call(self, operation: Callable[[], T], write: bool) -> T:
        failures = 0
        while True:
            try:
                return operation()
            except self._github.GithubException as err:
                wait = _rate_limit_wait(err, time.time())
                if wait is not None:
                    self._wait(wait)
                    continue
                if err.status in (401, 403, 404, 410, 422):
                    raise GitdeskError(
                        f"GitHub refused the request ({err.status}): {_message(err)}"
                    ) from None
                failures += 1
                if write:
                    raise Uncertain(f"GitHub answered {err.status} to a write: {_message(err)}") from None
            except OSError as err:  # timeouts and dropped connections (requests' errors are OSErrors)
                failures += 1
                if write:
                    raise Uncertain(f"no answer from GitHub to a write: {err}") from None
            if failures >= self.settings.read_attempts:
                raise GitdeskError(f"GitHub did not answer after {failures} attempts; the next run retries")
            self._sleep(min(2 ** (failures - 1), 30))

    def _wait(self, seconds: float) -> None:
        if seconds > self.settings.max_wait:
            raise GitdeskError(f"GitHub's rate limit asks to wait {seconds:.0f} s (more than "
                               f"{self.settings.max_wait:.0f} s); the next run continues")  # fmt: skip
        self._sleep(max(seconds, 1.0))

    def _sleep(self, seconds: float) -> None:
        (self.settings.sleep or time.sleep)(seconds)


def _issue(raw: Any) -> Issue:
    return Issue(
        number=int(raw.number),
        title=raw.title or "",
        body=raw.body or "",
        labels=tuple(label.name for label in raw.labels),
        assignees=tuple(user.login for user in raw.assignees),
    )


def _message(err: Any) -> str:
    data = err.data if isinstance(err.data, dict) else {}
    return str(data.get("message") or err)


def _rate_limit_wait(err: Any, now: float) -> float | None:
    """Seconds to wait when GitHub refused a request for a rate limit, else None."""
    if err.status not in (403, 429):
        return None
    headers = {k.lower(): v for k, v in (err.headers or {}).items()}
    if "retry-after" in headers:
        try:
            return float(headers["retry-after"])
        except ValueError:
            return 60.0
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        return max(float(headers["x-ratelimit-reset"]) - now, 1.0)
    if "rate limit" in _message(err).lower():
        return 60.0  # a secondary limit without Retry-After: GitHub asks for at least a minute
    return None

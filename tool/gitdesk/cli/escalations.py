"""`gitdesk escalations sync`: open, update and close GitHub escalation issues."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from gitdesk.cli.context import Context, emit_json, left_out, note, pass_ctx

if TYPE_CHECKING:
    from gitdesk.escalation import Links


@click.group()
def escalations() -> None:
    """Escalation issues on GitHub, one per escalated ticket.

    \b
    Example:
      gitdesk escalations sync --dry-run
    """


@escalations.command()
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing on GitHub.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (or what was done) as JSON.")
@pass_ctx
def sync(ctx: Context, dry_run: bool, as_json: bool) -> None:
    """Make GitHub's escalation issues match the SLA state.

    Each open ticket above L1 (by an SLA warning or breach, or by hand) gets one
    issue, assigned to the people its team notifies at that level; a level rise
    adds a comment; an issue closes with a comment when its ticket is done or
    back within its SLA. Running again with nothing changed sends no writes.
    Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_SERVER_URL.

    \b
    Examples:
      gitdesk escalations sync --dry-run
      GITHUB_TOKEN=... GITHUB_REPOSITORY=acme/helpdesk gitdesk escalations sync
    """
    from gitdesk import sync as service
    from gitdesk.github import GitHub, Settings

    has_token = bool(os.environ.get("GITHUB_TOKEN"))
    if dry_run and not has_token:
        note("no GITHUB_TOKEN: planning as if no escalation issue were open yet")
    settings = Settings.from_env() if has_token or not dry_run else None
    gh = GitHub(settings) if settings else None
    links = _links(ctx)
    outcome = service.run(ctx.tracker, gh, ctx.now, links, apply=not dry_run, report=note)
    left_out(ctx.tracker, "left out (their escalation issues are left as they are)")
    if as_json:
        emit_json([{"step": a.step.value, "ticket": a.ticket_id, "issue": a.number,
                    "level": a.want.level if a.want else None, "title": a.want.title if a.want else None}
                   for a in outcome.actions])  # fmt: skip
    elif dry_run:
        for action in outcome.actions:
            click.echo(service.describe(action))
    counts = {
        s: sum(1 for a in outcome.actions if a.step == s) for s in ("create", "rise", "update", "close")
    }
    verb = "would " if dry_run else ""
    note(f"{outcome.issues_seen} open escalation issue(s) found; {verb}create {counts['create']}, "
         f"raise {counts['rise']}, update {counts['update']}, close {counts['close']}")  # fmt: skip


def _links(ctx: Context) -> Links:
    from gitdesk.escalation import Links

    site = ctx.tracker.config.sections.get("site")
    url = site.get("url") if isinstance(site, dict) else None
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    branch = os.environ.get("GITHUB_REF_NAME") or "main"
    if not url and "/" in repository:
        owner, name = repository.split("/", 1)
        url = f"https://{owner}.github.io/{name}"
    files = f"{server}/{repository}/blob/{branch}" if repository else None
    return Links(site=str(url) if url else None, files=files)

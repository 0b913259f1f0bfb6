"""Commands that set up and keep a tracker in shape: init, validate, fmt, renumber."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitdesk.cli.context import Context, bulk, emit_json, note, pass_ctx
from gitdesk.errors import Problem

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from gitdesk.frontmatter import Document


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, force: bool) -> None:
    """Set up a tracker: tickets/config.yml, templates, kb/ and canned replies.

    Existing files are kept unless --force is given.

    \b
    Example:
      gitdesk init my-helpdesk
      cd my-helpdesk && gitdesk new --title "First ticket" --type question --priority P4
    """
    from importlib import resources

    scaffold = resources.files("gitdesk") / "scaffold"
    written, kept = [], []
    for source, rel in _walk(scaffold, ""):
        target = directory / rel
        if target.exists() and not force:
            kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        written.append(rel)
    for rel in written:
        click.echo(f"created {rel}")
    if kept:
        note(f"kept {len(kept)} existing file(s) (use --force to overwrite): {', '.join(kept)}")


def _walk(folder: Traversable, prefix: str) -> list[tuple[Traversable, str]]:
    out = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        rel = f"{prefix}{item.name}"
        if item.is_dir():
            out.extend(_walk(item, rel + "/"))
        elif item.name != "__init__.py" and not item.name.endswith(".pyc"):
            out.append((item, rel.replace("dot-", ".", 1) if rel.startswith("dot-") else rel))
    return out


def _github(problem: Problem) -> str:
    def esc(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    where = f"file={esc(problem.path, True)}" + (f",line={problem.line}" if problem.line else "")
    return f"::{problem.severity} {where}::{esc(problem.message)}"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", metavar="REF", help="Also check changes since REF: transitions, history, new IDs.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@pass_ctx
@bulk
def validate(ctx: Context, paths: tuple[str, ...], base: str | None, fmt: str) -> None:
    """Check tickets and the config; print every problem as path:line: message.

    Exit code 0 when clean, 1 when there are problems.

    \b
    Examples:
      gitdesk validate
      gitdesk validate tickets/T-42-vpn-drops.md
      gitdesk validate --base origin/main --format github     # in a pull request check
    """
    from gitdesk import checks

    def progress(done: int, total: int) -> None:
        if total >= 5000 and fmt == "text":
            note(f"read {done:,} of {total:,} tickets")

    count, problems = checks.run(ctx.tracker, ctx.now, paths, base, progress)
    if fmt == "json":
        emit_json([{"path": p.path, "line": p.line, "message": p.message, "severity": p.severity}
                   for p in problems])  # fmt: skip
    for p in problems if fmt != "json" else ():
        click.echo(_github(p) if fmt == "github" else p.render())
    files = len({p.path for p in problems})
    summary = f"{count} ticket(s) checked: " + (
        f"{len(problems)} problem(s) in {files} file(s)" if problems else "all valid"
    )
    note(summary)
    ctx_exit(1 if problems else 0)


def ctx_exit(code: int) -> None:
    click.get_current_context().exit(code)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing; list files not in canonical form and exit 1 if any.",
)
@pass_ctx
def fmt(ctx: Context, paths: tuple[str, ...], check: bool) -> None:
    """Rewrite ticket files into the canonical form (docs/format.md).

    \b
    Examples:
      gitdesk fmt --check      # in CI
      gitdesk fmt tickets/T-42-vpn-drops.md
    """
    from gitdesk import store
    from gitdesk.frontmatter import canonical

    tracker = ctx.tracker
    wanted = {Path(p).resolve() for p in paths}
    untouched, changed, broken = 0, [], []
    for rel in store.names(tracker.root):
        path = tracker.root / rel
        if wanted and not any(path == w or w in path.parents for w in wanted):
            continue
        text = store.read_text(path, rel)
        _, doc, data = store.parse(rel, text)
        if doc is None or not isinstance(data, dict):
            broken.append(rel)
            continue
        body = doc.body if doc.body.endswith("\n") or not doc.body else doc.body + "\n"
        wanted_text = f"---\n{canonical(data)}---\n{body}"
        if wanted_text == text:
            untouched += 1
            continue
        changed.append(rel)
        if not check:
            tracker.rewrite(rel, partial(_reformat, body=body))
    for rel in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {rel}")
    for rel in broken:
        note(f"{rel}: skipped, it does not parse (see gitdesk validate)")
    note(f"{len(changed)} file(s) {'to reformat' if check else 'reformatted'}, {untouched} already canonical")
    if (check and changed) or broken:
        ctx_exit(1)


def _reformat(doc: Document, data: dict[str, object], body: str) -> Document:
    from gitdesk.frontmatter import Document, canonical

    return Document(canonical(data), body)


@click.command()
@click.argument("target", metavar="ID|PATH")
@click.option("--to", "new_id", metavar="ID", help="The new ID (default: the next free one).")
@click.option("--base", metavar="REF", help="On an ID collision, renumber the ticket that is not on REF.")
@pass_ctx
def renumber(ctx: Context, target: str, new_id: str | None, base: str | None) -> None:
    """Give a ticket a new ID (after two branches picked the same one).

    Renames the file, rewrites its id, and updates references (related,
    duplicate_of, mentions in descriptions) in other tickets.

    \b
    Examples:
      gitdesk renumber tickets/T-41-printer-jams.md
      gitdesk renumber T-41 --base origin/main
    """
    from gitdesk import renumber as service

    rel = service.pick(ctx.tracker, target, base)
    done = service.renumber(ctx.tracker, rel, new_id, base)
    click.echo(f"{done.old_id} -> {done.new_id}")
    note(f"renamed {done.old_path} -> {done.new_path}")
    for other in done.updated:
        note(f"updated references in {other}")

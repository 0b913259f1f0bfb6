"""The only module that talks to Git (through GitPython)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gitdesk.errors import GitdeskError

TICKETS = "tickets"


def _repo(root: Path) -> Any:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def _run(repo: Any, *args: str) -> str:
    import git

    try:
        return str(repo.git.execute(["git", *args]))
    except git.GitCommandError as err:
        raise GitdeskError(f"git {' '.join(args)} failed: {err.stderr.strip() or err}") from None


def _prefix(repo: Any, root: Path) -> str:
    """tickets/ as a path from the repository's top (the tracker may sit in a subfolder)."""
    rel = root.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    return f"{rel}/{TICKETS}" if rel != "." else TICKETS


def ticket_names_on_branches(root: Path) -> set[str]:
    """File names under tickets/ on every local and remote-tracking branch (no checkout)."""
    repo = _repo(root)
    if repo is None:
        return set()
    commits = _run(repo, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes")
    prefix = _prefix(repo, root)
    specs = [f"{c}:{prefix}" for c in set(commits.split())]
    if not specs:
        return set()
    # One rev-parse for all branches; branches that share a tickets/ tree are read once.
    trees = set()
    for spec in specs:
        try:
            trees.add(_run(repo, "rev-parse", "--verify", "--quiet", spec))
        except GitdeskError:
            continue
    names: set[str] = set()
    for tree in trees:
        listing = _run(repo, "ls-tree", "-r", "--name-only", tree)
        names.update(line.rsplit("/", 1)[-1] for line in listing.splitlines())
    return names


def paths_at(root: Path, ref: str) -> list[str]:
    """Ticket file paths (relative to the tracker root) at a commit-ish."""
    repo = _require(root)
    prefix = _prefix(repo, root)
    listing = _run(repo, "ls-tree", "-r", "--name-only", _commit(repo, ref), "--", f"{prefix}/")
    strip = len(prefix) - len(TICKETS)
    return [line[strip:] for line in listing.splitlines() if line.endswith(".md")]


def read_at(root: Path, ref: str, rel: str) -> str | None:
    """A file's text at a commit-ish, or None if it does not exist there."""
    repo = _require(root)
    prefix = _prefix(repo, root)
    path = f"{prefix[: len(prefix) - len(TICKETS)]}{rel}"
    import git

    try:
        raw = repo.git.execute(["git", "show", f"{_commit(repo, ref)}:{path}"], stdout_as_string=False)
    except git.GitCommandError:
        return None
    return bytes(raw).decode("utf-8", errors="replace")


def changed_since(root: Path, ref: str) -> list[tuple[str | None, str | None]]:
    """(old path, new path) of ticket files that differ between ref and the working tree.

    Includes untracked files; a rename is one pair, an addition has no old path.
    """
    repo = _require(root)
    prefix = _prefix(repo, root)
    strip = len(prefix) - len(TICKETS)
    out = _run(repo, "diff", "--name-status", "-M", _commit(repo, ref), "--", f"{prefix}/")
    pairs: list[tuple[str | None, str | None]] = []
    for line in out.splitlines():
        parts = line.split("\t")
        status = parts[0][:1]
        if status == "R":
            pairs.append((parts[1][strip:], parts[2][strip:]))
        elif status == "A":
            pairs.append((None, parts[1][strip:]))
        elif status == "D":
            pairs.append((parts[1][strip:], None))
        else:
            pairs.append((parts[1][strip:], parts[1][strip:]))
    untracked = _run(repo, "ls-files", "--others", "--exclude-standard", "--", f"{prefix}/")
    pairs.extend((None, line[strip:]) for line in untracked.splitlines())
    return [(o, n) for o, n in pairs if (o or n or "").endswith(".md")]


def _commit(repo: Any, ref: str) -> str:
    try:
        return str(_run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"))
    except GitdeskError:
        raise GitdeskError(f"'{ref}' is not a commit, branch or tag in this repository") from None


def _require(root: Path) -> Any:
    repo = _repo(root)
    if repo is None:
        raise GitdeskError(f"{root} is not inside a Git repository (needed for this command)")
    return repo


def identity(root: Path) -> tuple[str | None, str | None]:
    """git config user.name and user.email, if set."""
    repo = _repo(root)
    if repo is None:
        return None, None
    reader = repo.config_reader()
    name = reader.get_value("user", "name", default="") or None
    email = reader.get_value("user", "email", default="") or None
    return (str(name) if name else None, str(email) if email else None)


def commit(root: Path, paths: list[Path], message: str) -> str:
    """Commit exactly `paths` (nothing else that is staged). Returns the short hash."""
    repo = _require(root)
    files = [str(p.resolve()) for p in paths]
    _run(repo, "add", "--", *files)
    _run(repo, "commit", "--quiet", "-m", message, "--", *files)
    return _run(repo, "rev-parse", "--short", "HEAD")


def switch_new_branch(root: Path, branch: str) -> None:
    repo = _require(root)
    if not re.match(r"^[A-Za-z0-9._/-]+$", branch):
        raise GitdeskError(f"'{branch}' is not a usable branch name")
    _run(repo, "switch", "-c", branch)

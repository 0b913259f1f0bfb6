"""The only module that talks to Git (through GitPython)."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
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


def highest_on_branches(root: Path, prefix: str, memo: MutableMapping[str, object]) -> tuple[int, set[str]]:
    """The highest ticket number `<prefix>-N` under tickets/ on every local and
    remote-tracking branch (no checkout), and the memo keys this used.

    Trees are read raw through GitPython's one persistent `git cat-file --batch`.
    A tree never changes, so `memo` keeps each tree's highest number by its id
    (the caller keeps it between runs): only trees new since the last run are read.
    """
    repo = _repo(root)
    if repo is None:
        return 0, set()
    commits = set(_run(repo, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes").split())
    parts = _prefix(repo, root).split("/")
    pattern = re.compile(rf"{re.escape(prefix)}-([1-9][0-9]*)(?:-.*)?\.md")
    used: set[str] = set()
    best = 0
    for commit in commits:
        tree = _subtree(repo, _commit_tree(repo, bytes.fromhex(commit)), parts)
        if tree is not None:
            best = max(best, _highest_in(repo, tree, pattern, f"{prefix}:", memo, used))
    return best, used


def _highest_in(
    repo: Any,
    tree: bytes,
    pattern: re.Pattern[str],
    tag: str,
    memo: MutableMapping[str, object],
    used: set[str],
) -> int:
    key = tag + tree.hex()
    used.add(key)
    found = memo.get(key)
    if isinstance(found, int):
        return found
    best = 0
    for mode, name, sha in _entries(_read(repo, tree)):
        if mode == b"40000":
            best = max(best, _highest_in(repo, sha, pattern, tag, memo, used))
        elif match := pattern.fullmatch(name.decode("utf-8", "replace")):
            best = max(best, int(match.group(1)))
    memo[key] = best
    return best


def _read(repo: Any, sha: bytes) -> bytes:
    return bytes(repo.odb.stream(sha).read())


def _commit_tree(repo: Any, commit: bytes) -> bytes:
    header = _read(repo, commit).split(b"\n", 1)[0]  # "tree <hex>"
    return bytes.fromhex(header[5:].decode())


def _entries(raw: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """(mode, name, sha) of a raw tree object: `<mode> <name>\\0<20-byte sha>`..."""
    out = []
    i = 0
    while i < len(raw):
        space = raw.index(b" ", i)
        nul = raw.index(b"\0", space)
        out.append((raw[i:space], raw[space + 1 : nul], raw[nul + 1 : nul + 21]))
        i = nul + 21
    return out


def _subtree(repo: Any, tree: bytes, parts: list[str]) -> bytes | None:
    for part in parts:
        found = [
            sha
            for mode, name, sha in _entries(_read(repo, tree))
            if name == part.encode() and mode == b"40000"
        ]
        if not found:
            return None
        tree = found[0]
    return tree


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

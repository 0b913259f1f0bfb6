"""Ticket files on disk: discovery, safe reading, the parse cache, locked atomic writes."""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gitdesk import __version__
from gitdesk.errors import GitdeskError, Problem
from gitdesk.frontmatter import Document, FrontMatterError, load, split
from gitdesk.schema import ticket_from_mapping
from gitdesk.splice import line_of
from gitdesk.ticket import Ticket

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; writes are then unlocked
    fcntl = None  # type: ignore[assignment]

MAX_BYTES = 1_000_000
TICKETS = "tickets"
SKIP_DIRS = frozenset({"templates"})
# A file changed this close to the cache write may share its mtime with a later
# edit on a coarse-grained file system; such entries are never trusted.
RACY_NS = 2_000_000_000
# Bump when what the cache holds changes shape; a cache with another tag is ignored.
CACHE_TAG = f"{__version__}/4"
CHUNK = 2000  # cache entries per pickle


@dataclass(frozen=True, slots=True)
class Loaded:
    """One ticket file as read: the ticket (None if unusable) and its parse problems."""

    path: str
    ticket: Ticket | None
    problems: tuple[Problem, ...] = ()


def read_text(path: Path, rel: str) -> str:
    """A ticket file's text, refusing huge files and bytes that are not UTF-8."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FrontMatterError(
            f"the file is {size:,} bytes; a ticket may be at most {MAX_BYTES:,} "
            "(move attachments out and link to them)",
            1,
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise FrontMatterError(
            f"byte {err.start} is not UTF-8 ({raw[err.start : err.start + 1]!r}); save the file as UTF-8",
            line,
        ) from None


def parse(rel: str, text: str) -> tuple[Loaded, Document | None, object]:
    """Parse a ticket file's text; problems carry file line numbers."""
    try:
        doc = split(text)
        data = load(doc.front)
    except FrontMatterError as err:
        return Loaded(rel, None, (Problem(rel, str(err), line=err.line),)), None, None
    if not isinstance(data, dict):
        problem = Problem(rel, "the front matter must be a mapping of fields (id: T-1, ...)", line=2)
        return Loaded(rel, None, (problem,)), doc, data
    ticket, found = ticket_from_mapping(rel, data, doc.body)
    problems = tuple(Problem(rel, message, loc, line_of(doc.front, data, loc)) for loc, message in found)
    return Loaded(rel, ticket, problems), doc, data


def load_file(root: Path, rel: str) -> Loaded:
    try:
        text = read_text(root / rel, rel)
    except FrontMatterError as err:
        return Loaded(rel, None, (Problem(rel, str(err), line=err.line),))
    return parse(rel, text)[0]


def _entries(root: Path, wanted: Callable[[str], bool]) -> Iterator[os.DirEntry[str]]:
    """Ticket files under tickets/ (not templates/ or hidden folders) whose names pass `wanted`."""
    stack = [os.path.join(root, TICKETS)]
    while stack:
        folder = stack.pop()
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".md"):
                    if wanted(name) and entry.is_file(follow_symlinks=False):
                        yield entry
                elif name[:1] != "." and name not in SKIP_DIRS and entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)


def _rel(root: Path, entry: os.DirEntry[str]) -> str:
    return entry.path[len(str(root)) + 1 :].replace(os.sep, "/")


def discover(root: Path, stat: bool = True) -> list[tuple[str, os.stat_result | None]]:
    """Every ticket file, sorted by path, with its stat if asked."""
    found = [(_rel(root, e), e.stat() if stat else None) for e in _entries(root, lambda _: True)]
    found.sort()
    return found


def names(root: Path) -> list[str]:
    """Ticket file paths only: no stat, for lookups by ID and ID allocation."""
    return [rel for rel, _ in discover(root, stat=False)]


def find_by_id(root: Path, ticket_id: str) -> list[str]:
    """Paths of files named `<ID>-*.md` or `<ID>.md`, from names alone (no stat, no parsing)."""
    prefix, exact = f"{ticket_id}-", f"{ticket_id}.md"
    return sorted(_rel(root, e) for e in _entries(root, lambda n: n.startswith(prefix) or n == exact))


def _key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


class Cache:
    """Parsed tickets keyed by path and (size, mtime_ns, inode, ctime_ns).

    Lives inside .git (never committed, so a pull request cannot plant one).
    Entries for files modified within RACY_NS of the save are not kept, so an
    edit that leaves size and a coarse mtime unchanged is still re-read.
    """

    def __init__(self, path: Path | None, tag: str = "") -> None:
        self.path = path
        self.tag = f"{CACHE_TAG}/{tag}"
        self.entries: dict[str, tuple[tuple[int, int, int, int], Loaded]] = {}
        self.dirty = False
        if path is not None:
            with contextlib.suppress(Exception), path.open("rb") as handle:
                if pickle.load(handle) == self.tag:  # noqa: S301  (our own file in .git)
                    entries: dict[str, tuple[tuple[int, int, int, int], Loaded]] = {}
                    with contextlib.suppress(EOFError):
                        while True:
                            entries.update(pickle.load(handle))  # noqa: S301
                    self.entries = entries

    def get(self, rel: str, st: os.stat_result) -> Loaded | None:
        hit = self.entries.get(rel)
        return hit[1] if hit and hit[0] == _key(st) else None

    def put(self, rel: str, st: os.stat_result, loaded: Loaded) -> None:
        self.entries[rel] = (_key(st), loaded)
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        if self.path is None or not (self.dirty or keep != set(self.entries)):
            return
        fresh = time.time_ns() - RACY_NS
        entries = {r: e for r, e in self.entries.items() if r in keep and e[0][1] < fresh}
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Straight to a temporary file: no second copy of the cache in memory.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tickets.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    # In chunks, clearing the memo between them: one pickle's memo holds
                    # every object written, a third of the peak memory at 100k tickets.
                    # Each dump stands alone (memo cleared), so each is read by its own load.
                    pickler = pickle.Pickler(handle, protocol=5)
                    pickler.dump(self.tag)
                    items = list(entries.items())
                    for start in range(0, len(items), CHUNK):
                        pickler.clear_memo()
                        pickler.dump(items[start : start + CHUNK])
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)


def cache_path(root: Path) -> Path | None:
    override = os.environ.get("GITDESK_CACHE_DIR")
    if override:
        return Path(override) / "tickets.pickle"
    git_dir = root / ".git"
    return git_dir / "gitdesk" / "tickets.pickle" if git_dir.is_dir() else None


def load_all(
    root: Path,
    prepare: Callable[[Loaded], Loaded] = lambda loaded: loaded,
    tag: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> list[Loaded]:
    """Every ticket under root, parsed, passed through `prepare`, or served from the cache.

    `prepare` runs once per parsed file before it is cached (the tracker checks the
    ticket and keeps a light copy); `tag` names everything `prepare` depends on,
    so a cache written under another tag is not used.
    """
    cache = Cache(cache_path(root), tag)
    files = discover(root)
    out = []
    for n, (rel, st) in enumerate(files, 1):
        assert st is not None
        loaded = cache.get(rel, st)
        if loaded is None:
            loaded = prepare(load_file(root, rel))
            cache.put(rel, st, loaded)
        out.append(loaded)
        if progress and n % 1000 == 0:
            progress(n, len(files))
    cache.save({rel for rel, _ in files})
    return out


# --- writing -----------------------------------------------------------------


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file that writers replace by rename.

    The lock is on the inode; after a rename the path names a new inode, so a
    waiter re-checks and locks again until what it holds is what the path names.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    while True:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise GitdeskError(f"{path}: the file disappeared while waiting to write it") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked_dir(folder: Path) -> Iterator[None]:
    """Serialize ID allocation in one tickets folder."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def create_exclusive(path: Path, text: str) -> None:
    """Create a new file; refuse if it exists (another writer got there first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.link(tmp, path)  # atomic, and fails if the name is taken
    finally:
        os.unlink(tmp)

"""Ticket files on disk: discovery, safe reading, the parse cache, locked atomic writes."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import sys
import time
import zlib
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from gitdesk import __version__
from gitdesk.errors import FrontMatterError, GitdeskError, Problem
from gitdesk.ticket import Ticket, micros, moment_of

if TYPE_CHECKING:
    from gitdesk.frontmatter import Document

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
CACHE_TAG = f"{__version__}/7"


class Loaded(NamedTuple):
    """One ticket file as read: the ticket (None if unusable), its problems and its cache key.

    `extra` is what a shelf keeps beside the ticket, if anything (the SLA shelf
    keeps the ticket's plan: see Tracker.sla).
    """

    path: str
    ticket: Ticket | None
    problems: tuple[Problem, ...] = ()
    key: Key | None = None
    extra: object = None


def read_text(path: Path, rel: str) -> str:
    """A ticket file's text, refusing huge files and bytes that are not UTF-8.

    One open, fstat and read: at 10k cold files the path-level stat and the
    file object that Path.read_bytes makes were a tenth of the parse time.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size > MAX_BYTES:
            raise FrontMatterError(
                f"the file is {size:,} bytes; a ticket may be at most {MAX_BYTES:,} "
                "(move attachments out and link to them)",
                1,
            )
        raw = os.read(fd, size + 1)  # a regular file reads short only at its end
        if len(raw) > size:  # it grew since the fstat: read on, within the cap
            chunks = [raw]
            while chunks[-1] and sum(map(len, chunks)) <= MAX_BYTES:
                chunks.append(os.read(fd, 65536))
            raw = b"".join(chunks)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise FrontMatterError(f"the file is over {MAX_BYTES:,} bytes; a ticket may be at most that", 1)
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
    # Imported here: a run served from the cache never needs YAML.
    from gitdesk.frontmatter import load, split
    from gitdesk.schema import ticket_from_mapping
    from gitdesk.splice import line_of

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


def _folders_of(root: Path) -> Iterator[tuple[str, str, list[str]]]:
    """Each folder that may hold tickets (not templates/ or hidden folders) under tickets/:
    its path, its path from root (ending in /), and the names of the ticket files in it."""
    stack = [(os.path.join(root, TICKETS), f"{TICKETS}/")]
    while stack:
        folder, prefix = stack.pop()
        files = []
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".md"):
                    if entry.is_file(follow_symlinks=False):
                        files.append(name)
                elif _may_hold_tickets(name) and entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{name}/"))
        yield folder, prefix, files


def _may_hold_tickets(name: str) -> bool:
    """Whether a folder of this name is walked for tickets (not templates/, not hidden)."""
    return name[:1] != "." and name not in SKIP_DIRS


def names(root: Path) -> list[str]:
    """Ticket file paths only, sorted: no stat, for lookups by ID and ID allocation."""
    return sorted(prefix + name for _, prefix, files in _folders_of(root) for name in files)


def find_by_id(root: Path, ticket_id: str) -> list[str]:
    """Paths of files named `<ID>-*.md` or `<ID>.md`, from names alone (no parsing).

    A path found alone is remembered by its ID and trusted while the file is
    still there and git's index tracks no other file with that ID. So a folder
    changed by an edit, a `move`, a new ticket or a commit is not listed again
    to find a known ticket (at 100k tickets in one folder, listing it was most
    of a `gitdesk move`). A duplicate ID that git brings in (merge, pull,
    checkout, add) is in the index and is found; one made by copying a file by
    hand is left to `gitdesk validate`, which reads every name.
    """
    known = shelf(root, "ids.v2", "")
    hint = known.get(ticket_id, NO_FILE)
    index = _index_key(root)
    if isinstance(hint, tuple) and _is_ticket_file(os.path.join(root, hint[0])):
        path, checked = hint  # checked: the index's key when it last tracked no other file
        if checked == index:
            return [path]
        if _tracks_only(root, ticket_id, path):
            _remember(known, ticket_id, path, index)
            return [path]
    found = _listed(root, ticket_id)
    if len(found) == 1:
        _remember(known, ticket_id, found[0], index)
    return found


IDS_KEPT = 1024  # ticket IDs whose path find_by_id remembers


def _remember(known: Shelf, ticket_id: str, path: str, index: str) -> None:
    if known.path is None:
        return
    known.entries.pop(ticket_id, None)  # re-put last: the oldest go first
    known.put(ticket_id, NO_FILE, (path, index))
    known.save(list(known.entries)[-IDS_KEPT:])


def _index_key(root: Path) -> str:
    """Names the state of git's index (git rewrites it whole, under a new inode)."""
    try:
        return "-".join(map(str, _key(os.stat(os.path.join(root, ".git", "index")))))
    except OSError:
        return "none"


def _tracks_only(root: Path, ticket_id: str, path: str) -> bool:
    """Whether git's index tracks no file named for `ticket_id` other than `path`.

    The index of a plain repository (format 2 or 3) holds every tracked path
    whole, each ended by a NUL byte, so counting byte strings answers it: every
    `/<ID>-` or `/<ID>.md` in it must be part of `path` (a path elsewhere with
    that ID, or a folder so named, only makes this say no). Reading and
    counting took 17-37 ms at 100k tickets, listing the folder 70-100 ms. Other
    formats (4 compresses paths; a split index keeps most of them elsewhere)
    say no.
    """
    git = os.path.join(root, ".git")
    try:
        fd = os.open(os.path.join(git, "index"), os.O_RDONLY)
    except FileNotFoundError:
        return True  # git tracks nothing yet
    except OSError:
        return False
    try:
        data = os.read(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    if data[:4] != b"DIRC" or data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        return False
    if any(name.startswith("sharedindex.") for name in os.listdir(git)):
        return False
    name = ticket_id.encode()
    hits = data.count(b"/" + name + b"-") + data.count(b"/" + name + b".md\0")
    if hits == 0:
        return True
    # `path` itself, as an entry's whole name: after the two bytes of flags that end
    # in its length (not the tail of a longer path like tickets/sub/<path>).
    whole, size, own = path.encode() + b"\0", min(len(path.encode()), 0xFFF), 0
    at = data.find(whole)
    while at >= 2:
        own += int.from_bytes(data[at - 2 : at], "big") & 0xFFF == size
        at = data.find(whole, at + 1)
    return hits == own


def _is_ticket_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def _listed(root: Path, ticket_id: str) -> list[str]:
    """find_by_id by the folders' listings.

    Each folder's listing is searched as one string, and kept in the cache under
    the folder's own key (size, mtime_ns, inode, ctime_ns): adding, removing or
    renaming a file changes the folder's mtime, so a kept listing serves only an
    unchanged folder (and, as for tickets, one changed within 2 s of the save is
    not kept). Listing 100k names took a third of a `gitdesk show` here.
    """
    top = os.path.join(root, TICKETS)
    try:  # the tag names the top folder's key: a stale file is rejected by its header alone
        tag = "-".join(map(str, _key(os.stat(top))))
    except OSError:
        return []
    listings = shelf(root, "names.v1", tag)
    found: list[str] = []
    seen: list[str] = []
    stack = [(top, f"{TICKETS}/")]
    while stack:
        folder, prefix = stack.pop()
        try:
            key = _key(os.stat(folder))
        except OSError:
            continue
        kept = listings.get(prefix, key)
        if isinstance(kept, tuple):
            text, folders = kept
        else:
            try:
                entries = os.listdir(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            text = "\n" + "\n".join(entries) + "\n"
            folders = _folders(folder, entries) if text.count(".md\n") != len(entries) else ()
            if key[1] < time.time_ns() - RACY_NS:  # a folder changed just now is not kept
                listings.put(prefix, key, (text, folders))
        seen.append(prefix)
        for needle in (f"\n{ticket_id}-", f"\n{ticket_id}.md\n"):
            at = text.find(needle)
            while at >= 0:
                name = text[at + 1 : text.index("\n", at + 1)]
                path = os.path.join(folder, name)
                if name.endswith(".md") and _is_ticket_file(path):
                    found.append(prefix + name)
                at = text.find(needle, at + 1)
        stack.extend((os.path.join(folder, name), f"{prefix}{name}/") for name in folders)
    listings.save(seen)
    return sorted(found)


def _folders(folder: str, entries: list[str]) -> tuple[str, ...]:
    """The sub-folders `_folders_of` would walk into, among a folder's entries."""
    return tuple(
        name
        for name in entries
        if not name.endswith(".md")
        and _may_hold_tickets(name)
        and os.path.isdir(os.path.join(folder, name))
        and not os.path.islink(os.path.join(folder, name))
    )


Key = tuple[int, int, int, int]
NO_FILE: Key = (0, 0, 0, 0)  # the key of shelf entries that belong to no ticket file


def _key(st: os.stat_result) -> Key:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def stat_all(root: Path) -> list[tuple[str, Key]]:
    """Every ticket file with its cache key, sorted by path (one stat per file).

    Each file is stat'ed by name within its open folder: at 10k files that took
    15% less time than stat'ing by the whole path. A file removed meanwhile is left out.
    """
    found: list[tuple[str, Key]] = []
    stat, by_fd = os.stat, os.stat in os.supports_dir_fd
    for folder, prefix, files in _folders_of(root):
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if by_fd else None
        except OSError:
            continue
        try:
            for name in files:
                try:
                    st = stat(name if by_fd else os.path.join(folder, name), dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                found.append((prefix + name, (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)))
        finally:
            if fd is not None:
                os.close(fd)
    found.sort()
    return found


class Shelf:
    """Values derived from ticket files, each kept with its file's key: (size, mtime_ns, inode, ctime_ns).

    A value is served only while its file's key is unchanged, so an edit is
    never missed; and values for files modified within RACY_NS of a save are
    not kept, so an edit that leaves size and a coarse mtime unchanged is
    still seen. On disk it is one marshal payload (plain tuples, strings and
    numbers load several times faster than pickled objects) behind a header
    with a tag and a checksum: a file with another tag, a torn write or any
    other damage is ignored. It lives inside .git, never committed, so a pull
    request cannot plant one.
    """

    MAGIC = b"gitdesk shelf 1\n"

    def __init__(self, path: Path | None, tag: str) -> None:
        self.path = path
        self.tag = f"{CACHE_TAG}/py{sys.version_info[0]}.{sys.version_info[1]}/{tag}".encode()
        self.entries: dict[str, tuple[Key, object]] = {}
        self.dirty = False
        if path is not None:
            with contextlib.suppress(Exception):
                self.entries = self._read(path)

    def _read(self, path: Path) -> dict[str, tuple[Key, object]]:
        head = self.MAGIC + self.tag + b"\n"
        with path.open("rb") as handle:
            if handle.read(len(head)) != head:  # another tag: the payload is not even read
                return {}
            raw = handle.read()
        # A view, not a copy: at 100k tickets the payload is tens of MB.
        digest, payload = raw[:CHECK], memoryview(raw)[CHECK:]
        if _checksum(payload) != digest:
            return {}
        entries = marshal.loads(payload)  # noqa: S302  (our own file in .git, checksummed)
        return entries if isinstance(entries, dict) else {}

    def get(self, rel: str, key: Key) -> object | None:
        hit = self.entries.get(rel)
        return hit[1] if hit is not None and hit[0] == key else None

    def values(self) -> dict[str, object]:
        """Every entry's value by name, whatever its key (for entries kept under NO_FILE)."""
        return {rel: value for rel, (_, value) in self.entries.items()}

    def put(self, rel: str, key: Key, value: object) -> None:
        self.entries[rel] = (key, value)
        self.dirty = True

    def save(self, keep: Collection[str] | None = None) -> None:
        """Write the entries for `keep` (all if None) that are not racy, if anything changed
        or some entry is not in `keep`; a failed write is ignored."""
        if self.path is None:
            return
        if keep is not None and any(rel not in keep for rel in self.entries):
            self.dirty = True  # entries of files that are gone
        if not self.dirty:
            return
        fresh = time.time_ns() - RACY_NS
        entries = {
            rel: entry
            for rel, entry in self.entries.items()
            if entry[0][1] < fresh and (keep is None or rel in keep)
        }
        try:
            payload = marshal.dumps(entries, 4)
        except ValueError:  # a value marshal cannot hold: keep the others
            entries = {rel: e for rel, e in entries.items() if _marshallable(e)}
            payload = marshal.dumps(entries, 4)
        digest = _checksum(payload)
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = temporary(self.path)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(self.MAGIC + self.tag + b"\n" + digest)
                    handle.write(payload)
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        self.dirty = False


CHECK = 8  # bytes of checksum after a shelf's header


def _checksum(payload: bytes | memoryview) -> bytes:
    """CRC-32 and Adler-32: catches a torn or damaged file (a shelf is not a security boundary)."""
    return zlib.crc32(payload).to_bytes(4, "big") + zlib.adler32(payload).to_bytes(4, "big")


def _marshallable(value: object) -> bool:
    try:
        marshal.dumps(cast(Any, value), 4)
    except ValueError:
        return False
    return True


def cache_dir(root: Path) -> Path | None:
    """Where derived data is kept: $GITDESK_CACHE_DIR, else .git/gitdesk (None outside git)."""
    override = os.environ.get("GITDESK_CACHE_DIR")
    if override:
        return Path(override)
    git_dir = root / ".git"
    return git_dir / "gitdesk" if git_dir.is_dir() else None


def shelf(root: Path, name: str, tag: str) -> Shelf:
    folder = cache_dir(root)
    return Shelf(folder / name if folder else None, tag)


# --- the parsed-ticket cache: light tickets as plain tuples ---------------------

_FIELDS = Ticket._fields
_CREATED, _HISTORY, _UPDATED = (_FIELDS.index(f) for f in ("created", "history", "updated"))


def _time(moment: datetime | None) -> int | None:
    return None if moment is None else micros(moment)


def pack(loaded: Loaded) -> tuple[object, ...]:
    """A light Loaded (no history) as plain values: the ticket's fields in order, with its
    times as microseconds since the epoch, its problems, and its `extra` if it has one
    (which must be plain values too)."""
    t = loaded.ticket
    problems = tuple((p.path, p.message, p.loc, p.line, p.severity) for p in loaded.problems)
    tail = () if loaded.extra is None else (loaded.extra,)
    if t is None:
        return (None, problems, *tail)
    fields = list(t)
    fields[_CREATED], fields[_HISTORY], fields[_UPDATED] = _time(t.created), (), _time(t.updated)
    return (tuple(fields), problems, *tail)


def unpack(rel: str, key: Key, value: object) -> Loaded:
    packed = cast(tuple[Any, ...], value)
    fields, problems = packed[0], packed[1]
    ticket = None
    if fields is not None:
        fields = list(fields)
        created, updated = fields[_CREATED], fields[_UPDATED]  # whole seconds, nearly always
        if created is not None:
            fields[_CREATED] = _at(created // _S, UTC) if not created % _S else moment_of(created)
        if updated is not None:
            fields[_UPDATED] = _at(updated // _S, UTC) if not updated % _S else moment_of(updated)
        ticket = _new(Ticket, fields)
    found = tuple(Problem(*p) for p in problems) if problems else ()
    extra = packed[2] if len(packed) > 2 else None
    return _new(Loaded, (rel, ticket, found, key, extra))  # type: ignore[no-any-return]


_new: Any = tuple.__new__  # builds a NamedTuple in C, without its Python __new__
_at, _S = datetime.fromtimestamp, 1_000_000  # moment_of, inlined for whole seconds


def load_all(
    root: Path,
    cache: Shelf,
    prepare: Callable[[Loaded], Loaded] = lambda loaded: loaded,
    progress: Callable[[int, int], None] | None = None,
) -> list[Loaded]:
    """Every ticket under root, parsed and passed through `prepare`, or served from `cache`.

    `prepare` runs once per parsed file and must return a light Loaded (no
    history: the cache does not hold histories); the cache's tag must name
    everything `prepare` depends on. The cache gets the files parsed; saving
    it (`cache.save(paths)`, to drop files that are gone) is the caller's.
    """
    with no_gc():
        files = stat_all(root)
        out = []
        kept = cache.entries.get  # Shelf.get, inlined: this loop runs once per ticket
        for n, (rel, key) in enumerate(files, 1):
            hit = kept(rel)
            if hit is not None and hit[0] == key:
                out.append(unpack(rel, key, hit[1]))
            else:
                out.append(refresh(root, cache, rel, key, prepare))
            if progress and n % 1000 == 0:
                progress(n, len(files))
    return out


def refresh(root: Path, cache: Shelf, rel: str, key: Key, prepare: Callable[[Loaded], Loaded]) -> Loaded:
    """Parse one file, pass it through `prepare` and keep it in `cache` under its `key` (see `load_all`)."""
    loaded = prepare(load_file(root, rel))._replace(key=key)
    cache.put(rel, key, pack(loaded))
    return loaded


@contextlib.contextmanager
def no_gc(resume: bool = True) -> Iterator[None]:
    """Pause the cycle collector while building many small objects that never form cycles.

    Without it, every few hundred new tuples trigger a collection that walks all
    the objects made so far: a third of the time of a warm load at 10k tickets.
    (Parsing leaves no cyclic garbage either: 1,000 parses with the collector off
    leave nothing for `gc.collect()` to find.) With `resume` off, the collector
    stays off afterwards, for a process about to end.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was and resume:
            gc.enable()


# --- writing -----------------------------------------------------------------


def temporary(path: Path) -> tuple[int, str]:
    """A new file `.<name>.<random>.tmp` beside `path`, open for writing, readable by its owner only.

    What tempfile.mkstemp does, without importing tempfile and random (10 ms of
    a `gitdesk move`'s start-up under `python -X importtime`).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = temporary(path)
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
    fd, tmp = temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.link(tmp, path)  # atomic, and fails if the name is taken
    finally:
        os.unlink(tmp)

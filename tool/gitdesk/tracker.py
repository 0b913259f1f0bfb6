"""A tracker on disk: finds its root, loads config and tickets, applies verbs.

This is the one place that orchestrates the adapters (files, YAML, git) for
the front ends: the CLI, the SLA job and the site plugin all go through it.
"""

from __future__ import annotations

import contextlib
import os
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gitdesk import store
from gitdesk.config import Config, parse_config
from gitdesk.errors import FrontMatterError, GitdeskError, InvalidConfig, NotFound, Problem, UsageError
from gitdesk.ticket import ID_RE, Ticket, micros, moment_of, slugify, to_json

# YAML, splicing and validation are imported where they are used: a run served
# from the cache (list, sla) needs none of them.
if TYPE_CHECKING:
    from gitdesk.actions import Edit
    from gitdesk.businesstime import Calendar
    from gitdesk.frontmatter import Document
    from gitdesk.query import Filter
    from gitdesk.sla import Line, Sla, Timeline

CONFIG = "tickets/config.yml"
TREES_KEPT = 4096  # git trees whose highest ticket number is remembered (see highest_on_branches)


def clock(env: dict[str, str] | os._Environ[str] = os.environ) -> datetime:
    """GITDESK_NOW if set (ISO 8601 with a zone), else the current time."""
    value = env.get("GITDESK_NOW")
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"GITDESK_NOW='{value}' is not an ISO 8601 time like 2026-11-20T08:15:00Z") from None
    if moment.tzinfo is None:
        raise UsageError(f"GITDESK_NOW='{value}' has no time zone; add Z or an offset like +07:00")
    return moment


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds tickets/config.yml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG).is_file():
            return folder
    raise GitdeskError(f"no {CONFIG} in {start} or any folder above it; "
                       "run `gitdesk init` to set up a tracker here")  # fmt: skip


@dataclass
class Tracker:
    root: Path

    @classmethod
    def at(cls, start: Path) -> Tracker:
        return cls(find_root(start))

    @cached_property
    def config_text(self) -> str:
        try:
            return (self.root / CONFIG).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidConfig([Problem(CONFIG, "is not UTF-8; save it as UTF-8", line=1)]) from None

    @cached_property
    def config(self) -> Config:
        """The parsed config. Its YAML, read once, is kept in the cache under the text's digest."""
        kept = store.shelf(self.root, "config.v1", self.digest)
        data = kept.get(CONFIG, store.NO_FILE)
        if data is not None:
            with contextlib.suppress(InvalidConfig):
                return parse_config(data, CONFIG)
        from gitdesk.frontmatter import load_with_lines

        try:
            data, lines = load_with_lines(self.config_text)
        except FrontMatterError as err:
            raise InvalidConfig([Problem(CONFIG, str(err), line=err.line)]) from None
        try:
            config = parse_config(data, CONFIG)
        except InvalidConfig as err:
            raise InvalidConfig([_at_line(p, lines) for p in err.problems]) from None
        kept.put(CONFIG, store.NO_FILE, data)
        kept.save()
        return config

    # --- reading ---------------------------------------------------------------

    @cached_property
    def digest(self) -> str:
        """Names the config: everything cached from the tickets depends on it too."""
        raw = self.config_text.encode()
        return f"{len(raw)}-{zlib.crc32(raw):08x}-{zlib.adler32(raw):08x}"

    def load_all(
        self, progress: Callable[[int, int], None] | None = None, for_sla: bool = False
    ) -> list[store.Loaded]:
        """Every ticket file: checked on its own, kept light (see `_prepare`), cached.

        `for_sla` reads from (and keeps in) the SLA shelf instead, which holds
        each ticket beside its plan (see `sla`), so that `sla` reads one file;
        what the histories of the files parsed in this run say about their
        clocks is kept aside for it (see gitdesk.sla.Timeline).
        """
        self._timelines = {} if for_sla else None
        cache = self._sla_shelf() if for_sla else store.shelf(self.root, "tickets.v5", self.digest)
        found = store.load_all(self.root, cache, self._prepare, progress)
        self.loaded = {x.path: x for x in found}
        self.unreadable = [x.path for x in found if x.ticket is None]
        if for_sla:
            self._sla_cache = cache  # saved by `sla`, with the plans it makes
        else:
            cache.save(self.loaded)
        return found

    # Filled by load_all: the files by path (with their cache keys), and the SLA
    # timelines of the files parsed in that run, when asked.
    loaded: dict[str, store.Loaded] = field(default_factory=dict, init=False, repr=False)
    # The files of the last bulk read that gave no ticket (left out; `validate` says why).
    unreadable: list[str] = field(default_factory=list, init=False, repr=False)
    _timelines: dict[str, Timeline] | None = field(default=None, init=False, repr=False)
    _sla_cache: store.Shelf | None = field(default=None, init=False, repr=False)

    @cached_property
    def _holidays_stamp(self) -> str:
        """Names the installed holidays package (see calendars.stamp): found once per run."""
        from gitdesk import calendars

        return calendars.stamp()

    def _sla_shelf(self) -> store.Shelf:
        """Light tickets with their SLA plans. Plans depend on the config, on the
        holidays package and on the plan format."""
        from gitdesk import sla

        return store.shelf(self.root, "sla.v2", f"{self.digest}/{self._holidays_stamp}/{sla.FORMAT}")

    def _prepare(self, loaded: store.Loaded) -> store.Loaded:
        """Check a freshly parsed ticket (for the ticket shelf, which `validate` reads),
        then keep the light form bulk reads need.

        The body and history go (show and text search read the file; the SLA
        clocks keep their own plans); the derived fields (level, resolution,
        rating, updated) stay. This is what keeps 100k tickets within memory
        and the cache quick to load.
        """
        t = loaded.ticket
        if t is None:
            return loaded
        if self._timelines is not None:  # for the SLA shelf, whose problems nothing reads: not checked
            problems = loaded.problems
            if t.created is not None:
                from gitdesk.sla import timeline

                self._timelines[t.path] = timeline(t, self.config.workflow)
        else:
            from gitdesk.validate import check_ticket

            problems = (*loaded.problems, *check_ticket(t, self.config))
        light = t._replace(body="", present=frozenset(), history=())
        return store.Loaded(loaded.path, light, problems)

    def tickets(self, for_sla: bool = False) -> list[Ticket]:
        """Every readable ticket, light: no body, no history (see `load_all` for `for_sla`)."""
        return [x.ticket for x in self.load_all(for_sla=for_sla) if x.ticket is not None]

    def views(self, tickets: Iterable[Ticket]) -> list[str]:
        """Each ticket's compact JSON (`ticket.to_json`), as `list --json` prints it.

        Kept in their own shelf, so that only `list` loads them; made for the
        tickets that have none yet (new, changed, or parsed by another command).
        """
        shelf = store.shelf(self.root, "views.v1", self.digest)
        category = self.config.workflow.category
        out = []
        for t in tickets:
            key = self._key(t)
            view = shelf.get(t.path, key) if key is not None else None
            if not isinstance(view, str):
                view = to_json(t, category(t.status))
                if key is not None:
                    shelf.put(t.path, key, view)
            out.append(view)
        shelf.save(set(self.loaded) if self.loaded else None)
        return out

    def _key(self, ticket: Ticket) -> store.Key | None:
        """The cache key of the file this very ticket was loaded from (None for a copy)."""
        found = self._loaded(ticket)
        return found.key if found is not None else None

    def _loaded(self, ticket: Ticket) -> store.Loaded | None:
        """How this very ticket was loaded by `load_all` (None for a copy or another ticket)."""
        found = self.loaded.get(ticket.path)
        return found if found is not None and found.ticket is ticket else None

    def full(self, tickets: Iterable[Ticket]) -> list[Ticket]:
        """The same tickets read whole again from their files (body and history)."""
        out = []
        for t in tickets:
            whole = store.load_file(self.root, t.path).ticket
            out.append(whole if whole is not None else t)
        return out

    def locate(self, ticket_id: str) -> str:
        """The path of a ticket by ID, from file names alone (nothing is parsed)."""
        ticket_id = ticket_id.strip().upper()
        if not ID_RE.match(ticket_id):
            raise UsageError(f"'{ticket_id}' is not a ticket ID like {self.config.id_prefix}-42")
        paths = store.find_by_id(self.root, ticket_id)
        if not paths:
            raise NotFound(f"no ticket {ticket_id} (no tickets/**/{ticket_id}-*.md)")
        if len(paths) > 1:
            raise GitdeskError(f"{ticket_id} is used by {len(paths)} files: {', '.join(paths)}; "
                               f"run `gitdesk renumber {paths[-1]}`")  # fmt: skip
        return paths[0]

    def get(self, ticket_id: str) -> Ticket:
        rel = self.locate(ticket_id)
        loaded = store.load_file(self.root, rel)
        if loaded.ticket is None or any(p.severity == "error" for p in loaded.problems):
            raise GitdeskError("\n".join(p.render() for p in loaded.problems) or f"{rel}: unreadable")
        return loaded.ticket

    def sla(self, tickets: Iterable[Ticket], now: datetime) -> list[Sla]:
        """SLA clocks of tickets that exist at `now`, most urgent first.

        Each ticket's plan (see gitdesk.sla.Plan) is kept in the SLA shelf beside
        the ticket, under its file's key (see `load_all(for_sla=True)`); only a
        ticket without one (new, changed, or with history after `now`) is read whole.
        """
        with store.no_gc():  # many small acyclic objects: see store.no_gc
            out = self._sla(tickets, now)
        cache = self._sla_cache if self._sla_cache is not None else self._sla_shelf()
        cache.save(self.loaded if self.loaded else None)
        return out

    def sla_lines(self, where: Filter, now: datetime) -> list[Line]:
        """The rows of `gitdesk sla --json` for the tickets `where` picks, most urgent first.

        The same rows, in the same order, as `to_json` of `sla(select(tickets(for_sla=True),
        config, where), now)`. But a ticket the SLA shelf serves with a plan valid at
        `now` becomes its row straight from the shelf's plain values (see sla.lines):
        at 10k tickets, making a Ticket, two Clocks and an Sla for each was most of
        a warm run. The others (new, changed, or with history after `now`) go
        through `sla`, and the shelf keeps their plans for the next run.
        """
        from gitdesk import sla

        config, at = self.config, micros(now)
        cache = self._sla_cache = self._sla_shelf()
        self._timelines, self.loaded, self.unreadable = {}, {}, []
        named, kept, picks = config.sla.calendars, cache.entries.get, where.matches
        # Whether each status passes, when nothing but the status decides (as for the open queue).
        passes: dict[str, bool] | None = {} if where.by_status_alone else None
        quick: list[tuple[int, str, object, tuple[str, ...]]] = []  # file number, ID, packed plan, texts
        slow: list[Ticket] = []
        order: dict[str, int] = {}  # file number by path, for the tickets in `slow`
        oldest = at
        with store.no_gc():
            files = store.stat_all(self.root)
            for n, (rel, key) in enumerate(files):
                hit = kept(rel)
                if hit is None or hit[0] != key:
                    found = store.refresh(self.root, cache, rel, key, self._prepare)
                else:
                    value = cast(tuple[Any, ...], hit[1])
                    fields = value[0]
                    if fields is None:
                        self.unreadable.append(rel)
                        continue
                    if fields[_CREATED] is None or fields[_CREATED] > at:
                        continue
                    ok = passes.get(fields[_STATUS]) if passes is not None else None
                    if ok is None:  # times still in µs: enough for the filter (see Filter.matches)
                        ok = picks(_new(Ticket, fields), config)
                        if passes is not None:
                            passes[fields[_STATUS]] = ok
                    if not ok:
                        continue
                    extra = value[2] if len(value) > 2 else None
                    if extra is not None and extra[0][2] <= at and extra[0][1] in named:
                        quick.append((n, fields[_ID], *extra))
                        if fields[_CREATED] < oldest:
                            oldest = fields[_CREATED]
                        continue
                    found = store.unpack(rel, key, value)
                self.loaded[rel] = found
                if found.ticket is None:
                    self.unreadable.append(rel)
                elif picks(found.ticket, config):
                    slow.append(found.ticket)
                    order[rel] = n
            made = self._sla(slow, now) if slow else []
            # Saved before the rows are made, so that the shelf's payload and the rows are
            # not in memory at once (at 100k tickets, a cold run peaked 65 MB higher).
            if len(files) != len(cache.entries) or cache.dirty:  # else every entry is a file's, unchanged
                cache.save({rel for rel, _ in files})
            cals = self._calendars(range(moment_of(oldest).year - 1, now.year + 2)) if quick else {}
            rows = sla.lines(quick, cals, config.escalation.raise_on, now)
            rows += [sla.ranked(s, order[s.ticket.path]) for s in made]
            rows.sort()
        return [row[-1] for row in rows]

    def _calendars(self, years: range) -> dict[str, Calendar]:
        """The config's calendars over `years`, with holidays kept in the cache (see gitdesk.calendars)."""
        from gitdesk import calendars

        holidays = store.shelf(self.root, "holidays.v1", self._holidays_stamp)
        known = holidays.values()
        cals = calendars.build(self.config.sla.calendars, years, known)
        for name in known.keys() - holidays.entries.keys():
            holidays.put(name, store.NO_FILE, known[name])
        holidays.save()
        return cals

    def _sla(self, tickets: Iterable[Ticket], now: datetime) -> list[Sla]:
        from gitdesk import sla
        from gitdesk.sla import Sla

        config = self.config
        chosen = [t for t in tickets if t.created is not None and t.created <= now]
        years = {t.created.year for t in chosen if t.created} | {now.year, now.year + 1}
        cals = self._calendars(range(min(years) - 1, max(years) + 1))
        cache = self._sla_cache if self._sla_cache is not None else self._sla_shelf()
        raise_on, at, measure, unpack = config.escalation.raise_on, micros(now), sla.measure, sla.unpack
        marks = sla.Marks(cals, now)
        out: list[Sla | None] = []  # in the order given, which breaks ties of urgency
        missing: list[tuple[int, Ticket]] = []
        loaded = self._loaded
        for t in chosen:
            found = loaded(t)
            kept = found.extra if found is not None else None
            if kept is not None:
                packed, texts = cast(tuple[object, tuple[str, ...]], kept)
                made = unpack(packed)
                if made.since <= at and made.calendar in cals:
                    out.append(measure(t, made, cals[made.calendar], raise_on, now, marks, texts))
                    continue
            missing.append((len(out), t))
            out.append(None)
        lines = self._timelines or {}
        for n, t in missing:
            line, keep = lines.pop(t.path, None), True
            if line is None or line.since > now:  # not parsed in this run, or events after now
                whole = self.full([t])[0]
                line = sla.timeline(whole, config.workflow, upto=now)
                keep = whole.updated is None or whole.updated <= now  # a plan for any later moment
            policy = config.sla.policy_for(t.priority, t.type, t.team)
            cal = cals[policy.calendar]
            made = sla.plan_from(line, policy, cal)
            texts = sla.texts(t, made)
            found = loaded(t)
            if keep and found is not None and found.key is not None:
                cache.put(t.path, found.key, store.pack(found._replace(extra=(sla.pack(made), texts))))
            out[n] = measure(t, made, cal, raise_on, now, marks, texts)
        report = cast(list[Sla], out)
        report.sort(key=Sla.urgency)
        return report

    def kb_slugs(self) -> set[str]:
        folder = self.root / "kb"
        return {
            p.relative_to(folder).with_suffix("").as_posix()
            for p in folder.rglob("*.md")
            if p.relative_to(folder).parts[0] != "replies"
        }

    def reply(self, name: str) -> str:
        """The text of a canned reply, kb/replies/<name>.md (front matter dropped)."""
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
            raise UsageError(f"'{name}' is not a reply name (lower-case letters, digits, - and _)")
        path = self.root / "kb" / "replies" / f"{name}.md"
        if not path.is_file():
            known = sorted(p.stem for p in (self.root / "kb" / "replies").glob("*.md"))
            raise NotFound(f"no canned reply kb/replies/{name}.md; replies: {', '.join(known) or 'none'}")
        text = path.read_text(encoding="utf-8")
        from gitdesk.frontmatter import split

        return split(text).body if text.startswith("---\n") else text

    def template(self, type_: str) -> tuple[dict[str, object], str]:
        """A type's template: default fields and the body skeleton."""
        kind = self.config.types.get(type_)
        if kind is None:
            raise UsageError(f"'{type_}' is not a type; types: {', '.join(self.config.types)}")
        path = self.root / "tickets" / "templates" / kind.template
        if not path.is_file():
            return {}, ""
        from gitdesk.frontmatter import load, split

        doc = split(path.read_text(encoding="utf-8"))
        data = load(doc.front)
        return (data if isinstance(data, dict) else {}), doc.body

    def resolve_lines(self, problems: Iterable[Problem]) -> list[Problem]:
        """Fill in line numbers from each file's key positions."""
        cache: dict[str, tuple[Document, object] | None] = {}
        out = []
        for p in problems:
            if p.line is None and p.loc and p.path.endswith(".md"):
                from gitdesk.splice import line_of  # only when there is a line to find

                if p.path not in cache:
                    cache[p.path] = _front(self.root / p.path)
                found = cache[p.path]
                if found and isinstance(found[1], dict):
                    p = Problem(p.path, p.message, p.loc, line_of(found[0].front, found[1], p.loc))
            out.append(p)
        return out

    # --- writing ---------------------------------------------------------------

    def change(self, ticket_id: str, verb: Callable[[Ticket], Edit]) -> tuple[Ticket, str]:
        """Apply a verb under the ticket's lock; a refused verb leaves the file untouched."""
        from gitdesk.splice import apply as splice_apply

        rel = self.locate(ticket_id)
        path = self.root / rel
        with store.locked(path):
            text = store.read_text(path, rel)
            loaded, doc, data = store.parse(rel, text)
            if loaded.ticket is None or doc is None or not isinstance(data, dict):
                raise GitdeskError("\n".join(p.render() for p in loaded.problems))
            edit = verb(loaded.ticket)
            events = [e.to_mapping() for e in edit.events]
            new_doc = splice_apply(doc, data, edit.changes, events)
            store.write_atomic(path, new_doc.render())
        reread = store.parse(rel, new_doc.render())[0].ticket
        assert reread is not None
        return reread, rel

    def rewrite(self, rel: str, transform: Callable[[Document, dict[str, object]], Document | None]) -> bool:
        """Rewrite one file under its lock with a text-level transform; True if it changed."""
        path = self.root / rel
        with store.locked(path):
            text = store.read_text(path, rel)
            found = _front_text(text)
            if found is None or not isinstance(found[1], dict):
                raise GitdeskError(f"{rel}: cannot be rewritten until it parses; run gitdesk validate")
            new = transform(found[0], found[1])
            if new is None or new.render() == text:
                return False
            store.write_atomic(path, new.render())
            return True

    def highest_on_branches(self) -> int:
        """The highest ticket number on any local or remote-tracking branch (0 outside git).

        Each tree's highest number is cached by its id (trees never change), so
        only branches that moved since the last run are read.
        """
        from gitdesk import git

        shelf = store.shelf(self.root, "trees.v1", "")
        memo = shelf.values()
        best, used = git.highest_on_branches(self.root, self.config.id_prefix, memo)
        entries = shelf.entries
        for name in used:  # most recently used last; the oldest go beyond TREES_KEPT
            entries.pop(name, None)
            shelf.put(name, store.NO_FILE, memo[name])
        for name in list(entries)[: max(0, len(entries) - TREES_KEPT)]:
            del entries[name]
        shelf.save()
        return best

    def create(self, data: dict[str, object], body: str, taken: int = 0) -> tuple[str, Path]:
        """Write a new ticket with the next free ID: 1 + the highest number here or `taken`."""
        from gitdesk.frontmatter import Document, canonical

        folder = self.root / "tickets"
        prefix = self.config.id_prefix
        with store.locked_dir(folder):
            names = [rel.rsplit("/", 1)[-1] for rel in store.names(self.root)]
            number = 1 + max(max_number(names, prefix), taken)
            ticket_id = f"{prefix}-{number}"
            data = {"id": ticket_id, **{k: v for k, v in data.items() if k != "id"}}
            path = folder / f"{ticket_id}-{slugify(str(data.get('title', '')))}.md"
            text = Document(canonical(data), body if body.endswith("\n") or not body else body + "\n")
            check = store.parse(path.relative_to(self.root).as_posix(), text.render())[0]
            if check.ticket is None:
                raise GitdeskError("\n".join(p.render() for p in check.problems))
            store.create_exclusive(path, text.render())
        return ticket_id, path


_new: Any = tuple.__new__  # a NamedTuple from a tuple, in C
_CREATED, _ID, _STATUS = (Ticket._fields.index(name) for name in ("created", "id", "status"))


def max_number(names: Iterable[str], prefix: str) -> int:
    """The highest N among file names `<PREFIX>-N-slug.md` / `<PREFIX>-N.md` (0 if none)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-([1-9][0-9]*)(?:-|\.md$)")
    numbers = [int(m.group(1)) for n in names if (m := pattern.match(n))]
    return max(numbers, default=0)


def _at_line(problem: Problem, lines: dict[tuple[str | int, ...], int]) -> Problem:
    loc = problem.loc
    while loc and loc not in lines:
        loc = loc[:-1]
    return Problem(problem.path, problem.message, problem.loc, lines.get(loc) if loc else None)


def _front(path: Path) -> tuple[Document, object] | None:
    try:
        return _front_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _front_text(text: str) -> tuple[Document, object] | None:
    from gitdesk.frontmatter import load, split

    try:
        doc = split(text)
        return doc, load(doc.front)
    except FrontMatterError:
        return None

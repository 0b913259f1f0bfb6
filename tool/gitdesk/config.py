"""The tracker configuration (`tickets/config.yml`): schema and defaults.

Parsing is pure: plain data in, a Config or every problem out. Reading the
file is the tracker's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from gitdesk.errors import InvalidConfig, Loc, Problem
from gitdesk.schema import describe
from gitdesk.slaconfig import EscalationSpec, SlaSpec, default_sla, parse_escalation, parse_sla
from gitdesk.ticket import HANDLE_RE, LEVELS
from gitdesk.workflow import CATEGORIES, Approval, Workflow, default_workflow

SECTIONS = (
    "version", "id_prefix", "people", "workflow", "priorities", "types", "teams",
    "routing", "sla", "escalation", "site",
)  # fmt: skip
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]*$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Person(NamedTuple):
    handle: str
    name: str
    emails: tuple[str, ...] = ()
    github: str | None = None


class TicketType(NamedTuple):
    name: str
    label: str
    template: str
    required: tuple[str, ...] = ()
    confidential: bool = False


class Team(NamedTuple):
    name: str
    label: str
    members: tuple[str, ...] = ()
    levels: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class Route(NamedTuple):
    """Send tickets matching type/priority/any tag to a team (and an assignee)."""

    team: str | None
    assignee: str | None
    type: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()

    def matches(self, type_: str, priority: str, tags: tuple[str, ...]) -> bool:
        return (
            self.type in (None, type_)
            and self.priority in (None, priority)
            and (not self.tags or any(t in tags for t in self.tags))
        )


# The types a config without a `types` section has.
_TYPES = MappingProxyType(
    {
        n: TicketType(n, n.replace("-", " ").capitalize(), f"{n}.md")
        for n in ("incident", "service-request", "question")
    }
)


class Config(NamedTuple):
    """Everything `tickets/config.yml` says, with defaults filled in.

    The defaults are shared by every Config, so they are read-only.
    """

    id_prefix: str = "T"
    people: Mapping[str, Person] = MappingProxyType({})
    workflow: Workflow = default_workflow()
    priorities: Mapping[str, str] = MappingProxyType(
        {"P1": "Critical", "P2": "High", "P3": "Normal", "P4": "Low"}
    )
    types: Mapping[str, TicketType] = _TYPES
    teams: Mapping[str, Team] = MappingProxyType({})
    routing: tuple[Route, ...] = ()
    sla: SlaSpec = default_sla()
    escalation: EscalationSpec = EscalationSpec()
    # Sections other features read (site); kept as plain data.
    sections: Mapping[str, object] = MappingProxyType({})

    def route(self, type_: str, priority: str, tags: tuple[str, ...]) -> Route | None:
        for rule in self.routing:
            if rule.matches(type_, priority, tags):
                return rule
        return None

    def is_confidential(self, type_: str) -> bool:
        kind = self.types.get(type_)
        return bool(kind and kind.confidential)


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, loc: Loc, message: str) -> None:
        where = ".".join(str(part) for part in loc)
        self.problems.append(Problem(self.path, f"{where}: {message}" if where else message, loc))

    def mapping(self, value: object, loc: Loc) -> Mapping[str, object]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(loc, f"expected a mapping, got {describe(value)}")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.add(loc, f"a key reads as {describe(key)}; keys must be text")
        return {str(k): v for k, v in value.items()}

    def words(self, value: object, loc: Loc) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(loc, f"expected a list of names like [a, b], got {describe(value)}")
            return ()
        return tuple(value)

    def text(self, value: object, loc: Loc, default: str = "") -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.add(loc, f"expected text, got {describe(value)}")
            return default
        return value


def parse_config(data: object, path: str = "tickets/config.yml") -> Config:
    """Validate and build the configuration; raise InvalidConfig listing every problem."""
    c = _Checker(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        c.add((), f"expected a mapping of sections ({', '.join(SECTIONS)})")
        raise InvalidConfig(c.problems)
    for key in data:
        if key not in SECTIONS:
            c.add((key,), f"unknown section; expected one of: {', '.join(SECTIONS)}")
    if data.get("version", 1) != 1:
        c.add(("version",), "only version 1 is understood by this gitdesk")
    prefix = c.text(data.get("id_prefix"), ("id_prefix",), "T")
    if not PREFIX_RE.match(prefix):
        c.add(("id_prefix",), f"'{prefix}' must be capital letters and digits, like T or IT")
    people = _people(c, data.get("people"))
    workflow = _workflow(c, data.get("workflow"))
    defaults = Config()
    priorities = _priorities(c, data.get("priorities")) or dict(defaults.priorities)
    types = _types(c, data.get("types")) or dict(defaults.types)
    teams = _teams(c, data.get("teams"), people)
    routing = _routing(c, data.get("routing"), types, teams, people, priorities)
    sla = parse_sla(c, data.get("sla"))
    escalation = parse_escalation(c, data.get("escalation"))
    for team in escalation.notify:
        if team not in teams:
            c.add(("escalation", "notify", team), f"'{team}' is not a team")
    if c.problems:
        raise InvalidConfig(c.problems)
    return Config(
        id_prefix=prefix,
        people=people,
        workflow=workflow,
        priorities=priorities,
        types=types,
        teams=teams,
        routing=routing,
        sla=sla,
        escalation=escalation,
        sections={k: data[k] for k in ("site",) if k in data},
    )


def _people(c: _Checker, value: object) -> dict[str, Person]:
    people = {}
    for handle, entry in c.mapping(value, ("people",)).items():
        loc: Loc = ("people", handle)
        if not HANDLE_RE.match(handle):
            c.add(loc, "a handle is letters, digits and . _ @ + - (no spaces)")
        info = c.mapping(entry, loc)
        for key in info:
            if key not in ("name", "email", "github"):
                c.add((*loc, key), "unknown key; expected name, email, github")
        emails = info.get("email")
        people[handle] = Person(
            handle=handle,
            name=c.text(info.get("name"), (*loc, "name"), handle),
            emails=(emails,) if isinstance(emails, str) else c.words(emails, (*loc, "email")),
            github=c.text(info.get("github"), (*loc, "github")) or None,
        )
    return people


def _workflow(c: _Checker, value: object) -> Workflow:
    if value is None:
        return default_workflow()
    spec = c.mapping(value, ("workflow",))
    statuses: dict[str, str] = {}
    for name, entry in c.mapping(spec.get("statuses"), ("workflow", "statuses")).items():
        category = c.mapping(entry, ("workflow", "statuses", name)).get("category")
        if category not in CATEGORIES:
            c.add(
                ("workflow", "statuses", name, "category"),
                f"{describe(category)} is not one of: {', '.join(CATEGORIES)}",
            )
        statuses[name] = str(category)
    if not statuses:
        c.add(("workflow", "statuses"), "a workflow needs statuses, e.g. new: {category: open}")
        return default_workflow()
    initial = c.text(spec.get("initial"), ("workflow", "initial"), next(iter(statuses)))
    if initial not in statuses:
        c.add(("workflow", "initial"), f"'{initial}' is not a status")
    transitions: dict[str, tuple[str, ...]] = {}
    for old, targets in c.mapping(spec.get("transitions"), ("workflow", "transitions")).items():
        loc: Loc = ("workflow", "transitions", old)
        if old not in statuses:
            c.add(loc, f"'{old}' is not a status; statuses: {', '.join(statuses)}")
        names = c.words(targets, loc)
        for new in names:
            if new not in statuses:
                c.add(loc, f"'{new}' is not a status; statuses: {', '.join(statuses)}")
        transitions[old] = names
    approvals = []
    rules = spec.get("approvals") or []
    if not isinstance(rules, list):
        c.add(("workflow", "approvals"), "expected a list of {from, to, reviewers}")
        rules = []
    for i, rule in enumerate(rules):
        entry = c.mapping(rule, ("workflow", "approvals", i))
        ends = [entry.get("from"), entry.get("to")]
        for end in ends:
            if end is not None and end not in statuses:
                c.add(("workflow", "approvals", i), f"'{end}' is not a status")
        reviewers = c.words(entry.get("reviewers"), ("workflow", "approvals", i, "reviewers"))
        if not reviewers:
            c.add(("workflow", "approvals", i), "needs reviewers: [handle or org/team, ...]")
        src, dst = (e if isinstance(e, str) else None for e in ends)
        approvals.append(Approval(src, dst, reviewers))
    return Workflow(statuses, initial, transitions, tuple(approvals))


def _priorities(c: _Checker, value: object) -> dict[str, str]:
    if isinstance(value, list):
        return {str(p): str(p) for p in value}
    out = {}
    for name, entry in c.mapping(value, ("priorities",)).items():
        info = c.mapping(entry, ("priorities", name)) if not isinstance(entry, str) else {}
        out[name] = entry if isinstance(entry, str) else c.text(info.get("name"), (), name)
    return out


def _types(c: _Checker, value: object) -> dict[str, TicketType]:
    types = {}
    for name, entry in c.mapping(value, ("types",)).items():
        loc: Loc = ("types", name)
        if not NAME_RE.match(name):
            c.add(loc, "a type name is lower-case letters, digits, - and _")
        info = c.mapping(entry, loc)
        for key in info:
            if key not in ("name", "template", "required", "confidential"):
                c.add((*loc, key), "unknown key; expected name, template, required, confidential")
        confidential = info.get("confidential", False)
        if not isinstance(confidential, bool):
            c.add((*loc, "confidential"), f"expected true or false, got {describe(confidential)}")
        types[name] = TicketType(
            name=name,
            label=c.text(info.get("name"), (*loc, "name"), name),
            template=c.text(info.get("template"), (*loc, "template"), f"{name}.md"),
            required=c.words(info.get("required"), (*loc, "required")),
            confidential=confidential is True,
        )
    return types


def _teams(c: _Checker, value: object, people: Mapping[str, Person]) -> dict[str, Team]:
    teams = {}
    for name, entry in c.mapping(value, ("teams",)).items():
        loc: Loc = ("teams", name)
        info = c.mapping(entry, loc)
        members = c.words(info.get("members"), (*loc, "members"))
        levels = {}
        for level, who in c.mapping(info.get("levels"), (*loc, "levels")).items():
            if level not in LEVELS:
                c.add((*loc, "levels", level), f"levels are {', '.join(LEVELS)}")
            levels[level] = c.words(who, (*loc, "levels", level))
        for handle in {*members, *(h for hs in levels.values() for h in hs)}:
            if people and handle not in people and "/" not in handle:
                c.add((*loc,), f"'{handle}' is not in people; add them there first")
        teams[name] = Team(name, c.text(info.get("name"), (*loc, "name"), name), members, levels)
    return teams


def _routing(
    c: _Checker,
    value: object,
    types: Mapping[str, TicketType],
    teams: Mapping[str, Team],
    people: Mapping[str, Person],
    priorities: Mapping[str, str],
) -> tuple[Route, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        c.add(("routing",), "expected a list of rules like {match: {type: incident}, team: it}")
        return ()
    routes = []
    for i, rule in enumerate(value):
        loc: Loc = ("routing", i)
        info = c.mapping(rule, loc)
        match = c.mapping(info.get("match"), (*loc, "match"))
        for key in match:
            if key not in ("type", "priority", "tags"):
                c.add((*loc, "match", key), "unknown key; expected type, priority, tags")
        route = Route(
            team=c.text(info.get("team"), (*loc, "team")) or None,
            assignee=c.text(info.get("assignee"), (*loc, "assignee")) or None,
            type=c.text(match.get("type"), (*loc, "match", "type")) or None,
            priority=c.text(match.get("priority"), (*loc, "match", "priority")) or None,
            tags=c.words(match.get("tags"), (*loc, "match", "tags")),
        )
        if route.type and types and route.type not in types:
            c.add((*loc, "match", "type"), f"'{route.type}' is not a type")
        if route.priority and priorities and route.priority not in priorities:
            c.add((*loc, "match", "priority"), f"'{route.priority}' is not a priority")
        if route.team and route.team not in teams:
            c.add((*loc, "team"), f"'{route.team}' is not a team")
        if route.assignee and people and route.assignee not in people:
            c.add((*loc, "assignee"), f"'{route.assignee}' is not in people")
        routes.append(route)
    return tuple(routes)

"""Generate a synthetic gitdesk tracker with a Git history, for benchmarks.

    python tool/bench/generate.py DIR --tickets N [--branches 5] [--seed 1] [--force]

Writes DIR/tickets/config.yml (a copy of this repository's), the type
templates, and N ticket files `tickets/T-<n>-<slug>.md` in canonical form
(docs/format.md) whose histories follow the configured workflow. The Git
history is built in one `git fast-import` stream: every ticket's file is
touched by about four commits with successive history states, commits are
in time order and group several tickets, and `--branches K` local branches
`feature-1..K` fork from late points of main and add a few tickets with
higher IDs. The final tree of main is then checked out.

Facts about the result (ticket count, expected next ID, some open ticket
IDs, timings) go to DIR/.git/gitdesk-bench.json for tool/bench/run.py.

Only the standard library and PyYAML are used.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "tickets" / "config.yml"
TEMPLATES = REPO / "tickets" / "templates"
MANIFEST = "gitdesk-bench.json"

# Ticket creation times are spread over this window; histories then run for
# at most a few weeks, so every event is before 2026-12-31 (run.py sets
# GITDESK_NOW=2027-01-01T00:00:00Z).
START = 1_704_067_200  # 2024-01-01T00:00:00Z
END = 1_793_491_200  # 2026-11-01T00:00:00Z
BRANCH_START = 1_797_811_200  # 2026-12-21T00:00:00Z

# --- canonical YAML emitter (the rules of docs/format.md "Canonical form") ----

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 implicit typing as gitdesk reads it: no implicit timestamps."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_resolve = _Resolver().resolve
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# In flow style gitdesk also quotes `?` (PyYAML's pure-Python reader rejects some).
_FLOW_CHARS = re.compile(r"[,\[\]{}?]")
_memo: dict[tuple[str, bool], str] = {}


def _plain(text: str, flow: bool) -> bool:
    """True when YAML reads the unquoted text back as the same string."""
    if not text or text != text.strip() or "\n" in text or text[0] in _INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and _FLOW_CHARS.search(text):
        return False
    if not text.isprintable():
        return False
    return _resolve(yaml.ScalarNode, text, (True, False)) == _STR


def scalar(value: object, flow: bool = False) -> str:
    """One scalar: plain when safe, else single-quoted (double for control chars)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    short = len(text) < 40
    if short and (hit := _memo.get((text, flow))) is not None:
        return hit
    if _plain(text, flow):
        out = text
    elif text.isprintable():
        out = "'" + text.replace("'", "''") + "'"
    else:
        out = json.dumps(text, ensure_ascii=False)
    if short:
        _memo[(text, flow)] = out
    return out


def flow_list(values: list[str]) -> str:
    return "[" + ", ".join(scalar(v, True) for v in values) + "]"


def event_lines(event: list[tuple[str, object]]) -> list[str]:
    """One history event: a flow mapping on one line, or a block for multi-line text."""
    if not any(isinstance(v, str) and "\n" in v for _, v in event):
        return ["  - {" + ", ".join(f"{k}: {scalar(v, True)}" for k, v in event) + "}"]
    lines = []
    for k, v in event:
        lead = "  - " if not lines else "    "
        if isinstance(v, str) and "\n" in v:
            # Generated multi-line texts end with exactly one newline: `|`.
            lines.append(f"{lead}{k}: |")
            lines.extend(f"      {line}" if line else "" for line in v[:-1].split("\n"))
        else:
            lines.append(f"{lead}{k}: {scalar(v)}")
    return lines


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def slugify(title: str, limit: int = 48) -> str:
    slug = ""
    for word in re.findall(r"[a-z0-9]+", title.lower()):
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "ticket"


# --- vocabulary ---------------------------------------------------------------

SYSTEMS = [
    "VPN",
    "Wi-Fi",
    "email",
    "Outlook",
    "the ERP",
    "SAP",
    "the payroll portal",
    "Zoom",
    "Teams",
    "the file server",
    "SharePoint",
    "the shared drive",
    "the CRM",
    "Jira",
    "the intranet",
    "the printer on floor 3",
    "the scanner",
    "the badge reader",
    "the laptop dock",
    "Office 365",
]
SYMPTOMS = [
    "drops every hour",
    "is very slow",
    "will not start",
    "asks for the password again and again",
    "shows error 0x80070005",
    "crashes on save",
    "cannot connect",
    "times out after login",
    "is down for everyone",
    "keeps disconnecting",
    "rejects my certificate",
    "shows a blank page",
    "prints only half the page",
    "lost my settings after the update",
    "says: access denied",
    "freezes at 100% CPU",
    "sends duplicate notifications",
    "is stuck on 'Preparing'",
]
PLACES = [
    "on office Wi-Fi",
    "at the Surabaya branch",
    "on floor 3",
    "in meeting room Merapi",
    "from home",
    "since Monday",
    "after the update",
    "for the finance team",
    "in the warehouse",
    "on my new laptop",
    "at HQ",
    "since this morning",
    "for the whole sales team",
    "",
]
REQUESTS = [
    "New laptop for {who}",
    "Access to {sys} for {who}",
    "Install Adobe Acrobat on {who}'s laptop",
    "Create a shared mailbox for {team}",
    "Increase mailbox quota for {who}",
    "Second monitor for {who}",
    "VPN account for contractor {who}",
    "Reset MFA for {who}",
    "Add {who} to the #finance channel",
    "Licence for Visio, Project and Power BI",
]
QUESTIONS = [
    "How do I set up {sys} on my phone?",
    "Where can I find the expense policy?",
    "Can I use my own laptop for work?",
    "What is the Wi-Fi password for guests?",
    "How do I share a folder with an external partner?",
    "Is there a template for purchase orders?",
    "How long are backups kept?",
    "Who approves software purchases?",
    "Why does {sys} ask me to log in every day?",
    "How do I book meeting room Bromo?",
]
HR_TITLES = [
    "Leave balance looks wrong",
    "Reimbursement for medical expenses",
    "Reference letter for a visa",
    "Change of bank account for payroll",
    "Question about BPJS contributions",
    "Overtime not paid for March",
    "Parental leave request",
    "Update emergency contact",
    "Training budget for a certification",
    "Payslip: tax deduction doubled",
]
LOG_TITLES = [
    "Broken chair in room {room}",
    "Order {qty} monitors for {room}",
    "Air conditioning too cold in {room}",
    "Move desks for the new team on floor {floor}",
    "Water leak near the pantry, floor {floor}",
    "Courier pickup for {qty} boxes",
    "Replace the lamp in {room}",
    "Parking card for a new hire",
    "Projector in {room} shows no picture",
    "[urgent] Door lock of {room} is stuck",
]
CUSTOMER_TITLES = [
    "Order #{num} not delivered",
    "Refund for invoice INV-{num}",
    "Wrong size sent for order {num}",
    "Cannot log in to the customer portal: error 403",
    "Double charge on my card",
    "Change delivery address for order {num}",
    "Promo code WELCOME10 does not work",
    "Damaged item: order {num}",
    "Cancel my subscription",
    "Invoice address is wrong, please fix",
]
ROOMS = ["Merapi", "Bromo", "Rinjani", "Semeru", "Kerinci", "Lawu", "Agung", "Batur"]
TAGS = {
    "incident": ["network", "vpn", "wifi", "email", "printer", "laptop", "erp", "security", "outage", "mfa"],
    "service-request": ["access", "laptop", "software", "licence", "mailbox", "onboarding", "hardware"],
    "question": ["how-to", "policy", "email", "wifi", "backup", "purchasing"],
    "hr": ["leave", "payroll", "benefits", "letter", "training"],
    "logistics": ["facilities", "furniture", "purchase", "courier", "aircon", "cleaning"],
    "customer": ["order", "refund", "delivery", "billing", "account", "promo"],
}
LOCATIONS = ["HQ-1F", "HQ-2F", "HQ-3F", "HQ-5F", "Surabaya", "Bandung", "Warehouse-A", "Medan"]
SENTENCES = [
    "It started on Monday morning and has happened every day since.",
    "I restarted the laptop twice, but nothing changed.",
    "Colleagues on the same floor see the same problem.",
    "The error message says: 'The remote server returned an error (403) Forbidden.'",
    "This blocks the month-end closing, so it is fairly urgent for us.",
    "I tried both the office network and my phone hotspot.",
    "The problem goes away for about ten minutes after reconnecting.",
    "Nothing was installed recently, as far as I know.",
    "Please call me on extension 4123 if you need more details.",
    "We have a customer demo on Thursday at 10:00, so it would be great to fix it before then.",
    "The manager approved this request by email last week.",
    "It works on the old laptop, but not on the new one.",
    "Screenshots are on the shared drive under IT/Tickets.",
    "Three people in the finance team are affected, the rest seem fine.",
    "I am not sure whether this is the right place to ask; please forward it if not.",
    "The same thing happened in June and was fixed by resetting the profile.",
    "Budget code: 4410-OPS. Cost centre: Jakarta head office.",
    "The supplier said the delivery would take five working days.",
    "Ideally this is done before the new hire starts on the first of the month.",
    "I checked the knowledge base but could not find anything about it.",
    "Our team works in shifts, so the problem hits the night shift hardest.",
    "After the last update the setting #17 is greyed out.",
    "Could you also check whether the backup ran last night?",
    "The customer says they paid by bank transfer on the 3rd.",
]
HEADINGS = {
    "incident": ["## What is broken", "## Who and what is affected", "## What you already tried"],
    "service-request": ["## What you need", "## By when, and why", "## Approval"],
    "question": ["## Your question", "## What you already looked at"],
    "hr": ["## Request", "## Dates and amounts", "## Documents"],
    "logistics": ["## What is needed", "## Where", "## By when"],
    "customer": ["## The customer's report", "## Account and order details", "## What we told them so far"],
}
PUBLIC = [
    "We are looking at it.",
    "Could you send a screenshot of the error?",
    "Please try again now and tell us if it still happens.",
    "Thanks, that helps.",
    "The new profile is on your laptop; please restart once.",
    "Still happening, unfortunately.",
    "It works now, thank you!",
    "We ordered the part; it should arrive on Friday.",
    "Can you confirm the order number, please?",
    "Refund issued: it takes 3-5 working days.",
    "We need your manager's approval for this one.",
    "Done: please check and close if OK.",
]
INTERNAL = [
    "RADIUS logs show the session timing out at 3600 s.",
    "Looks like the same root cause as last week.",
    "Vendor case opened: #88412.",
    "Waiting for the change window on Saturday.",
    "User is a VIP, keep them posted.",
    "Checked the audit log, nothing unusual.",
    "Needs a firmware change on the controller.",
    "Duplicate of the outage from this morning?",
    "Asked finance for the PO number.",
    "Priority confirmed with the team lead.",
]
LINES = [
    "Steps tried so far:",
    "- cleared the credential cache",
    "- re-enrolled the device in MDM",
    "- swapped the network cable",
    "Next: check the switch port config.",
    "Logs attached in the share.",
    "Root cause: expired intermediate certificate.",
    "Workaround: use the wired port for now.",
    "Config diff:",
    "  idle-timeout 3600 -> 28800",
    "Customer called again at 14:05.",
    "Follow-up needed on Monday; owner: team lead.",
]
REASONS = [
    "Needs a firmware change on the controller",
    "Outside L1 permissions",
    "Affects payroll: needs L2",
    "Possible security issue",
    "Customer escalated to management",
    "No progress after two days",
]
FEEDBACK = [
    "Fixed within the hour, thanks",
    "Took a while, but it works now",
    "Great service!",
    "Had to ask twice",
    "Quick and friendly",
    "Problem came back the next day",
]
RESOLUTIONS = ["fixed", "fixed", "fixed", "workaround", "fixed"]
CANCEL_RESOLUTIONS = ["duplicate", "wont-fix", "duplicate", "cannot-reproduce"]
OUTSIDE = [
    "andi@tokomaju.example",
    "siti.rahma@gmail.example",
    "CV Sinar Jaya",
    "budi.h@ptmega.example",
    "Yayasan Harapan (Bu Wati)",
    "pak.joko@warungkopi.example",
]

TYPES = [
    ("incident", 30),
    ("service-request", 25),
    ("question", 20),
    ("customer", 12),
    ("logistics", 8),
    ("hr", 5),
]
PRIORITIES = [("P1", 4), ("P2", 16), ("P3", 45), ("P4", 35)]
OPEN_FINALS = [("new", 20), ("triaged", 20), ("in-progress", 35), ("waiting", 25)]
DONE_FINALS = [("resolved", 33), ("closed", 54), ("cancelled", 13)]
TEAM_OF = {
    "incident": "it-helpdesk",
    "service-request": "it-helpdesk",
    "question": "it-helpdesk",
    "hr": "hr",
    "logistics": "logistics",
    "customer": "customer-support",
}
DONE = frozenset({"resolved", "closed", "cancelled"})


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return list(values), cum


# --- one ticket ---------------------------------------------------------------


@dataclass
class Ticket:
    n: int
    name: str  # file name
    header: list[tuple[str, object]]  # top-level fields before history (status/assignee placeholders)
    events: list[list[tuple[str, object]]]
    times: list[int]
    body: str
    states: list[int] = field(default_factory=list)  # prefix lengths of history, one per commit
    statuses: list[str] = field(default_factory=list)  # the status after each event
    assignees: list[str | None] = field(default_factory=list)  # the assignee after each event


class Maker:
    """Builds tickets and their history states from one random generator."""

    def __init__(self, config: dict, seed: int, total: int, open_share: float | None = None) -> None:
        self.open_share = open_share
        self.rng = random.Random(seed)
        self.total = total
        self.people = list(config["people"])
        self.teams = config["teams"]
        self.types = _weighted(TYPES)
        self.priorities = _weighted(PRIORITIES)
        self.open_finals = _weighted(OPEN_FINALS)
        self.done_finals = _weighted(DONE_FINALS)

    def pick(self, table: tuple[list[str], list[int]]) -> str:
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    # text ----------------------------------------------------------------------

    def title(self, type_: str) -> str:
        r = self.rng
        fill = {
            "who": r.choice(self.people).capitalize(),
            "sys": r.choice(SYSTEMS),
            "team": r.choice(["finance", "sales", "HR", "logistics"]),
            "room": r.choice(ROOMS),
            "qty": r.randint(2, 40),
            "floor": r.randint(1, 9),
            "num": r.randint(10000, 99999),
        }
        if type_ == "incident":
            text = f"{r.choice(SYSTEMS)} {r.choice(SYMPTOMS)} {r.choice(PLACES)}".strip()
            return text[0].upper() + text[1:]
        pool = {
            "service-request": REQUESTS,
            "question": QUESTIONS,
            "hr": HR_TITLES,
            "logistics": LOG_TITLES,
            "customer": CUSTOMER_TITLES,
        }[type_]
        return r.choice(pool).format(**fill)

    def body(self, type_: str) -> str:
        r = self.rng
        target = r.randint(200, 1500)
        parts: list[str] = []
        size = 0
        headings = list(HEADINGS[type_]) if r.random() < 0.6 else []
        while size < target:
            if headings and (not parts or r.random() < 0.35):
                piece = headings.pop(0)
            elif r.random() < 0.12:
                piece = "\n".join(f"- {s}" for s in r.sample(SENTENCES, r.randint(2, 4)))
            elif r.random() < 0.06:
                piece = "```\nError 0x80070005: access is denied.\nat Sync.Run (line 42)\n```"
            else:
                piece = " ".join(r.sample(SENTENCES, r.randint(1, 4)))
            if size and size + len(piece) > 1500:
                break
            parts.append(piece)
            size += len(piece) + 2
        return "\n\n".join(parts) + "\n"

    def comment_text(self, internal: bool) -> str:
        r = self.rng
        if r.random() < 0.2:
            lines = r.sample(LINES, r.randint(2, 4))
            if r.random() < 0.3:
                lines.insert(1, "")
            head = r.choice(INTERNAL if internal else PUBLIC)
            return "\n".join([head, *lines]) + "\n"
        text = r.choice(INTERNAL if internal else PUBLIC)
        if r.random() < 0.3:
            text += " " + r.choice(SENTENCES)
        return text

    # history ---------------------------------------------------------------------

    def status_path(self, final: str) -> list[str]:
        r = self.rng
        c = r.choice
        if final == "new":
            return []
        if final == "triaged":
            return ["triaged"]
        if final == "in-progress":
            return c(
                [
                    ["in-progress"],
                    ["triaged", "in-progress"],
                    ["triaged", "in-progress"],
                    ["triaged", "waiting", "in-progress"],
                    ["triaged", "in-progress", "waiting", "in-progress"],
                    ["triaged", "in-progress", "resolved", "in-progress"],
                ]
            )
        if final == "waiting":
            return c(
                [["triaged", "waiting"], ["in-progress", "waiting"], ["triaged", "in-progress", "waiting"]]
            )
        if final == "cancelled":
            return c(
                [
                    ["cancelled"],
                    ["triaged", "cancelled"],
                    ["triaged", "in-progress", "cancelled"],
                    ["in-progress", "waiting", "cancelled"],
                ]
            )
        path = c(
            [
                ["in-progress", "resolved"],
                ["triaged", "in-progress", "resolved"],
                ["triaged", "in-progress", "waiting", "resolved"],
                ["triaged", "waiting", "in-progress", "resolved"],
            ]
        )
        if r.random() < 0.1:  # reopened after resolution
            path += ["in-progress", "resolved"]
        if final == "closed":
            path.append("closed")
            if r.random() < 0.05:  # reopened after closing
                path += ["in-progress", "resolved", "closed"]
        return path

    def ticket(self, n: int, t0: int | None = None) -> Ticket:
        r = self.rng
        type_ = self.pick(self.types)
        team = TEAM_OF[type_]
        levels = self.teams[team]["levels"]
        members = self.teams[team]["members"]
        title = self.title(type_)
        tags = sorted(set(r.sample(TAGS[type_], r.randint(1, 3)))) if r.random() < 0.85 else []
        priority = self.pick(self.priorities)
        requester = r.choice(OUTSIDE) if type_ == "customer" and r.random() < 0.6 else r.choice(self.people)
        # Recent tickets are more often still open: ~40% open overall.
        recent = n > 0.8 * self.total
        share = self.open_share if self.open_share is not None else (0.8 if recent else 0.3)
        final = self.pick(self.open_finals if r.random() < share else self.done_finals)
        if t0 is None:
            slot = (END - START) / self.total
            t0 = int(START + (n - 1) * slot + r.random() * slot)

        if type_ == "hr":
            first = "lukas"
        elif type_ == "incident" and "security" in tags:
            first = "agus"
        else:
            first = r.choice(levels["L1"])
        unassigned = final == "new" and type_ != "hr" and r.random() < 0.5
        dispatcher = r.choice(levels["L1"])

        # Core events: (kind, fields) without times; `by` filled from the walk.
        core: list[tuple[str, dict]] = [("created", {})]
        if not unassigned:
            core.append(("assign", {"to": first}))
        status = "new"
        duplicate_of = None
        escalated = False
        for to in self.status_path(final):
            kind = "reopen" if status in DONE and to not in DONE else "transition"
            ev: dict[str, object] = {"from": status, "to": to}
            if to == "resolved":
                ev["resolution"] = r.choice(RESOLUTIONS)
            elif to == "cancelled":
                ev["resolution"] = res = r.choice(CANCEL_RESOLUTIONS)
                if res == "duplicate" and n > 1:
                    duplicate_of = f"T-{r.randint(max(1, n - 200), n - 1)}"
            if (kind == "reopen" or to == "waiting") and r.random() < 0.5:
                ev["note"] = r.choice(
                    [
                        "Still dropping",
                        "Waiting for the vendor",
                        "Customer replied",
                        "Needs the part from the supplier",
                        "Problem is back",
                    ]
                )
            core.append((kind, ev))
            status = to
            if to == "in-progress" and not escalated and r.random() < 0.15:
                escalated = True
                core.append(("escalate", {"from": "L1", "to": "L2", "reason": r.choice(REASONS)}))
                core.append(("assign", {"to": r.choice(levels["L2"])}))
                if r.random() < 0.2:
                    core.append(("escalate", {"from": "L2", "to": "L3"}))
                    core.append(("assign", {"to": r.choice(levels["L3"])}))
        feedback = final in ("resolved", "closed") and r.random() < 0.5
        target = r.randint(6, 10)
        comments = max(1, target - len(core) - feedback)
        for _ in range(comments):
            core.insert(r.randint(2 if len(core) > 1 else 1, len(core)), ("comment", {}))
        if feedback:
            fb: dict[str, object] = {"rating": r.choices([1, 2, 3, 4, 5], [5, 5, 15, 35, 40])[0]}
            if r.random() < 0.5:
                fb["text"] = r.choice(FEEDBACK)
            core.append(("feedback", fb))

        # Walk: times, actors, assignee changes.
        events: list[list[tuple[str, object]]] = []
        times: list[int] = []
        assignees: list[str | None] = []
        statuses: list[str] = []
        t = t0
        assignee: str | None = None
        status = "new"
        for i, (kind, ev) in enumerate(core):
            if i:
                t += r.randint(120, 5400) if r.random() < 0.6 else r.randint(3600, 40 * 3600)
            if kind == "created":
                by = requester
                fields: list[tuple[str, object]] = []
            elif kind == "assign":
                by = dispatcher if assignee is None else assignee
                fields = ([("from", assignee)] if assignee else []) + [("to", ev["to"])]
                if ev["to"] == assignee:
                    continue
                assignee = str(ev["to"])
            elif kind in ("transition", "reopen"):
                by = assignee or dispatcher
                fields = [(k, ev[k]) for k in ("from", "to", "resolution", "note") if k in ev]
                status = str(ev["to"])
            elif kind == "escalate":
                by = assignee or dispatcher
                fields = [(k, ev[k]) for k in ("from", "to", "reason") if k in ev]
            elif kind == "comment":
                internal = r.random() < 0.35
                if internal:
                    by = r.choice(members)
                else:
                    by = requester if r.random() < 0.35 else (assignee or dispatcher)
                fields = [
                    ("visibility", "internal" if internal else "public"),
                    ("text", self.comment_text(internal)),
                ]
            else:  # feedback
                by = requester
                fields = [(k, ev[k]) for k in ("rating", "text") if k in ev]
            events.append([("at", iso(t)), ("by", by), ("event", kind), *fields])
            times.append(t)
            assignees.append(assignee)
            statuses.append(status)

        header: list[tuple[str, object]] = [
            ("id", f"T-{n}"),
            ("title", title),
            ("type", type_),
            ("status", None),
            ("priority", priority),
            ("requester", requester),
            ("assignee", None),
            ("team", team),
        ]
        if tags:
            header.append(("tags", tags))
        header.append(("created", iso(t0)))
        if r.random() < 0.05 and n > 2:
            header.append(("related", sorted({f"T-{r.randint(1, n - 1)}" for _ in range(r.randint(1, 2))})))
        if duplicate_of:
            header.append(("duplicate_of", duplicate_of))
        if type_ == "hr":
            header.append(("confidential", True))
        if type_ == "logistics":
            header.append(("location", r.choice(LOCATIONS)))
        if type_ == "customer":
            header.append(("customer", f"CUST-{r.randint(1000, 9999)}"))
        ticket = Ticket(n, f"T-{n}-{slugify(title)}.md", header, events, times, self.body(type_))
        ticket.assignees = assignees
        ticket.statuses = statuses
        # History states committed: about four, the last one complete.
        first_cut = 2 if len(events) > 1 and events[1][2][1] == "assign" else 1
        between = range(first_cut + 1, len(events))
        middle = sorted(r.sample(between, min(len(between), r.choice([1, 2, 2, 2, 3]))))
        ticket.states = [first_cut, *middle, len(events)]
        return ticket


def render(ticket: Ticket, upto: int) -> str:
    """The file text with the first `upto` history events."""
    status = ticket.statuses[upto - 1]
    assignee = ticket.assignees[upto - 1]
    lines = ["---"]
    for key, value in ticket.header:
        if key == "status":
            value = status
        elif key == "assignee":
            if assignee is None:
                continue
            value = assignee
        elif key == "duplicate_of" and status != "cancelled":
            continue
        if isinstance(value, list):
            lines.append(f"{key}: {flow_list(value)}")
        else:
            lines.append(f"{key}: {scalar(value)}")
    lines.append("history:")
    for event in ticket.events[:upto]:
        lines.extend(event_lines(event))
    lines.append("---")
    return "\n".join(lines) + "\n" + ticket.body


# --- the Git history ---------------------------------------------------------


class Stream:
    """A `git fast-import` input stream written straight into the process."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "-c", "pack.compression=1", "fast-import", "--quiet", "--done", "--depth=20"],
            cwd=repo,
            stdin=subprocess.PIPE,
            bufsize=1 << 20,
        )
        assert self.proc.stdin is not None
        self.out = self.proc.stdin
        self.marks = 0

    def data(self, raw: bytes) -> None:
        self.out.write(b"data %d\n" % len(raw))
        self.out.write(raw)
        self.out.write(b"\n")

    def blob(self, raw: bytes) -> int:
        self.marks += 1
        self.out.write(b"blob\nmark :%d\n" % self.marks)
        self.data(raw)
        return self.marks

    def commit(
        self,
        ref: str,
        who: tuple[str, str],
        when: int,
        message: str,
        files: list[tuple[str, int | bytes]],
        parent: int | None = None,
    ) -> int:
        self.marks += 1
        w = self.out.write
        w(f"commit {ref}\nmark :{self.marks}\n".encode())
        ident = f"{who[0]} <{who[1]}> {when} +0000\n".encode()
        w(b"author " + ident + b"committer " + ident)
        self.data(message.encode())
        if parent is not None:
            w(b"from :%d\n" % parent)
        for path, ref_or_raw in files:
            if isinstance(ref_or_raw, int):
                w(f"M 100644 :{ref_or_raw} {path}\n".encode())
            else:
                w(f"M 100644 inline {path}\n".encode())
                self.data(ref_or_raw)
        w(b"\n")
        return self.marks

    def finish(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit(f"git fast-import failed with exit code {self.proc.returncode}")


def what(event: list[tuple[str, object]]) -> tuple[str, str]:
    """Who made a history event and a commit-message summary of it."""
    fields = dict(event)
    kind = str(fields["event"])
    if kind in ("transition", "reopen"):
        summary = f"{fields['from']} -> {fields['to']}"
    elif kind == "assign":
        summary = f"assign to {fields['to']}"
    elif kind == "created":
        summary = "new ticket"
    else:
        summary = kind
    return str(fields["by"]), summary


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def generate(
    root: Path,
    tickets: int,
    branches: int,
    seed: int,
    commits: int | None = None,
    open_share: float | None = None,
) -> dict:
    started = time.perf_counter()
    config_text = CONFIG.read_text(encoding="utf-8")
    config = yaml.load(config_text, Loader=yaml.CSafeLoader)
    people = {h: (p["name"], p["email"][0]) for h, p in config["people"].items()}
    bot = ("Helpdesk Bot", "helpdesk-bot@example.co.id")
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for key, value in (("gc.auto", "0"), ("user.name", bot[0]), ("user.email", bot[1])):
        git(root, "config", key, value)

    maker = Maker(config, seed, tickets, open_share)
    stream = Stream(root)
    setup_files: list[tuple[str, int | bytes]] = [("tickets/config.yml", config_text.encode())]
    for tpl in sorted(TEMPLATES.glob("*.md")):
        setup_files.append((f"tickets/templates/{tpl.name}", tpl.read_bytes()))
    readme = b"# Benchmark tracker\n\nGenerated by tool/bench/generate.py; every ticket is made up.\n"
    setup_files.append(("README.md", readme))

    # Tickets are made in ID (= creation time) order; each one's history states
    # go out at once as consecutive blobs, so fast-import stores every state as
    # a small delta of the one before. Commits follow in time order as soon as
    # no later ticket can add an earlier change, so Python and fast-import work
    # in parallel. fast-import rewrites the whole tickets/ tree (N entries) per
    # commit, so the number of commits is capped near 1e7 / N.
    if commits is None:
        commits = max(50, min(4 * tickets, 10_000_000 // tickets))
    per = max(1, -(-4 * tickets // commits))  # about four states per ticket
    main_marks = [stream.commit("refs/heads/main", bot, START - 3600, "Set up the tracker\n", setup_files)]
    pending: list[tuple[int, int, int, tuple[str, str]]] = []  # heap: (time, n, blob mark, (actor, summary))
    ready: list[tuple[int, int, int, tuple[str, str]]] = []
    names: list[str] = [""]
    counts: dict[str, int] = {}
    in_progress: list[int] = []
    events_total = blob_bytes = states = 0
    slot = (END - START) / tickets

    def commit(
        available: list[tuple[int, int, int, tuple[str, str]]],
    ) -> list[tuple[int, int, int, tuple[str, str]]]:
        """Commit up to `per` changes, at most one per ticket; return the rest, in order.

        A ticket's later state waits for the next commit, so each state of a
        ticket's history is a commit of its own (about four per ticket).
        """
        batch, rest, seen = [], [], set()
        for item in available:
            if item[1] in seen or len(batch) >= per:
                rest.append(item)
            else:
                seen.add(item[1])
                batch.append(item)
        actor, summary = batch[-1][3]
        if len(batch) == 1:
            message = f"T-{batch[0][1]}: {summary}\n"
        else:
            ids = sorted(seen)
            message = f"Update {len(ids)} tickets: T-{ids[0]} .. T-{ids[-1]}\n"
        files: list[tuple[str, int | bytes]] = [(f"tickets/{names[n]}", mark) for _, n, mark, _ in batch]
        when = max(last_time[0], max(item[0] for item in batch))
        last_time[0] = when
        main_marks.append(stream.commit("refs/heads/main", people.get(actor, bot), when, message, files))
        return rest

    last_time = [START]
    for n in range(1, tickets + 1):
        t = maker.ticket(n)
        names.append(t.name)
        final = t.statuses[-1]
        counts[final] = counts.get(final, 0) + 1
        if final == "in-progress":
            in_progress.append(n)
        events_total += len(t.events)
        for upto in t.states:
            raw = render(t, upto).encode()
            blob_bytes += len(raw)
            heapq.heappush(pending, (t.times[upto - 1], n, stream.blob(raw), what(t.events[upto - 1])))
            states += 1
        horizon = START + n * slot  # no later ticket is created before this
        while pending and (pending[0][0] < horizon or n == tickets):
            ready.append(heapq.heappop(pending))
        while len(ready) >= per or (ready and n == tickets):
            ready = commit(ready)
        if n % max(1, tickets // 10) == 0:
            note(
                f"generate: {n:,} of {tickets:,} tickets, {len(main_marks):,} commits "
                f"({time.perf_counter() - started:.0f} s)"
            )

    # 3. Feature branches: fork from late points of main, add tickets with higher IDs.
    next_id = tickets + 1
    branch_ids: dict[str, list[int]] = {}
    for j in range(1, branches + 1):
        fork = main_marks[max(0, int(len(main_marks) * (1 - 0.02 * j)) - 1)]
        ids = []
        files = []
        for k in range(3):
            t0 = BRANCH_START + j * 3600 + k * 600
            tk = maker.ticket(next_id, t0=t0)
            files.append((f"tickets/{tk.name}", render(tk, len(tk.events)).encode()))
            ids.append(next_id)
            next_id += 1
        stream.commit(
            f"refs/heads/feature-{j}",
            bot,
            BRANCH_START + j * 3600 + 7200,
            f"Add tickets T-{ids[0]} .. T-{ids[-1]}\n",
            files,
            parent=fork,
        )
        branch_ids[f"feature-{j}"] = ids
    stream.finish()
    imported = time.perf_counter() - started
    note(f"generate: fast-import done ({imported:.1f} s); checking out main")

    git(root, "reset", "--hard", "-q")  # HEAD is refs/heads/main
    elapsed = time.perf_counter() - started
    manifest = {
        "tickets": tickets,
        "branches": branches,
        "seed": seed,
        "commits_main": len(main_marks),
        "ticket_states": states,
        "commits_per_ticket": round(states / tickets, 2),
        "events": events_total,
        "blob_bytes": blob_bytes,
        "statuses": dict(sorted(counts.items())),
        "open_share": round(
            sum(counts.get(s, 0) for s in ("new", "triaged", "in-progress", "waiting")) / max(tickets, 1), 3
        ),
        "in_progress_ids": in_progress[:: max(1, len(in_progress) // 50)][:50],
        "branch_ids": branch_ids,
        "next_id": next_id,
        "seconds_fast_import": round(imported, 2),
        "seconds_total": round(elapsed, 2),
    }
    (root / ".git" / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="where to create the tracker (must not exist or be empty)")
    parser.add_argument("--tickets", type=int, required=True, help="how many tickets on main")
    parser.add_argument("--branches", type=int, default=5, help="extra branches feature-1..K (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--commits", type=int, help="commits on main (default: from the size)")
    parser.add_argument(
        "--open-share",
        type=float,
        help="share of tickets left open (default: ~40%%, more among the recent ones)",
    )
    parser.add_argument("--force", action="store_true", help="delete DIR first if it exists")
    args = parser.parse_args(argv)
    if args.tickets < 1:
        parser.error("--tickets must be at least 1")
    if args.dir.exists() and any(args.dir.iterdir()):
        if not args.force:
            parser.error(f"{args.dir} exists and is not empty (use --force to replace it)")
        shutil.rmtree(args.dir)
    manifest = generate(args.dir, args.tickets, args.branches, args.seed, args.commits, args.open_share)
    note(
        f"generate: {args.tickets:,} tickets, {manifest['commits_main']:,} commits on main, "
        f"{args.branches} branches in {manifest['seconds_total']:.1f} s -> {args.dir}"
    )
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

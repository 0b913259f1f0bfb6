"""The only module that talks to PyYAML: front matter in, front matter out.

Reading is safe (SafeLoader, C parser when present), refuses duplicate keys,
aliases and deep nesting, and keeps times as text so the ticket model checks
them. Writing has two modes: `canonical` re-emits every key; `apply` rewrites
only the keys that changed and appends history events in place, so a
transition is a few lines of diff even in a hand-formatted file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import yaml

from gitdesk.errors import FrontMatterError, Loc

__all__ = ["Document", "FrontMatterError", "canonical", "load", "load_with_lines", "split"]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 64
STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
KEY_ORDER = (
    "id", "title", "type", "status", "priority", "requester", "assignee", "team",
    "tags", "created", "kb", "related", "duplicate_of", "confidential", "history",
)  # fmt: skip
EVENT_ORDER = ("at", "by", "event", "from", "to", "visibility", "rating", "resolution")


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader without implicit timestamps and with duplicate keys refused.

    A scalar's implicit tag depends only on its text and style (there are no
    path resolvers), so short ones are looked up once per process: ticket files
    repeat the same statuses, names and event kinds, and the regular expressions
    behind `resolve` were a fifth of the time of parsing them.
    """

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode or len(value) > _MEMO_LENGTH:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        key = (value, implicit)
        tag = _SCALAR_TAGS.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_SCALAR_TAGS) < _MEMO_SIZE:
                _SCALAR_TAGS[key] = tag
        return tag


_SCALAR_TAGS: dict[tuple[str, tuple[bool, bool]], str] = {}
_MEMO_LENGTH, _MEMO_SIZE = 40, 200_000


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


class _Resolver(yaml.resolver.Resolver):
    """Decides how a plain scalar reads back, with the loader's table."""


_Resolver.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_resolve: Any = _Resolver().resolve


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: object, first: int, mark: Any) -> None:
        super().__init__(None, None, "duplicate key", mark)
        self.key, self.first = key, first


def _mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping that refuses duplicate keys (PyYAML silently keeps the last one)."""
    loader.flatten_mapping(node)
    construct = loader.construct_object
    out: dict[Any, Any] = {}
    first: dict[Any, int] = {}
    for key_node, value_node in node.value:
        # Keys are nearly always plain text: take it from the node without constructing.
        key = key_node.value if key_node.tag == STR_TAG else construct(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", mark)
        if key in out:
            raise _DuplicateKey(key, first[key], key_node.start_mark)
        first[key] = key_node.start_mark.line
        out[key] = construct(value_node, deep=True)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)

MAP_TAG, SEQ_TAG, MERGE_TAG = (f"tag:yaml.org,2002:{kind}" for kind in ("map", "seq", "merge"))


def _build(loader: Any, node: yaml.Node) -> object:
    """The value of a node tree, as the loader's constructors give it, built directly.

    PyYAML's constructor memoises every node (for aliases, which front matter
    may not have) and dispatches through a table for each one; plain text,
    mappings and lists, nearly all of a ticket, are built here instead, with
    duplicate keys refused as in `_mapping`. Anything else (numbers, booleans,
    null, merge keys, a tag) goes through the loader, which also refuses tags
    it does not know.
    """
    tag, kind = node.tag, node.id  # type: ignore[attr-defined]
    if kind == "scalar" and tag == STR_TAG:
        return node.value
    if kind == "sequence" and tag == SEQ_TAG:
        return [_build(loader, item) for item in node.value]
    if kind == "mapping" and tag == MAP_TAG and not any(k.tag == MERGE_TAG for k, _ in node.value):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.id == "scalar" and key_node.tag == STR_TAG:
                key = key_node.value
            else:
                key = _build(loader, key_node)
                if not isinstance(key, str | int | float | bool) and key is not None:
                    mark = key_node.start_mark
                    raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", mark)
            if key in out:
                first = next(k.start_mark.line for k, _ in node.value if _build(loader, k) == key)
                raise _DuplicateKey(key, first, key_node.start_mark)
            out[key] = _build(loader, value_node)
        return out
    return loader.construct_object(node, deep=True)


def _load(front: str) -> object:
    """yaml.load with `_Loader`, building the tree with `_build`."""
    loader = _Loader(front)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node)
    finally:
        loader.dispose()


class Document(NamedTuple):
    """A ticket file split at its fences: front matter text and the body."""

    front: str
    body: str

    def render(self) -> str:
        return f"---\n{self.front}---\n{self.body}"


def split(text: str) -> Document:
    """Split `---` front matter from the body; the front matter keeps its final newline."""
    if not text.strip():
        raise FrontMatterError("the file is empty; a ticket starts with a --- front matter fence", 1)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise FrontMatterError("no front matter: the first line must be --- (see docs/format.md)", 1)
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise FrontMatterError("the front matter is not closed: add a line with --- after it", 1)
    return Document(text[4 : end + 1], text[end + 5 :])


_DEEP_BLOCK = re.compile(rf"^[ ?-]{{{MAX_DEPTH // 2}}}", re.M)


def _nesting(front: str) -> int:
    """An upper bound on nesting depth, cheap enough to run on every file.

    Each block level needs at least one character of indentation or `- `/`? `
    before a line's content, and each flow level a bracket. Brackets are only
    walked when there are many of them.
    """
    brackets = front.count("[") + front.count("{")
    if brackets > MAX_DEPTH // 2:
        depth = brackets = 0
        for match in re.finditer(r"[\[\]{}]", front):
            depth += 1 if match.group() in "[{" else -1
            brackets = max(brackets, depth)
    deep_block = _DEEP_BLOCK.search(front)
    return brackets + (MAX_DEPTH if deep_block else 0)


def _check_structure(front: str, first_line: int) -> None:
    """Refuse aliases and deep nesting before composing: libyaml's composer recurses in C."""
    suspicious = ("&" in front or "*" in front) and re.search(r"(?:^|[\s\[{,])[&*][^\s\[\]{},]", front)
    if _nesting(front) <= MAX_DEPTH // 2 and not suspicious:
        return
    depth = 0
    for event in yaml.parse(front, Loader=_Loader):
        line = first_line + (event.start_mark.line if event.start_mark else 0)
        if isinstance(event, yaml.AliasEvent | yaml.NodeEvent) and getattr(event, "anchor", None):
            raise FrontMatterError("YAML anchors and aliases (&name, *name) are not allowed", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise FrontMatterError(f"nested more than {MAX_DEPTH} levels deep", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load(front: str, first_line: int = 2) -> object:
    """Parse front matter text safely; raise FrontMatterError with a file line number."""
    try:
        _check_structure(front, first_line)
        return _load(front)  # a SafeLoader
    except FrontMatterError:
        raise
    except _DuplicateKey as err:
        line = first_line + err.problem_mark.line if err.problem_mark else None
        where = f"first on line {first_line + err.first}"
        raise FrontMatterError(f"invalid YAML: duplicate key '{err.key}' ({where}); keep one", line) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = first_line + mark.line if mark else None
        problem = err.problem or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = "YAML tags such as !!python/object are not allowed; write plain values"
        raise FrontMatterError(f"invalid YAML: {problem}", line) from None
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        raise FrontMatterError(f"invalid YAML: {err}", first_line) from None


def load_with_lines(text: str) -> tuple[object, dict[Loc, int]]:
    """Parse a whole YAML file (the config) and map each key path to its 1-based line."""
    data = load(text, 1)
    lines: dict[Loc, int] = {}
    node = yaml.compose(text, Loader=_Loader)

    def walk(n: yaml.Node, loc: Loc) -> None:
        lines[loc] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                lines[(*loc, key.value)] = key.start_mark.line + 1
                walk(value, (*loc, key.value))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i))

    if node is not None:
        walk(node, ())
    return data, lines


# --- writing -----------------------------------------------------------------


def _plain(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or "\n" in text or text[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    # In flow style ({...}, [...]) PyYAML's pure-Python reader rejects a `?` that libyaml
    # accepts; quoting it keeps files readable by both.
    if ": " in text or " #" in text or text.endswith(":") or (flow and re.search(r"[,\[\]{}?]", text)):
        return False
    if not text.isprintable():
        return False
    return bool(_resolve(yaml.ScalarNode, text, (True, False)) == STR_TAG)


def scalar(value: object, flow: bool = False) -> str:
    """One YAML scalar, in the canonical style."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _plain(text, flow):
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _double_quoted(text: str) -> str:
    """A double-quoted scalar; anything that is not printable is escaped (YAML forbids it raw)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _block_text(value: str, indent: str) -> list[str] | None:
    """A literal block for multi-line text, or None when one cannot hold it exactly."""
    lines = value.split("\n")
    if any(not line.isprintable() or (line and not line.strip()) for line in lines):
        return None
    stripped = value.rstrip("\n")
    trailing = len(value) - len(stripped)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    first = next((line for line in lines if line), "")
    if not stripped or first.startswith(" "):
        return None  # YAML takes the indentation from the first non-empty line
    body = [f"{indent}{line}" if line else "" for line in stripped.split("\n")]
    return [f"|{chomp}", *body, *([""] * (trailing - 1))]


def _event_lines(event: Mapping[str, object], item: str) -> list[str]:
    keys = [k for k in EVENT_ORDER if k in event] + [k for k in event if k not in EVENT_ORDER]
    simple = all(_is_scalar(event[k]) and "\n" not in str(event[k]) for k in keys)
    if simple:
        inner = ", ".join(f"{scalar(k, True)}: {scalar(event[k], True)}" for k in keys)
        return [f"{item}- {{{inner}}}"]
    pad = item + "  "
    lines: list[str] = []
    for k in keys:
        value = event[k]
        lead = f"{item}- " if not lines else pad
        multiline = isinstance(value, str) and "\n" in value
        block = _block_text(str(value), pad + "  ") if multiline else None
        if block is not None:
            lines.append(f"{lead}{scalar(k)}: {block[0]}")
            lines.extend(block[1:])
        elif _is_scalar(value):
            lines.append(f"{lead}{scalar(k)}: {scalar(value)}")
        else:
            lines.append(f"{lead}{scalar(k)}: {json.dumps(value)}")
    return lines


def entry(key: str, value: object, item: str = "  ") -> list[str]:
    """The lines for one top-level key in canonical form."""
    name = scalar(key)
    if _is_scalar(value):
        return [f"{name}: {scalar(value)}"]
    if isinstance(value, list) and all(_is_scalar(v) for v in value):
        return [f"{name}: [{', '.join(scalar(v, True) for v in value)}]"]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        lines = [f"{name}:"]
        for event in value:
            lines.extend(_event_lines(event, item))
        return lines
    dumped = yaml.safe_dump(
        {key: value}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10**6
    )
    return dumped.rstrip("\n").split("\n")


def canonical(data: Mapping[str, object]) -> str:
    """The whole front matter in canonical form (with its final newline)."""
    lines: list[str] = []
    for key, value in data.items():
        lines.extend(entry(str(key), value))
    return "\n".join(lines) + "\n" if lines else "{}\n"

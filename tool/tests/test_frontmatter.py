"""Front matter: safe loading, the canonical emitter, and minimal-diff edits."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitdesk import frontmatter
from gitdesk.frontmatter import Document, FrontMatterError, canonical, load, scalar, split
from gitdesk.splice import DELETE, apply, line_of


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain words", "plain words"),
        ("no", "'no'"),
        ("yes", "'yes'"),
        ("off", "'off'"),
        ("null", "'null'"),
        ("~", "'~'"),
        ("1:20", "'1:20'"),
        ("0755", "'0755'"),
        ("1e3", "1e3"),  # PyYAML's float needs a dot: this is text
        ("1.5e+3", "'1.5e+3'"),
        ("del\x7f \x85 \u2028 \ufeff", '"del\\x7f \\x85 \\u2028 \\ufeff"'),
        ("12", "'12'"),
        ("", "''"),
        (" padded", "' padded'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("#tag", "'#tag'"),
        ("- item", "'- item'"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("tab\there", '"tab\\there"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("Süßes 🍩", "Süßes 🍩"),
        ("2026-11-20T08:15:00Z", "2026-11-20T08:15:00Z"),  # times stay text, written plain
        (True, "true"),
        (3, "3"),
    ],
)
def test_scalars_are_quoted_only_when_needed(value: object, written: str) -> None:
    assert scalar(value) == written
    assert load(f"k: {written}\n") == {"k": value}


def test_flow_context_quotes_commas_and_brackets() -> None:
    assert scalar("a, b", flow=True) == "'a, b'"
    assert scalar("[x]", flow=False) == "'[x]'"
    assert scalar("x]", flow=True) == "'x]'"


def test_times_and_dates_are_not_converted() -> None:
    assert load("a: 2026-11-20\nb: 2026-11-20T08:15:00Z\n") == {
        "a": "2026-11-20",
        "b": "2026-11-20T08:15:00Z",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("title: x\n", "no front matter"),
        ("---\ntitle: x\n", "not closed"),
    ],
)
def test_split_errors(text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message):
        split(text)


def test_split_accepts_crlf_and_a_fence_at_the_end() -> None:
    assert split("---\r\nid: T-1\r\n---\r\nbody\r\n") == Document("id: T-1\n", "body\n")
    assert split("---\nid: T-1\n---") == Document("id: T-1\n", "")


def test_a_huge_nesting_bomb_is_refused_not_crashed() -> None:
    with pytest.raises(FrontMatterError, match="nested more than 64"):
        load("x: " + "[" * 50_000 + "]" * 50_000 + "\n")


def test_billion_laughs_is_refused() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(FrontMatterError, match="anchors and aliases"):
        load(bomb)


def test_ampersand_in_text_is_not_an_anchor() -> None:
    assert load("title: Fish &chips, R&D *now*\n") == {"title": "Fish &chips, R&D *now*"}


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029\ufeff"),
               max_size=30)  # fmt: skip
# Text made mostly of YAML's indicator characters finds quoting bugs that random text misses.
SPECIAL = st.text(alphabet="ab ?:#-,[]{}'\"!&*|>%@`~.\n\t", max_size=12)
SCALAR = st.one_of(TEXT, SPECIAL, st.integers(-1000, 1000), st.booleans())
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
EVENT = st.fixed_dictionaries(
    {
        "at": st.just("2026-11-20T08:15:00Z"),
        "by": st.sampled_from(["sari", "budi"]),
        "event": st.just("comment"),
    },
    optional={
        "text": st.one_of(TEXT, SPECIAL),
        "note": st.from_regex(r"[a-z ]{1,10}\n[a-z ]{1,10}\n?", fullmatch=True),
    },
)
DATA = st.dictionaries(
    KEY, st.one_of(SCALAR, st.lists(SCALAR, max_size=4), st.dictionaries(KEY, SCALAR, max_size=3)), max_size=6
).flatmap(lambda d: st.lists(EVENT, max_size=4).map(lambda h: {**d, "history": h} if h else d))


class PureLoader(yaml.SafeLoader):
    """PyYAML's pure-Python reader with gitdesk's settings: what runs where libyaml is missing."""


PureLoader.yaml_implicit_resolvers = frontmatter._Loader.yaml_implicit_resolvers
PureLoader.add_constructor("tag:yaml.org,2002:map", frontmatter._mapping)


NESTED = st.recursive(
    st.one_of(SCALAR, st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY | st.integers(0, 9), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEY, NESTED, max_size=5), st.sampled_from([None, True, False]))
def test_the_direct_builder_reads_what_the_pure_reader_reads(
    data: dict[str, object], flow: bool | None
) -> None:
    """Any YAML (block, flow, or mixed, as yaml.safe_dump writes it) loads to the same value."""
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert load(text) == yaml.load(text, Loader=PureLoader)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: !!str 12\nb: !!int '7'\n", {"a": "12", "b": 7}),
        ("base: &b {x: 1}\n", None),  # anchors are refused before building
        ("a: {<<: {x: 1}, y: 2}\n", {"a": {"x": 1, "y": 2}}),  # a merge key, through the loader
        ("1: one\n2.5: two\nfalse: three\n", {1: "one", 2.5: "two", False: "three"}),
        ("1: one\ntrue: again\n", None),  # true == 1 to Python: a duplicate key
    ],
)
def test_tags_merge_keys_and_number_keys_go_through_the_loader(text: str, value: object) -> None:
    if value is None:
        with pytest.raises(FrontMatterError, match=r"anchors|duplicate key"):
            load(text)
    else:
        assert load(text) == value == yaml.load(text, Loader=PureLoader)


@settings(max_examples=300, deadline=None)
@given(DATA)
def test_canonical_round_trips_byte_for_byte(data: dict[str, object]) -> None:
    text = canonical(data)
    assert load(text) == data
    assert yaml.load(text, Loader=PureLoader) == data
    assert canonical(load(text)) == text  # type: ignore[arg-type]


def test_question_marks_in_flow_text_are_quoted_for_the_pure_reader() -> None:
    text = canonical(
        {"history": [{"at": "x", "by": "budi", "event": "comment", "text": "Any update? Thanks."}]}
    )
    assert "text: 'Any update? Thanks.'" in text
    assert yaml.load(text, Loader=PureLoader)["history"][0]["text"] == "Any update? Thanks."


@settings(max_examples=200, deadline=None)
@given(DATA, KEY, SCALAR, st.lists(EVENT, max_size=2))
def test_apply_changes_what_it_is_asked_and_nothing_else(
    data: dict[str, object], key: str, value: object, events: list[dict[str, object]]
) -> None:
    doc = Document(canonical(data), "Body stays.\n")
    new = apply(doc, data, {key: value}, events)
    expected = {**data, key: value}
    if events:
        expected["history"] = [*data.get("history", []), *events]  # type: ignore[misc]
    assert load(new.front) == expected
    assert new.body == "Body stays.\n"


def test_apply_deletes_and_inserts_new_keys_near_their_kin() -> None:
    front = "id: T-1\ntitle: x\nrequester: budi\ncreated: 2026-11-20T08:15:00Z\ncustom: 1\nhistory: []\n"
    doc = Document(front, "")
    data = load(front)
    assert isinstance(data, dict)
    new = apply(doc, data, {"assignee": "sari", "custom": DELETE, "team": "ops", "zeta": "z"})
    assert new.front == (
        "id: T-1\ntitle: x\nrequester: budi\nassignee: sari\nteam: ops\ncreated: 2026-11-20T08:15:00Z\n"
        "zeta: z\nhistory: []\n"
    )


def test_apply_falls_back_to_canonical_for_a_flow_mapping() -> None:
    doc = Document("{id: T-1, status: new}\n", "")
    new = apply(doc, {"id": "T-1", "status": "new"}, {"status": "triaged"})
    assert new.front == "id: T-1\nstatus: triaged\n"


def test_multiline_text_is_a_literal_block() -> None:
    event = {"at": "2026-11-20T08:15:00Z", "by": "sari", "event": "comment", "visibility": "internal",
             "text": "line one\n  indented: yes\n\nlast"}  # fmt: skip
    text = canonical({"history": [event]})
    assert "    text: |-\n      line one\n        indented: yes\n\n      last\n" in text
    assert load(text) == {"history": [event]}


def test_line_of_finds_keys_and_history_items() -> None:
    front = "id: T-1\ntags:\n  - a\nhistory:\n  - {at: x}\n  - at: y\n    by: z\n  - {at: w}\n"
    data = load(front)
    assert isinstance(data, dict)
    assert line_of(front, data, ("tags",)) == 3
    assert line_of(front, data, ("history", 0)) == 6
    assert line_of(front, data, ("history", 2, "at")) == 9


def test_an_event_appended_after_a_block_that_keeps_its_blank_lines_keeps_them() -> None:
    """Found by hypothesis: `|+` owns the blank lines after it; the new event goes after them."""
    data = {"history": [{"at": "2026-11-20T08:15:00Z", "by": "sari", "event": "comment", "text": "0\n\n"}]}
    doc = Document(canonical(data), "")
    event = {
        "at": "2026-11-20T09:00:00Z",
        "by": "budi",
        "event": "comment",
        "visibility": "public",
        "text": "x",
    }
    done = apply(doc, data, {"a": ""}, [event])
    assert load(done.front) == {"history": [*data["history"], event], "a": ""}
    assert done.front.startswith("a: ''\nhistory:\n") and "      0\n\n  - " in done.front

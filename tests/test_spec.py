"""The spec package: well-formed tables, clause integrity, and purity."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from asgiws import spec
from asgiws._catalog import citations
from asgiws._machine import compile_machine
from asgiws.spec import (
    AMBIGUITIES,
    CLAUSES,
    INITIAL_STATES,
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    TRANSITIONS,
    Check,
    Guard,
    Level,
    MessageType,
    Party,
    Side,
    Signal,
    SpecVersion,
    State,
    States,
)

from .helpers import reachable

ROOT = Path(__file__).resolve().parent.parent
KNOWN_IDS = {c.id for c in CLAUSES} | {a.id for a in AMBIGUITIES}


# -- well-formedness -----------------------------------------------------------


@pytest.mark.parametrize("denial", [False, True], ids=["plain", "denial"])
@pytest.mark.parametrize("version", list(SpecVersion), ids=lambda v: v.value)
def test_every_state_of_each_side_is_reachable(version: SpecVersion, denial: bool) -> None:
    nodes = reachable(compile_machine(version, denial=True))
    assert {node.states[0] for node in nodes} == set(State)
    assert {node.states[1] for node in nodes} == set(State)
    if not denial:
        plain = reachable(compile_machine(version, denial=False))
        assert State.RESPONSE not in {node.states[1] for node in plain}


@pytest.mark.parametrize("side", list(Side), ids=lambda s: s.value)
def test_every_state_and_message_has_a_transition_or_a_rejection(side: Side) -> None:
    for state in State:
        for kind in (m for m in MessageType if MESSAGE_SIDE[m] is side):
            rows = [r for r in TRANSITIONS[side] if r.source is state and r.trigger is kind]
            rejections = [r for r in REJECTIONS if r.side is side and r.state is state and r.message is kind]
            assert bool(rows) != bool(rejections), (side, state, kind)
            assert len(rejections) <= 1


def test_rows_travel_on_the_side_of_their_message() -> None:
    for side, rows in TRANSITIONS.items():
        for row in rows:
            assert row.side is side
            if isinstance(row.trigger, MessageType):
                assert MESSAGE_SIDE[row.trigger] is side
            else:
                assert row.trigger is Signal.SEND_FAILED
                assert side is Side.SEND
    for rejection in REJECTIONS:
        assert MESSAGE_SIDE[rejection.message] is rejection.side


def test_guarded_rows_come_in_complementary_pairs() -> None:
    keys = Counter((r.side, r.source, r.trigger, r.guard) for rows in TRANSITIONS.values() for r in rows)
    assert all(count == 1 for count in keys.values())
    for side, source, trigger, guard in keys:
        if guard is not None:
            other = Guard.LAST_BODY if guard is Guard.MORE_BODY else Guard.MORE_BODY
            assert (side, source, trigger, other) in keys
            assert (side, source, trigger, None) not in keys


@pytest.mark.parametrize("side", list(Side), ids=lambda s: s.value)
def test_disconnected_is_the_only_terminal_state(side: Side) -> None:
    sources = {row.source for row in TRANSITIONS[side]}
    assert State.DISCONNECTED not in sources
    assert sources == set(State) - {State.DISCONNECTED}


def test_the_send_failure_signal_is_defined_wherever_a_send_can_be_attempted() -> None:
    failing = {r.source for r in TRANSITIONS[Side.SEND] if r.trigger is Signal.SEND_FAILED}
    assert failing == set(State) - {State.DISCONNECTED}
    assert all(r.target is State.DISCONNECTED for r in TRANSITIONS[Side.SEND] if r.trigger is Signal.SEND_FAILED)


def test_joint_rules_name_real_messages_of_their_side() -> None:
    for constraint in JOINT_CONSTRAINTS:
        assert all(MESSAGE_SIDE[m] is constraint.side for m in constraint.messages)
        assert constraint.other_states
    for joint in JOINT_TRANSITIONS:
        # A joint transition must not undo itself, or the fixed point would never settle.
        index = 0 if joint.side is Side.RECEIVE else 1
        settled = list(joint.when)
        settled[index] = joint.target
        assert tuple(settled) != joint.when
        assert all(tuple(settled) != other.when for other in JOINT_TRANSITIONS)


def test_every_message_type_has_a_schema_on_its_side() -> None:
    assert list(MESSAGE_SCHEMAS) == list(MessageType)
    for kind, schema in MESSAGE_SCHEMAS.items():
        assert schema.type is kind
        assert schema.side is MESSAGE_SIDE[kind]
        names = [f.name for f in schema.fields]
        assert len(names) == len(set(names))
        for constraint in schema.constraints:
            assert constraint.check is Check.EXACTLY_ONE
            assert all(name in names for name in constraint.param)  # type: ignore[attr-defined]


def test_only_the_denial_messages_need_the_extension() -> None:
    needing = {kind for kind, schema in MESSAGE_SCHEMAS.items() if schema.extension is not None}
    assert needing == {MessageType.RESPONSE_START, MessageType.RESPONSE_BODY}


def test_fields_newer_than_2_0_are_the_ones_the_changelog_names() -> None:
    newer = {(kind.value, f.name, f.since.value) for kind, s in MESSAGE_SCHEMAS.items() for f in s.fields if f.since is not SpecVersion.V2_0}
    assert newer == {
        ("websocket.accept", "headers", "2.1"),
        ("websocket.close", "reason", "2.3"),
        ("websocket.disconnect", "reason", "2.5"),
    }


# -- clause integrity ----------------------------------------------------------


def test_clause_ids_are_unique_and_well_formed() -> None:
    ids = [c.id for c in CLAUSES] + [a.id for a in AMBIGUITIES]
    assert len(ids) == len(set(ids))
    pattern = re.compile(r"^(WS-\d{3}[a-f]?|RFC-\d{3}|J-\d{2}|AW-\d{2}|AMB-\d{2})$")
    assert all(pattern.match(i) for i in ids), [i for i in ids if not pattern.match(i)]


def test_the_registry_holds_every_clause_of_the_reference() -> None:
    ids = {c.id for c in CLAUSES}
    assert {f"WS-{n:03d}" for n in range(1, 58)} <= ids
    assert {f"WS-050{s}" for s in "abcdef"} <= ids
    assert {f"RFC-{n:03d}" for n in range(1, 33)} <= ids
    assert {f"J-{n:02d}" for n in range(1, 14)} <= ids
    assert {f"AMB-{n:02d}" for n in range(1, 29)} <= {a.id for a in AMBIGUITIES}
    assert len(CLAUSES) >= 50


def test_every_cited_clause_is_known() -> None:
    unknown = {clause: places for clause, places in citations().items() if clause not in KNOWN_IDS}
    assert not unknown
    assert all(set(a.affects) <= KNOWN_IDS for a in AMBIGUITIES)


def test_every_transition_rejection_and_joint_rule_cites_a_clause() -> None:
    cited: list[tuple[str, ...]] = [r.clauses for rows in TRANSITIONS.values() for r in rows]
    cited += [r.clauses for r in REJECTIONS] + [c.clauses for c in JOINT_CONSTRAINTS] + [j.clauses for j in JOINT_TRANSITIONS]
    assert all(cited)
    for schema in MESSAGE_SCHEMAS.values():
        assert all(f.clauses and all(c.clauses for c in f.constraints) for f in schema.fields)


def test_every_binding_must_or_should_is_checked_or_says_why_not() -> None:
    cited = citations()
    for clause in CLAUSES:
        binding = clause.level in (Level.MUST, Level.SHOULD) and clause.binds in (Party.SERVER, Party.APPLICATION, Party.BOTH)
        if clause.id in cited:
            assert clause.unchecked is None, f"{clause.id} is cited yet claims to be unchecked"
        elif binding:
            assert clause.unchecked, f"{clause.id} is neither enforced nor explained"


def test_clause_summaries_are_one_line() -> None:
    for clause in CLAUSES:
        assert "\n" not in clause.summary
        assert clause.summary.strip() == clause.summary
        assert clause.source


# -- purity --------------------------------------------------------------------

_SPEC_IMPORTS = {"__future__", "enum", "dataclasses", "typing"}


@pytest.mark.parametrize("path", sorted((ROOT / "spec").glob("*.py")), ids=lambda p: p.name)
def test_the_spec_is_pure_declarations(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # The package's __getattr__ loads the tables on first use (PEP 562): it
    # is about importing, not about the protocol, and it is the only function.
    loader = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and loader and node.name == "__getattr__":
            continue
        assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda), f"behaviour in {path.name}:{node.lineno}"
        if isinstance(node, ast.Import):
            assert all(alias.name in _SPEC_IMPORTS for alias in node.names), f"{path.name}:{node.lineno}"
        if isinstance(node, ast.ImportFrom):
            allowed = _SPEC_IMPORTS | ({"importlib"} if loader else set())
            assert node.level == 1 or node.module in allowed, f"{path.name}:{node.lineno} imports {node.module}"
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(base) for base in node.bases}
            decorators = {ast.unparse(d) for d in node.decorator_list}
            plain_value = bases & {"enum.Enum", "enum.StrEnum", "NamedTuple"}
            assert plain_value or "dataclass(frozen=True, slots=True)" in decorators, node.name


def test_the_states_are_keyed_by_side() -> None:
    assert States._fields == tuple(side.value for side in Side)
    assert INITIAL_STATES == (State.CONNECTING, State.CONNECTING)


def test_the_tables_load_on_first_use() -> None:
    # A fresh interpreter: importing asgiws reads the vocabulary, not the tables.
    code = "import sys, asgiws; print(sorted(m for m in sys.modules if m.startswith('asgiws.spec.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "clauses" not in loaded
    assert "schemas" not in loaded
    assert spec.CLAUSES is sys.modules["asgiws.spec.clauses"].CLAUSES
    with pytest.raises(AttributeError, match="no attribute 'NOTHING'"):
        _ = spec.NOTHING


@pytest.mark.parametrize("folder", ["impl", "tests", "bench", "examples"])
def test_nothing_imports_the_source_folders_by_path(folder: str) -> None:
    # `import spec` would load a second copy of the spec, with enums that are not ours.
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert node.module.split(".")[0] not in {"spec", "impl"}, f"{path}:{node.lineno}"
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] not in {"spec", "impl"} for a in node.names), f"{path}:{node.lineno}"


def test_what_loads_on_first_use_is_exactly_each_module_s_own_names() -> None:
    # The package's table of lazy names must not drift from the modules' __all__.
    import importlib

    lazy = spec._LOADED_ON_USE
    for module in set(lazy.values()):
        exported = set(importlib.import_module(f"asgiws.spec.{module}").__all__)
        assert {name for name, home in lazy.items() if home == module} == exported, module
    assert set(lazy) <= set(spec.__all__)

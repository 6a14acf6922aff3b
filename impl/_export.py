"""The whole spec as JSON (for other tools and languages) and as Markdown (for people)."""

from __future__ import annotations

import enum
from typing import Any

from ._catalog import citations
from ._version import __version__
from .spec import (
    AMBIGUITIES,
    CLAUSES,
    EXTENSION_NOT_ADVERTISED,
    EXTRA_KEYS_ALLOWED,
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    MESSAGE_SCHEMAS,
    REJECTIONS,
    SCOPE_SCHEMA,
    TRANSITIONS,
    UNKNOWN_TYPE,
    VERSION_CHANGES,
    VERSION_GATE_CLAUSES,
    Constraint,
    Extension,
    Field,
    Side,
    State,
)

__all__ = ["spec_json", "spec_markdown"]


def _plain(value: object) -> Any:
    # JSON has no bytes, tuples or enums: bytes become {"bytes": hex}.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _constraint(constraint: Constraint) -> dict[str, Any]:
    return {"check": constraint.check.value, "param": _plain(constraint.param), "clauses": list(constraint.clauses)}


def _field(field: Field) -> dict[str, Any]:
    return {
        "name": field.name,
        "type": field.kind.value,
        "required": field.required,
        "nullable": field.nullable,
        "default": _plain(field.default),
        "since": field.since.value,
        "clauses": list(field.clauses),
        "constraints": [_constraint(c) for c in field.constraints],
    }


def spec_json() -> dict[str, Any]:
    """Everything in ``asgiws.spec`` as one JSON-ready dict."""
    index = citations()
    return {
        "asgiws": __version__,
        "spec_versions": [{"version": v.value, "changes": text} for v, text in VERSION_CHANGES.items()],
        "extensions": [e.value for e in Extension],
        "states": {side.value: [{"name": s.name, "value": s.value} for s in State] for side in Side},
        "initial": {side.value: State.CONNECTING.name for side in Side},
        "transitions": [
            {
                "side": row.side.value,
                "source": row.source.name,
                "trigger": row.trigger.value,
                "target": row.target.name,
                "guard": None if row.guard is None else {"field": row.guard.value[0], "is": row.guard.value[1]},
                "clauses": list(row.clauses),
            }
            for rows in TRANSITIONS.values()
            for row in rows
        ],
        "rejections": [
            {
                "side": r.side.value,
                "state": r.state.name,
                "message_type": r.message.value,
                "kind": r.kind.value,
                "reason": r.reason,
                "clauses": list(r.clauses),
            }
            for r in REJECTIONS
        ],
        "unknown_type": {side.value: list(clauses) for side, clauses in UNKNOWN_TYPE.items()},
        "extension_not_advertised": list(EXTENSION_NOT_ADVERTISED),
        "version_gate": list(VERSION_GATE_CLAUSES),
        "extra_keys_allowed": list(EXTRA_KEYS_ALLOWED),
        "joint_constraints": [
            {
                "name": c.name,
                "side": c.side.value,
                "message_types": [m.value for m in c.messages],
                "other_side_states": [s.name for s in c.other_states],
                "kind": c.kind.value,
                "reason": c.reason,
                "clauses": list(c.clauses),
            }
            for c in JOINT_CONSTRAINTS
        ],
        "joint_transitions": [
            {
                "name": j.name,
                "when": {"receive": j.when[0].name, "send": j.when[1].name},
                "side": j.side.value,
                "target": j.target.name,
                "reason": j.reason,
                "clauses": list(j.clauses),
            }
            for j in JOINT_TRANSITIONS
        ],
        "messages": [
            {
                "type": schema.type.value,
                "side": schema.side.value,
                "extension": _plain(schema.extension),
                "fields": [_field(f) for f in schema.fields],
                "constraints": [_constraint(c) for c in schema.constraints],
            }
            for schema in MESSAGE_SCHEMAS.values()
        ],
        "scope": {"type": "websocket", "fields": [_field(f) for f in SCOPE_SCHEMA.fields]},
        "clauses": [
            {
                "id": c.id,
                "level": c.level.value,
                "binds": c.binds.value,
                "summary": c.summary,
                "source": c.source,
                "enforced_by": list(index.get(c.id, ())),
                "unchecked": c.unchecked,
            }
            for c in CLAUSES
        ],
        "ambiguities": [
            {
                "id": a.id,
                "question": a.question,
                "resolution": a.resolution,
                "reason": a.reason,
                "affects": list(a.affects),
                "enforced_by": list(index.get(a.id, ())),
            }
            for a in AMBIGUITIES
        ],
    }


def _cell(text: object) -> str:
    # "][" is escaped so that scope['a']['b'] is not read as a reference-style link.
    return str(text).replace("|", "\\|").replace("][", "]\\[").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _ids(clauses: tuple[str, ...] | list[str]) -> str:
    return ", ".join(clauses)


def spec_markdown() -> str:
    """The spec as a Markdown reference page: transitions, rejections, schemas, clauses."""
    out = [
        "# The specification, table by table",
        "",
        "<!-- Generated by `asgiws spec --format markdown` from asgiws.spec. Do not edit: edit spec/ and regenerate. -->",
        "",
        "Every table below is read from `asgiws.spec`; the runtime checks, the tests and the diagrams read the same tables.",
        "",
        "## Transitions",
        "",
    ]
    for side, rows in TRANSITIONS.items():
        out += [f"### {side.value.capitalize()} side", ""]
        out += _table(
            ("from", "message", "guard", "to", "clauses"),
            [
                (r.source.name, f"`{r.trigger.value}`", r.guard.name.lower().replace("_", " ") if r.guard else "", r.target.name, _ids(r.clauses))
                for r in rows
            ],
        )
    out += ["## Rejections", "", "Every (side, state, message type) without a transition is refused for a stated reason.", ""]
    out += _table(
        ("side", "state", "message", "kind", "reason", "clauses"),
        [(r.side.value, r.state.name, f"`{r.message.value}`", r.kind.value, r.reason, _ids(r.clauses)) for r in REJECTIONS],
    )
    out += [
        f"An unknown message type is refused on the receive side under {_ids(UNKNOWN_TYPE[Side.RECEIVE])} and on the send side "
        f"under {_ids(UNKNOWN_TYPE[Side.SEND])}; a denial-response message without the extension under "
        f"{_ids(EXTENSION_NOT_ADVERTISED)}. A field newer than the connection's spec version is refused when the application "
        f"sends it with a value ({_ids(VERSION_GATE_CLAUSES)}). Unknown extra keys are always accepted ({_ids(EXTRA_KEYS_ALLOWED)}).",
        "",
        "## Joint constraints",
        "",
    ]
    out += _table(
        ("name", "refuses", "while the other side is", "kind", "reason", "clauses"),
        [
            (
                c.name,
                f"{c.side.value}: " + (", ".join(f"`{m.value}`" for m in c.messages) or "every message"),
                ", ".join(s.name for s in c.other_states),
                c.kind.value,
                c.reason,
                _ids(c.clauses),
            )
            for c in JOINT_CONSTRAINTS
        ],
    )
    out += ["## Joint transitions", ""]
    out += _table(
        ("name", "when (receive, send)", "moves", "reason", "clauses"),
        [
            (j.name, f"{j.when[0].name}, {j.when[1].name}", f"{j.side.value} side to {j.target.name}", j.reason, _ids(j.clauses))
            for j in JOINT_TRANSITIONS
        ],
    )
    out += ["## Message schemas", ""]
    for schema in MESSAGE_SCHEMAS.values():
        extension = f", needs the `{schema.extension.value}` extension" if schema.extension else ""
        out += [f"### `{schema.type.value}` ({schema.side.value} side{extension})", ""]
        out += _field_table(schema.fields) if schema.fields else ["No keys besides `type`.", ""]
        for constraint in schema.constraints:
            out += [f"Whole message: {constraint.check.value} {_plain(constraint.param)} ({_ids(constraint.clauses)}).", ""]
    out += ["## The `websocket` scope", ""]
    out += _field_table(SCOPE_SCHEMA.fields)
    out += ["## Clauses", ""]
    index = citations()
    out += _table(
        ("id", "level", "binds", "summary", "source", "enforced by"),
        [
            (c.id, c.level.value, c.binds.value, c.summary, c.source, "; ".join(index.get(c.id, ())) or f"not checked: {c.unchecked or '-'}")
            for c in CLAUSES
        ],
    )
    out += ["## Ambiguities and their resolutions", ""]
    out += _table(
        ("id", "question", "asgiws decides", "because", "affects"),
        [(a.id, a.question, a.resolution, a.reason, _ids(a.affects)) for a in AMBIGUITIES],
    )
    out += ["## Spec versions", ""]
    out += _table(("version", "what changed"), [(v.value, text) for v, text in VERSION_CHANGES.items()])
    return "\n".join(out).rstrip() + "\n"


def _constraint_text(constraint: Constraint) -> str:
    param = "" if constraint.param is None else f" {_plain(constraint.param)}"
    return f"{constraint.check.value}{param} ({_ids(constraint.clauses)})"


def _field_table(fields: tuple[Field, ...]) -> list[str]:
    return _table(
        ("key", "type", "required", "default", "since", "constraints", "clauses"),
        [
            (
                f"`{f.name}`",
                f.kind.value + (" or None" if f.nullable else ""),
                "yes" if f.required else "no",
                "" if f.default is None else repr(_plain(f.default)),
                f.since.value,
                "; ".join(_constraint_text(c) for c in f.constraints),
                _ids(f.clauses),
            )
            for f in fields
        ],
    )

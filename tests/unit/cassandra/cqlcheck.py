"""Checks every CQL statement against Apache Cassandra's cqlsh grammar and every bound
value against cassandra-driver's own serializers for the marker's declared type.

cqlsh's grammar has no ``?`` marker, so each marker is replaced by a literal of its
CQL type before parsing. The grammar rejects some valid CQL; :data:`GRAMMAR_GAPS`
names each gap and rewrites just that construct into one the grammar knows, and
a test proves each gap is real (cqlsh rejects the statement without the rewrite).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cassandra import cqltypes
from cassandra.query import UNSET_VALUE
from cqlshlib import cql3handling, pylexotron
from pydantic import BaseModel

from ormada.backends.base import Statement
from ormada.backends.cassandra.statements import CqlStatement
from ormada.backends.cassandra.types import udt_fields, udt_name, user_types_of

RULES = cql3handling.CqlRuleSet
PROTOCOL_VERSIONS = (4, 5)

# Valid CQL that cqlsh 6.2's grammar (cql3handling.py) does not accept, each with
# the smallest rewrite into a construct it does accept.
GRAMMAR_GAPS: dict[str, tuple[re.Pattern[str], str]] = {
    # <storageType> knows frozen<list|set|map<…>> but not frozen<udt>.
    "frozen user type": (re.compile(r"frozen<(\"?[A-Za-z_][\w]*\"?)>"), r"\1"),
    # <storageType> has no tuple<…>.
    "tuple type": (re.compile(r"frozen<tuple<[^<>]*(?:<[^<>]*>[^<>]*)*>>|tuple<[^<>]*>"), "blob"),
    # <collectionType> takes simple or user types as elements, not frozen collections.
    "nested frozen collection": (re.compile(r"([<,] ?)frozen<(?:list|set|map)<[^<>]*>>"), r"\1blob"),
    # <relation> has no LIKE (SASI/SAI pattern matching).
    "LIKE relation": (re.compile(r" LIKE "), " = "),
    # <orderByClause> has no ANN OF (vector search).
    "ANN OF ordering": (re.compile(r" ANN OF \S+"), " ASC"),
    # <assignment> knows c = c + <integer> (counters) and c = <term> + c (prepend) only,
    # not c = c + <collection> / c = c - <collection>.
    "collection add/remove": (re.compile(r"(\b[\w\"]+) = \1 [+-] (\[[^\]]*\]|\{[^}]*\})"), r"\1 = \2 + \1"),
    # The rule spells "keys(" as one token, which the lexer never produces.
    "index target function": (re.compile(r"\((KEYS|VALUES|ENTRIES|FULL)\(([^()]+)\)\)"), r"(\2)"),
}

_LITERALS = {
    "text": "'x'", "ascii": "'x'", "varchar": "'x'", "int": "1", "bigint": "1", "smallint": "1",
    "tinyint": "1", "varint": "1", "counter": "1", "float": "0.5", "double": "0.5", "decimal": "0.5",
    "boolean": "true", "uuid": "5b6962dd-3f90-4c93-8f61-eabfa4a803e2",
    "timeuuid": "50554d6e-29bb-11e5-b345-feff819cdc9f", "timestamp": "'2024-01-01 00:00:00+0000'",
    "date": "'2024-01-01'", "time": "'12:00:00'", "blob": "0x00", "inet": "'127.0.0.1'",
    # cqlsh cannot lex duration literals (1h2m); a string stands in for the grammar only.
    "duration": "'1h'",
}


def split_type(cql: str) -> tuple[str, list[str]]:
    """``map<text, frozen<list<int>>>`` → ``("map", ["text", "frozen<list<int>>"])``."""
    cql = cql.strip()
    if "<" not in cql:
        return cql.strip('"'), []
    name, rest = cql.split("<", 1)
    inner = rest[:-1]
    args, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(inner[start:i].strip())
            start = i + 1
    args.append(inner[start:].strip())
    return name.strip(), args


def literal(cql: str) -> str:
    """A literal of a CQL type, for the grammar."""
    name, args = split_type(cql)
    if name == "frozen":
        return literal(args[0])
    if name in ("list", "vector"):
        return f"[{literal(args[0])}]"
    if name == "set":
        return f"{{{literal(args[0])}}}"
    if name == "map":
        return f"{{{literal(args[0])}: {literal(args[1])}}}"
    if name == "tuple":
        return "NULL"  # gap: <term> has no tuple literal
    return _LITERALS.get(name, "NULL")  # user types: <term> has no UDT literal either


def substitute(statement: CqlStatement | Statement) -> str:
    """The statement text with each ``?`` replaced by a literal of its type."""
    types = getattr(statement, "types", ())
    pieces = statement.text.split("?")
    assert len(pieces) - 1 == len(types), f"{len(types)} types for {len(pieces) - 1} markers: {statement.text}"
    out = pieces[0]
    for piece, ctype in zip(pieces[1:], types, strict=True):
        lit = literal(ctype)
        if out.rstrip().endswith(" IN") and lit.startswith("["):
            lit = "(" + lit[1:-1] + ")"
        out += lit + piece
    return out


def _choice_match(self: Any, ctxt: Any, completions: Any) -> list[Any]:
    # cqlsh's matcher keeps every parse; <storageType> matches a type name both as a
    # simple type and as a user type, so a table with n columns has 2**n parses.
    # What follows a choice depends only on the tokens left, so one context per
    # remainder accepts exactly the same statements, in linear time.
    found: dict[int, Any] = {}
    for each in self.arg:
        for sub in each.match(ctxt, completions):
            found.setdefault(len(sub.remainder), sub)
    return list(found.values())


def parses(text: str) -> bool:
    """Whether cqlsh's grammar accepts the whole statement."""
    tokens = RULES.cql_massage_tokens(RULES.lex(text + ";"))
    original = pylexotron.Choice.match
    pylexotron.Choice.match = _choice_match
    try:
        return RULES.cql_whole_parse_tokens(tokens, srcstr=text + ";", startsymbol="Start") is not None
    finally:
        pylexotron.Choice.match = original


def bridge_gaps(text: str) -> tuple[str, list[str]]:
    """The text with each known grammar gap rewritten, and the gaps used."""
    used = []
    for name, (pattern, replacement) in GRAMMAR_GAPS.items():
        new = pattern.sub(replacement, text)
        if new != text:
            used.append(name)
            text = new
    return text, used


def check_grammar(statement: CqlStatement | Statement) -> list[str]:
    """Asserts the statement parses; returns the gaps it needed."""
    text = substitute(statement)
    if parses(text):
        return []
    bridged, used = bridge_gaps(text)
    assert used, f"cqlsh grammar rejects: {text}"
    assert parses(bridged), f"cqlsh grammar rejects (after bridging {used}): {bridged}"
    return used


def driver_type(cql: str, udts: dict[str, type[BaseModel]], keyspace: str = "ks") -> Any:
    """The cassandra-driver type class for a CQL type string."""
    name, args = split_type(cql)
    if name == "frozen":
        return driver_type(args[0], udts, keyspace)
    if name == "vector":
        return cqltypes.VectorType.apply_parameters([driver_type(args[0], udts), int(args[1])], None)
    if name in ("list", "set", "map", "tuple"):
        return cqltypes._cqltypes[name].apply_parameters([driver_type(a, udts) for a in args])
    if name in udts:
        model = udts[name]
        fields = udt_fields(model)
        from ormada.backends.cassandra.types import cql_type

        return cqltypes.UserType.make_udt_class(
            keyspace, name, tuple(n for n, _ in fields), tuple(driver_type(cql_type(t, nested=True), udts)
                                                           for _, t in fields))
    return cqltypes._cqltypes[name]


def udt_registry(models: Iterable[type[Any]]) -> dict[str, type[BaseModel]]:
    """Every user type the models' columns use, by CQL name."""
    out: dict[str, type[BaseModel]] = {}
    for model in models:
        for column in model.__table_schema__.columns:
            for udt in user_types_of(column.type):
                out[udt_name(udt)] = udt
    return out


def check_params(statement: CqlStatement, udts: dict[str, type[BaseModel]]) -> int:
    """Serialises every bound value with the driver's serializer for its marker's type.

    Returns:
        How many values were serialised (unset and null values are skipped).
    """
    rows = statement.params if statement.many else [statement.params]
    count = 0
    for row in rows:
        assert len(row) == len(statement.types), (statement.text, row, statement.types)
        for value, ctype in zip(row, statement.types, strict=True):
            if value is None or value is UNSET_VALUE:
                continue
            kind = driver_type(ctype, udts)
            for version in PROTOCOL_VERSIONS:
                kind.serialize(value, version)
            count += 1
    return count


def check(statement: Statement, udts: dict[str, type[BaseModel]] | None = None) -> list[str]:
    """Grammar and serializer checks together; returns the grammar gaps used."""
    assert isinstance(statement, CqlStatement)
    if statement.params and statement.types:
        check_params(statement, udts or {})
    return check_grammar(statement)

"""Reading ``system_schema`` rows into a description, and the models written for it: no
database needed (the live round trip is tests/live/cassandra/test_live_inspect.py)."""

from __future__ import annotations

import pytest

from ormada.errors import ConfigurationError
from ormada.introspect import generate
from ormada.introspect.cql import from_rows, parse_type
from ormada.introspect.description import TypeInfo
from ormada.schema import Kind


def test_cql_types() -> None:
    assert parse_type("frozen<map<text, list<int>>>") == TypeInfo(
        Kind.MAP, items=(TypeInfo(Kind.TEXT), TypeInfo(Kind.LIST, items=(TypeInfo(Kind.INT32),))), frozen=True)
    assert parse_type("frozen<tuple<int, text>>") == TypeInfo(Kind.TUPLE, items=(TypeInfo(Kind.INT32),
                                                                                  TypeInfo(Kind.TEXT)))
    assert parse_type("vector<float, 384>") == TypeInfo(Kind.VECTOR, dimensions=384)
    assert parse_type('frozen<"Address">') == TypeInfo(Kind.USER_TYPE, user_type="Address", frozen=True)
    assert parse_type("varint") == TypeInfo(Kind.INT64, db_type="varint")
    with pytest.raises(ConfigurationError, match="cannot read the CQL type"):
        parse_type("map<text")


def test_models_from_system_schema_rows() -> None:
    columns = [
        ("events", "day", "partition_key", 0, "none", "date"),
        ("events", "kind", "partition_key", 1, "none", "text"),
        ("events", "at", "clustering", 0, "desc", "timestamp"),
        ("events", "owner", "static", -1, "none", "text"),
        ("events", "where", "regular", -1, "none", "frozen<place>"),
        ("events", "labels", "regular", -1, "none", "map<text, ascii>"),
        ("views", "page", "partition_key", 0, "none", "text"),
        ("views", "n", "regular", -1, "none", "counter"),
        ("events", "near", "regular", -1, "none", "vector<float, 2>"),
    ]
    tables = [("events", 3600, "", 864000), ("views", 0, "hits", 100)]
    sai = "org.apache.cassandra.index.sai.StorageAttachedIndex"
    indexes = [("events", "events_owner_idx", "CUSTOM", {"target": "owner", "class_name": sai}),
               ("events", "ix_events_near", "CUSTOM", {"target": "near", "class_name": sai,
                                                      "similarity_function": "dot_product"})]
    types = [("place", ["name", "spot"], ["text", "frozen<point>"]), ("point", ["x"], ["double"])]
    info = from_rows("cassandra://h/ks", columns, tables, indexes, types)
    source = generate(info)
    for line in (
        "class Point(BaseModel):",
        "class Place(BaseModel):",
        "    spot: Point | None = None",
        "    day: Annotated[dt.date, PartitionKey()]",
        "    kind: Annotated[str, PartitionKey()]",
        '    at: Annotated[dt.datetime, ClusteringKey(order="desc")]',
        '    owner: Annotated[str | None, Static(), Indexed(using="sai")] = None',
        "    where: Annotated[Place | None, Frozen()] = None",
        "    labels: dict[str, str] = {}",
        "    n: Annotated[int, Counter()] = 0",
        "        default_ttl = 3600",
        '        indexes = [VectorIndex("near", metric="inner")]',
        '        options = {"comment": "hits", "gc_grace_seconds": 100}',
    ):
        assert line in source, line
    assert source.index("class Point(") < source.index("class Place(")  # a type after those it uses
    with pytest.raises(ConfigurationError, match="no table 'nope'"):
        from_rows("cassandra://h/ks", columns, tables, indexes, types, ["nope"])

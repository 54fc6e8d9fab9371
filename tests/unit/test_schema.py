"""Building a model's table schema: logical types, markers, keys and Meta options."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
import warnings
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import AwareDatetime, Field, NaiveDatetime, ValidationError

import ormada
from ormada import (
    BigInt,
    ClusteringKey,
    Column,
    ConfigurationError,
    Counter,
    DbType,
    ForeignKey,
    Frozen,
    Index,
    Indexed,
    Json,
    Model,
    PartitionKey,
    PrimaryKey,
    SmallInt,
    Text,
    TimeUUID,
    Unique,
    Vector,
)
from ormada._meta import snake_case
from ormada.schema import ColumnSchema, Kind, TableSchema

from .helpers import squash
from .models import POSTGRES, SQLITE, Address, Genre, Level, postgres_models, sqlite_models


class Colour(enum.Enum):
    RED = "red"


def column_for(annotation: Any, default: Any = ...) -> ColumnSchema:
    """The schema column a field with this annotation gets."""
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": "Probe",
        "__annotations__": {"id": Annotated[int | None, PrimaryKey()], "value": annotation},
        "id": None,
        "Meta": type("Meta", (), {"__qualname__": "Probe.Meta", "database": SQLITE}),
    }
    if default is not ...:
        namespace["value"] = default
    model = type("Probe", (Model,), namespace)
    return model.__table_schema__.by_name["value"]


@pytest.mark.parametrize(
    ("annotation", "kind"),
    [
        (bool, Kind.BOOL),
        (int, Kind.INT32),
        (Annotated[int, BigInt()], Kind.INT64),
        (Annotated[int, SmallInt()], Kind.INT16),
        (float, Kind.FLOAT64),
        (Decimal, Kind.DECIMAL),
        (str, Kind.TEXT),
        (bytes, Kind.BYTES),
        (uuid.UUID, Kind.UUID),
        (Annotated[uuid.UUID, TimeUUID()], Kind.TIMEUUID),
        (dt.datetime, Kind.DATETIME),
        (AwareDatetime, Kind.DATETIME),
        (NaiveDatetime, Kind.DATETIME),
        (dt.date, Kind.DATE),
        (dt.time, Kind.TIME),
        (Genre, Kind.ENUM),
        (Level, Kind.ENUM),
        (Literal["a", "b"], Kind.TEXT),
        (Literal[1, 2], Kind.INT32),
        (Address, Kind.USER_TYPE),
        (list[int], Kind.LIST),
        (tuple[int, ...], Kind.LIST),
        (set[str], Kind.SET),
        (frozenset[str], Kind.SET),
        (dict[str, int], Kind.MAP),
        (tuple[int, str], Kind.TUPLE),
        (dict, Kind.JSON),
        (Any, Kind.JSON),
        (Annotated[list[int], Json()], Kind.JSON),
        (Annotated[int, Counter()], Kind.COUNTER),
        (Annotated[list[float], Vector(3)], Kind.VECTOR),
    ],
)
def test_python_types_map_to_logical_kinds(annotation: Any, kind: Kind) -> None:
    column = column_for(annotation)
    assert column.type.kind is kind
    assert column.nullable is False


@pytest.mark.parametrize("annotation", [int | None, Optional[str], Annotated[Decimal | None, BigInt()]])  # noqa: UP045
def test_optional_fields_are_nullable(annotation: Any) -> None:
    assert column_for(annotation, None).nullable is True


def test_datetime_timezones() -> None:
    assert column_for(dt.datetime).type.timezone is True
    assert column_for(AwareDatetime).type.timezone is True
    assert column_for(NaiveDatetime).type.timezone is False


def test_collection_item_types() -> None:
    assert [t.kind for t in column_for(list[uuid.UUID]).type.items] == [Kind.UUID]
    assert [t.kind for t in column_for(dict[str, float]).type.items] == [Kind.TEXT, Kind.FLOAT64]
    assert [t.kind for t in column_for(tuple[int, str, bool]).type.items] == [Kind.INT32, Kind.TEXT, Kind.BOOL]


def test_text_max_length_from_the_marker_or_pydantic() -> None:
    assert column_for(Annotated[str, Text(max_length=20)]).type.max_length == 20
    assert column_for(Annotated[str, Field(max_length=8)]).type.max_length == 8
    assert column_for(str).type.max_length is None


def test_text_max_length_is_enforced_by_pydantic() -> None:
    Author = sqlite_models.Author
    Author(name="x" * 100)
    with pytest.raises(ValidationError):
        Author(name="x" * 101)


def test_decimal_precision_and_scale() -> None:
    column = column_for(Annotated[Decimal, Field(max_digits=10, decimal_places=2)])
    assert (column.type.precision, column.type.scale) == (10, 2)


def test_enum_and_model_types_are_kept() -> None:
    assert column_for(Colour).type.enum_type is Colour
    assert column_for(Address).type.user_type is Address


def test_db_type_names_the_column_type() -> None:
    column = column_for(Annotated[str, DbType("CITEXT")])
    assert column.type.kind is Kind.TEXT
    assert column.type.db_type == "CITEXT"


def test_indexed_and_unique_markers() -> None:
    indexed = column_for(Annotated[str, Indexed(using="gin")])
    assert indexed.indexed and indexed.index_using == "gin"
    assert column_for(Annotated[str, Unique()]).unique


def test_index_and_unique_names_reach_the_ddl() -> None:
    class Named(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        code: Annotated[str, Unique(name="uq_named_code_custom")]
        nick: Annotated[str, Indexed(name="ix_named_nick_custom")]

        class Meta:
            database = SQLITE

    ddl = " ".join(s.text for s in sqlite_models.database.backend.create_tables([Named.__ormada__]))
    assert "uq_named_code_custom" in ddl
    assert "ix_named_nick_custom" in ddl


# -- keys ------------------------------------------------------------------------------

def test_int_primary_key_defaulting_to_none_is_generated() -> None:
    column = sqlite_models.Book.__table_schema__.by_name["id"]
    assert column.key == "primary"
    assert column.generated and column.has_default


def test_primary_key_generation_can_be_switched() -> None:
    class Manual(Model):
        id: Annotated[int | None, PrimaryKey(autoincrement=False)] = None

        class Meta:
            database = SQLITE

    class Forced(Model):
        id: Annotated[int, PrimaryKey(autoincrement=True)] = 0

        class Meta:
            database = SQLITE

    class Required(Model):
        code: Annotated[str, PrimaryKey()]

        class Meta:
            database = SQLITE

    assert Manual.__table_schema__.generated_column is None
    assert Forced.__table_schema__.generated_column is not None
    assert Required.__table_schema__.generated_column is None


def test_composite_primary_key_is_not_generated() -> None:
    table = sqlite_models.Membership.__table_schema__
    assert [c.name for c in table.primary_key] == ["group", "member"]
    assert table.generated_column is None
    assert sqlite_models.Membership.__ormada__.pk == ("group", "member")


def test_partition_and_clustering_keys_in_order() -> None:
    class Reading(Model):
        at: Annotated[dt.datetime, ClusteringKey(order="desc")]
        sensor: Annotated[str, PartitionKey()]
        day: Annotated[dt.date, PartitionKey()]
        seq: Annotated[int, ClusteringKey()]
        value: float

        class Meta:
            database = SQLITE

    table: TableSchema = Reading.__table_schema__
    assert [c.name for c in table.partition_key] == ["sensor", "day"]
    assert [(c.name, c.clustering_order) for c in table.clustering_key] == [("at", "desc"), ("seq", "asc")]
    assert [c.name for c in table.primary_key] == ["sensor", "day", "at", "seq"]


def test_foreign_keys() -> None:
    Book = sqlite_models.Book
    assert Book.__table_schema__.by_name["author_id"].foreign_key == ("author", "id", "CASCADE")
    (relation,) = Book.__table_schema__.relations
    assert (relation.name, relation.columns, relation.target_table, relation.target_columns) == (
        "fk_books_author_id", ("author_id",), "author", ("id",))

    class Review(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        book_id: Annotated[int, ForeignKey(Book)]

        class Meta:
            database = SQLITE

    assert Review.__table_schema__.by_name["book_id"].foreign_key == ("books", "id", None)


def test_frozen_collection() -> None:
    assert column_for(Annotated[list[int], Frozen()]).type.frozen


# -- Meta --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "table"),
    [("Book", "book"), ("BookReview", "book_review"), ("HTTPLog", "http_log"), ("Address2Line", "address2_line")],
)
def test_table_defaults_to_snake_case(name: str, table: str) -> None:
    assert snake_case(name) == table


def test_meta_table_and_database() -> None:
    assert sqlite_models.Book.__table_schema__.name == "books"
    assert sqlite_models.Author.__table_schema__.name == "author"
    assert sqlite_models.Book.database() is sqlite_models.database
    assert postgres_models.Book.database() is postgres_models.database


def test_meta_indexes_and_unique_together() -> None:
    indexes = sqlite_models.Book.__table_schema__.indexes
    assert [(i.name, i.columns, i.unique) for i in indexes] == [
        ("ix_books_author_id_year", ("author_id", "year"), False),
        ("uq_books_title_author_id", ("title", "author_id"), True),
    ]


def test_meta_indexes_in_every_accepted_form() -> None:
    class Indexed3(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        a: int
        b: int

        class Meta:
            database = SQLITE
            indexes = ["a", ("a", "b"), Index("b", name="ix_custom", unique=True)]

    assert [(i.name, i.columns, i.unique) for i in Indexed3.__table_schema__.indexes] == [
        ("ix_indexed3_a", ("a",), False),
        ("ix_indexed3_a_b", ("a", "b"), False),
        ("ix_custom", ("b",), True),
    ]
    ddl = [squash(s.text) for s in sqlite_models.database.backend.create_tables([Indexed3.__ormada__])]
    assert "CREATE UNIQUE INDEX IF NOT EXISTS ix_custom ON indexed3 (b)" in ddl


def test_default_constraint_names_come_from_column_names() -> None:
    """A field renamed in Python but kept on its Column() keeps every name in the database."""

    class Owner(Model):
        id: Annotated[int | None, PrimaryKey()] = None

    class Pet(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        owner_id: Annotated[int, ForeignKey(Owner), Column("OwnerRef")]
        kind: str

        class Meta:
            table = "pet"
            indexes = [("owner_id", "kind")]
            unique_together = [("owner_id", "kind")]

    class RenamedPet(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        owner: Annotated[int, ForeignKey(Owner), Column("OwnerRef")]
        kind: str

        class Meta:
            table = "pet"
            indexes = [("owner", "kind")]
            unique_together = [("owner", "kind")]

    def names(model: type[Model]) -> list[str]:
        schema = model.__table_schema__
        return [r.name for r in schema.relations] + [i.name for i in schema.indexes]

    assert names(Pet) == names(RenamedPet) == ["fk_pet_OwnerRef", "ix_pet_OwnerRef_kind", "uq_pet_OwnerRef_kind"]


def define(body: str) -> type[Model]:
    """Defines a model from source, as a user would write it."""
    namespace: dict[str, Any] = {"__name__": __name__}
    source = (
        "from typing import Annotated, Any\n"
        "from ormada import Model, PrimaryKey, PartitionKey, ClusteringKey, ForeignKey, Index\n"
        + body
    )
    exec(source, namespace)
    return next(v for v in namespace.values() if isinstance(v, type) and issubclass(v, Model) and v is not Model)


def test_unknown_meta_option_suggests_the_closest() -> None:
    with pytest.raises(ConfigurationError, match=r"Typo\.Meta has an unknown option 'tabel'; did you mean 'table'\?"):
        define("class Typo(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n"
               "    class Meta:\n        tabel = 'x'\n")


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("indexes = [('nmae',)]", r"Meta\.indexes names unknown field 'nmae'; did you mean 'name'\?"),
        ("unique_together = ('id', 'nmae')", r"Meta\.unique_together names unknown field 'nmae'"),
        ("indexes = [3]", r"Meta\.indexes holds 3"),
        ("table = ''", r"Meta\.table must be a non-empty string"),
    ],
)
def test_bad_meta_values(meta: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        define(f"class Bad(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n    name: str\n"
               f"    class Meta:\n        {meta}\n")


def test_abstract_models_have_no_table_and_pass_options_on() -> None:
    class Base(Model):
        created: int = 0

        class Meta:
            abstract = True
            database = POSTGRES

    class Post(Base):
        id: Annotated[int | None, PrimaryKey()] = None

    assert "__table_schema__" not in Base.__dict__
    with pytest.raises(ConfigurationError, match="Base is abstract"):
        Base.query()
    assert Post.__ormada__.options.database == POSTGRES
    assert Post.__table_schema__.name == "post"
    assert [c.name for c in Post.__table_schema__.columns] == ["created", "id"]


def test_each_model_has_its_own_does_not_exist() -> None:
    Book, Author = sqlite_models.Book, sqlite_models.Author
    assert issubclass(Book.DoesNotExist, ormada.DoesNotExist)
    assert issubclass(Book.MultipleObjectsReturned, ormada.MultipleObjectsReturned)
    assert Book.DoesNotExist is not Author.DoesNotExist
    assert Book.DoesNotExist is not postgres_models.Book.DoesNotExist


# -- what cannot be stored -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("annotation", "shown"),
    [("complex", "complex"), ("int | str", "int | str")],
)
def test_field_type_that_cannot_be_stored(annotation: str, shown: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"Odd\.value: type {shown} cannot be stored"):
        define(f"class Odd(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n    value: {annotation}\n")


def test_literal_of_mixed_types_cannot_be_stored() -> None:
    with pytest.raises(ConfigurationError, match=r"Mixed\.value"):
        define("from typing import Literal\nclass Mixed(Model):\n"
               "    id: Annotated[int | None, PrimaryKey()] = None\n    value: Literal['a', 1]\n")


def test_model_without_primary_key() -> None:
    with pytest.raises(ConfigurationError, match="Keyless has no primary key"):
        define("class Keyless(Model):\n    name: str\n")


@pytest.mark.parametrize("field", ["filter", "save", "delete", "objects", "pk", "get"])
def test_field_named_like_the_model_api(field: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns about the shadowing first
        with pytest.raises(ConfigurationError, match=rf"field name\(s\) {field} would hide ormada's model API"):
            define(f"class Clash(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n    {field}: int = 0\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    a: Annotated[int, PrimaryKey()]\n    b: Annotated[int, PartitionKey()]\n",
         "use either PrimaryKey"),
        ("    a: Annotated[int, ClusteringKey()]\n", "ClusteringKey\\(\\) needs at least one PartitionKey"),
        ("    id: Annotated[int | None, PrimaryKey()] = None\n    b: Annotated[int, ForeignKey(3)]\n",
         "ForeignKey target 3 is not a model"),
    ],
)
def test_inconsistent_keys(body: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        define(f"class Keys(Model):\n{body}")


def test_generated_small_int_key_is_a_rowid_on_sqlite() -> None:
    class Tiny(Model):
        id: Annotated[int | None, PrimaryKey(), SmallInt()] = None

        class Meta:
            database = SQLITE

    (create,) = sqlite_models.database.backend.create_tables([Tiny.__ormada__])
    assert "id INTEGER NOT NULL" in create.text


# -- vectors -------------------------------------------------------------------------


def test_vector_index_options_are_checked_when_declared() -> None:
    from ormada import VectorIndex

    index = VectorIndex("embedding", metric="l2", method="ivfflat", lists=100)
    assert (index.fields, index.using, index.metric, index.options) == (
        ("embedding",), "ivfflat", "l2", (("lists", 100),))
    with pytest.raises(ConfigurationError, match=r"VectorIndex\('embedding'\): unknown metric 'dot'"):
        VectorIndex("embedding", metric="dot")
    with pytest.raises(ConfigurationError, match="unknown method 'flat'; use 'hnsw' or 'ivfflat'"):
        VectorIndex("embedding", method="flat")
    with pytest.raises(ConfigurationError, match="hnsw takes the options m, ef_construction, not 'lists'"):
        VectorIndex("embedding", lists=4)
    with pytest.raises(ConfigurationError, match="m takes a positive int, not 0"):
        VectorIndex("embedding", m=0)
    with pytest.raises(ValueError, match="Vector\\(\\) takes a positive number of dimensions, not 0"):
        Vector(0)


def test_a_vector_index_needs_a_vector_field() -> None:
    from ormada import VectorIndex

    with pytest.raises(ConfigurationError, match=r"NotAVector\.Meta\.indexes: VectorIndex\('title'\) needs a "
                                                 r"Vector\(n\) field; title holds text"):
        class NotAVector(Model):
            id: Annotated[int | None, PrimaryKey()] = None
            title: str

            class Meta:
                indexes = [VectorIndex("title")]

    class Embedded(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        embedding: Annotated[list[float], Vector(4)]

        class Meta:
            indexes = [VectorIndex("embedding", metric="inner", m=8)]

    (index,) = Embedded.__ormada__.table.indexes
    assert (index.name, index.columns, index.using, index.metric, index.options, index.vector) == (
        "ix_embedded_embedding", ("embedding",), "hnsw", "inner", (("m", 8),), True)

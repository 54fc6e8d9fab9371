"""Python names for database names: model classes for tables, fields for columns, relations.

A column whose name is a valid field name keeps it; any other (``"Album Id"``, ``class``,
``save``, ``_hidden``, ``2nd``) gets a field name of its own and ``Column("…")`` keeps the
database's.
"""

from __future__ import annotations

import keyword
import re

from ormada._meta import snake_case

# Names a generated module imports: a model class may not take them.
IMPORTED = frozenset({"Annotated", "Any", "ClassVar", "Literal", "Decimal", "Field", "NaiveDatetime", "Model",
                      "ModelView", "QuerySet", "Q", "Index", "Column", "DbType", "ForeignKey", "ManyToMany",
                      "PrimaryKey", "PartitionKey", "ClusteringKey", "Unique", "Indexed", "Text", "BigInt",
                      "SmallInt", "Static", "Counter", "Frozen", "TimeUUID", "Vector", "VectorIndex", "Json",
                      "BaseModel", "dt", "uuid", "ipaddress"})
# Builtins that annotations use (a field of that name would hide them from the fields after
# it), and the first argument of the generated managers' class methods.
BUILTIN_TYPES = frozenset({"int", "float", "str", "bool", "bytes", "list", "set", "dict", "tuple", "None", "cls"})


def model_attributes() -> frozenset[str]:
    """The names a field may not take: the model API's, pydantic's, and those the module imports."""
    from ormada.model import Model

    api = frozenset(name for name in dir(Model) if not name.startswith("__")) | {"objects", "pk"}
    return api | IMPORTED | BUILTIN_TYPES


def identifier(text: str, fallback: str) -> str:
    """``text`` made a lower-case Python identifier (``"Album Id"`` → ``album_id``)."""
    name = re.sub(r"\W+", "_", snake_case(text.strip())).strip("_").lower()
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name


def class_name(table: str, taken: set[str]) -> str:
    """The model class for a table: ``book_review`` → ``BookReview``, unique in ``taken``."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", table) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Table"
    if name[0].isdigit():
        name = "T" + name
    if name in IMPORTED or keyword.iskeyword(name):
        name += "Table"
    return unique(name, taken)


def field_name(column: str, taken: set[str], reserved: frozenset[str]) -> str:
    """The field for a column: the column's own name when it can be one, else a cleaned one."""
    if _usable(column, reserved) and column not in taken:
        return column
    name = identifier(column, "f")
    if not _usable(name, reserved):
        name += "_"
    return unique(name, taken)


def _usable(name: str, reserved: frozenset[str]) -> bool:
    return (name.isidentifier() and name.isascii() and not keyword.iskeyword(name) and not name.startswith("_")
            and not name.startswith("model_") and name not in reserved)


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``… whichever ``taken`` lacks; it is added to ``taken``."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate

"""The rows of a raw statement carry the names of their columns, in both modes, on every SQL backend."""

from __future__ import annotations

import ormada
from ormada.backends.base import RawRows
from tests.conftest import Api
from tests.models import Author


async def test_raw_rows_name_their_columns(db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Le Guin", born=1929)
    rows = await api.execute(db, "SELECT name AS who, born, 1 AS one FROM author WHERE born > :b", {"b": 1900})
    assert isinstance(rows, RawRows)
    assert rows.columns == ("who", "born", "one")
    assert rows == [("Le Guin", 1929, 1)]
    empty = await api.execute(db, "SELECT name FROM author WHERE born < :b", {"b": 0})
    assert (empty, getattr(empty, "columns", None)) == ([], ("name",))
    changed = await api.execute(db, "UPDATE author SET born = :b", {"b": 1930})
    assert changed == 1

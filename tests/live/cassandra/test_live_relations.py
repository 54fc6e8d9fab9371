"""Relations on Cassandra: keys are plain columns, prefetch reads related rows by key with
IN, and what needs a JOIN says so."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest

import ormada
from ormada import ClusteringKey, ForeignKey, PartitionKey, PrimaryKey


class CWriter(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    name: str

    class Meta:
        database = "cassandra_live"
        table = "c_writer"


class CNovel(ormada.Model):
    """Novels by writer: the writer's key is the partition key, as CQL tables are laid out."""

    writer: Annotated[CWriter, ForeignKey(related_name="novels"), PartitionKey()]
    title: Annotated[str, ClusteringKey()]
    year: int = 0

    class Meta:
        database = "cassandra_live"
        table = "c_novel"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([CWriter, CNovel])
    le_guin, butler = CWriter.create(id=1, name="Le Guin"), CWriter.create(id=2, name="Butler")
    CNovel.bulk_create([CNovel(writer=le_guin, title="Lathe", year=1971),
                        CNovel(writer=le_guin, title="Dispossessed", year=1974),
                        CNovel(writer=butler, title="Kindred", year=1979)])
    return database


def test_the_key_is_a_plain_column_and_prefetch_reads_by_key(db: Any) -> None:
    texts = " ".join(s.text for s in db.backend.create_tables([CNovel.__ormada__]))
    assert "REFERENCES" not in texts and "writer_id int" in texts
    writers = sorted(CWriter.prefetch_related("novels").filter(id__in=[1, 2]).all(), key=lambda w: w.id)
    assert [[n.title for n in w.novels] for w in writers] == [["Dispossessed", "Lathe"], ["Kindred"]]
    novels = CNovel.prefetch_related("writer").filter(writer_id=2).all()
    assert [(n.title, n.writer.name) for n in novels] == [("Kindred", "Butler")]
    one = CNovel.get(writer_id=1, title="Lathe")
    assert one.fetch_related("writer").writer.name == "Le Guin"


def test_async_prefetch(db: Any) -> None:
    async def main() -> list[Any]:
        writers = await CWriter.prefetch_related("novels").filter(id__in=[1])
        await db.aclose()
        return writers

    writers = asyncio.run(main())
    assert [n.year for n in writers[0].novels] == [1974, 1971]


def test_what_needs_a_join_is_not_supported(db: Any) -> None:
    with pytest.raises(ormada.NotSupported, match=r"select_related\('writer'\): cassandra has no JOINs; "
                                                  r"use prefetch_related\('writer'\)"):
        CNovel.select_related("writer").filter(writer_id=1).all()
    with pytest.raises(ormada.NotSupported, match=r"a filter or ordering across 'writer' needs a JOIN"):
        CNovel.filter(writer__name="Butler").all()


def test_cascades_are_not_supported(db: Any) -> None:
    class CReview(ormada.Model):
        id: Annotated[int, PrimaryKey()]
        novel_writer: Annotated[CWriter, ForeignKey(on_delete="cascade", related_name="+")]

        class Meta:
            database = "cassandra_live"
            table = "c_review"

    with pytest.raises(ormada.NotSupported, match=r"CReview\.novel_writer_id: on_delete='CASCADE' cannot be kept "
                                                  r"on Cassandra"):
        db.create_all([CReview])

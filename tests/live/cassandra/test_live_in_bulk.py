"""``in_bulk()`` against the live node: rows by partition key (``IN`` on the partition key),
sync and async; keys that name no row are left out."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest
from pydantic import Field

import ormada
from ormada import PrimaryKey


class Parcel(ormada.Model):
    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    label: str

    class Meta:
        database = "cassandra_live"
        table = "bulk_parcel"


@pytest.fixture(scope="module")
def parcels(keyspace: str) -> list[Parcel]:
    database = ormada.get_database("cassandra_live")
    database.create_all([Parcel])
    return Parcel.bulk_create([Parcel(label=f"p{i}") for i in range(5)])


async def test_in_bulk_by_partition_key(parcels: list[Parcel]) -> None:
    missing = uuid.uuid4()
    wanted = [parcels[0].id, parcels[3].id, missing]
    for found in (Parcel.in_bulk(wanted), await Parcel.ain_bulk(wanted)):
        assert sorted(b.label for b in found.values()) == ["p0", "p3"]
        assert found[parcels[3].id].label == "p3" and missing not in found


def test_in_bulk_of_no_keys(parcels: list[Parcel]) -> None:
    assert Parcel.in_bulk([]) == {}


async def test_pk_names_the_partition_key(parcels: list[Parcel]) -> None:
    """Django's ``pk`` on a one-column CQL key: on instances, in lookups and projections."""
    assert (await Parcel.aget(pk=parcels[2].id)).label == "p2" and parcels[2].pk == parcels[2].id
    assert Parcel.filter(pk__in=[parcels[0].pk, parcels[1].pk]).count() == 2
    assert Parcel.filter(pk=parcels[4].pk).values_list("pk", flat=True).all() == [parcels[4].id]



async def test_raw_instances_from_a_cql_select(parcels: list[Parcel], keyspace: str) -> None:
    """``Model.objects.raw()`` on CQL: columns matched to fields by name, others kept as attributes."""
    cql = f"SELECT id, label, writetime(label) AS written FROM {keyspace}.bulk_parcel WHERE id = :id"
    for read in (Parcel.objects.raw(cql, {"id": parcels[1].id}).all(),
                 await Parcel.objects.raw(cql, {"id": parcels[1].id}).aall()):
        [parcel] = read
        assert (parcel.id, parcel.label) == (parcels[1].id, "p1")
        assert isinstance(parcel.written, int) and parcel.written > 0

"""The read cache (``ormada.cache``) in memory and in Redis, on every SQL backend and mode:
cached reads are answered by the store, every write path invalidates them, transactions
read around the cache and invalidate at commit only, and a Redis outage degrades to the
database with a warning."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import PrivateAttr

import ormada
import ormada.cache
from ormada import Cache, ForeignKey, ManyToMany, Model, PrimaryKey, Unique
from ormada.cache import MemoryCache, RedisCache
from tests.conftest import IN_CI, Api, models_database

REDIS_URL = "redis://127.0.0.1:6379/0"


class Crate(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]

    class Meta:
        cache = Cache(ttl=300)


class Jar(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: Annotated[str, Unique()]
    grams: int = 0
    crate_id: Annotated[int | None, ForeignKey("Crate", on_delete="cascade")] = None
    notes: list[str] = []
    lids: Annotated[list[Lid], ManyToMany(related_name="jars")] = []

    class Meta:
        cache = "long"


class Lid(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    colour: str


class Loose(Model):
    """A model that opts out of a process-wide default."""

    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        cache = False


class Tag(Model):
    """No relations, no private attributes: a cached get()'s plainest copy."""

    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    seen: dt.datetime | None = None


class Memo(Model):
    """A text key, a dict field, a nested one and a private attribute."""

    code: Annotated[str, PrimaryKey()]
    counts: dict[str, int] = {}
    shelves: dict[str, list[list[int]]] = {}
    _opened: int = PrivateAttr(default=0)


JUNCTIONS = [r.through for r in Jar.__ormada__.relations.values() if r.through is not None]
MODELS: list[Any] = [Crate, Jar, Lid, Loose, Tag, Memo, *JUNCTIONS]


def redis_store(prefix: str | None = None, url: str = REDIS_URL) -> RedisCache:
    store = RedisCache(url, prefix=prefix or f"ormada-test-{uuid.uuid4().hex}", retry_after=60)
    try:
        store._client.ping()
    except Exception as exc:  # the server is missing: skip (fail in CI) saying how to start it
        if IN_CI:
            pytest.fail(f"Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable ({exc}); start it with make services")
    return store


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    chosen: Any = MemoryCache() if request.param == "memory" else redis_store()
    ormada.cache.configure(chosen, default=Cache(ttl=60))
    try:
        yield chosen
    finally:
        if isinstance(chosen, RedisCache):
            chosen.clear()
        ormada.cache.reset()


@pytest.fixture
async def cdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


async def fresh(api: Api, queryset: Any) -> list[Any]:
    """What the database holds, the cache bypassed."""
    return await api(queryset.cache(False), "all")


def dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [row.model_dump(exclude={"lids"}) for row in rows]


async def assert_cached(api: Api, store: Any, queryset: Any) -> list[Any]:
    """Reads ``queryset`` twice: the second read is a hit, and equals the database."""
    first = await api(queryset, "all")
    hits, misses = store.hits, store.misses
    second = await api(queryset, "all")
    # Every read of it (a prefetch's too) was a hit.
    assert store.hits > hits and store.misses == misses, "the second read was not answered by the cache"
    assert dump(second) == dump(first) == dump(await fresh(api, queryset))
    return second


async def test_reads_are_answered_by_the_store_as_fresh_instances(cdb: Any, api: Api, store: Any) -> None:
    crate = await api(Crate, "create", name="pantry")
    jar = await api(Jar, "create", label="jam", grams=300, crate_id=crate.id, notes=["plum"])
    one = await api(Jar, "get", id=jar.id)
    hits = store.hits
    two = await api(Jar, "get", id=jar.id)
    assert store.hits == hits + 1
    assert one == two and one is not two
    two.notes.append("changed in place")  # a hit's mutable values are its own
    assert (await api(Jar, "get", id=jar.id)).notes == ["plum"]
    two.grams = 310  # change tracking works on a hit: save() writes the change
    await api(two, "save")
    assert (await api(Jar, "get", id=jar.id)).grams == 310
    assert await api(Jar.filter(grams__gt=0), "count") == 1
    hits = store.hits
    assert await api(Jar.filter(grams__gt=0), "count") == 1
    assert store.hits == hits + 1
    labels = Jar.filter(crate_id=crate.id).values_list("label", flat=True)
    assert await api(labels, "all") == ["jam"]
    hits = store.hits
    assert await api(labels, "all") == ["jam"]
    assert store.hits == hits + 1
    with pytest.raises(Jar.DoesNotExist):  # a miss of a missing row is cached too, and still raises
        await api(Jar, "get", id=999)
    with pytest.raises(Jar.DoesNotExist):
        await api(Jar, "get", id=999)
    hits = store.hits
    await api(Loose, "create", name="never cached")
    assert len(await api(Loose.filter(name="never cached"), "all")) == 1
    assert len(await api(Loose.filter(name="never cached"), "all")) == 1
    assert store.hits == hits  # Meta.cache = False opts out of the default


WriteStep = Callable[[Api, dict[str, Any]], Awaitable[None]]


async def _save(api: Api, s: dict[str, Any]) -> None:
    jar = await api(Jar, "get", label="jam")
    jar.grams += 1
    await api(jar, "save")


async def _delete(api: Api, s: dict[str, Any]) -> None:
    await api(await api(Jar, "get", label="honey"), "delete")


async def _create(api: Api, s: dict[str, Any]) -> None:
    await api(Jar, "create", label="pickles", crate_id=s["crate"].id)


async def _bulk_create(api: Api, s: dict[str, Any]) -> None:
    await api(Jar, "bulk_create", [Jar(label=f"bulk-{i}", crate_id=s["crate"].id) for i in range(3)])


async def _bulk_update(api: Api, s: dict[str, Any]) -> None:
    jars = await api(Jar.filter(label__startswith="bulk-").cache(False), "all")
    for jar in jars:
        jar.grams = 7
    await api(Jar, "bulk_update", jars, ["grams"])


async def _upsert(api: Api, s: dict[str, Any]) -> None:
    if not ormada.get_database().backend.supports.upsert:
        await api(Jar, "create", label="upserted", crate_id=s["crate"].id)
        return
    await api(Jar, "upsert", [Jar(label="bulk-0", grams=70, crate_id=s["crate"].id)], conflict=["label"],
              update=["grams"])


async def _queryset_update(api: Api, s: dict[str, Any]) -> None:
    await api(Jar.filter(label__startswith="bulk-"), "update", grams=8)


async def _queryset_delete(api: Api, s: dict[str, Any]) -> None:
    await api(Jar.filter(label="bulk-2"), "delete")


async def _m2m_add(api: Api, s: dict[str, Any]) -> None:
    jar = await api(Jar, "get", label="jam")
    lid = await api(Lid, "create", colour="red")
    await (jar.lids.aadd(lid) if api.is_async else _sync(jar.lids.add, lid))


async def _m2m_remove(api: Api, s: dict[str, Any]) -> None:
    jar = await api(Jar.prefetch_related("lids").filter(label="jam").cache(False), "get")
    await (jar.lids.aclear() if api.is_async else _sync(jar.lids.clear))


async def _get_or_create(api: Api, s: dict[str, Any]) -> None:
    _, created = await api(Jar, "get_or_create", label="chutney", defaults={"crate_id": s["crate"].id})
    assert created


async def _update_or_create(api: Api, s: dict[str, Any]) -> None:
    _, created = await api(Jar, "update_or_create", label="chutney", defaults={"grams": 99})
    assert not created


async def _raw_execute(api: Api, s: dict[str, Any]) -> None:
    await api.execute(ormada.get_database(), "UPDATE jar SET grams = :g WHERE label = :l", {"g": 5, "l": "jam"})


async def _cascade(api: Api, s: dict[str, Any]) -> None:
    if not ormada.get_database().backend.supports.extra.get("foreign_key_actions", True):
        return  # DuckDB: no ON DELETE CASCADE to follow
    other = await api(Crate, "create", name="cellar")
    await api(Jar, "create", label="wine", crate_id=other.id)
    assert len(await assert_cached(api, s["store"], Jar.filter(label="wine"))) == 1
    await api(other, "delete")  # the database deletes its jars (ON DELETE CASCADE)
    assert await api(Jar.filter(label="wine"), "all") == [], "the cascade left a stale cached read"


async def _sync(method: Callable[..., Any], *args: Any) -> None:
    method(*args)


WRITES: list[tuple[str, WriteStep]] = [
    ("save", _save), ("delete", _delete), ("create", _create), ("bulk_create", _bulk_create),
    ("bulk_update", _bulk_update), ("upsert", _upsert), ("QuerySet.update", _queryset_update),
    ("QuerySet.delete", _queryset_delete), ("m2m add", _m2m_add), ("m2m clear", _m2m_remove),
    ("get_or_create", _get_or_create), ("update_or_create", _update_or_create), ("raw execute", _raw_execute),
    ("cascade", _cascade),
]


async def test_every_write_path_invalidates(cdb: Any, api: Api, store: Any) -> None:
    crate = await api(Crate, "create", name="pantry")
    await api(Jar, "bulk_create", [Jar(label="jam", crate_id=crate.id), Jar(label="honey", crate_id=crate.id)])
    state = {"crate": crate, "store": store}
    jars = Jar.order_by("label")
    with_lids = Jar.prefetch_related("lids").order_by("label")
    for name, step in WRITES:
        before = dump(await assert_cached(api, store, jars))
        lids_before = [[lid.colour for lid in j.lids] for j in await assert_cached(api, store, with_lids)]
        count_before = await api(Jar, "count")
        assert await api(Jar, "count") == count_before
        await step(api, state)
        after = await api(jars, "all")
        assert dump(after) == dump(await fresh(api, jars)), f"{name}: a cached read is stale"
        lids_after = [[lid.colour for lid in j.lids] for j in await api(with_lids, "all")]
        assert lids_after == [[lid.colour for lid in j.lids] for j in await fresh(api, with_lids)], name
        assert await api(Jar, "count") == len(after), f"{name}: a cached count is stale"
        if name != "cascade":  # it checks its own rows: they come and go within the step
            assert (dump(after), lids_after) != (before, lids_before), f"{name} changed nothing the test can see"


async def test_a_transaction_reads_around_the_cache_and_invalidates_at_commit(cdb: Any, api: Api,
                                                                              store: Any) -> None:
    await api(Jar, "create", label="jam", grams=1)
    query = Jar.filter(label="jam")
    await assert_cached(api, store, query)
    async with api.transaction(cdb):
        hits = store.hits
        await api(query, "update", grams=2)
        assert (await api(query, "get")).grams == 2  # its own write, not the cached row
        assert store.hits == hits
        if cdb.backend.supports.savepoints:
            async with api.transaction(cdb):  # a savepoint
                await api(query, "update", grams=3)
        else:
            await api(query, "update", grams=3)
    assert (await api(query, "get")).grams == 3
    await assert_cached(api, store, query)
    with pytest.raises(RuntimeError):
        async with api.transaction(cdb):
            await api(query, "update", grams=4)
            raise RuntimeError("roll back")
    hits = store.hits
    assert (await api(query, "get")).grams == 3
    assert store.hits == hits + 1  # the rolled-back write invalidated nothing


async def test_a_redis_outage_reads_the_database_with_a_warning(cdb: Any, api: Api) -> None:
    down = RedisCache("redis://127.0.0.1:1/0", retry_after=0.0, timeout=0.2)  # nothing listens on port 1
    ormada.cache.configure(down, default=Cache(ttl=60))
    try:
        with pytest.warns(ormada.cache.CacheWarning, match="unavailable"):
            await api(Jar, "create", label="jam", grams=1)
            assert (await api(Jar, "get", label="jam")).grams == 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ormada.cache.CacheWarning)
            await api(Jar.filter(label="jam"), "update", grams=2)
            assert (await api(Jar, "get", label="jam")).grams == 2
            assert await api(Jar, "count") == 1
    finally:
        ormada.cache.reset()


async def test_writes_made_while_redis_was_away_are_invalidated_when_it_answers(cdb: Any, api: Api) -> None:
    store = redis_store()
    ormada.cache.configure(store, default=Cache(ttl=60))
    try:
        await api(Jar, "create", label="jam", grams=1)
        await assert_cached(api, store, Jar.filter(label="jam"))
        store._down_until = float("inf")  # as after a failed call: the store reads around Redis
        await api(Jar.filter(label="jam"), "update", grams=2)
        store._down_until = 0.0
        assert (await api(Jar, "get", label="jam")).grams == 2
    finally:
        store.clear()
        ormada.cache.reset()


# -- get() by primary key from memory, before any query is built ----------------------------

class CountingCache(MemoryCache):
    """A memory store that counts the two ways a read reaches it: the full look-up (with a
    statement, as the runner asks) and the keyed one of ``Model.get(pk=…)``'s shortcut."""

    def __init__(self) -> None:
        super().__init__()
        self.full = 0
        self.keyed_hits = 0

    def lookup(self, database: str, statement: Any, tables: tuple[str, ...]) -> tuple[Any, Any]:
        self.full += 1
        return super().lookup(database, statement, tables)

    def lookup_keyed(self, *args: Any) -> Any:
        found = super().lookup_keyed(*args)
        self.keyed_hits += found is not ormada._caching.MISS
        return found


@pytest.fixture
def counting() -> Iterator[CountingCache]:
    chosen = CountingCache()
    ormada.cache.configure(chosen, default=Cache(ttl=60))
    try:
        yield chosen
    finally:
        ormada.cache.reset()


async def assert_shortcut(api: Api, store: CountingCache, model: Any, method: str = "get", **lookup: Any) -> Any:
    """``model.<method>(**lookup)`` twice: the second is answered by the shortcut alone, with
    an instance of its own equal to the database's row."""
    first = await api(model, method, **lookup)
    full, keyed, hits = store.full, store.keyed_hits, store.hits
    second = await api(model, method, **lookup)
    assert store.keyed_hits == keyed + 1 and store.full == full, "the get() did not take the shortcut"
    assert store.hits == hits + 1
    if second is not None:
        assert second is not first and second == first
        assert second == await api(model.query().cache(False), method, **lookup)
    return second


async def test_a_get_by_primary_key_is_answered_before_any_query(cdb: Any, api: Api,
                                                                 counting: CountingCache) -> None:
    crate = await api(Crate, "create", name="pantry")
    jar = await api(Jar, "create", label="jam", grams=300, crate_id=crate.id, notes=["plum"])
    one = await assert_shortcut(api, counting, Jar, id=jar.id)
    assert await assert_shortcut(api, counting, Jar, "get_or_none", id=jar.id) == one
    two = await api(Jar, "get", id=jar.id)
    assert two is not one and two.__dict__ is not one.__dict__
    two.notes.append("changed in place")  # each hit's mutable values are its own
    assert (await api(Jar, "get", id=jar.id)).notes == ["plum"]
    two.label = "jelly"
    assert one.label == "jam"
    await api(two, "save")  # change tracking works on a copy: save() writes what changed
    assert (await api(Jar, "get", id=jar.id)).label == "jelly"
    assert await assert_shortcut(api, counting, Jar, "get_or_none", id=999) is None  # a missing row, cached
    with pytest.raises(Jar.DoesNotExist, match="id=999"):
        await api(Jar, "get", id=999)
    # Anything else takes the general path (still through the cache).
    full = counting.full
    keyed = counting.keyed_hits
    assert (await api(Jar, "get", label="jelly")).id == jar.id
    assert (await api(Jar.filter(grams=300), "get", id=jar.id)).id == jar.id
    assert (await api(Jar, "get", ormada.Q(id=jar.id))).id == jar.id
    assert (await api(Jar.query().using("default"), "get", id=jar.id)).id == jar.id
    assert counting.full == full + 4 and counting.keyed_hits == keyed
    with pytest.raises(ormada.QueryError):  # a value that is not the key's: checked as before
        await api(Jar, "get", id="not a number")
    # A model that opts out never reaches the store.
    loose = await api(Loose, "create", name="never cached")
    full, keyed, hits = counting.full, counting.keyed_hits, counting.hits
    assert (await api(Loose, "get", id=loose.id)).name == "never cached"
    assert (counting.full, counting.keyed_hits, counting.hits) == (full, keyed, hits)


async def test_every_write_path_makes_the_shortcut_miss(cdb: Any, api: Api, counting: CountingCache) -> None:
    crate = await api(Crate, "create", name="pantry")
    await api(Jar, "bulk_create", [Jar(label="jam", crate_id=crate.id), Jar(label="honey", crate_id=crate.id)])
    jam = await api(Jar, "get", label="jam")
    state = {"crate": crate, "store": counting}
    for name, step in WRITES:
        if name == "cascade" and not cdb.backend.supports.extra.get("foreign_key_actions", True):
            continue  # DuckDB: the step writes nothing
        await assert_shortcut(api, counting, Jar, id=jam.id)
        await step(api, state)
        keyed, misses = counting.keyed_hits, counting.misses
        after = await api(Jar, "get_or_none", id=jam.id)
        assert counting.keyed_hits == keyed and counting.misses == misses + 1, f"{name}: the shortcut hit"
        assert after == await api(Jar.query().cache(False), "get_or_none", id=jam.id), f"{name}: a stale get()"


async def test_the_shortcut_is_not_taken_inside_a_transaction(cdb: Any, api: Api, counting: CountingCache) -> None:
    jar = await api(Jar, "create", label="jam", grams=1)
    await assert_shortcut(api, counting, Jar, id=jar.id)
    async with api.transaction(cdb):
        keyed, hits = counting.keyed_hits, counting.hits
        await api(Jar.filter(id=jar.id), "update", grams=2)
        assert (await api(Jar, "get", id=jar.id)).grams == 2  # its own write, not the cached row
        assert (counting.keyed_hits, counting.hits) == (keyed, hits)
    keyed, misses = counting.keyed_hits, counting.misses
    assert (await api(Jar, "get", id=jar.id)).grams == 2  # the commit invalidated the entry
    assert counting.keyed_hits == keyed and counting.misses == misses + 1
    assert (await assert_shortcut(api, counting, Jar, id=jar.id)).grams == 2
    with pytest.raises(RuntimeError):
        async with api.transaction(cdb):
            await api(Jar.filter(id=jar.id), "update", grams=3)
            raise RuntimeError("roll back")
    assert (await assert_shortcut(api, counting, Jar, id=jar.id)).grams == 2  # nothing to invalidate


async def test_reconfiguring_reaches_the_shortcut(cdb: Any, api: Api, counting: CountingCache) -> None:
    jar = await api(Jar, "create", label="jam", grams=1)
    await assert_shortcut(api, counting, Jar, id=jar.id)
    ormada.cache.configure(policies={"long": Cache(enabled=False)})  # Jar's policy: now off
    try:
        keyed, full, hits = counting.keyed_hits, counting.full, counting.hits
        assert (await api(Jar, "get", id=jar.id)).grams == 1
        assert (counting.keyed_hits, counting.full, counting.hits) == (keyed, full, hits)
    finally:
        ormada.cache.configure(policies={"long": Cache(ttl=3600)})
    await assert_shortcut(api, counting, Jar, id=jar.id)
    keyed, full, hits = counting.keyed_hits, counting.full, counting.hits
    ormada.cache.configure(None)
    assert (await api(Jar, "get", id=jar.id)).grams == 1  # no store: the database
    assert (counting.keyed_hits, counting.full, counting.hits) == (keyed, full, hits)


async def test_each_shortcut_hit_is_an_instance_of_its_own(cdb: Any, api: Api, counting: CountingCache) -> None:
    tag = await api(Tag, "create", name="red", seen=dt.datetime(2024, 5, 1, 12, 30))
    one = await assert_shortcut(api, counting, Tag, id=tag.id)
    two = await api(Tag, "get", id=tag.id)
    two.name = "blue"
    assert one.name == "red" and two.model_fields_set == one.model_fields_set
    await api(two, "save")
    assert (await assert_shortcut(api, counting, Tag, id=tag.id)).name == "blue"
    await api(Memo, "create", code="m-1", counts={"a": 1})
    first = await assert_shortcut(api, counting, Memo, code="m-1")
    second = await api(Memo, "get", code="m-1")
    first.counts["a"] = 2  # changed in place: no other copy sees it, and save() writes it
    first._opened = 5
    assert second.counts == {"a": 1} and second._opened == 0
    await api(first, "save")
    assert (await api(Memo, "get", code="m-1")).counts == {"a": 2}


async def test_changes_deep_inside_a_shortcut_hit_reach_no_other_copy(cdb: Any, api: Api,
                                                                      counting: CountingCache) -> None:
    await api(Memo, "create", code="m-2", shelves={"top": [[1, 2]], "low": []})
    first = await assert_shortcut(api, counting, Memo, code="m-2")
    second = await assert_shortcut(api, counting, Memo, code="m-2")
    first.shelves["top"][0].append(3)  # two levels down
    first.shelves["low"].append([9])
    first.shelves["new"] = []
    assert second.shelves == {"top": [[1, 2]], "low": []}
    third = await assert_shortcut(api, counting, Memo, code="m-2")
    assert third.shelves == {"top": [[1, 2]], "low": []}
    assert third.shelves["top"][0] is not second.shelves["top"][0]
    await api(first, "save")  # the change in place is seen against the snapshot, and written
    assert (await api(Memo, "get", code="m-2")).shelves == {"top": [[1, 2, 3]], "low": [[9]], "new": []}

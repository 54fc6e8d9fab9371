"""``ormada.introspect`` on SQL databases: models → tables → inspect → generated models →
the same tables again, on SQLite, PostgreSQL, MariaDB and DuckDB; the generated models read the
original rows; the output is stable, lint-clean and type-checks."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import introspect
from ormada.errors import ConfigurationError
from tests.introspect.conftest import Pair, models_of, unique_stem


def generated_models(pair: Pair, tmp_path: Path, importer: Any, **options: bool) -> tuple[Any, str]:
    stem = unique_stem()
    introspect.write_file(introspect.describe(pair.url), tmp_path / f"{stem}.py", **options)
    return importer(stem), stem


async def test_round_trip_gives_the_same_tables(pair: Pair, tmp_path: Path, importer: Any) -> None:
    before = introspect.describe(pair.url)
    module, _ = generated_models(pair, tmp_path, importer)
    models = models_of(module)
    assert {m.__ormada__.table.name for m in models} == {t.name for t in before.tables}
    empty = ormada.connect(pair.empty_url, name=f"empty_{uuid.uuid4().hex[:6]}")
    try:
        empty.create_all(models)
        after = introspect.describe(pair.empty_url)
        for old, new in zip(before.tables, after.tables, strict=True):
            assert old == new, old.name
    finally:
        empty.drop_all(models)
        await empty.aclose()


async def test_generated_models_read_the_original_rows(pair: Pair, tmp_path: Path, importer: Any) -> None:
    module, _ = generated_models(pair, tmp_path, importer)
    work = module.IxWork.get(title="The Dispossessed")
    assert work.price == Decimal("12.50") and work.copies == 10**12 and work.pages == 387
    assert work.token == uuid.UUID(int=7) and work.public is True and work.extra == {"tags": ["a"], "n": 1}
    assert work.added == dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert work.published == dt.date(1974, 5, 1) and work.opens == dt.time(9, 30, 15, 250)
    assert work.cover == b"\x00\x01" and work.class_ == "novel" and work.odd_name == 3
    if pair.backend == "postgresql":  # types only PostgreSQL names apart
        assert work.local == dt.datetime(2024, 1, 2, 3, 4, 5) and work.loan == dt.timedelta(days=3)
        assert work.address == ipaddress.ip_address("10.0.0.1")
    # Relations: forward, reverse (generated related_name) and many-to-many through the junction.
    loaded = module.IxWork.prefetch_related("publisher", "author", "editor", "labels", "ix_edition_set") \
        .get(id=work.id)
    assert loaded.publisher.name == "Acme" and loaded.author.name == "Ursula" and loaded.editor.name == "Ed"
    assert sorted(label.title for label in loaded.labels) == ["classic", "sf"]
    assert [e.isbn for e in sorted(loaded.ix_edition_set, key=lambda e: e.number)] == ["978-0", "978-1"]
    ursula = module.IxPerson.prefetch_related("ix_work_by_author", "ix_person_set").get(name="Ursula")
    assert len(ursula.ix_work_by_author) == 2 and [p.name for p in ursula.ix_person_set] == ["Ed"]
    assert module.IxEdition.filter(work_id=work.id).count() == 2
    # Writes go where the original models read them.
    module.IxLabel.create(title="new")
    from tests.introspect.inspect_models import Label

    assert Label.filter(title="new").exists()


@pytest.mark.parametrize("pair", ["sqlite"], indirect=True)  # checked once; the round trips check every backend
def test_the_generated_source_says_what_the_tables_hold(tmp_path: Path, pair: Pair) -> None:
    source = introspect.generate(introspect.describe(pair.url))
    for line in (
        'name: Annotated[str, Text(max_length=120), Unique()]',
        'title: Annotated[str, Unique(name="uq_label_title_custom")]',
        'labels: Annotated[list["IxLabel"], ManyToMany(through="IxWorkLabels", related_name="ix_work_set")] = []',
        "work_id: Annotated[int, PrimaryKey(), ForeignKey(\"IxWork\", related_name=\"ix_edition_set\", "
        "on_delete=\"CASCADE\")]",
        "number: Annotated[int, PrimaryKey()]",
        "copies: Annotated[int, BigInt()]",
        "pages: Annotated[int, SmallInt()]",
        "price: Annotated[Decimal, Field(max_digits=9, decimal_places=2)]",
        'class_: Annotated[str, Column("class")]',
        'odd_name: Annotated[int | None, Column("Odd Name")] = None',
        'author_id: Annotated[int, ForeignKey("IxPerson", related_name="ix_work_by_author")]',
        'indexes = [Index("title", "pages"), Index("token", unique=True, name="ix_work_token_once")]',
        'unique_together = [("isbn", "year")]',
        "id: Annotated[int | None, PrimaryKey()] = None",
        'unique_together = [("work_id", "label_id")]',
    ):
        assert f"    {line}" in source, line


def test_the_output_is_stable_and_only_changed_tables_are_rewritten(pair: Pair, tmp_path: Path) -> None:
    out = tmp_path / f"{unique_stem()}.py"
    first = introspect.write_file(introspect.describe(pair.url), out)
    assert set(first.tables.values()) == {"new"} and first.written == [out]
    text = out.read_text()
    again = introspect.write_file(introspect.describe(pair.url), out)
    assert set(again.tables.values()) == {"unchanged"} and again.written == [] and again.kept == [out]
    assert out.read_text() == text
    pair.db.execute("ALTER TABLE ix_publisher ADD COLUMN founded INTEGER")  # the tables are dropped afterwards
    changed = introspect.write_file(introspect.describe(pair.url), out)
    assert changed.tables["ix_publisher"] == "changed"
    assert {t for t, s in changed.tables.items() if s != "unchanged"} == {"ix_publisher"}
    assert "    founded: int | None = None\n" in out.read_text()
    old_blocks, new_blocks = text.split("\n\n\n"), out.read_text().split("\n\n\n")
    assert [b for b in old_blocks if "table=ix_publisher" not in b] == \
        [b for b in new_blocks if "table=ix_publisher" not in b]


ROOT = Path(__file__).resolve().parents[2]


def _lint(paths: list[Path], cwd: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    checked = subprocess.run(
        [str(ruff), "check", "--isolated", "--line-length", "120", "--target-version", "py311",
         "--select", "E,F,W,I,B,UP,SIM,RUF", "--ignore", "RUF012", *map(str, paths)],
        cwd=cwd, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The project's own mypy settings (strict, the pydantic plugin, the source tree on mypy_path, as an
    # editable install hides it) and cache: `make lint` has just checked src with them, so only the
    # generated modules are analysed here, where a cold cache costs minutes of ormada, pydantic and SQLAlchemy.
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert typed.returncode == 0, typed.stdout + typed.stderr


@pytest.mark.parametrize("pair", ["postgresql"], indirect=True)  # linted once, on the backend with the most types
def test_generated_files_pass_ruff_and_mypy_strict(pair: Pair, tmp_path: Path) -> None:
    stem = "generated_models"  # one name run after run: the cache keeps one entry for it
    introspect.write_file(introspect.describe(pair.url), tmp_path / f"{stem}.py", views=True, managers=True)
    package = tmp_path / "generated_package"
    introspect.write_package(introspect.describe(pair.url), package, views=True, managers=True)
    # One mypy run over both layouts.
    _lint([tmp_path / f"{stem}.py", tmp_path / f"{stem}_views.py", tmp_path / f"{stem}_managers.py", package],
          tmp_path)


async def test_package_views_and_managers(pair: Pair, tmp_path: Path, importer: Any) -> None:
    name = unique_stem("pkg")
    report = introspect.write_package(introspect.describe(pair.url), tmp_path / name, views=True, managers=True)
    # Tables linked by foreign keys share a module; every module and the package are written.
    assert sorted(p.name for p in (tmp_path / name).glob("*.py")) == ["__init__.py", "ix_edition.py",
                                                                       "managers.py", "views.py"]
    assert set(report.tables) == {"ix_edition", "ix_label", "ix_person", "ix_publisher", "ix_work", "ix_work_labels"}
    package = importer(name)
    views = importer(f"{name}.views")
    managers = importer(f"{name}.managers")
    work = package.IxWork.get(title="The Dispossessed")
    shown = views.IxWorkView.apply(work)
    assert shown.publisher.name == "Acme" and sorted(x.title for x in shown.labels) == ["classic", "sf"]
    pages = await package.IxWork.filter(title__startswith="The").view(views.IxWorkView)
    assert [p.author.name for p in pages] == ["Ursula"]

    class Labels(managers.IxLabelManagerBase):  # type: ignore[misc,name-defined]
        @classmethod
        def titled(cls, title: str) -> Any:
            return cls.model.filter(title=title).first()

    made = Labels.create(title="fresh")
    assert Labels.get(made.id).title == "fresh" and Labels.titled("fresh").id == made.id
    assert (await Labels.aget(made.id)).title == "fresh"
    assert Labels.filter(title__startswith="fre").count() == 1
    assert await Labels.adelete(made.id) == 1 and Labels.delete(made.id) == 0
    made = await managers.IxEditionManagerBase.acreate(work_id=work.id, number=9, isbn="x", year=2000)
    assert managers.IxEditionManagerBase.get(work.id, 9).isbn == "x"
    assert managers.IxEditionManagerBase.delete(work.id, 9) == 1
    # Run again: nothing is rewritten.
    again = introspect.write_package(introspect.describe(pair.url), tmp_path / name, views=True, managers=True)
    assert again.written == [] and set(again.tables.values()) == {"unchanged"}
    # A new column: its table is reported changed, and only the files it is in are rewritten.
    pair.db.execute("ALTER TABLE ix_label ADD COLUMN colour VARCHAR(10)")  # the tables are dropped afterwards
    changed = introspect.write_package(introspect.describe(pair.url), tmp_path / name, views=True, managers=True)
    assert {t for t, s in changed.tables.items() if s != "unchanged"} == {"ix_label"}
    assert sorted(p.name for p in changed.written) == ["ix_edition.py", "managers.py"]


def test_only_the_tables_asked_for(pair: Pair) -> None:
    info = introspect.describe(pair.url, ["ix_work", "ix_publisher"])
    assert [t.name for t in info.tables] == ["ix_publisher", "ix_work"]
    source = introspect.generate(info)
    # A key to a table left out names the table and column; no relation is made.
    assert 'author_id: Annotated[int, ForeignKey("ix_person.id")]' in source
    with pytest.raises(ConfigurationError, match="no table 'nope'"):
        introspect.describe(pair.url, ["nope"])


def test_tables_made_elsewhere(tmp_path: Path, importer: Any) -> None:
    """Names that cannot be fields, types ormada spells otherwise, literal defaults, a table
    without a primary key, and an enum-like CHECK-free table: SQLite, as a user's own file."""
    import sqlite3

    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as connection:
        connection.executescript("""
            CREATE TABLE "Track Info" (
                "TrackId" INTEGER PRIMARY KEY,
                "Name" NVARCHAR(200) NOT NULL,
                "class" TEXT,
                "save" INTEGER DEFAULT 0 NOT NULL,
                "2nd" REAL,
                "_hidden" TEXT DEFAULT 'x' NOT NULL,
                "model_id" INTEGER,
                "Composer" CHAR(3),
                "Added" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
            );
            CREATE TABLE log (message TEXT);
            CREATE TABLE "model" (id TEXT PRIMARY KEY, "int" INTEGER NOT NULL);
            INSERT INTO "Track Info" ("Name", "class", "2nd", "Composer") VALUES ('Song', 'c', 1.5, 'abc');
            INSERT INTO "model" VALUES ('a', 1);
        """)
    url = f"sqlite:///{path}"
    stem = unique_stem()
    report = introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
    assert report.skipped == ["log"]
    source = (tmp_path / f"{stem}.py").read_text()
    assert "# The table log has no primary key" in source
    for line in (
        'class TrackInfo(Model):',
        'TrackId: Annotated[int | None, PrimaryKey()] = None',
        'Name: Annotated[str, DbType("NVARCHAR(200)")]',
        'class_: Annotated[str | None, Column("class")] = None',
        'save_: Annotated[int, Column("save")] = 0',
        'f_2nd: Annotated[float | None, Column("2nd"), DbType("REAL")] = None',
        'hidden: Annotated[str, Column("_hidden")] = "x"',
        'model_id_: Annotated[int | None, Column("model_id")] = None',
        'Composer: Annotated[str | None, DbType("CHAR(3)")] = None',
        'Added: Annotated[dt.datetime | None, DbType("TIMESTAMP")] = None'
        "  # the database's default: CURRENT_TIMESTAMP",
        'table = "Track Info"',
        "class ModelTable(Model):",
        'int_: Annotated[int, Column("int")]',
    ):
        assert line in source, line
    module = importer(stem)
    database = ormada.connect(url)
    try:
        track = module.TrackInfo.get(Name="Song")
        assert (track.class_, track.save_, track.f_2nd, track.hidden, track.Composer) == ("c", 0, 1.5, "x", "abc")
        assert track.Added is not None
        assert module.ModelTable.get(id="a").int_ == 1
    finally:
        database.close()


def test_an_in_memory_duckdb_cannot_be_inspected() -> None:
    with pytest.raises(ConfigurationError, match="in-memory DuckDB database cannot be inspected"):
        introspect.describe("duckdb://:memory:")


def test_an_in_memory_sqlite_database_is_read_through_its_database() -> None:
    # Its URL alone opens another, empty database; the Database itself is read on its own connections.
    db = ormada.Database("sqlite:///:memory:", name=f"memory_{uuid.uuid4().hex[:8]}")
    try:
        db.execute_script("CREATE TABLE scratch_note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        assert [t.name for t in introspect.describe(db).tables] == ["scratch_note"]
        assert db.execute("SELECT count(*) FROM scratch_note") == [(0,)]  # left open
        assert introspect.describe("sqlite:///:memory:").tables == ()
    finally:
        db.close()


def test_postgresql_tables_made_elsewhere(pg_schema: str, tmp_path: Path, importer: Any) -> None:
    """A native enum as a Literal, casts and functions in defaults, SERIAL and IDENTITY keys,
    REAL/CHAR/arrays kept as the database spells them, json read as JSON, an expression
    index left out."""
    import psycopg

    from tests.conftest import PG_URL

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"""
            SET search_path TO "{pg_schema}";
            CREATE TYPE mood AS ENUM ('happy', 'sad');
            CREATE TABLE "Account" (
              "AccountId" serial PRIMARY KEY,
              handle varchar(30) NOT NULL DEFAULT 'anon'::character varying,
              feeling mood NOT NULL DEFAULT 'happy',
              balance numeric NOT NULL DEFAULT 0,
              score real,
              created timestamptz NOT NULL DEFAULT now(),
              tags text[],
              doc json,
              code char(3),
              flag boolean DEFAULT true
            );
            CREATE TABLE post (
              id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              account integer REFERENCES "Account" ("AccountId") ON DELETE SET NULL,
              body text NOT NULL
            );
            CREATE INDEX post_body_lower ON post (lower(body));
            INSERT INTO "Account" (handle, feeling, score, code, tags, doc) VALUES
                ('a', 'sad', 1.5, 'abc', '{{x,y}}', '{{"k": 1}}');
            INSERT INTO post (account, body) VALUES (1, 'hello');
        """)
    url = f"{PG_URL}?schema={pg_schema}"
    stem = unique_stem()
    introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
    source = (tmp_path / f"{stem}.py").read_text()
    for line in ('AccountId: Annotated[int | None, PrimaryKey()] = None',
                 'handle: Annotated[str, Text(max_length=30)] = "anon"',
                 'feeling: Literal["happy", "sad"] = "happy"',
                 'balance: Decimal = Decimal("0")',
                 'score: Annotated[float | None, DbType("REAL")] = None',
                 "created: dt.datetime  # the database's default: now()",
                 "doc: Any | None = None",
                 'code: Annotated[str | None, DbType("CHAR(3)")] = None',
                 "flag: bool | None = True",
                 "id: Annotated[int | None, PrimaryKey(), BigInt()] = None"):
        assert f"    {line}\n" in source, line
    # The key column "account" is the field account_id, so the relation can be "account".
    assert ('    account_id: Annotated[\n        int | None,\n        Column("account"),\n'
            '        ForeignKey("Account", related_name="post_set", on_delete="SET NULL"),\n    ] = None\n') in source
    assert "lower" not in source  # an index on an expression has no field to name it
    module = importer(stem)
    database = ormada.connect(url)
    try:
        account = module.Account.get(handle="a")
        assert (account.feeling, account.score, account.code, account.doc) == ("sad", 1.5, "abc", {"k": 1})
        post = module.Post.select_related("account").get(body="hello")
        assert post.account_id == account.AccountId and post.account.handle == "a"
        assert [p.body for p in module.Account.prefetch_related("post_set").get(handle="a").post_set] == ["hello"]
    finally:
        database.close()


def test_mysql_tables_made_elsewhere(mysql_database: str, tmp_path: Path, importer: Any) -> None:
    """MySQL's own types: ENUM as a Literal, TINYINT, DOUBLE, DATETIME without fractions,
    defaults, AUTO_INCREMENT, and the index MySQL adds for a foreign key left to MySQL."""
    import pymysql

    from tests.conftest import MY_HOST, MY_PORT

    with pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", database=mysql_database,
                         autocommit=True) as connection, connection.cursor() as cursor:
        for statement in (
            "CREATE TABLE shop (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE, "
            "kind ENUM('big','small') NOT NULL DEFAULT 'small', rank TINYINT, ratio DOUBLE DEFAULT 1.5, "
            "opened DATETIME, active TINYINT(1) NOT NULL DEFAULT 1)",
            "CREATE TABLE item (id BIGINT AUTO_INCREMENT PRIMARY KEY, shop_id INT NOT NULL, label TEXT, "
            "CONSTRAINT item_shop FOREIGN KEY (shop_id) REFERENCES shop (id) ON DELETE CASCADE)",
            "INSERT INTO shop (name, kind, `rank`, opened) VALUES ('corner', 'big', 3, '2024-01-02 03:04:05')",
            "INSERT INTO item (shop_id, label) VALUES (1, 'pen')",
        ):
            cursor.execute(statement)
    url = f"mysql://root@{MY_HOST}:{MY_PORT}/{mysql_database}"
    stem = unique_stem()
    introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
    source = (tmp_path / f"{stem}.py").read_text()
    for line in ("id: Annotated[int | None, PrimaryKey()] = None",
                 "name: Annotated[str, Text(max_length=50), Unique()]",
                 'kind: Literal["big", "small"] = "small"',
                 'rank: Annotated[int | None, DbType("TINYINT")] = None',
                 "ratio: float | None = 1.5",
                 'opened: Annotated[dt.datetime | None, DbType("DATETIME")] = None',
                 "active: bool = True",
                 'shop_id: Annotated[int, ForeignKey("Shop", related_name="item_set", on_delete="CASCADE")]',
                 'label: Annotated[str | None, DbType("TEXT")] = None'):
        assert f"    {line}\n" in source, line
    assert "Indexed" not in source and "indexes" not in source
    module = importer(stem)
    database = ormada.connect(url)
    try:
        shop = module.Shop.prefetch_related("item_set").get(name="corner")
        assert (shop.kind, shop.rank, shop.active, [i.label for i in shop.item_set]) == ("big", 3, True, ["pen"])
    finally:
        database.close()


class InspectedDoc(ormada.Model):
    id: Annotated[int | None, ormada.PrimaryKey()] = None
    embedding: Annotated[list[float], ormada.Vector(3)]

    class Meta:
        table = "ix_doc"
        indexes = [ormada.VectorIndex("embedding", metric="l2", method="ivfflat", lists=4)]


async def test_pgvector_columns(pgvector_database: str, tmp_path: Path, importer: Any) -> None:
    """pgvector's vector(n), which SQLAlchemy does not know, comes back as Vector(n), and its
    index as the VectorIndex that made it."""
    from tests.conftest import PGV_HOST, PGV_PORT

    url = f"postgresql://postgres@{PGV_HOST}:{PGV_PORT}/{pgvector_database}"
    database = ormada.connect(url)
    try:
        database.create_all([InspectedDoc])
        InspectedDoc.create(embedding=[1.0, 2.0, 3.0])
        stem = unique_stem()
        introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
        source = (tmp_path / f"{stem}.py").read_text()
        assert "    embedding: Annotated[list[float], Vector(3)]\n" in source
        assert '        indexes = [VectorIndex("embedding", metric="l2", method="ivfflat", lists=4)]\n' in source
        assert importer(stem).IxDoc.get().embedding == [1.0, 2.0, 3.0]
    finally:
        await database.aclose()


def test_junctions_and_keys_models_cannot_declare(tmp_path: Path, importer: Any) -> None:
    """A two-key table with columns of its own stays a model; a two-key table between one
    table and itself is a many-to-many to self; a composite foreign key is said in a comment."""
    import sqlite3

    path = tmp_path / "links.db"
    with sqlite3.connect(path) as connection:
        connection.executescript("""
            CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE person_friends (
                id INTEGER PRIMARY KEY,
                from_person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
                to_person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE
            );
            CREATE TABLE membership (
                id INTEGER PRIMARY KEY,
                person_id INTEGER NOT NULL REFERENCES person (id),
                club_id INTEGER NOT NULL REFERENCES club (id),
                role TEXT NOT NULL
            );
            CREATE TABLE club (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE seat (
                row_no INTEGER NOT NULL, col_no INTEGER NOT NULL, PRIMARY KEY (row_no, col_no)
            );
            CREATE TABLE ticket (
                id INTEGER PRIMARY KEY, row_no INTEGER, col_no INTEGER,
                FOREIGN KEY (row_no, col_no) REFERENCES seat (row_no, col_no)
            );
            INSERT INTO person VALUES (1, 'a'), (2, 'b');
            INSERT INTO person_friends (from_person_id, to_person_id) VALUES (1, 2);
        """)
    url = f"sqlite:///{path}"
    stem = unique_stem()
    introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
    source = (tmp_path / f"{stem}.py").read_text()
    assert 'friends: Annotated[list["Person"], ManyToMany(through="PersonFriends", ' \
           'related_name="person_set")] = []' in source
    assert "class Membership(Model):" in source and "    role: str\n" in source
    assert 'person_id: Annotated[int, ForeignKey("Person", related_name="membership_set")]' in source
    assert "    # part of a foreign key (row_no, col_no) -> seat(row_no, col_no), which models cannot declare\n" \
           "    row_no: int | None = None\n" in source
    module = importer(stem)
    database = ormada.connect(url)
    try:
        person = module.Person.prefetch_related("friends").get(id=1)
        assert [p.name for p in person.friends] == ["b"]
    finally:
        database.close()


def test_duckdb_tables_made_elsewhere(tmp_path: Path, importer: Any) -> None:
    """DuckDB's catalog: a key drawing from a sequence, types ormada spells otherwise, naive
    timestamps, literal defaults, quoted names in an index, a foreign key."""
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("""
            CREATE SEQUENCE item_ids;
            CREATE TABLE shelf (code VARCHAR PRIMARY KEY, "Floor" TINYINT);
            CREATE TABLE item (
                id INTEGER PRIMARY KEY DEFAULT nextval('item_ids'),
                shelf_code VARCHAR NOT NULL REFERENCES shelf (code),
                weight REAL,
                price DECIMAL(10, 2) NOT NULL DEFAULT 0,
                stocked TIMESTAMP,
                label VARCHAR NOT NULL DEFAULT 'none',
                "Odd Name" INTEGER
            );
            CREATE UNIQUE INDEX item_label_odd ON item (label, "Odd Name");
            INSERT INTO shelf VALUES ('A1', 2);
            INSERT INTO item (shelf_code, weight, price, stocked, "Odd Name")
                VALUES ('A1', 1.5, 9.99, TIMESTAMP '2024-01-02 03:04:05', 7);
        """)
    url = f"duckdb:///{path}"
    stem = unique_stem()
    introspect.write_file(introspect.describe(url), tmp_path / f"{stem}.py")
    source = (tmp_path / f"{stem}.py").read_text()
    for line in ("id: Annotated[int | None, PrimaryKey()] = None",
                 'shelf_code_id: Annotated[str, Column("shelf_code"), ForeignKey("Shelf", related_name="item_set")]',
                 'weight: Annotated[float | None, DbType("FLOAT")] = None',
                 'price: Annotated[Decimal, Field(max_digits=10, decimal_places=2)] = Decimal("0")',
                 "stocked: NaiveDatetime | None = None",
                 'label: str = "none"',
                 'odd_name: Annotated[int | None, Column("Odd Name")] = None',
                 'indexes = [Index("label", "odd_name", unique=True, name="item_label_odd")]',
                 'Floor: Annotated[int | None, DbType("TINYINT")] = None'):
        assert f"    {line}\n" in source, line
    module = importer(stem)
    database = ormada.connect(url)
    try:
        item = module.Item.select_related("shelf_code").get(odd_name=7)
        assert (item.price, item.weight, item.shelf_code.Floor) == (Decimal("9.99"), 1.5, 2)
        assert item.stocked == dt.datetime(2024, 1, 2, 3, 4, 5)
        assert module.Item.create(shelf_code="A1").id == 2  # the sequence draws the next key
    finally:
        database.close()

"""The server databases of the ``db`` fixture: one PostgreSQL schema and one MariaDB database
per test process, handed to each test as a fresh one would be, holding every test model's
table and no rows.

Making a schema or database and its tables, and dropping it, costs 0.3 s (PostgreSQL) to
0.8 s (MariaDB) per test on a loaded two-core machine, which more than a thousand tests pay.
Checking and emptying a kept one costs about 0.2 s: after each test its rows are deleted and its keys
restart at 1, unless the test changed its schema (a table, column, index, constraint, view,
trigger, routine, sequence, grant or comment added, altered or dropped: the catalog differs
from the one read when the tables were made), in which case it is dropped and the next test
makes a new one. SQLite and DuckDB files are made per test as before: their tables cost
little beside connecting.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

SERVERS = ("postgresql", "mysql")

# Everything a test could change in a PostgreSQL schema but its rows (which TRUNCATE empties,
# restarting the key sequences), one line per object.
PG_CATALOG = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s)
SELECT x FROM (
  SELECT concat_ws(' ', 'class', c.relname, c.relkind, c.relacl::text, c.reloptions::text, c.relrowsecurity,
                   c.relhastriggers, c.relhasrules, c.relpersistence, obj_description(c.oid, 'pg_class'),
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END) AS x
    FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'column', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attacl::text,
                   a.attcollation, col_description(c.oid, a.attnum))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(' ', 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'trigger', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'policy', p.polname, p.polrelid::regclass::text, p.polcmd,
                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'sequence', s.seqrelid::regclass::text, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax,
                   s.seqmin, s.seqcache, s.seqcycle)
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'routine', p.oid::regprocedure::text, md5(p.prosrc), p.proacl::text)
    FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'type', t.typname, t.typtype, t.typacl::text)
    FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'enum', t.typname, e.enumlabel, e.enumsortorder)
    FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'default privileges', d.defaclobjtype, d.defaclacl::text)
    FROM pg_default_acl d WHERE d.defaclnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT concat_ws(' ', 'schema', n.nspacl::text, n.nspowner, obj_description(n.oid, 'pg_namespace'))
    FROM pg_namespace n WHERE n.oid = (SELECT oid FROM ns)
) AS catalog ORDER BY x
"""

MY_CATALOG = [  # what SHOW CREATE TABLE does not say, for one database
    "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY 1",
    "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s ORDER BY 1",
    "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT "
    "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s ORDER BY 1",
    "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES "
    "WHERE ROUTINE_SCHEMA = %s ORDER BY 1, 2",
    "SELECT EVENT_NAME, EVENT_DEFINITION FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s ORDER BY 1",
    "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = %s ORDER BY 1, 2",
    "SELECT GRANTEE, TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = %s "
    "ORDER BY 1, 2, 3",
    "SELECT GRANTEE, TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE FROM information_schema.COLUMN_PRIVILEGES "
    "WHERE TABLE_SCHEMA = %s ORDER BY 1, 2, 3, 4",
    "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
    "WHERE SCHEMA_NAME = %s",
]
AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=(\d+)")


class KeptDatabases:
    """The databases one test process keeps, by backend (see the module's docstring)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # the PostgreSQL schema and MariaDB database kept
        self.catalogs: dict[str, Any] = {}  # their catalogs as the tables were made
        self.admins: dict[str, Any] = {}  # a connection to each server, as its superuser

    def reused(self, backend: str) -> bool:
        """Whether the test's database already holds the tables (a kept server database)."""
        return backend in self.catalogs

    def _admin(self, backend: str) -> Any:
        from tests.conftest import _mysql_admin, _pg_admin

        if backend not in self.admins:
            self.admins[backend] = _pg_admin() if backend == "postgresql" else _mysql_admin()
        return self.admins[backend]

    def url(self, backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
        """The URL of the test's database, with the test models' tables and no rows."""
        from tests.conftest import MY_HOST, MY_PORT, MYSQL_NOT_YET, PG_URL, database_url

        if backend not in SERVERS:
            return database_url(backend, request, tmp_path)
        module = request.node.module.__name__.rsplit(".", 1)[-1]
        if backend == "mysql" and module in MYSQL_NOT_YET:  # pragma: no cover - deselected beforehand
            pytest.fail(f"{module} does not run on MySQL yet: {MYSQL_NOT_YET[module]}")
        if backend not in self.names:
            self.names[backend] = self._create(backend)
        name = self.names[backend]
        return f"{PG_URL}?schema={name}" if backend == "postgresql" else f"mysql://root@{MY_HOST}:{MY_PORT}/{name}"

    def created(self, backend: str) -> None:
        """Reads the catalog of a server database whose tables were just made."""
        if backend in SERVERS and backend not in self.catalogs:
            self.catalogs[backend] = self._catalog(backend)[0]

    def hand_back(self, backend: str) -> None:
        """Empties the test's server database for the next test, or drops it if its schema changed."""
        if backend not in SERVERS or backend not in self.names:
            return
        try:
            catalog, counters = self._catalog(backend)
            if catalog == self.catalogs.get(backend):
                self._empty(backend, counters)
                return
        except BaseException:
            self.admins.pop(backend).close()  # a new connection for the drop, and the next test
            self._forget(backend)
            raise
        self._forget(backend)

    def drop_all(self) -> None:
        for backend in list(self.names):
            self._forget(backend)
        for admin in self.admins.values():
            admin.close()

    def _create(self, backend: str) -> str:
        from tests.conftest import MY_HOST, MY_PORT, MY_START, PG_START, _mysql_admin, _pg_admin, unreachable

        name = f"k_{uuid.uuid4().hex[:12]}"
        if backend == "postgresql":
            import psycopg

            try:
                admin = _pg_admin()
            except psycopg.OperationalError as exc:
                unreachable("PostgreSQL on 127.0.0.1:5432", PG_START, exc)
            with admin:
                admin.execute(f'CREATE SCHEMA "{name}"')
            return name
        import pymysql

        try:
            admin = _mysql_admin()
        except pymysql.err.OperationalError as exc:
            unreachable(f"MariaDB on {MY_HOST}:{MY_PORT}", MY_START, exc)
        with admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return name

    def _catalog(self, backend: str) -> tuple[Any, dict[str, int]]:
        """What the database holds but rows, and the MariaDB tables whose next key is above 1."""
        name = self.names[backend]
        admin = self._admin(backend)
        if backend == "postgresql":
            return [row[0] for row in admin.execute(PG_CATALOG, {"schema": name})], {}
        found: list[Any] = []
        counters: dict[str, int] = {}
        with admin.cursor() as cursor:
            for statement in MY_CATALOG:
                cursor.execute(statement, (name,))
                found.append(cursor.fetchall())
            for table, kind in found[0]:
                if kind != "BASE TABLE":
                    continue
                cursor.execute(f"SHOW CREATE TABLE `{name}`.`{table}`")
                definition = cursor.fetchone()[1]
                counter = AUTO_INCREMENT.search(definition)
                if counter is not None and int(counter.group(1)) > 1:
                    counters[table] = int(counter.group(1))
                found.append(AUTO_INCREMENT.sub("", definition))
        return found, counters

    def _empty(self, backend: str, counters: dict[str, int]) -> None:
        name = self.names[backend]
        admin = self._admin(backend)
        if backend == "postgresql":
            tables = [row[0] for row in admin.execute(
                "SELECT format('%%I.%%I', schemaname, tablename) FROM pg_tables WHERE schemaname = %s", (name,))]
            if tables:
                admin.execute("SET lock_timeout = '30s'")
                admin.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            return
        with admin.cursor() as cursor:
            cursor.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                           "AND TABLE_TYPE = 'BASE TABLE'", (name,))
            tables = [row[0] for row in cursor.fetchall()]
            if not tables:
                return
            cursor.execute("SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM `{name}`.`{t}`)" for t in tables))
            filled = [table for table, rows in zip(tables, cursor.fetchone(), strict=True) if rows]
            cursor.execute("SET SESSION lock_wait_timeout = 30, FOREIGN_KEY_CHECKS = 0")
            try:
                for table in filled:
                    cursor.execute(f"DELETE FROM `{name}`.`{table}`")
                for table in counters:
                    cursor.execute(f"ALTER TABLE `{name}`.`{table}` AUTO_INCREMENT = 1")
            finally:
                cursor.execute("SET SESSION FOREIGN_KEY_CHECKS = 1")

    def _forget(self, backend: str) -> None:
        """Drops the kept database of ``backend``; the next test makes a new one."""
        name = self.names.pop(backend)
        self.catalogs.pop(backend, None)
        admin = self._admin(backend)
        if backend == "postgresql":
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')
            return
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")

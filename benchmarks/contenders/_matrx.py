"""matrx-orm set-up shared by its contenders: registering the benchmark database, closing it.

matrx-orm (PostgreSQL only, async only, Python 3.13) runs on asyncpg pools it opens itself. It
maps existing tables and has no create-table call (its schema builder generates code from a live
database), so its contenders create their tables with the same DDL as the raw baselines.
"""

from __future__ import annotations

from benchmarks.databases import Target

DATABASE = "bench"
#: matrx-orm refuses a configuration without a password; the benchmark server trusts local
#: connections and ignores it.
PASSWORD = "unused-with-trust-auth"
NAME = "matrx-orm"


def register(target: Target) -> None:
    """Register the benchmark database under ``DATABASE`` (one small pool: concurrency 1)."""
    from matrx_orm import DatabaseProjectConfig, is_database_registered, register_database

    if is_database_registered(DATABASE):  # one process maps both models of the SQL workload
        return
    pg = target.pg
    register_database(DatabaseProjectConfig(
        name=DATABASE, alias=DATABASE, host=pg["host"], port=str(pg["port"]), database_name=pg["database"],
        user=pg["user"], password=PASSWORD, pool_min=1, pool_max=4,
    ))


async def close() -> None:
    from matrx_orm.adapters import AdapterRegistry
    from matrx_orm.core.async_db_manager import AsyncDatabaseManager

    await AdapterRegistry.close_all()
    await AsyncDatabaseManager.cleanup()

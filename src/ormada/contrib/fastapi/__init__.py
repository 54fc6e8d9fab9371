"""FastAPI integration: a lifespan that opens and closes ormada's databases
(``pip install 'ormada[fastapi]'``)."""

from __future__ import annotations

from ormada.contrib.fastapi.lifespan import ormada_lifespan

__all__ = ["ormada_lifespan"]

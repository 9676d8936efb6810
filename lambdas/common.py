"""What every worker shares: settings read once per container, models pointed at the tables."""

from __future__ import annotations

from functools import lru_cache

from app.config import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    from app.models.base import configure_models
    from app.models.tables import table_definitions  # noqa: F401 (registers every model)

    loaded = load_settings()
    configure_models(loaded)
    return loaded

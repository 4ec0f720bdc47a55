"""Schema migrations (Alembic), callable from the CLI and at start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Blocking: call it outside an event loop."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    """The same from async code: Alembic runs its own loop, so it gets its own thread."""
    await asyncio.to_thread(upgrade, url)

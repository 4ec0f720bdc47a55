"""Schema migrations (Alembic), callable from the CLI and at start-up."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from storage.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Blocking: call it outside an event loop."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    """The same from async code: Alembic runs its own loop, so it gets its own thread."""
    await asyncio.to_thread(upgrade, url)


def head_revision() -> str:
    """The newest revision in migrations/versions (read from the files, without Alembic)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision: str = ['\"](\w+)['\"]", text, re.MULTILINE)
        down = re.search(r"^down_revision: [^=]+= ['\"](\w+)['\"]", text, re.MULTILINE)
        if revision:
            revisions[revision.group(1)] = down.group(1) if down else None
    parents = set(revisions.values())
    heads = [r for r in revisions if r not in parents]
    if len(heads) != 1:
        raise RuntimeError(f"expected one migration head, found {sorted(heads)}")
    return heads[0]


async def ensure_schema(url: str) -> None:
    """Migrate only when the database is behind: a start-up without importing Alembic."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            current = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    except Exception:  # no database file or no alembic_version yet: migrate
        current = None
    finally:
        await engine.dispose()
    if current != head_revision():
        await upgrade_async(url)

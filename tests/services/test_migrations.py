"""The Alembic migrations build exactly the schema the models describe (a column added to a
model without its migration, or the other way round, fails here), and every revision
downgrades and upgrades again cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on SQLModel.metadata
from services.db import migrate
from services.settings import PROJECT_ROOT


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_match_the_models(engine):
    assert differences(engine) == []


def test_every_revision_downgrades_and_upgrades_again(engine):
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert differences(engine) == []

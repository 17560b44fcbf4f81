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
from models import IntegrationLog, Shipment
from services.db import migrate, session_scope
from services.settings import PROJECT_ROOT
from tests.utils.factories import make_shipment


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_match_the_models(engine):
    assert differences(engine) == []


def _config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def test_every_revision_downgrades_and_upgrades_again(engine):
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert differences(engine) == []


def test_documents_sent_before_are_pinned_to_the_organisation_they_went_to(engine):
    """Shipments sent with no organisation of their own learn, from their last successful
    send, which organisation their document is in."""
    with session_scope(engine) as session:
        sent, never = make_shipment(session), make_shipment(session)
        sent.xero_document_id = "doc-1"
        session.flush()
        for tenant, outcome in (("t-old", "Processed"), ("t-nz", "Processed"), ("t-x", "Rejected")):
            session.add(
                IntegrationLog(
                    shipment_id=sent.id, tenant_id=tenant, trigger="bulk", outcome=outcome
                )
            )
        ids = sent.id, never.id
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "7a1f3d9e2b60")
        command.upgrade(config, "head")
    with session_scope(engine) as session:
        assert [session.get(Shipment, i).tenant_id for i in ids] == ["t-nz", None]

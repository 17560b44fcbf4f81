"""settings: two field sources, user management

Revision ID: c5ebad734f56
Revises: b4dafc623e45
Create Date: 2026-11-30 12:00:00.000000

"""

from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = "c5ebad734f56"
down_revision: Union[str, Sequence[str], None] = "b4dafc623e45"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Xero's Reference field gets a source of its own; reference_source keeps setting the number.
    with op.batch_alter_table("sync_settings") as batch:
        batch.add_column(
            sa.Column(
                "xero_reference_source",
                sqlmodel.sql.sqltypes.AutoString(length=30),
                nullable=False,
                server_default="incoterms_shipment",
            )
        )
    with op.batch_alter_table("sync_settings") as batch:
        batch.alter_column("xero_reference_source", server_default=None)
    # One-time setup steps (the first admin): the primary key makes each happen once.
    op.create_table(
        "app_setup",
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("done_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("step"),
    )
    # An existing install with users has had its first admin already.
    op.execute(
        "INSERT INTO app_setup (step, done_by, done_at) "
        "SELECT 'first_admin', 'migration', CURRENT_TIMESTAMP "
        "WHERE EXISTS (SELECT 1 FROM app_user)"
    )


def downgrade() -> None:
    op.drop_table("app_setup")
    with op.batch_alter_table("sync_settings") as batch:
        batch.drop_column("xero_reference_source")

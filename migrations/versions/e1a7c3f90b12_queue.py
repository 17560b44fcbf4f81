"""queue: fair leasing across organisations, poll jobs

Revision ID: e1a7c3f90b12
Revises: b7e4c1d9a2f5
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'e1a7c3f90b12'
down_revision: Union[str, Sequence[str], None] = 'b7e4c1d9a2f5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # One row per organisation (and "*" for the app): the limiter in one statement a call.
    op.create_table(
        "rate_limit_state",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recent", sa.Text(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.Column("last_call_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("day_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("day_calls", sa.Integer(), nullable=False),
        sa.Column("leased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    # The lease looks for each organisation's due jobs.
    op.create_index(
        "ix_sync_job_tenant_status_due",
        "sync_job",
        ["tenant_id", "status", "not_before"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sync_job_tenant_status_due", table_name="sync_job")
    op.drop_table("rate_limit_state")

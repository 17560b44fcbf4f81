"""xero usage: calls and bytes per organisation, day and kind of call

Revision ID: a8d51e3c7f02
Revises: f4c2a8e61b37
Create Date: 2026-11-30 09:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'a8d51e3c7f02'
down_revision: Union[str, Sequence[str], None] = 'f4c2a8e61b37'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Xero prices apps by data downloaded and limits calls a day: count both."""
    op.create_table('xero_usage',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('day_remaining', sa.Integer(), nullable=True),
    sa.Column('last_call_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'day', 'kind')
    )


def downgrade() -> None:
    op.drop_table('xero_usage')

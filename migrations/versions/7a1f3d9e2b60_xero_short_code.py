"""xero short code

Revision ID: 7a1f3d9e2b60
Revises: 5e0b7c21a9d4
Create Date: 2026-11-22 08:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '7a1f3d9e2b60'
down_revision: Union[str, Sequence[str], None] = '5e0b7c21a9d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Xero's ShortCode of each connected organisation (deep links open the right one)."""
    with op.batch_alter_table('xero_connection', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('short_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('xero_connection', schema=None) as batch_op:
        batch_op.drop_column('short_code')

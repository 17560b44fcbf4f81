"""tax rate can apply to revenue

Revision ID: e5b7a3c91d24
Revises: c61d0a4e8b93
Create Date: 2026-11-29 11:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e5b7a3c91d24'
down_revision: Union[str, Sequence[str], None] = 'c61d0a4e8b93'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Xero's CanApplyToRevenue per cached tax rate: sales documents offer and accept only
    those (unknown until the next refresh reads it)."""
    with op.batch_alter_table('xero_tax_rate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_apply_to_revenue', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('xero_tax_rate', schema=None) as batch_op:
        batch_op.drop_column('can_apply_to_revenue')

"""xero contact name

Revision ID: 5e0b7c21a9d4
Revises: 9c4994af6f3e
Create Date: 2026-11-22 08:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '5e0b7c21a9d4'
down_revision: Union[str, Sequence[str], None] = '9c4994af6f3e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The Xero contact a sent document went to (finance groups customers by it)."""
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('xero_contact_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_column('xero_contact_name')

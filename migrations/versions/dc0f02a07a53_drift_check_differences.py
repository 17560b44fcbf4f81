"""drift check: differences from Xero, and the contact each send resolved

Revision ID: dc0f02a07a53
Revises: e5b7a3c91d24
Create Date: 2026-11-30 09:10:23.606914

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'dc0f02a07a53'
down_revision: Union[str, Sequence[str], None] = 'e5b7a3c91d24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Where sent shipments differ from their documents in Xero; the ContactID each send
    resolved (unknown for shipments sent before: the drift check learns it from Xero)."""
    op.create_table('xero_difference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('here', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('in_xero', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('found_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('xero_updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'kind')
    )
    with op.batch_alter_table('xero_difference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_difference_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('xero_contact_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): rebuilding the shipment table would
    # trip the foreign keys of the rows that point at it.
    with op.batch_alter_table('shipment', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('xero_contact_id')

    with op.batch_alter_table('xero_difference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_difference_tenant_id'))

    op.drop_table('xero_difference')

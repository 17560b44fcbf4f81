"""credit notes and voids

Revision ID: b4dafc623e45
Revises: a3c9e5b12d34
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'b4dafc623e45'
down_revision: Union[str, Sequence[str], None] = 'a3c9e5b12d34'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('xero_credit_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('invoice_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('credit_note_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('credit_note_number', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('allocated', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('remaining', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('line_numbers', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('xero_credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_credit_note_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xero_credit_note_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xero_credit_note_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('retired_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('number_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('xero_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('retired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'number_key')
    )
    with op.batch_alter_table('retired_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_number_shipment_id'), ['shipment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('retired_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retired_number_shipment_id'))
    op.drop_table('retired_number')
    with op.batch_alter_table('xero_credit_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_credit_note_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_xero_credit_note_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_xero_credit_note_created_at'))
    op.drop_table('xero_credit_note')

"""fenced claims, sent-content hash, worker heartbeat, limiter index

Revision ID: f4c2a8e61b37
Revises: dc0f02a07a53
Create Date: 2026-11-30 09:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f4c2a8e61b37'
down_revision: Union[str, Sequence[str], None] = 'dc0f02a07a53'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A fencing token and the last Processed content's hash per shipment; a heartbeat per
    worker; the limiter's (organisation, start) index so its counts stay flat over a year."""
    with op.batch_alter_table('shipment', schema=None, recreate='never') as batch_op:
        batch_op.add_column(
            sa.Column('claim_fence', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('sent_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column('send_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.create_table(
        'worker_heartbeat',
        sa.Column('worker_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('worker_id'),
    )
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_worker_heartbeat_seen_at'), ['seen_at'], unique=False
        )
    with op.batch_alter_table('api_call_slot', schema=None) as batch_op:
        batch_op.create_index(
            'ix_api_call_slot_tenant_started', ['tenant_id', 'started_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('api_call_slot', schema=None) as batch_op:
        batch_op.drop_index('ix_api_call_slot_tenant_started')
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeat_seen_at'))
    op.drop_table('worker_heartbeat')
    with op.batch_alter_table('shipment', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('send_started_at')
        batch_op.drop_column('sent_hash')
        batch_op.drop_column('claim_fence')

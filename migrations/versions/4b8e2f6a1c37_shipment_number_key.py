"""shipment numbers unique ignoring case and surrounding spaces

Revision ID: 4b8e2f6a1c37
Revises: a8d51e3c7f02
Create Date: 2026-11-30 09:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4b8e2f6a1c37'
down_revision: Union[str, Sequence[str], None] = 'a8d51e3c7f02'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _number_key(number: str) -> str:
    # models.shipment.number_key as of this revision (a migration keeps its own copy).
    return number.strip().casefold()


def _refuse_colliding_numbers(connection) -> None:
    """Stop, changing nothing, when existing shipment numbers would become one number."""
    by_key: dict[str, list[str]] = {}
    for (number,) in connection.execute(sa.text('SELECT shipment_number FROM shipment')):
        by_key.setdefault(_number_key(number), []).append(number)
    colliding = sorted(sorted(group) for group in by_key.values() if len(group) > 1)
    if colliding:
        raise RuntimeError(
            'The upgrade stopped and changed nothing: these shipment numbers differ only in '
            'capitals or surrounding spaces, and each group must be one number from now on: '
            + '; '.join(' / '.join(repr(n) for n in group) for group in colliding)
            + '. Renumber all but one of each group, then upgrade again.'
        )


def upgrade() -> None:
    """number_key (the shipment number trimmed and case-folded) with a unique index, filled
    for every shipment. Refuses, changing nothing, when existing numbers collide."""
    connection = op.get_bind()
    _refuse_colliding_numbers(connection)
    # Added NOT NULL with a default so SQLite need not rebuild the shipment table (a rebuild
    # drops it, and with foreign keys on that cascades to its lines).
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('number_key', sa.String(length=60), server_default='', nullable=False)
        )
    rows = connection.execute(sa.text('SELECT id, shipment_number FROM shipment')).all()
    for shipment_id, number in rows:
        connection.execute(
            sa.text('UPDATE shipment SET number_key = :key WHERE id = :id'),
            {'key': _number_key(number), 'id': shipment_id},
        )
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_number_key'), ['number_key'], unique=True)
    if connection.dialect.name != 'sqlite':
        op.alter_column('shipment', 'number_key', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_number_key'))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops a column in place (3.35+): no rebuild of the shipment table.
        op.execute('ALTER TABLE shipment DROP COLUMN number_key')
    else:
        op.drop_column('shipment', 'number_key')

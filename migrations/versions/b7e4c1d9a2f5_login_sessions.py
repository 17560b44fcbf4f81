"""login sessions, login attempts, cookie key generation, deactivated users, OAuth state's
login session

Revision ID: b7e4c1d9a2f5
Revises: 4b8e2f6a1c37
Create Date: 2026-11-30 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = 'b7e4c1d9a2f5'
down_revision: Union[str, Sequence[str], None] = '4b8e2f6a1c37'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'login_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ended_because', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('cookie_key_generation', sa.Integer(), nullable=False),
        sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_username'), ['username'], unique=False)
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_username_at', ['username', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_client_at', ['client_address', 'at'], unique=False)
    op.create_table(
        'cookie_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('rotated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('rotated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    # Added with a default so SQLite need not rebuild the tables; every existing user stays
    # active, and a state begun before this revision has no login session.
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table('oauth_state', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'login_session_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('app_user', 'active', server_default=None)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE oauth_state DROP COLUMN login_session_id')
        op.execute('ALTER TABLE app_user DROP COLUMN active')
    else:
        op.drop_column('oauth_state', 'login_session_id')
        op.drop_column('app_user', 'active')
    op.drop_table('cookie_key')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_client_at')
        batch_op.drop_index('ix_login_attempt_username_at')
    op.drop_table('login_attempt')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_username'))
    op.drop_table('login_session')

"""cancellations on the queue: a job's kind

Revision ID: a7d1e9c3b5f8
Revises: d6fcbe845a67
Create Date: 2026-11-30 13:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'a7d1e9c3b5f8'
down_revision: Union[str, Sequence[str], None] = 'd6fcbe845a67'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing jobs are sends; the server default fills them, then is dropped (the model
    # sets the kind on every new job).
    with op.batch_alter_table("sync_job") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="send")
        )
        batch.add_column(sa.Column("cancel_action", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("cancel_lines", sa.String(length=400), nullable=True))
    with op.batch_alter_table("sync_job") as batch:
        batch.alter_column("kind", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sync_job") as batch:
        batch.drop_column("cancel_lines")
        batch.drop_column("cancel_action")
        batch.drop_column("kind")

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
    pass


def downgrade() -> None:
    pass

"""scale: search indexes and finance summaries

Revision ID: f2b8d4a01c23
Revises: e1a7c3f90b12
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f2b8d4a01c23'
down_revision: Union[str, Sequence[str], None] = 'e1a7c3f90b12'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""finance summaries maintained on write

Revision ID: b8e2fad4c6a9
Revises: a7d1e9c3b5f8
Create Date: 2026-11-30 13:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'b8e2fad4c6a9'
down_revision: Union[str, Sequence[str], None] = 'a7d1e9c3b5f8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

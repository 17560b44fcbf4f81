"""settings: two field sources, user management

Revision ID: c5ebad734f56
Revises: b4dafc623e45
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'c5ebad734f56'
down_revision: Union[str, Sequence[str], None] = 'b4dafc623e45'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

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
    pass


def downgrade() -> None:
    pass

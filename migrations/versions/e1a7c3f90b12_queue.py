"""queue: fair leasing across organisations, poll jobs

Revision ID: e1a7c3f90b12
Revises: b7e4c1d9a2f5
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'e1a7c3f90b12'
down_revision: Union[str, Sequence[str], None] = 'b7e4c1d9a2f5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

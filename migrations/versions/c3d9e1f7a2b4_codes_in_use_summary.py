"""codes in use summary (issue 16, goal 3: Check all from indexed aggregates)

Revision ID: c3d9e1f7a2b4
Revises: b8e2fad4c6a9
Create Date: 2026-11-30 15:00:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c3d9e1f7a2b4"
down_revision: Union[str, Sequence[str], None] = "b8e2fad4c6a9"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

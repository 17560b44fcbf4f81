"""worker: the streamed payment pull finds shipments by Xero document id (indexed)

Revision ID: d6fcbe845a67
Revises: c5ebad734f56
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'd6fcbe845a67'
down_revision: Union[str, Sequence[str], None] = 'c5ebad734f56'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_shipment_xero_document_id", "shipment", ["xero_document_id"])


def downgrade() -> None:
    op.drop_index("ix_shipment_xero_document_id", table_name="shipment")

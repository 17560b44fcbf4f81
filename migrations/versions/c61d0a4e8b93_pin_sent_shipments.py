"""pin sent shipments to their organisation

Revision ID: c61d0a4e8b93
Revises: 7a1f3d9e2b60
Create Date: 2026-11-29 10:10:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'c61d0a4e8b93'
down_revision: Union[str, Sequence[str], None] = '7a1f3d9e2b60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A shipment in Xero with no organisation of its own went to the default one: record
    which (from its last successful send), so a later send updates it there even after the
    default organisation changes."""
    op.execute(
        """
        UPDATE shipment SET tenant_id = (
            SELECT l.tenant_id FROM integration_log l
            WHERE l.shipment_id = shipment.id AND l.outcome = 'Processed'
              AND l.tenant_id IS NOT NULL
            ORDER BY l.id DESC LIMIT 1
        )
        WHERE tenant_id IS NULL AND xero_document_id IS NOT NULL
        """
    )


def downgrade() -> None:
    """Nothing to undo: the organisation a document is in stays true."""

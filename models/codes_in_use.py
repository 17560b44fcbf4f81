"""The codes waiting shipments use, kept on write for Check all (services.aliases.check_all).

Two tables, both written only by database triggers (migration c3d9e1f7a2b4) in the same
transaction as the change to a shipment or a line, so every writer (ORM, bulk UPDATE, COPY,
raw SQL) keeps them right:

- `waiting_code_use`: one row per code a waiting shipment uses (its buyer code, its consignee
  code, each line's product code), with the shipment's organisation and number. Only waiting
  shipments (not sent, rejected, changed, queued) have rows, and each row belongs to one
  shipment or line, so writers never share a row. Check all reads the rows of the codes that
  do not map: the shipments held back, from one index.
- `code_in_use_delta`: how many of those rows each (kind, code, organisation) has, as
  append-only deltas (+1 when a row comes, -1 when it goes, written by triggers on
  `waiting_code_use`), folded now and then into one row per key (services.codes_in_use
  .compact). Append-only because a popular code is counted by every writer at once: adding a
  row never waits on another transaction's lock on a shared counter, nor deadlocks with it.
  Check all reads which codes are in use here: a few thousand rows at any number of
  shipments."""

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

# What `kind` holds: the shipment column the code comes from (the customer code is the
# buyer's or the consignee's, as the organisation's settings say; both are kept).
KINDS = ("buyer_code", "consignee_code", "product_code")


class WaitingCodeUse(SQLModel, table=True):
    __tablename__ = "waiting_code_use"
    # Check all: an unmapped code's waiting shipments, from the index alone; the triggers
    # find a shipment's and a line's rows by the other two.
    __table_args__ = (
        Index(
            "ix_waiting_code_use_code",
            "kind",
            "code",
            "tenant_id",
            "shipment_id",
            "shipment_number",
        ),
        Index("ix_waiting_code_use_shipment", "shipment_id"),
        Index("ix_waiting_code_use_line", "line_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    code: str = Field(max_length=60)  # as the shipment spells it (" ALOK" is its own code)
    tenant_id: str | None = Field(default=None, max_length=64)
    shipment_id: int
    shipment_number: str = Field(max_length=60)
    line_id: int | None = None  # the line a product code is on; none for customer codes


class CodeInUseDelta(SQLModel, table=True):
    __tablename__ = "code_in_use_delta"
    __table_args__ = (Index("ix_code_in_use_delta_key", "kind", "tenant_id", "code", "uses"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    code: str = Field(max_length=60)
    tenant_id: str | None = Field(default=None, max_length=64)
    uses: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}
    )  # rows added less removed
    # A row written by compaction (the sum of earlier rows), not by a change.
    compacted: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})

"""The one claim protocol every sender uses (the page's Send, Sync now, Retry, the worker).

A claim is a fenced lease on shipments: taking one writes a fresh token, stamps `claimed_at`
and raises each shipment's `claim_fence`. It lasts `sync_lease_seconds` unless renewed; a
heartbeat renews it while the send runs, so a short lease still covers a long batch, and a
dead process's claim runs out within one lease. Before sending and before applying Xero's
answer the holder checks the fence (UPDATE … WHERE claim_token = :mine AND claim_fence = :mine):
a sender whose claim ran out or was taken over sends nothing and applies nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from sqlalchemy import Table, bindparam, inspect, or_, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from models import JobStatus, Shipment, SyncJob, as_utc, utcnow
from services.db import session_scope
from services.settings import get_settings

log = logging.getLogger("shipbridge.claims")


@dataclass
class Claim:
    """Shipments one sender holds: its token and each shipment's fence when it took it."""

    token: str
    fences: dict[int, int] = field(default_factory=dict)

    @property
    def shipment_ids(self) -> list[int]:
        return list(self.fences)


def _shipments() -> Table:
    """The shipment table itself, for plain statements (no ORM objects, no session sync)."""
    table = inspect(Shipment).local_table
    assert isinstance(table, Table)
    return table


def new_token(holder: str = "send") -> str:
    """A claim token that says who holds it (a worker's id or "send") and is never reused."""
    return f"{holder[:40]}:{uuid.uuid4().hex[:20]}"


def lease_span() -> timedelta:
    return timedelta(seconds=get_settings().sync_lease_seconds)


def take(*, session: Session, shipment_ids: list[int], token: str) -> Claim:
    """Claim the shipments no other sender holds (a claim whose lease ran out is taken over,
    its fence raised). Runs in the caller's transaction; returns what was taken."""
    claim = Claim(token)
    if not shipment_ids:
        return claim
    now = utcnow()
    # One statement: a token is new for each claim, so the rows it updates are all it holds.
    taken = session.connection().execute(
        _taking(),
        {"ids": shipment_ids, "token": token, "now": now, "expired": now - lease_span()},
    )
    claim.fences.update({shipment_id: fence for shipment_id, fence in taken})
    return claim


@cache
def _taking():
    """`take`'s UPDATE, built once (its values bound at each call)."""
    shipment = _shipments().c
    moment = shipment.claimed_at.type
    return (
        update(_shipments())
        .where(
            shipment.id.in_(bindparam("ids", expanding=True)),
            or_(
                shipment.claim_token.is_(None),
                shipment.claimed_at < bindparam("expired", type_=moment),
            ),
        )
        .values(
            claim_token=bindparam("token", type_=shipment.claim_token.type),
            claimed_at=bindparam("now", type_=moment),
            claim_fence=shipment.claim_fence + 1,
        )
        .returning(shipment.id, shipment.claim_fence)
    )


def claim(*, engine: Engine, shipment_ids: list[int], token: str) -> Claim:
    """`take` in a transaction of its own."""
    with session_scope(engine) as session:
        return take(session=session, shipment_ids=shipment_ids, token=token)


def hold(*, session: Session, claim: Claim, shipment_ids: list[int] | None = None) -> set[int]:
    """Renew the claim in the caller's transaction and return the shipments still held with
    the fence they were taken with. The renewing UPDATE locks those rows until the caller
    commits, so nobody can take them over while the caller applies an answer."""
    ids = [i for i in (shipment_ids if shipment_ids is not None else claim.shipment_ids)]
    if not ids:
        return set()
    now = utcnow()
    session.exec(
        update(Shipment)
        .where(col(Shipment.id).in_(ids), col(Shipment.claim_token) == claim.token)
        .values(claimed_at=now)
    )
    session.exec(
        update(SyncJob)
        .where(col(SyncJob.leased_by) == claim.token, col(SyncJob.status) == JobStatus.RUNNING)
        .values(lease_expires_at=now + lease_span())
    )
    held = session.exec(
        select(Shipment.id, Shipment.claim_fence).where(
            col(Shipment.id).in_(ids), col(Shipment.claim_token) == claim.token
        )
    )
    return {i for i, fence in held if i is not None and claim.fences.get(i) == fence}


def check(connection: Connection, *, claim: Claim, shipment_ids: list[int]) -> set[int]:
    """The fence check in ONE statement, in the caller's transaction: renew the claim on the
    shipments this claim still holds (locking those rows until the caller commits, so nobody
    takes them over meanwhile) and return those whose fence is still the one it took them
    with. Cheaper than `hold`: the jobs' lease is left to the heartbeat."""
    if not shipment_ids:
        return set()
    held = connection.execute(
        _checking(), {"ids": shipment_ids, "token": claim.token, "now": utcnow()}
    )
    return {i for i, fence in held if claim.fences.get(i) == fence}


@cache
def _checking():
    """`check`'s UPDATE, built once (its values bound at each call)."""
    shipment = _shipments().c
    return (
        update(_shipments())
        .where(
            shipment.id.in_(bindparam("ids", expanding=True)),
            shipment.claim_token == bindparam("token", type_=shipment.claim_token.type),
        )
        .values(claimed_at=bindparam("now", type_=shipment.claimed_at.type))
        .returning(shipment.id, shipment.claim_fence)
    )


def renew(*, engine: Engine, claim: Claim) -> set[int]:
    """The heartbeat: renew, in a transaction of its own, the claim on the shipments and jobs
    nobody has locked, taking the locks in id order and never waiting. Waiting on rows the
    holder's own apply (whose fence check renews them anyway) or a taker had locked deadlocked
    on PostgreSQL (make chaos, page racing the worker). SQLite has no row locks. Returns the
    shipments still held with the fence they were taken with, as committed."""
    ids = claim.shipment_ids
    if not ids:
        return set()
    now = utcnow()
    shipments = (
        select(Shipment.id)
        .where(col(Shipment.id).in_(ids), col(Shipment.claim_token) == claim.token)
        .order_by(col(Shipment.id))
        .with_for_update(skip_locked=True)
    )
    jobs = (
        select(SyncJob.id)
        .where(col(SyncJob.leased_by) == claim.token, col(SyncJob.status) == JobStatus.RUNNING)
        .order_by(col(SyncJob.id))
        .with_for_update(skip_locked=True)
    )
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(col(Shipment.id).in_(shipments.scalar_subquery()))
            .values(claimed_at=now)
        )
        session.exec(
            update(SyncJob)
            .where(col(SyncJob.id).in_(jobs.scalar_subquery()))
            .values(lease_expires_at=now + lease_span())
        )
        held = session.exec(
            select(Shipment.id, Shipment.claim_fence).where(
                col(Shipment.id).in_(ids), col(Shipment.claim_token) == claim.token
            )
        )
        return {i for i, fence in held if i is not None and claim.fences.get(i) == fence}


def release(*, engine: Engine, claim: Claim) -> None:
    """Give the shipments back (only those this claim still holds; the fence stays raised)."""
    if not claim.fences:
        return
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(
                col(Shipment.id).in_(claim.shipment_ids),
                col(Shipment.claim_token) == claim.token,
            )
            .values(claim_token=None, claimed_at=None)
        )


def held_now(shipment: Shipment) -> bool:
    """True while a sender holds the shipment (a dead sender's claim ends with its lease)."""
    if not shipment.claim_token or shipment.claimed_at is None:
        return False
    return as_utc(shipment.claimed_at) > utcnow() - lease_span()


def held_count(*, session: Session) -> int:
    """Shipments claimed now (by a live sender or, until its lease runs out, a dead one)."""
    return len(
        list(session.exec(select(Shipment.id).where(col(Shipment.claim_token).is_not(None))))
    )


class Heartbeat:
    """Renews a claim every third of a lease while a send runs, in a daemon thread. A renewal
    that fails (the database is away) is retried at the next beat; `lost` collects shipments
    found taken over."""

    def __init__(self, *, engine: Engine, claim: Claim, every: float | None = None):
        self.engine, self.claim = engine, claim
        self.every = every if every is not None else max(get_settings().sync_lease_seconds / 3, 0.1)
        self.lost: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        if self.claim.fences:
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.every):
            try:
                held = renew(engine=self.engine, claim=self.claim)
            except Exception as error:  # noqa: BLE001 - the next beat tries again
                if not failing:
                    log.warning("claim %s not renewed: %s", self.claim.token, error)
                failing = True
                continue
            if failing:
                log.info("claim %s renewed again", self.claim.token)
            failing = False
            self.lost |= set(self.claim.fences) - held

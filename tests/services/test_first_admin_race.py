"""Issue 14's gap: two people submitting the first-admin form at the same moment. Exactly one
becomes the admin; the other is told to log in. Runs on SQLite and, with TEST_DATABASE_URL,
on PostgreSQL (each session is its own connection)."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from models import AppSetup, AppUser
from services import users

PASSWORD = "a long enough password"


def _submit(engine, username: str, outcomes: dict[str, str], start: threading.Barrier | None):
    with Session(engine) as session:
        if start is not None:
            start.wait(timeout=30)
        try:
            users.create_first_admin(
                session=session,
                username=username,
                name=username.title(),
                password=PASSWORD,
                password_again=PASSWORD,
            )
            session.commit()
            outcomes[username] = "created"
        except users.UserAccountError as error:
            session.rollback()
            outcomes[username] = str(error)


def _admins(engine) -> list[str]:
    with Session(engine) as session:
        return [u.username for u in session.exec(select(AppUser)).all()]


def test_a_second_submission_while_the_first_is_uncommitted_is_refused(engine):
    """The worst interleaving, forced: A has inserted and not committed; B submits (both saw
    no user). B waits for A's row, then is refused."""
    first = Session(engine)
    users.create_first_admin(
        session=first, username="ana", name="Ana", password=PASSWORD, password_again=PASSWORD
    )
    outcomes: dict[str, str] = {}
    second = threading.Thread(target=_submit, args=(engine, "ben", outcomes, None))
    second.start()
    second.join(timeout=1.0)
    assert second.is_alive(), "B must wait for A's uncommitted first-admin row"
    first.commit()
    first.close()
    second.join(timeout=60)
    assert outcomes == {"ben": users.FIRST_ADMIN_TAKEN}
    assert _admins(engine) == ["ana"]


@pytest.mark.parametrize("racers", [2, 4])
def test_simultaneous_submissions_make_exactly_one_admin(engine, racers):
    names = [f"admin{n}" for n in range(racers)]
    outcomes: dict[str, str] = {}
    start = threading.Barrier(racers)
    threads = [
        threading.Thread(target=_submit, args=(engine, name, outcomes, start)) for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    created = [name for name, outcome in outcomes.items() if outcome == "created"]
    assert len(outcomes) == racers
    assert len(created) == 1
    assert {o for o in outcomes.values() if o != "created"} == {users.FIRST_ADMIN_TAKEN}
    assert _admins(engine) == created
    with Session(engine) as session:
        assert session.exec(select(AppSetup)).one().done_by == created[0]


def test_after_the_first_admin_the_form_is_refused(engine):
    outcomes: dict[str, str] = {}
    _submit(engine, "ana", outcomes, None)
    _submit(engine, "ben", outcomes, None)
    assert outcomes == {"ana": "created", "ben": users.FIRST_ADMIN_TAKEN}

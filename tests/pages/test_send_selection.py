"""Send to Accounting says exactly what Send will do (issue 15, item 6): more selected than
one send takes is said, and the user chooses which to send now (or queues them all); rows
can be removed on the page; only the chosen shipments are checked and previewed, so a
selection of 200 costs one preview of ten."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import IntegrationLog, Outcome, Shipment, SyncJob, Trigger
from services import settings
from services.connections import finish_connect, start_connect
from services.db import session_scope
from services.sync import batch_size
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    count_rows,
    set_sync_state,
    texts,
)
from tests.utils.consent import allow_access
from ui import state


def all_ids() -> list[int]:
    with session_scope() as session:
        return [i for i in session.exec(select(Shipment.id).order_by(col(Shipment.id))) if i]


def numbers_of(ids: list[int]) -> list[str]:
    with session_scope() as session:
        found = dict(
            session.exec(
                select(Shipment.id, Shipment.shipment_number).where(col(Shipment.id).in_(ids))
            ).all()
        )
    return [found[i] for i in ids]


def open_send(at, ids: list[int], *, timeout: float = 30):
    at.session_state[state.SELECTED_IDS] = ids
    at.switch_page("pages/send.py").run(timeout=timeout)
    assert_clean(at)
    return at


def preview_counts(at) -> str:
    return next(m.value for m in at.markdown if "will be" in m.value)


def test_eleven_selected_says_so_and_sends_the_chosen_ten(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    ids = all_ids()[:11]
    at = open_send(app_as("operations", "send"), ids)
    limit = batch_size()
    assert limit == 10  # the default batch: the sentences below name it
    shown = texts(at)
    assert "**11 shipments are selected; one send takes at most 10.**" in shown
    assert "11 selected: 10 to send now; 1 stay selected." in shown
    assert at.button(key=state.SEND_BUTTON).label == "Send 10 to Accounting"
    assert at.multiselect(key=state.SEND_CHOSEN).value == ids[:10]
    # The preview covers exactly the ten Send will take, never 11.
    counts = preview_counts(at)
    total = sum(int(part.split("**")[1]) for part in counts.split(" · "))
    assert total == 10
    table = at.dataframe[0].value
    assert list(table["Send now"]).count("yes") == 10
    assert list(table["Send now"]).count("stays selected") == 1
    assert at.button(key=state.SEND_QUEUE_SELECTED).label == "Queue all 11 selected"


def test_choosing_which_ten_changes_what_is_previewed_and_the_label(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    ids = all_ids()[:12]
    at = open_send(app_as("operations", "send"), ids)
    chosen = [ids[11], ids[0], ids[5]]
    at.multiselect(key=state.SEND_CHOSEN).set_value(chosen).run()
    assert_clean(at)
    assert at.button(key=state.SEND_BUTTON).label == "Send 3 to Accounting"
    assert "12 selected: 3 to send now; 9 stay selected." in texts(at)
    counts = preview_counts(at)
    assert sum(int(part.split("**")[1]) for part in counts.split(" · ")) == 3
    previewed = {n for n in numbers_of(ids) if n in texts(at) + str([e.label for e in at.expander])}
    assert set(numbers_of(chosen)) <= previewed


def test_rows_can_be_removed_from_the_selection_on_the_page(app_as):
    ids = all_ids()[:4]
    at = open_send(app_as("operations", "send"), ids)
    at.multiselect(key=state.SEND_REMOVE).set_value([ids[1], ids[3]]).run()
    assert at.button(key=state.SEND_REMOVE_BUTTON).label == "Remove 2"
    at.button(key=state.SEND_REMOVE_BUTTON).click().run()
    assert_clean(at)
    assert at.session_state[state.SELECTED_IDS] == [ids[0], ids[2]]
    removed = ", ".join(numbers_of([ids[1], ids[3]]))
    assert f"Removed from the selection: {removed}. Nothing was sent or changed; " in texts(at)
    assert "2 shipments still selected." in texts(at)
    assert list(at.dataframe[0].value["Shipment"]) == numbers_of([ids[0], ids[2]])
    assert at.button(key=state.SEND_BUTTON).label == "Send 2 to Accounting"


def test_two_hundred_selected_previews_only_the_chosen_ten_and_pages_the_table(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = app_as("operations", "send")
    with session_scope() as session:
        template = session.exec(select(Shipment).where(Shipment.shipment_number == "SHP-1001"))
        first = template.one()
        for n in range(170):
            session.add(
                Shipment(
                    shipment_number=f"BULK-{n:03}",
                    number_key=f"BULK-{n:03}",
                    buyer_code=first.buyer_code,
                    currency=first.currency,
                )
            )
    ids = all_ids()
    assert len(ids) == 200
    at = open_send(at, ids)
    assert "**200 shipments are selected; one send takes at most 10.**" in texts(at)
    counts = preview_counts(at)
    assert sum(int(part.split("**")[1]) for part in counts.split(" · ")) == 10
    assert len(at.expander) + len([w for w in at.warning if "will be refused" in w.value]) <= 10
    assert len(at.dataframe[0].value) == 25  # one page of the selection table
    assert "Rows 1–25 of 200 shown." in texts(at)
    at.selectbox(key=state.SEND_SELECTION_PAGE).set_value(8).run()
    assert_clean(at)
    assert "Rows 176–200 of 200 shown." in texts(at)
    assert list(at.dataframe[0].value["Shipment"])[-1] == "BULK-169"


def test_queue_all_selected_asks_then_queues_them_and_they_leave_the_selection(app_as):
    at = app_as("operations", "send")
    ids = all_ids()[:15]
    sent_already = ids[3]
    set_sync_state(numbers_of([sent_already]), "Processed")
    at = open_send(at, ids)
    at.button(key=state.SEND_QUEUE_SELECTED).click().run()
    assert_clean(at)
    assert count_rows(SyncJob) == 0  # asked first
    asked = "\n".join(m.value for m in at.get_by_key(state.PUSH_CONFIRM).markdown)
    assert "**Queue 14 shipments for the worker?**" in asked
    assert "1 selected shipment is left out: sent already and unchanged" in asked
    at.button(key=state.PUSH_CONFIRM_BUTTON).click().run()
    assert_clean(at)
    with session_scope() as session:
        jobs = session.exec(select(SyncJob.shipment_id, SyncJob.trigger)).all()
    assert sorted(j for j, _ in jobs if j) == sorted(i for i in ids if i != sent_already)
    assert {t for _, t in jobs} == {Trigger.BULK}
    assert "14 shipments queued for the worker" in texts(at)
    assert "They left the selection; 1 still selected." in texts(at)
    assert at.session_state[state.SELECTED_IDS] == [sent_already]


@pytest.fixture
def sandbox(monkeypatch):
    """The local Xero sandbox over real HTTP (its demo organisations); settings point at it."""
    from xero_sandbox.testing import running_sandbox

    with running_sandbox() as handle:
        monkeypatch.setenv("XERO_SANDBOX_URL", handle.url)
        monkeypatch.setenv("APP_URL", "http://localhost:8501")
        settings.get_settings.cache_clear()
        yield handle
    settings.get_settings.cache_clear()


def connect_sandbox() -> None:
    """The real authorization-code flow against the sandbox: start, consent page, finish."""
    with session_scope() as session:
        url = start_connect(session=session, user="admin")
    code, oauth_state = allow_access(url)
    with session_scope() as session:
        finish_connect(session=session, code=code, state=oauth_state, user="admin")


def test_the_result_says_how_many_were_sent_and_how_many_stay_selected(app_as, sandbox):
    at = app_as("operations", "send")
    connect_sandbox()
    ids = all_ids()[:12]
    # The page reads the new organisation's codes from the sandbox first (real HTTP).
    at = open_send(at, ids, timeout=180)
    assert at.button(key=state.SEND_BUTTON).label == "Send 10 to Accounting"
    # Real HTTP to the sandbox, ten shipments: more than AppTest's 30 s on a busy machine.
    at.button(key=state.SEND_BUTTON).click().run(timeout=180)
    assert_clean(at, allow_errors=True)  # a rejected shipment is shown as an error
    with session_scope() as session:
        outcomes: dict[int | None, str] = dict(
            session.exec(
                select(IntegrationLog.shipment_id, IntegrationLog.outcome).where(
                    col(IntegrationLog.shipment_id).in_(ids)
                )
            ).all()
        )
    assert set(outcomes) == set(ids[:10])  # the chosen ten, never the other two
    sent = sum(1 for o in outcomes.values() if o == Outcome.PROCESSED)
    assert sent > 0
    left = 12 - sent
    verb = "stays" if 10 - sent == 1 else "stay"
    not_sent = f" ({10 - sent} not sent {verb} selected, see below)" if sent < 10 else ""
    assert f"**Sent {sent} of the 10 chosen{not_sent}; {left} still selected.**" in texts(at)
    assert len(at.session_state[state.SELECTED_IDS]) == left

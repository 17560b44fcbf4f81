"""Users, on the Connect page (admins only): add a user, change a role, reset a password,
deactivate or reactivate. Each change ends the user's sessions and is audited
(services.users, services.audit); the newest changes are listed under the form."""

from __future__ import annotations

import streamlit as st

from models import Role
from services import audit, users
from ui import common
from ui.text import md_text

USERS_TABLE = "users_table"
ADD_FORM = "users_add_form"
ADD_SAVE = "users_add_save"
CHOSEN = "users_chosen"
ROLE_CHOICE = "users_role"
ROLE_SAVE = "users_role_save"
RESET_FORM = "users_reset_form"
RESET_SAVE = "users_reset_save"
DEACTIVATE = "users_deactivate"
REACTIVATE = "users_reactivate"
HISTORY = "users_history"
ROLES = [r.value for r in Role]
ROLE_WORDS = {
    Role.ADMIN: "admin: every page, connects Xero, manages users",
    Role.OPERATIONS: "operations: shipments, sending, logs; reads the mapping",
    Role.FINANCE: "finance: dashboard and logs; reads shipments",
}


FIRST_STEPS = "connect_first_steps"


def first_steps() -> None:
    """While no organisation is connected (a first admin lands here): what to do next."""
    with st.container(key=FIRST_STEPS):
        st.info(
            "No organisation is connected yet. To start sending shipments:\n\n"
            "1. Click **Connect to Xero** above and allow Shipbridge access to your "
            "organisation.\n"
            "2. On **Mapping**, check the settings (invoice or quote, status, accounts, tax) "
            "and map customer and product codes to Xero's.\n"
            "3. Under **Users** below, add your colleagues (operations, finance).\n"
            "4. Add shipments on **Shipments** (one by one or from a CSV) and send them."
        )


def section(user: common.CurrentUser) -> None:
    """The Users section; draws nothing for anyone but an admin."""
    if user.role != Role.ADMIN:
        return
    st.subheader("Users")
    with common.session() as db_session:
        rows = users.list_users(session=db_session)
    with st.container(key=USERS_TABLE):
        st.dataframe(
            [
                {
                    "Username": u.username,
                    "Name": u.name,
                    "Email": u.email or "—",
                    "Role": u.role,
                    "Active": "Yes" if u.active else "No (cannot log in)",
                }
                for u in rows
            ],
            hide_index=True,
        )
    add_form(user)
    if rows:
        change_one(user, [u.username for u in rows], {u.username: u for u in rows})
    history()


def add_form(user: common.CurrentUser) -> None:
    with st.expander("Add a user"), st.form(ADD_FORM, clear_on_submit=True):
        username = st.text_input("Username", key=f"{ADD_FORM}_username")
        name = st.text_input("Name", key=f"{ADD_FORM}_name")
        email = st.text_input("Email", key=f"{ADD_FORM}_email")
        role = st.selectbox(
            "Role", ROLES, format_func=lambda r: ROLE_WORDS.get(r, r), key=f"{ADD_FORM}_role"
        )
        password = st.text_input("Password", type="password", key=f"{ADD_FORM}_password")
        again = st.text_input("Password again", type="password", key=f"{ADD_FORM}_again")
        st.caption(
            f"At least {users.PASSWORD_MIN_LENGTH} characters, not containing the username. "
            "Tell the user their password yourself: Shipbridge sends no email."
        )
        saved = st.form_submit_button("Add user", key=ADD_SAVE, type="primary")
    if saved:
        common.save_then_rerun(
            lambda s: users.add_user(
                session=s,
                username=username,
                name=name,
                email=email,
                role=role,
                password=password,
                password_again=again,
                actor=user.username,
            ),
            f"Added {md_text(username.strip())} ({role}): they can log in now.",
        )


def change_one(user: common.CurrentUser, usernames: list[str], by_name: dict) -> None:
    chosen = st.selectbox("Change a user", usernames, key=CHOSEN)
    target = by_name[chosen]
    left, right = st.columns(2)
    role = left.selectbox(
        "Role",
        ROLES,
        index=ROLES.index(target.role) if target.role in ROLES else 0,
        format_func=lambda r: ROLE_WORDS.get(r, r),
        key=f"{ROLE_CHOICE}_{chosen}",
    )
    if left.button("Change role", key=ROLE_SAVE, disabled=role == target.role):
        common.save_then_rerun(
            lambda s: users.change_role(session=s, username=chosen, role=role, actor=user.username),
            f"{md_text(chosen)} is now {role}; their sessions ended, so they log in again.",
        )
    if target.active:
        if right.button("Deactivate", key=DEACTIVATE):
            common.save_then_rerun(
                lambda s: users.deactivate(session=s, username=chosen, actor=user.username),
                f"{md_text(chosen)} is deactivated: they cannot log in, and their sessions ended.",
            )
    elif right.button("Reactivate", key=REACTIVATE):
        common.save_then_rerun(
            lambda s: users.reactivate(session=s, username=chosen, actor=user.username),
            f"{md_text(chosen)} can log in again, with the password they had.",
        )
    with right.form(RESET_FORM, clear_on_submit=True):
        password = st.text_input("New password", type="password", key=f"{RESET_FORM}_pw")
        reset = st.form_submit_button("Reset password", key=RESET_SAVE)
    if reset:
        common.save_then_rerun(
            lambda s: users.reset_password(
                session=s, username=chosen, password=password, actor=user.username
            ),
            f"{md_text(chosen)}'s password is reset and their sessions ended: "
            "tell them the new one.",
        )


def history() -> None:
    with common.session() as db_session:
        events = audit.history_of(session=db_session, entities=["user"], limit=20)
    if not events:
        return
    with st.expander("Who changed which user"), st.container(key=HISTORY):
        for e in events:
            st.caption(
                f"{common.local_time(e.at)} — {md_text(e.actor or 'system')}: "
                f"{md_text(e.action)} {md_text(e.entity_id or '')}"
            )

"""Every session-state key the UI uses, in one place.

Widget keys are session-state keys too, and browser tests find widgets by them
(Streamlit adds the CSS class `st-key-<key>`), so they live here as well.
"""

# Owned by streamlit-authenticator; read here, never written except to log in.
AUTH_STATUS = "authentication_status"
AUTH_USERNAME = "username"
AUTH_NAME = "name"

# Set by app.py on every run.
ROLE = "sb_role"
# The server-side login session (services.sessions) this browser session is logged in by,
# and the signed login cookie naming it, written to the browser after a login.
LOGIN_SESSION = "sb_login_session"
LOGIN_COOKIE = "sb_login_cookie"
# Why the login form is back (the login ended elsewhere or expired), shown above it.
LOGIN_NOTICE = "sb_login_notice"
# The first-admin form (shown only while no user exists).
FIRST_ADMIN_FORM = "first_admin"
# Set the login cookie / delete it until the browser confirms (a rerun can drop the component).
SET_COOKIE = "sb_set_cookie"
DELETE_COOKIE = "sb_delete_cookie"
COOKIE_BOX = "cookie_box"  # the container the cookie components are drawn in
# Messages to show once on the next run, e.g. after switching page: list of (kind, text).
FLASH = "sb_flash"
# Why the page a URL asked for was not shown: (text, url path landed on, monotonic time).
REFUSED_PAGE = "sb_refused_page"
# The OAuth `state` this session already finished, so a rerun never finishes it twice,
# and how it ended, (kind, text), shown on the Connect page until the next connect.
OAUTH_FINISHED = "sb_oauth_finished"
# How far the browser has got landing on Connect after Xero sent it back (app.py).
OAUTH_LANDING = "sb_oauth_landing"
OAUTH_RESULT = "sb_oauth_result"

# Shipment selection, shared by the Shipments and Send pages: a list of shipment ids.
SELECTED_IDS = "sb_selected_ids"
# The shipment ids of the table rows as last drawn (selection positions refer to them).
TABLE_ROW_IDS = "sb_table_row_ids"
# The last send's outcomes, shown until the next send: (title, BatchResult).
LAST_SEND = "sb_last_send"
# The authorize URL a "Connect to Xero" click produced.
CONNECT_URL = "sb_connect_url"
# The integration-log entry whose error is open, per page.
OPEN_ERROR_SHIPMENT = "sb_open_error_shipment"
OPEN_ERROR_LOGS = "sb_open_error_logs"

# --- widgets -------------------------------------------------------------------
LOGIN_FORM = "login"
LOGOUT_BUTTON = "logout_button"
RECONNECT_LINK = "reconnect_link"

# Connect
CONNECT_START = "connect_start"
CONNECT_CANCEL = "connect_cancel"
DISCONNECT_PREFIX = "disconnect_"
RECONNECT_PREFIX = "reconnect_"
MAKE_DEFAULT_PREFIX = "make_default_"  # + connection id
# Disconnect asks first: the connection id waiting for "Yes, disconnect" or "Cancel".
DISCONNECT_ASKED = "sb_disconnect_asked"
DISCONNECT_CONFIRM = "confirm_disconnect"
DISCONNECT_KEEP = "keep_connection"

# Shipments: filters, table, pager, actions
SHIP_SEARCH = "ship_search"
SHIP_STATUS = "ship_status"
SHIP_SYNC = "ship_sync"
SHIP_DATE_FROM = "ship_date_from"
SHIP_DATE_TO = "ship_date_to"
SHIP_ORGANISATION = "ship_organisation"
SHIP_SORT = "ship_sort"
SHIP_DESCENDING = "ship_descending"
SHIP_PAGE_SIZE = "ship_page_size"
SHIP_PAGE = "ship_page"
SHIP_PREV = "ship_prev"
SHIP_NEXT = "ship_next"
SHIPMENTS_TABLE = "shipments_table"
SEND_SELECTED = "send_selected"
BULK_STATUS = "bulk_status"
CHANGE_STATUS = "change_status"
CLEAR_SELECTION = "clear_selection"
# "n selected, m not shown" under the table.
SELECTION_SUMMARY = "selection_summary"
# Before a bulk change or send, every shipment it will touch is listed to confirm:
# {"action": "status" | "send", "status", "ids", "versions"} until confirmed or cancelled.
BULK_PENDING = "sb_bulk_pending"
BULK_CONFIRM = "bulk_confirm"  # the confirmation box; its buttons:
BULK_CONFIRM_BUTTON = "bulk_confirm_button"
BULK_CANCEL = "bulk_cancel"
BULK_DROP_HIDDEN = "bulk_drop_hidden"  # take the ones not shown out of the selection
SHIP_PROBLEMS = "ship_problems"  # the page's problems in full, below the table
# The URL's share of the Shipments page (ui.shipment_url: the filters, sort and page under
# their widgets' keys): the selection and the open shipment, and what this session last
# wrote there (none yet: a new session, which takes them from the URL).
URL_SELECTED = "selected"
URL_OPEN = "open"
URL_SEEN = "sb_ship_url_seen"
EXPORT_CSV = "export_csv"
EXPORT_ALL_CSV = "export_all_csv"  # beside EXPORT_CSV when filters narrow the table
# The page's tabs (Open shipment, New shipment, Import / export): they track the open tab,
# so a rerun (an import, a flash above them) never sends the user back to the first one.
SHIP_TABS = "ship_tabs"

# Shipments: one shipment
OPEN_SHIPMENT = "open_shipment"
# The form's fields are keyed per shipment version (so a reopened shipment shows its saved
# values); browser tests find them inside these containers by label.
EDIT_FORM = "shipment_form_edit"
NEW_FORM = "shipment_form_new"
NEW_FORM_ROUND = "sb_new_form_round"  # bumped after a create, to start a blank form
SAVE_SHIPMENT = "save_shipment"
CREATE_SHIPMENT = "create_shipment"
INTEGRATION_REFRESH = "integration_refresh"
XERO_DOCUMENT = "xero_document"  # the shipment's document in Xero and its payments
# The cancel panel (ui/cancel_panel.py): its box, and per shipment (suffix "_<id>") the
# action chosen, whole-or-lines, the lines chosen and the button that does it in Xero.
CANCEL_PANEL = "cancel_panel"
CANCEL_ACTION = "cancel_action"
CANCEL_SCOPE = "cancel_scope"
CANCEL_LINES = "cancel_lines"
CANCEL_DO = "cancel_do"
CREDIT_NOTES = "credit_notes"  # the shipment's credit notes, under its document in Xero
NET_CREDITS = "net_credits"  # the Dashboard's invoices net of credit notes
VIEW_ERROR_PREFIX = "view_error_"  # + integration-log id
SHIPMENT_TABS = "shipment_tabs"  # the open shipment's Details / Integration tabs
# The open shipment's edit as it began: {"id", "version", "values"} (the form is drawn from
# these values, so a save elsewhere never swaps the fields under the user's typing; the
# save carries this version and is refused over a newer one).
EDIT_BASE = "sb_edit_base"
EDIT_CONFLICT = "edit_conflict"  # the box saying who changed the shipment meanwhile; its
EDIT_REAPPLY = "edit_reapply"  # "Re-apply my changes to the latest version" and
EDIT_DISCARD = "edit_discard"  # "Discard my changes" buttons
# Where the status-change area of the open shipment draws extra panels (e.g. ui/cancel_panel).
STATUS_AREA = "shipment_status_area"
# The New shipment form's starting values this session (the user's server-side draft, read
# once: the lines editor's own state refers to these rows), and its "Clear the form" button.
NEW_DRAFT_START = "sb_new_draft_start"
NEW_DRAFT_CLEAR = "new_draft_clear"
NEW_DRAFT_SAVED = "new_draft_saved"  # the caption saying the draft is kept

# Shipments: CSV import
IMPORT_PANEL = "import_panel"
IMPORT_FILE_PREFIX = "import_file_"  # + IMPORT_ROUND
IMPORT_ROUND = "sb_import_round"  # bumped after an import, to empty the file picker
IMPORT_GOOD_ROWS = "import_good_rows"
IMPORT_BUTTON = "import_button"
IMPORT_UPDATE_MODE = "import_update_mode"  # "Update existing shipments"
IMPORT_CHANGES = "import_changes"  # update mode: the table of changes, field: old → new
# The last import's outcome, shown in the import panel until the next file: (text, numbers).
IMPORT_RESULT = "sb_import_result"

# Send to Accounting
SEND_BUTTON = "send_button"
SEND_PREVIEW = "send_preview"
# Invoices already in Xero under the selection's numbers: (selected ids, {id: sentence}),
# looked up once per selection rather than on every rerun of the page.
SEND_PREVIEW_IN_XERO = "sb_send_preview_in_xero"
SEND_PROGRESS = "send_progress"
PUSH_REMAINING = "push_remaining"
# Push remaining asks first: the unsent shipment ids it would queue, until confirmed or not.
PUSH_PENDING = "sb_push_pending"
PUSH_CONFIRM = "push_confirm"  # the confirmation box; its "Queue n shipments" button:
PUSH_CONFIRM_BUTTON = "push_confirm_button"
PUSH_CANCEL = "push_cancel"
# The Send page's selection: which (at most a batch) to send now, rows to remove, its table
# page, "queue all selected", and what the last send left selected.
SEND_CHOSEN = "send_chosen"
SEND_REMOVE = "send_remove"
SEND_REMOVE_BUTTON = "send_remove_button"
SEND_SELECTION_PAGE = "send_selection_page"
SEND_QUEUE_SELECTED = "send_queue_selected"
PUSH_FROM_SELECTION = "sb_push_from_selection"
SEND_AFTER = "sb_send_after"
QUEUE_REFRESH = "queue_refresh"
QUEUE_WATCHING = "sb_queue_watching"
QUEUE_RETRY_ATTENTION = "queue_retry_attention"  # Retry the jobs that need attention

# Accounting Logs
LOG_OUTCOME = "log_outcome"
LOG_TRIGGER = "log_trigger"
LOG_USER = "log_user"
LOG_DATE_FROM = "log_date_from"
LOG_DATE_TO = "log_date_to"
LOG_ORGANISATION = "log_organisation"
LOG_PAGE = "log_page"
LOG_REFRESH = "log_refresh"
LOG_TABLE = "log_table"
LOG_EXPORT = "log_export"
LOG_RETRY_PREFIX = "log_retry_"  # + integration-log id: send that entry's shipment again
LOG_RETRY_ALL = "log_retry_all"
LOG_RETRY_ATTENTION = "log_retry_attention"

# Mapping
MAPPING_TENANT = "mapping_tenant"
MAPPING_TABS = "mapping_tabs"
MAPPING_FORM = "mapping_form"
MAPPING_SAVE = "mapping_save"
# Mapping: Xero reference data
REFERENCE_FULL = "reference_full"
REFERENCE_REFRESH = "reference_refresh"
# Mapping: per-customer and per-product mappings ("New mapping" or the shipment code picked;
# the form's fields are keyed per pick so an existing mapping shows its saved values)
CUSTOMER_MAP_TABLE = "customer_map_table"
CUSTOMER_MAP_PICK = "customer_map_pick"
CUSTOMER_MAP_FORM = "customer_map_form"
CUSTOMER_MAP_SAVE = "customer_map_save"
CUSTOMER_MAP_DELETE = "customer_map_delete"
CUSTOMER_MAP_SEARCH = "customer_map_search"
CUSTOMER_MAP_PAGE = "customer_map_page"
PRODUCT_MAP_TABLE = "product_map_table"
PRODUCT_MAP_PICK = "product_map_pick"
PRODUCT_MAP_FORM = "product_map_form"
PRODUCT_MAP_SAVE = "product_map_save"
PRODUCT_MAP_DELETE = "product_map_delete"
PRODUCT_MAP_SEARCH = "product_map_search"
PRODUCT_MAP_PAGE = "product_map_page"
# Mapping: check all; the list stays open once asked for, so a "Map" click redraws it
CHECK_ALL = "check_all"
CHECK_ALL_OPEN = "sb_check_all_open"
CHECK_ALL_PAGE = "check_all_page"
MAP_SUGGESTION_PREFIX = "map_suggestion_"  # + kind_code_suggestion
MAPPING_HISTORY = "mapping_history"

# Dashboard
DASH_TABS = "dashboard_tabs"
PULL_PAYMENTS = "pull_payments"
PULL_FULL = "pull_full"
# The drift check: its buttons, the Dashboard's count and the Differs from Xero view
DRIFT_CHECK = "drift_check"
DRIFT_CHECK_CONNECT = "drift_check_connect"
DRIFT_COUNT = "drift_count"
DRIFT_TABLE = "drift_table"
CHART_SYNC_STATE = "chart_sync_state"
CHART_CURRENCY = "chart_currency"
CHART_PAID_STATUS = "chart_paid_status"
CHART_ATTEMPTS = "chart_attempts"
REJECTION_REASONS = "rejection_reasons"
# Dashboard: the per-customer finance view
FIN_CUSTOMERS_TABLE = "fin_customers_table"
FIN_CUSTOMERS_PAGE = "fin_customers_page"
FIN_CUSTOMER = "fin_customer"
FIN_VIEW = "fin_view"
FIN_NUMBER = "fin_number"
FIN_DATE_FROM = "fin_date_from"
FIN_DATE_TO = "fin_date_to"
FIN_PAGE = "fin_page"
FIN_DOCUMENTS_TABLE = "fin_documents_table"
FIN_PIN = "fin_pin"
FIN_UNPIN = "fin_unpin"
PAID_STATUS_TABLE = "paid_status_table"  # the Overview's paid / unpaid amounts per currency

# Filters (and their table pages) that keep their values for the session when the user
# leaves the page and comes back: app.py writes each back to session state on every run,
# since Streamlit drops a widget's state at the end of a run that does not draw it. Only
# value widgets drawn without a default of their own belong here (never buttons, file
# pickers or tables, whose state Streamlit does not let the script set; a widget given a
# default as well as a value set this way makes Streamlit log a warning).
KEPT_ACROSS_PAGES = (
    SHIP_SEARCH,
    SHIP_STATUS,
    SHIP_SYNC,
    SHIP_DATE_FROM,
    SHIP_DATE_TO,
    SHIP_ORGANISATION,
    SHIP_SORT,
    SHIP_DESCENDING,
    SHIP_PAGE_SIZE,
    SHIP_PAGE,
    LOG_OUTCOME,
    LOG_TRIGGER,
    LOG_USER,
    LOG_DATE_FROM,
    LOG_DATE_TO,
    LOG_ORGANISATION,
    LOG_PAGE,
    CUSTOMER_MAP_SEARCH,
    CUSTOMER_MAP_PAGE,
    PRODUCT_MAP_SEARCH,
    PRODUCT_MAP_PAGE,
    FIN_CUSTOMERS_PAGE,
    FIN_CUSTOMER,
    FIN_VIEW,
    FIN_NUMBER,
    FIN_DATE_FROM,
    FIN_DATE_TO,
    FIN_PAGE,
    DASH_TABS,  # the Dashboard's open tab: back on it, the user finds the tab they left
)

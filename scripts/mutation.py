"""Mutation testing of the business rules: how many small changes to a module the tests
notice, told honestly: killed, survived, timed out and not run, each counted apart.

    scripts/mutation app/services/refunds.py app/carriers.py   # with their tests (TESTS)
    scripts/mutation --diffs --test tests/test_refunds.py app/services/refunds.py
    scripts/mutation                                             # every rule module: hours

mutmut (3.8) writes the mutants of the named modules into a scratch copy of the tracked
files (the checkout is never touched); the mutants then run inside long-lived test sessions
(scripts/mutation_session.py, a pytest plugin): the app is imported and Valkey started once,
every test runs once unmutated to learn its duration and which functions it reaches, and each
mutant switches on in memory and reruns only the tests that reach it, fastest first, until
one fails. A session that a mutant leaves broken is replaced by a fresh one. `--recheck`
runs every survivor again alone in a fresh session and takes that answer (in one run of four
modules all 54 survivors survived alone too).

What is run: every mutant of a module with fewer than --whole-under (300) candidates, else a
sample of --sample for each of two seeds. Candidates are all mutants but those that only
change text a person reads (messages, log lines, email and PDF wording: `is_prose`), the
equivalent ones in EQUIVALENT (each with its reason) and, on SQLite, those in PG_ONLY, which
only PostgreSQL tells apart (on PostgreSQL, those in SQLITE_ONLY). Identifiers, keys, column
and field names, reason codes, statuses, field paths and SQL fragments stay in.

A mutant whose tests overrun their budget (8 x their unmutated time, at least 30 s) is
killed with its session and then confirmed alone in a fresh one: its tests first run
unmutated, and must finish inside a quarter of the budget, then the mutant again. Only a
mutant that overruns again counts as timed out (caught: it loops); one that finishes takes
that answer; anything else is "not run", never a kill. The score is
(killed + timed out) / (killed + survived + timed out).

With DATABASE_URL and REDIS_URL set, the tests run on PostgreSQL, which is the only way code
for PostgreSQL alone is reached.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"

# Mutants that cannot change what the code does, by name, with the reason. A survivor that
# is not a rule left untested goes here, never silently.
_SEARCH = "app.services.order_search."
_SAME_ANSWER = "only which path answers changes: the column-by-column search finds the same"
_HOLDS_STOCK = (
    "an order awaiting payment holds its stock, and apply_status reads the viewer only to "
    "move stock"
)
_HOOKS = "app.services.webhooks."
_DELIVERY = "app.services.webhook_delivery."
_SNAP = "app.services.snapshots."
_EMAILS = "app.services.emails."
_NOT_GLOBAL = "every private or metadata address is also not is_global, which the last test refuses"
_ZONE = "an address has at most one '%' (an IPv6 zone): the part before it is the same"
_ANY_PORT = "getaddrinfo gives the same addresses whichever port and protocol are asked"
_NO_SKIP = (
    "PostgreSQL only; without skip_locked a second worker waits out the first's short claim, "
    "then finds those rows not due: the same sends, a moment later"
)
_IMPORT_START = (
    "no answer shows an import's start, and the sweep reads it only for a row never "
    "heartbeaten, which the claim before it rules out"
)
_SESSION_NAME = (
    "a sign-in session's name is never shown: sessions are not listed, and only a scoped "
    "token's name labels its events"
)
_ROLE_CHECKED = (
    "unreachable: the viewer's permissions are its role's (cut by scopes), checked just above"
)
_ONE_WAKE = "in a MULTI or not, the same two commands leave the same one-entry list"
_FROM_STRING = "no template is made from a string: default_for_string is never consulted"
_ANY_ROUNDING = (
    "any rounding of an amount with more than two decimals differs from it, and one with two "
    "is left as it is: the mode is moot"
)
_REQUIRED_BY_API = "the API requires url and events (String!, [String!]!): no call gets here"
_MICROSECOND = "changes a wait by a microsecond or less, which no rounding to seconds shows"
_TRACKING = "app.services.tracking_plan."
_STATUS = "app.services.status_plan."
_NO_LINES = "an order whose stock does not move (sign 0) is planned with no lines"
_SQL_CASE = "SQL keywords and unquoted names are the same in any case, on PostgreSQL and on SQLite"
_SAME_LENGTH = "ids, numbers and carriers are all read from one dict: zip's strict never fires"
_HAS_PRODUCT = (
    "every line is made with its product (placeOrder, editOrder) and no API deletes a product, "
    "so a kept line's product_id is never None: and/or decide alike (a 0-unit move is dropped)"
)
EQUIVALENT: dict[str, str] = {
    _SEARCH + "x_condition__mutmut_13": "icontains compares upper-cased: the term's case is moot",
    _SEARCH + "x_condition__mutmut_15": "icontains compares upper-cased: the term's case is moot",
    _SEARCH + "x_condition__mutmut_8": "Q(number=None) is NULL, and every order has a number",
    _SEARCH + "x_matches__mutmut_1": _SAME_ANSWER,
    _SEARCH + "x_matches__mutmut_3": _SAME_ANSWER,
    _SEARCH + "x_matches__mutmut_29": _SAME_ANSWER,
    _SEARCH + "x_matches__mutmut_4": _SAME_ANSWER,
    _SEARCH + "x_matches__mutmut_28": "one row past the bound tells that there are too many; "
    "two tell the same",
    "app.services.payments.x_record_payment__mutmut_127": _HOLDS_STOCK,
    "app.services.import_sets.xǁRowǁfail__mutmut_3": "no row message comes near 500 "
    "characters (the longest quotes 50 of the number); the cut is a guard",
    "app.services.shipments.x_ship_order__mutmut_183": "a shippable order never has its stock "
    "released (RELEASING is within NOT_SHIPPABLE): apply_status does not read the viewer",
    "app.services.orders.x_list_orders__mutmut_13": _SAME_ANSWER,
    "app.services.returns.x_list_returns__mutmut_15": "ids rise with created_at: newest first "
    "by id is the same order",
    _HOOKS + "x_create_webhook__mutmut_6": _REQUIRED_BY_API,
    _HOOKS + "x_create_webhook__mutmut_11": _REQUIRED_BY_API,
    _HOOKS + "x_create_webhook__mutmut_3": _REQUIRED_BY_API,
    _HOOKS + "x_create_webhook__mutmut_8": _REQUIRED_BY_API,
    "app.services.auth.x_viewer_for__mutmut_2": "every staff member has a role and no "
    "customer has one (create_staff and register_customer)",
    _HOOKS + "x__clean__mutmut_30": "INVALID_INPUT is Problems.add's default code",
    _HOOKS + "x_address_refused__mutmut_20": _NOT_GLOBAL,
    _HOOKS + "x_address_refused__mutmut_7": _ZONE,
    _HOOKS + "x_address_refused__mutmut_9": _ZONE,
    _HOOKS + "x_list_deliveries__mutmut_15": "paginate's key is 'id' unless told otherwise",
    _HOOKS + "x_resolve__mutmut_7": _ANY_PORT,
    _HOOKS + "x_resolve__mutmut_8": _ANY_PORT,
    _HOOKS + "x_resolve__mutmut_10": _ANY_PORT,
    _HOOKS + "x_resolve__mutmut_17": _ANY_PORT,
    _HOOKS + "x_resolve__mutmut_23": _ANY_PORT,
    _DELIVERY + "x_record__mutmut_20": "consecutive_failures and failing_since are set on the "
    "same failure and cleared together",
    _DELIVERY + "x_record__mutmut_67": "saves the same values: the list only narrows the UPDATE",
    _DELIVERY + "x__disable__mutmut_23": "the log line's wording only",
    _DELIVERY + "x__disable__mutmut_24": "the log line's wording only",
    _DELIVERY + "x_http_client__mutmut_13": "only how many sends share a connection changes: "
    "the gate lets SEND_AT_ONCE run, each completes either way",
    _SNAP + "xǁOrderSnapshotsǁof__mutmut_6": "only loads the same orders again: a few more "
    "queries, the same snapshots",
    "app.services.outbox.x__messages__mutmut_26": "orders are never deleted: an event's order "
    "always has a snapshot",
    _SNAP + "x__shipment__mutmut_13": "a shipment always has its order (a required foreign key)",
    _SNAP + "x__time__mutmut_2": "every time a snapshot shows is set by the time its event is sent",
    _EMAILS + "xǁTemplatesǁ__init____mutmut_38": _FROM_STRING,
    _EMAILS + "xǁTemplatesǁ__init____mutmut_43": _FROM_STRING,
    _EMAILS + "xǁTemplatesǁ__init____mutmut_45": "our templates ship with the code and do not "
    "change while it runs",
    _EMAILS + "x_mime__mutmut_23": "a store address has one '@': the domain follows it either way",
    _EMAILS + "xǁTemplatesǁ__init____mutmut_16": "an empty ChoiceLoader finds nothing, so "
    "ours are used as without one",
    _EMAILS + "x_send_due__mutmut_15": "the error always starts with its kind: it is never empty",
    _EMAILS + "x_send_due__mutmut_23": "the two lists have one entry per claimed email",
    _EMAILS + "x_send_due__mutmut_26": "the two lists have one entry per claimed email",
    _EMAILS + "x_send_due__mutmut_27": "the two lists have one entry per claimed email",
    _EMAILS + "x_send_due__mutmut_41": "the log line's wording only",
    _SNAP + "x_shipments__mutmut_25": "every shipment has at least one line",
    _SNAP + "x_shipments__mutmut_27": "every shipment has at least one line",
    _SNAP + "x_orders__mutmut_28": "every order has at least one line",
    _SNAP + "xǁOrderSnapshotsǁof__mutmut_5": "only loads again orders it already knows: the "
    "same snapshots, one more query",
    _SNAP + "x_global_id__mutmut_2": "every shipment.deleted event carries its shipment's id",
    _EMAILS + "xǁTemplatesǁrender__mutmut_11": "the log line's wording only",
    _EMAILS + "x_write_for__mutmut_13": "only loads more entities: each email looks up its own "
    "by its own kind's id",
    _EMAILS + "x_write_for__mutmut_33": "an event of these kinds always carries its entity's id",
    "app.services.csv_files.x_detect_encoding__mutmut_8": "reading the file whole gives the "
    "same answer: blocks only bound the memory",
    "app.services.csv_files.x_detect_encoding__mutmut_14": "ASCII after the end decodes, and a "
    "character cut at the end fails either way",
    "app.services.csv_files.x_sniff_delimiter__mutmut_5": "the first line is the same however "
    "many times the text is split",
    "app.services.csv_files.x_sniff_delimiter__mutmut_16": "with none in the header, max "
    "picks the first candidate: the comma",
    "app.services.tracking.x_find_for_tracking__mutmut_2": "only the bucket's key name "
    "changes, and no other bucket is named None",
    "app.services.ratelimit.x_hit__mutmut_7": _MICROSECOND,
    "app.services.ratelimit.x_hit__mutmut_20": _MICROSECOND,
    "app.services.ratelimit.x_hit__mutmut_23": _MICROSECOND,
    "app.services.ratelimit.x_hit__mutmut_33": _MICROSECOND,
    "app.services.pagination.x__decode__mutmut_5": "the TypeError is caught and told as an "
    "invalid cursor; its text is never shown",
    "app.services.pagination.x_paginate__mutmut_73": "fetching two rows past the page instead "
    "of one leaves `more` the same",
    "app.services.money.x_parse_money__mutmut_12": _ANY_ROUNDING,
    "app.services.money.x_parse_money__mutmut_14": _ANY_ROUNDING,
    "app.services.csv_files.x_write_csv__mutmut_6": "CRLF is the csv writer's default ending",
    _DELIVERY + "x_send__mutmut_30": "datetime.now().timestamp() is the same instant in any "
    "zone, and the signature reads only that",
    _DELIVERY + "x_send__mutmut_46": "stream=None reads the whole answer first, which is then "
    "cut the same: memory only",
    _DELIVERY + "x_send__mutmut_54": "stopping at 4 KB or one chunk later keeps the same 200 "
    "characters",
    _DELIVERY + "x__disable__mutmut_25": "the log line's wording only",
    _DELIVERY + "x__disable__mutmut_28": "the log line's wording only",
    _DELIVERY + "x_http_client__mutmut_8": "only how many sends share a connection changes",
    "app.services.csv_files.x_sniff_delimiter__mutmut_8": "the first line is the same however "
    "many times the text is split",
    _DELIVERY + "x_send__mutmut_49": "what is kept of the answer is the same; streaming only "
    "spares the memory of a huge one",
    "app.services.accounts.x_create_api_token__mutmut_64": _ROLE_CHECKED,
    "app.services.accounts.x_create_api_token__mutmut_65": _ROLE_CHECKED,
    "app.services.accounts.x_create_api_token__mutmut_66": _ROLE_CHECKED,
    "app.services.accounts.x_create_api_token__mutmut_67": _ROLE_CHECKED,
    "app.services.accounts.x_create_api_token__mutmut_30": "only an expiry equal to the "
    "server's now, to the microsecond, is told apart: no client can aim at it",
    _EMAILS + "xǁTemplatesǁ__init____mutmut_24": _FROM_STRING,
    _EMAILS + "xǁTemplatesǁ__init____mutmut_21": _FROM_STRING,
    _EMAILS + "x__missing__mutmut_11": "a TemplateNotFound always has its name",
    "app.services.auth.x_login__mutmut_28": _SESSION_NAME,
    _DELIVERY + "x_http_client__mutmut_6": "httpx follows no redirect unless told to",
    _DELIVERY + "x_http_client__mutmut_14": "only how many sends share a connection changes",
    "app.services.webhooks.x_resolve__mutmut_11": "the port asked of getaddrinfo does not "
    "change the addresses it answers",
    "app.services.accounts.x__create_user__mutmut_30": "the unique index refuses the same "
    "email with the same error",
    "app.services.batches.x_public_events_of_orders__mutmut_4": "the loader hands each order "
    "its own events: only how many rows are read changes",
    "app.services.jobs.x_wake__mutmut_1": _ONE_WAKE,
    "app.services.jobs.x_wake__mutmut_2": _ONE_WAKE,
    "app.services.jobs.x_wake__mutmut_7": "the dispatcher reads that a wake-up is there, never "
    "its value",
    "app.services.accounts.x_logout__mutmut_2": "unreachable: a signed-in request always "
    "came with its token",
    "app.services.demo.x_seed_demo__mutmut_2": "the demo is made in one transaction: its "
    "logins all exist or none does, so any one of them tells",
    "app.services.webhooks.x_list_webhooks__mutmut_7": "'id' is paginate's default key",
    "app.services.tracking.x_find_for_tracking__mutmut_25": "every order has a number and an "
    "email: a lookup lacking either finds nothing, asked or not",
    "app.services.exports.x_start__mutmut_13": "an export writes no event: the label it acts "
    "under is never shown",
    "app.services.exports.x_run__mutmut_17": "no answer shows an export's start, and the sweep "
    "reads it only for a row never heartbeaten, which the lease's claim rules out",
    "app.services.exports.x_run__mutmut_18": "no answer shows an export's start, and the sweep "
    "reads it only for a row never heartbeaten, which the lease's claim rules out",
    "app.services.exports.x__order_row__mutmut_31": "safe_cell writes None as '', as it writes ''",
    "app.services.exports.x__order_row__mutmut_38": "safe_cell writes None as '', as it writes ''",
    "app.services.exports.x__order_row__mutmut_40": "safe_cell writes None as '', as it writes ''",
    "app.services.exports.x_start__mutmut_6": "kept for the record: no answer or rule reads who "
    "started an export (any ORDERS_READ holder downloads it)",
    "app.services.exports.x_run__mutmut_1": "the worker always passes its lease time",
    "app.services.exports.x__write__mutmut_3": "the scratch file's name is never seen: the file "
    "is stored under its own key",
    "app.services.exports.x__write__mutmut_12": "newline=None writes '\\n' as os.linesep, "
    "which is '\\n' on every system the project runs on",
    "app.services.catalog.x_move_stock__mutmut_25": "a net of zero: stock >= 0 always holds, "
    "so the extra filter changes nothing",
    "app.services.catalog.x_move_stock__mutmut_24": "a net of zero: stock >= 0 always holds, "
    "so the extra filter changes nothing",
    "app.services.exports.x__write__mutmut_11": "the locale's encoding is UTF-8 wherever the "
    "tests run (and Python's UTF-8 mode on C/POSIX): only a Latin-1 locale would tell",
    "app.services.demo.x_seed_demo__mutmut_253": "a transaction without a provider takes its "
    "order's, which the demo placed as stripe",
    _DELIVERY + "x_send__mutmut_8": "None and False are both false: `if attempt.ok` decides alike",
    _DELIVERY + "x_send__mutmut_91": "None and False are both false: `if attempt.ok` decides alike",
    _DELIVERY + "x_http_client__mutmut_2": "httpx reads follow_redirects as true or false: "
    "None does not follow, as False",
    "app.services.demo.x_seed_demo__mutmut_207": "'' and None are both false: `first_order "
    "or order` picks the same",
    "app.services.documents.x_request_documents__mutmut_87": "kept for the record: no answer "
    "or rule reads who requested a document",
    "app.services.accounts.x_register_customer__mutmut_18": _SESSION_NAME,
    "app.services.auth.x_viewer_from_token__mutmut_27": _SESSION_NAME,
    "app.services.auth.x_issue_token__mutmut_5": "a token with a longer random part works the "
    "same: nothing reads its length",
    "app.services.bulk.x_run__mutmut_1": "the worker always passes its lease setting; a "
    "default of 30 or 31 seconds differs only for a run that stalls that long",
    "app.services.bulk.x_run__mutmut_18": "no answer shows a bulk operation's start, and the "
    "sweep reads it only for a row never heartbeaten, which the claim before it rules out",
    "app.services.imports.xǁRowReaderǁ__init____mutmut_2": "check() sets the encoding before "
    "any read, and count_lines reads bytes",
    "app.services.imports.x_run_import__mutmut_1": "the worker always passes its lease "
    "setting; a default of 30 or 31 seconds differs only for a run that stalls that long",
    "app.services.imports.x_run_import__mutmut_17": _IMPORT_START,
    "app.services.imports.x_run_import__mutmut_18": _IMPORT_START,
    "app.services.imports.xǁRowReaderǁcheck__mutmut_4": "columns are matched on ASCII letters, "
    "digits and # (errors replaced): any decoding of the header line gives the same keys",
    "app.services.exports.x_start__mutmut_12": "an export reads as staff with the asker's "
    "permissions; which staff member it was does not change what a filter picks",
    "app.services.exports.x__id_sets__mutmut_9": "cast() only tells the type checker",
    "app.services.leases.x_claim_due__mutmut_7": "only breaks ties between rows due at the "
    "same moment: which of them goes first is no rule, only that each goes once",
    "app.services.leases.x_claim_due__mutmut_20": "cast() only tells the type checker",
    "app.services.jobs.x_send__mutmut_3": "a programming error's text, for the developer",
    "app.services.jobs.x_defer__mutmut_3": "a programming error's text, for the developer",
    "app.services.leases.x_claim_due__mutmut_17": _NO_SKIP,
    "app.services.leases.x_claim_due__mutmut_18": _NO_SKIP,
    "app.services.idempotency.x_claim__mutmut_46": "the model's default for result is the "
    "same empty object",
    "app.services.idempotency.x__plain__mutmut_7": "the API gives _plain no other type: the "
    "TypeError's text is for a developer",
    "app.services.order_edits.x__priced__mutmut_7": "sum's start shows only for no lines, and "
    "an edit that leaves none is refused before it is priced",
    "app.services.order_edits.x_preview_edit__mutmut_6": "None and False are both false: the "
    "plan reads `lock` only as a truth value",
    "app.services.shipments.x_list_shipments__mutmut_44": "ids rise with created_at: newest "
    "first by id is the same order",
    "app.services.payments.x__refunded__mutmut_3": "parse_money(None) is None: the guard only "
    "spares a call",
    "app.services.payments.x__duration__mutmut_13": "the timeline message's wording only: "
    "'60 s' or '1 min'",
    "app.services.transactions.x_add__mutmut_1": "every caller (placeOrder, recordPayment, "
    "refunds) passes provider: the default is never used",
    "app.services.transactions.x_add__mutmut_2": "every caller (placeOrder, recordPayment, "
    "refunds) passes method: the default is never used",
    "app.carriers.x_carrier_name__mutmut_1": "every caller (the read model, the tracking "
    "page, the packing slip) passes the number: the default is never used",
    "app.carriers.x_tracking_url__mutmut_15": "neither '' nor 'XXXX' is a carrier with a URL: "
    "both look up nothing",
    "app.services.shipments.x_ship_order__mutmut_81": "both shipment rows move from any "
    "status, so only their `to is status` check reads it, and a move to the status the order "
    "has plans no column, stock or event (automatic, no note, and a shippable order holds its "
    "stock)",
    "app.services.shipments.x_ship_order__mutmut_88": "a shippable order never has its stock "
    "released (RELEASING is within NOT_SHIPPABLE), so its move writes no ledger row: the "
    "viewer is not read",
    "app.services.shipments.x_list_shipments__mutmut_17": "icontains compares upper-cased "
    "(both databases): the term's case is moot",
    "app.services.shipments.x_delete_shipment__mutmut_34": "a shipment's lines go with it "
    "(ON DELETE CASCADE, foreign keys on in both databases): deleting them first only says so",
    "app.services.bulk.x_run__mutmut_17": "no answer shows a bulk operation's start, and the "
    "sweep reads it only for a row never heartbeaten, which the claim before it rules out",
    "app.services.bulk.x__apply_set__mutmut_18": "only moved orders can be refused, and a row "
    "decided before the plan (deleted, or already there) has no move: the lookup finds none",
    "app.services.bulk.x_start__mutmut_96": "a bulk run asks nothing of the permissions it "
    "acts with (the planner and the timeline read only the id and label), and no answer shows "
    "them",
    "app.services.bulk.x__message__mutmut_2": "a DomainError always has its first issue",
    "app.services.bulk.x_start__mutmut_68": "one row past the bound tells that the filter "
    "matches too many; two tell the same",
    **{
        f"app.services.import_sets.x_relax_commit__mutmut_{n}": "the SET only lets a set's "
        "commit skip waiting for its WAL flush, which no answer shows (a crash aside); one "
        "that fails leaves the set applied row by row, to the same outcomes"
        for n in range(1, 8)
    },
    "app.services.import_sets.x__apply_row__mutmut_49": "the row's number is the order's by "
    "then (written just before, or the same already): a shipment given none takes the order's",
    "app.services.import_sets.x__record__mutmut_59": "the worker catches LeaseLost and stops: "
    "its text is never shown",
    **{
        f"app.services.import_sets.x__lock_orders_by_number__mutmut_{n}": "PostgreSQL reads "
        "SQL keywords and unquoted names in any case (names folded to lower case, so the rows' "
        "keys are the same); SQLite never runs it"
        for n in (11, 12, 14, 15)
    },
    "app.services.cancellation.x_cancel_order__mutmut_69": "a write-off takes back the units "
    "the release gave back a moment before, under the same locks: it is never short, and a "
    "line's sku is read only to name a shortage",
    "app.services.cancellation.x_cancel_order__mutmut_77": "'' and None are both false "
    "wherever the request is read (the event, the payload, the idempotent result)",
    "app.services.import_sets.x__apply_as_set__mutmut_42": "the planner decides every ask: "
    "the two lists are always as long, strict or not",
    **{
        f"app.services.import_sets.x__apply_row__mutmut_{n}": "row by row runs only with "
        "createShipments (SHIPMENTS_WRITE) or setStatus (ORDERS_WRITE), required at start: "
        "either is a tracking writer, so `importing` is moot"
        for n in (9, 19)
    },
    "app.services.order_edits.x__stock_moves__mutmut_3": _HAS_PRODUCT,
    "app.services.order_edits.x__stock_moves__mutmut_4": _HAS_PRODUCT,
    _TRACKING + "x_plan__mutmut_1": "addTracking, the one caller that leaves `importing` out, "
    "has refused a viewer who is not a writer just before (require_writer, same rule)",
    **{_TRACKING + f"x__update__mutmut_{n}": _SQL_CASE for n in (21, 22, 26, 27, 29, 30, 55, 56)},
    **{_TRACKING + f"x__update__mutmut_{n}": _SAME_LENGTH for n in (40, 44, 45)},
    **{_STATUS + f"x_lock_states__mutmut_{n}": _SQL_CASE for n in (23, 24)},
    **{_STATUS + f"x__lock_stock__mutmut_{n}": _SQL_CASE for n in (11, 12)},
    **{_STATUS + f"x_write_stock__mutmut_{n}": _SQL_CASE for n in (12, 13, 15, 16)},
    _STATUS + "x__held__mutmut_17": "Tortoise reads isnull as a truth value: None and False "
    "both filter IS NOT NULL",
    _STATUS + "x__held__mutmut_18": "plan takes from `held` only the lines of orders whose "
    "stock moves: reading the others' too gives the same stock, ledger and refusals",
    _STATUS + "x__held__mutmut_19": _HAS_PRODUCT,
    _STATUS + "x__columns__mutmut_17": "stock_released is set only when the sign is 1 or -1, "
    "where > 0 and >= 0 agree",
    **{
        _STATUS + f"x__refusal__mutmut_{n}": "stock_refusal reads only the line's SKU and the "
        "sign of its quantity (not its product id; sign / units keeps the sign)"
        for n in (14, 20)
    },
    _STATUS + "x__held__mutmut_33": "an order has one line per product (placeOrder merges a "
    "SKU's lines, editOrder refuses a SKU on the order already, a SKU never changes): no "
    "units to add up",
    **{_STATUS + f"x__refusal__mutmut_{n}": _NO_LINES for n in (4, 5, 9)},
    _STATUS + "x_plan__mutmut_11": "`held` has lines only for orders whose stock moves: an "
    "order with sign 0 finds none there either",
    _STATUS + "x_plan__mutmut_31": _NO_LINES + " (the reason is written on ledger rows only)",
    **{
        _STATUS + f"xǁOrderStateǁof__mutmut_{n}": "only the unpaid sweep reads a state's "
        "payment_status, and it takes its states from lock_states, never from `of`"
        for n in (5, 10)
    },
}


# Mutants only PostgreSQL can tell apart: left out of a run on SQLite, measured on PostgreSQL
# (DATABASE_URL and REDIS_URL set).
_PG_BRANCH = "a PostgreSQL-only branch: SQLite takes the other one"
_SERIALISED = "on SQLite writers are serialised, so two requests never race to a unique index"
_GONE_MEANWHILE = (
    "two deletions of one shipment at once: on SQLite the second waits for the first's "
    "transaction and finds no shipment at its first check; only on PostgreSQL does it read the "
    "shipment before the order's lock and find it gone at its delete"
)
_COPY_CASE = (
    "SQLite's table and column names ignore case, quoted or not; PostgreSQL's COPY quotes them, "
    "so only there is an upper-cased name not the table's"
)
_PG_NAMES = (
    "SQLite's table and column names are the same in any case, even quoted; PostgreSQL's "
    "COPY (insert_rows) names them exactly"
)
PG_ONLY: dict[str, str] = {
    **{
        f"app.services.import_sets.x__lock_orders_by_number__mutmut_{n}": _PG_BRANCH
        for n in range(2, 24)
        if n not in (11, 12, 14, 15)
    },
    **{f"app.services.bulk.x_start__mutmut_{n}": _COPY_CASE for n in range(105, 118, 2)},
    **{
        f"app.services.shipments.x_delete_shipment__mutmut_{n}": _GONE_MEANWHILE
        for n in range(37, 46)
    },
    **{_STATUS + f"x_lock_states__mutmut_{n}": _PG_BRANCH for n in (*range(12, 23), 25, 26, 27)},
    **{_STATUS + f"x__lock_stock__mutmut_{n}": _PG_BRANCH for n in (*range(2, 11), *range(13, 17))},
    **{
        _STATUS + f"x_lock_states__mutmut_{n}": "only the unpaid sweep reads a locked state's "
        "payment_status and status_manual, to see again what its query chose; on SQLite that "
        "query and the lock are one serialised transaction, so nothing pays for an order or "
        "sets its status between them"
        for n in (42, 48)
    },
    **{_STATUS + f"x_write_stock__mutmut_{n}": _PG_BRANCH for n in (*range(4, 12), 14)},
    **{_STATUS + f"x_write_stock__mutmut_{n}": _PG_NAMES for n in range(30, 45, 2)},
    **{_TRACKING + f"x__update__mutmut_{n}": _PG_BRANCH for n in (*range(14, 21), 23, 24, 25, 28)},
    "app.services.accounts.x__create_user__mutmut_55": _SERIALISED,
    "app.services.accounts.x__create_user__mutmut_57": _SERIALISED,
    "app.services.accounts.x__create_user__mutmut_58": _SERIALISED,
    "app.services.catalog.x_create_product__mutmut_73": _SERIALISED,
    "app.services.catalog.x_create_product__mutmut_74": _SERIALISED,
    "app.services.catalog.x_create_product__mutmut_75": _SERIALISED,
    "app.services.catalog.x_create_product__mutmut_77": _SERIALISED,
    "app.services.addresses.x_search_words__mutmut_5": "search text is matched with LIKE, which "
    "minds case, only on PostgreSQL; SQLite's icontains does not",
    "app.services.order_edits.x_preview_edit__mutmut_12": "a preview that locks the order: on "
    "SQLite a lock is a read; only PostgreSQL's row lock would make it wait for an edit",
}

# And the other way round: left out of a run on PostgreSQL, measured on SQLite.
_SQLITE_BRANCH = "a SQLite-only branch: PostgreSQL takes the other one"
_NAIVE_LOCAL = (
    "asyncpg reads a naive time as the machine's local time, so PostgreSQL stores the same "
    "instant; only SQLite stores the clock reading as it is"
)
SQLITE_ONLY: dict[str, str] = {
    **{
        _TRACKING + f"x__update__mutmut_{n}": _SQLITE_BRANCH
        for n in (*range(31, 40), 41, 42, 43, *range(46, 55), 57, 58)
    },
    _STATUS + "x_apply_one__mutmut_12": _NAIVE_LOCAL,
    **{_STATUS + f"x_lock_states__mutmut_{n}": _SQLITE_BRANCH for n in range(28, 32)},
    **{_STATUS + f"x__lock_stock__mutmut_{n}": _SQLITE_BRANCH for n in range(17, 27)},
    **{_STATUS + f"x_write_stock__mutmut_{n}": _SQLITE_BRANCH for n in range(17, 23)},
    _SEARCH + "x_matches__mutmut_2": "on PostgreSQL an empty term's SQL finds every order, as "
    "the columns do; only SQLite, which has no such SQL, tells",
}

# The tests that speak for each rule module; a run uses the union for the modules it names.
_S = "app/services/"
TESTS: dict[str, tuple[str, ...]] = {
    "app/carriers.py": ("fulfilment", "tracking", "imports", "survivors"),
    _S + "accounts.py": ("accounts",),
    _S + "addresses.py": ("place_order", "order_edits", "read_orders", "webhooks", "search"),
    _S + "auth.py": ("accounts", "rate_limits", "bulk", "fulfilment"),
    _S + "batches.py": ("read_orders", "query_count", "returns", "refunds", "documents"),
    _S + "bulk.py": ("bulk", "lifecycle", "laws"),
    _S + "buyer_limits.py": ("place_order", "rate_limits"),
    _S + "cancellation.py": ("cancellation", "laws"),
    _S + "catalog.py": ("catalog", "fulfilment", "place_order", "laws", "order_edit_preview"),
    _S + "csv_files.py": ("csv_files", "imports", "exports"),
    _S + "demo.py": ("cli", "demo"),
    _S + "document_pages.py": ("paperwork", "documents"),
    _S + "documents.py": ("documents", "worker"),
    _S + "emails.py": ("emails",),
    _S + "errors.py": ("schema_and_limits", "hostile_input", "rate_limits", "place_order"),
    _S + "events.py": ("read_orders", "webhooks", "imports", "payments", "fulfilment", "accounts"),
    _S + "exports.py": ("exports", "worker"),
    _S + "fulfilment.py": ("fulfilment", "shipments", "payments", "cancellation", "imports"),
    _S + "idempotency.py": ("idempotency",),
    _S + "import_sets.py": ("imports", "laws"),
    _S + "imports.py": ("imports", "subscriptions"),
    _S + "jobs.py": ("worker", "worker_restart", "rate_limits", "lifecycle"),
    _S + "lifecycle.py": ("lifecycle", "laws", "returns", "payments", "refunds", "shipments"),
    _S + "leases.py": ("worker", "worker_restart", "bulk", "webhooks"),
    _S + "maintenance.py": ("worker", "webhooks"),
    _S + "money.py": ("catalog", "laws", "place_order", "survivors"),
    _S + "order_edits.py": ("order_edits", "order_edit_preview", "survivors", "laws"),
    _S + "order_search.py": ("search", "read_orders"),
    _S + "orders.py": ("place_order", "read_orders"),
    _S + "outbox.py": ("webhooks", "emails", "subscriptions"),
    _S + "pagination.py": ("read_orders",),
    _S + "payments.py": ("payments", "cancellation", "survivors"),
    _S + "postal.py": ("place_order", "fulfilment"),
    _S + "quotes.py": ("storefront",),
    _S + "ratelimit.py": ("rate_limits",),
    _S + "refund_requests.py": ("cancellation", "refunds", "payments"),
    _S + "refunds.py": ("refunds", "returns", "payments", "cancellation"),
    _S + "returns.py": ("returns", "refunds", "console_server"),
    _S + "shipments.py": ("shipments", "fulfilment", "survivors"),
    _S + "shipping.py": ("shipping_methods", "place_order"),
    _S + "snapshots.py": ("webhooks",),
    _S + "staff.py": ("staff",),
    _S + "status_plan.py": ("lifecycle", "fulfilment", "bulk", "payments", "cancellation", "laws"),
    _S + "tracking.py": ("tracking", "tracking_page"),
    _S + "tracking_plan.py": ("fulfilment", "imports", "laws"),
    _S + "transactions.py": ("payments", "refunds", "survivors"),
    _S + "webhook_delivery.py": ("webhooks",),
    _S + "webhooks.py": ("webhooks",),
}

_PLUGIN = "mutation_session"
_SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|VALUES|RETURNING|ORDER BY|GROUP BY|"
    r"LIMIT|COALESCE|NULL|CREATE|ALTER|DROP|TABLE|INDEX|TRUNCATE|ON CONFLICT|SKIP LOCKED|"
    r"FOR UPDATE|LIKE|ILIKE|EXISTS|DISTINCT)\b"
)
_WORD = re.compile(r"(?<![\w{%$])[A-Za-z][a-z']+(?![\w}])")
_CODE_MARK = re.compile(r"[=<>{}\[\]\\|@#$%^*_`~]|://|\.\w+\(")


def is_prose(text: str) -> bool:
    """Whether a string literal is text a person reads (a message, a log line, an email's or
    a PDF's wording), which a mutation test may leave out, rather than something the code or
    another program reads: an identifier, key, column or field name, reason code, status,
    field path, URL, format or SQL fragment, which it must not.

    Prose has at least two words of letters separated by spaces, no SQL keyword in capitals
    and none of the marks code uses (=, braces, brackets, an underscore, `://`, ...).
    """
    if _SQL.search(text) or _CODE_MARK.search(text):
        return False
    return len(_WORD.findall(text)) >= 2 and " " in text.strip()


def _strings(node: ast.AST) -> list[str]:
    return [
        child.value
        for child in ast.walk(node)
        if isinstance(child, ast.Constant) and isinstance(child.value, str)
    ]


def _blank_strings(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The function's code, under no name, with every string's text blanked out."""
    node = copy.deepcopy(node)
    node.name = ""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            child.value = ""
    return ast.dump(node)


def changed_strings(
    original: ast.FunctionDef | ast.AsyncFunctionDef, mutant: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[str] | None:
    """The original texts of the strings a mutant changes, or None when it changes more than
    strings."""
    if _blank_strings(original) != _blank_strings(mutant):
        return None
    return [a for a, b in zip(_strings(original), _strings(mutant), strict=True) if a != b]


def _functions(scratch: Path, module: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    source = (scratch / "mutants" / module).read_text()
    return {
        node.name: node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def mutants_of(scratch: Path, module: str) -> tuple[list[str], set[str]]:
    """Every mutant of `module`, and those of them that change only prose (`is_prose`)."""
    functions = _functions(scratch, module)
    prefix = _module_name(module)
    everything: list[str] = []
    prose: set[str] = set()
    for name, node in functions.items():
        original, _, number = name.rpartition("__mutmut_")
        if not number.isdigit() or f"{original}__mutmut_orig" not in functions:
            continue
        full = f"{prefix}.{name}"
        everything.append(full)
        texts = changed_strings(functions[f"{original}__mutmut_orig"], node)
        if texts and all(is_prose(text) for text in texts):
            prose.add(full)
    return sorted(everything, key=_natural), prose


def _natural(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition("__mutmut_")
    return base, int(number)


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _copy_tree(target: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = ROOT / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


_GENERATE = """
import os, sys
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.utils.file_utils import setup_source_paths
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); create_mutants(1)
"""


def _generate(scratch: Path, modules: list[str]) -> None:
    """mutmut's mutants of `modules`, in scratch/mutants (no test is run)."""
    only = "\n    ".join(modules)
    (scratch / "setup.cfg").write_text(
        "[mutmut]\nsource_paths=app\nalso_copy=migrations\n    schema.graphql\n    docs\n"
        f"only_mutate={only}\n"
    )
    subprocess.run([sys.executable, "-c", _GENERATE], cwd=scratch, check=True, capture_output=True)


@dataclass
class Outcome:
    result: str  # killed, survived, timed out, not run, no tests
    by: str = ""  # the test that failed, or why it was not run
    seconds: float = 0.0


@dataclass
class Runner:
    """Runs mutants in test sessions, a fresh session wherever one died or was stopped."""

    scratch: Path
    tests: list[str]
    env: dict[str, str]
    verbose: bool = False
    recheck: bool = False
    stop_at: float = float("inf")  # time.monotonic(): stop there, the rest "not run"
    sessions: int = 0
    work: Path = field(init=False)

    def __post_init__(self) -> None:
        self.work = self.scratch / "mutation-run"
        self.work.mkdir(exist_ok=True)

    def session(self, mutants: list[str], **plan: Any) -> tuple[list[dict[str, Any]], str]:
        """One test session over `mutants`: what it wrote, and "" or why it stopped early."""
        self.sessions += 1
        results = self.work / f"results-{self.sessions}.jsonl"
        plan_file = self.work / f"plan-{self.sessions}.json"
        plan_file.write_text(
            json.dumps(
                {
                    "stats": str(self.work / "stats.json"),
                    "results": str(results),
                    "mutants": mutants,
                    **plan,
                }
            )
        )
        env = {
            **self.env,
            "BITCART_MUTATION_PLAN": str(plan_file),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), self.env.get("PYTHONPATH", "")]),
        }
        command = [
            sys.executable, "-m", "pytest", "-p", _PLUGIN, "-p", "no:cacheprovider",
            "-n", "0", "-q", *self.tests,
        ]  # fmt: skip
        log = (self.work / f"session-{self.sessions}.log").open("w")
        process = subprocess.Popen(
            command,
            cwd=self.scratch / "mutants",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its Valkey goes with it when it is stopped
        )
        try:
            stopped = self._watch(process, results)
        finally:  # stopped by a signal or an error here: its session goes too
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        lines = _read(results)
        if not stopped and not any(r.get("finished") for r in lines):
            broken = [r for r in lines if "broken_by" in r]
            stopped = "broken" if broken else f"ended (exit {process.returncode})"
        return lines, stopped

    def _watch(self, process: subprocess.Popen[bytes], results: Path) -> str:
        """Wait for the session to end; stop it when the running mutant overruns its budget."""
        stopped = ""
        while process.poll() is None:
            time.sleep(0.5)
            if time.monotonic() > self.stop_at:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return "out of time"
            lines = _read(results)
            starts = [r for r in lines if "start" in r]
            if not starts:
                continue
            last = starts[-1]
            finished = any(
                r.get("mutant") == last["start"] or r.get("done") == last["start"]
                or r.get("baseline_of") == last["start"].removeprefix("baseline:")
                for r in lines[lines.index(last) :]
            )  # fmt: skip
            if not finished and time.monotonic() - last["_seen"] > last["budget"]:
                stopped = f"overran {last['start']}"
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return stopped

    def run(self, mutants: list[str]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        suspects: list[str] = []
        left = list(mutants)
        while left:
            if time.monotonic() > self.stop_at:
                break
            lines, stopped = self.session(left)
            for record in lines:
                if "mutant" in record:
                    outcomes[record["mutant"]] = Outcome(
                        record["result"], record.get("by") or "", record["seconds"]
                    )
            started = [r["start"] for r in lines if "start" in r]
            if stopped == "out of time":
                break
            if stopped and started and started[-1] not in outcomes:
                current = started[-1]
                if current == "stats":
                    tail = (self.work / f"session-{self.sessions}.log").read_text()[-3000:]
                    raise SystemExit(f"the unmutated tests did not run through:\n{tail}")
                if stopped.startswith("overran"):
                    suspects.append(current)
                else:
                    outcomes[current] = Outcome("not run", f"session {stopped}")
            elif stopped and not started:
                tail = (self.work / f"session-{self.sessions}.log").read_text()[-3000:]
                raise SystemExit(f"a test session did not start:\n{tail}")
            left = [m for m in left if m not in outcomes and m not in suspects]
            if self.verbose:
                print(f"  session {self.sessions}: {len(outcomes)} done, {len(left)} left")
        for mutant in suspects:
            if time.monotonic() > self.stop_at:
                outcomes[mutant] = Outcome("not run", "overran once; out of time to confirm")
            else:
                outcomes[mutant] = self.confirm(mutant)
        for mutant in mutants:
            outcomes.setdefault(mutant, Outcome("not run", "out of time"))
        if self.recheck:
            self.recheck_survivors(outcomes)
        return outcomes

    def recheck_survivors(self, outcomes: dict[str, Outcome]) -> None:
        """Each survivor again, alone in a fresh session: a check that state a long session
        keeps (from earlier mutants or tests) hid no kill. The canary guards the other way."""
        for mutant, outcome in list(outcomes.items()):
            if outcome.result != "survived" or time.monotonic() > self.stop_at:
                continue
            lines, stopped = self.session([mutant])
            done = next((r for r in lines if r.get("mutant") == mutant), None)
            if done is not None:
                outcomes[mutant] = Outcome(done["result"], done.get("by") or "", done["seconds"])
            elif stopped.startswith("overran"):
                outcomes[mutant] = self.confirm(mutant)

    def confirm(self, mutant: str) -> Outcome:
        """A mutant that overran, alone in a fresh session with twice the budget: its tests
        must finish unmutated inside a quarter of that, and the mutant must overrun again."""
        lines, stopped = self.session([mutant], confirm=True, budget_factor=16, budget_floor=60)
        start = next((r for r in lines if r.get("start") == mutant), None)
        baseline = next((r for r in lines if r.get("baseline_of") == mutant), None)
        if baseline is None or start is None or not baseline["ok"]:
            return Outcome("not run", "its tests did not pass unmutated in a fresh session")
        if baseline["seconds"] > start["budget"] / 4:
            return Outcome("not run", f"its tests took {baseline['seconds']:.0f} s unmutated")
        done = next((r for r in lines if r.get("mutant") == mutant), None)
        if done is not None:
            return Outcome(done["result"], done.get("by") or "", done["seconds"])
        if stopped.startswith("overran"):
            return Outcome("timed out", f"overran {start['budget']:.0f} s twice")
        return Outcome("not run", f"session {stopped}")


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    now = time.monotonic()
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line being written
        records.append(record)
    # when each start was first seen (the driver's clock: the budget runs from there)
    for record in records:
        if "start" in record:
            key = json.dumps(record, sort_keys=True)
            record["_seen"] = _SEEN.setdefault(key, now)
    return records


_SEEN: dict[str, float] = {}


def _diff(scratch: Path, name: str) -> str:
    """The mutant's change to the source, as `mutmut show` prints it, indented."""
    shown = subprocess.run(
        [str(MUTMUT), "show", name], cwd=scratch, capture_output=True, text=True
    ).stdout
    lines = [line for line in shown.splitlines() if line[:1] in "+-" and line[:3] not in "+++---"]
    return "\n".join(f"      {line}" for line in lines)


@dataclass
class Choice:
    """What is run of one module."""

    module: str
    total: int
    prose: int
    listed: int
    by_seed: dict[int, list[str]]  # empty: the whole module
    names: list[str]  # what is run: every candidate, or the seeds' samples together


def _choose(
    scratch: Path, module: str, args: argparse.Namespace, left_alone: dict[str, str]
) -> tuple[Choice, list[str]]:
    everything, prose = mutants_of(scratch, module)
    listed = [n for n in everything if n in left_alone and n not in prose]
    candidates = [n for n in everything if n not in prose and n not in left_alone]
    if args.only:
        candidates = [n for n in candidates if any(fnmatch(n, p) for p in args.only)]
    if len(candidates) < args.whole_under:
        by_seed: dict[int, list[str]] = {}
        chosen = candidates
    else:
        by_seed = {
            seed: sorted(random.Random(f"{seed}:{module}").sample(candidates, args.sample))
            for seed in args.seeds
        }
        chosen = sorted({n for names in by_seed.values() for n in names}, key=_natural)
    return Choice(module, len(everything), len(prose), len(listed), by_seed, chosen), chosen


def _score(names: list[str], outcomes: dict[str, Outcome]) -> tuple[int, int, int, int, str]:
    counts = defaultdict(int)
    for name in names:
        result = outcomes[name].result
        counts["survived" if result == "no tests" else result] += 1
    caught = counts["killed"] + counts["timed out"]
    judged = caught + counts["survived"]
    score = f"{100 * caught / judged:5.1f} %" if judged else "    -  "
    return counts["killed"], counts["survived"], counts["timed out"], counts["not run"], score


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "modules", nargs="*", help="e.g. app/services/refunds.py (default: every rule module)"
    )
    parser.add_argument("--sample", type=int, default=60, help="mutants a module for each seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[14, 28])
    parser.add_argument(
        "--whole-under",
        type=int,
        default=300,
        help="run every candidate of a module with fewer than this many",
    )
    parser.add_argument(
        "--test",
        action="append",
        dest="tests",
        help="a test file to run (again for more; default: the modules' tests in TESTS)",
    )
    parser.add_argument(
        "--only",
        action="append",
        help="run only the mutants matching this pattern (again for more), e.g. '*x__check*'",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's change")
    parser.add_argument(
        "--minutes",
        type=float,
        help="stop after this long (or on SIGTERM) and report, the rest counted as not run",
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="run each survivor again alone in a fresh session (about 10 s each)",
    )
    parser.add_argument("--verbose", action="store_true", help="say how the sessions go")
    args = parser.parse_args()
    # a TERM (a deadline, a kill) unwinds as an exit would: the test session is stopped too
    runner_stop: list[Runner] = []

    def stop(*_: object) -> None:
        for runner in runner_stop:
            runner.stop_at = 0.0

    signal.signal(signal.SIGTERM, stop)
    args.modules = args.modules or list(TESTS)
    unknown = [m for m in args.modules if m not in TESTS and not args.tests]
    if unknown:
        print(f"No tests listed for {', '.join(unknown)}: add them to TESTS or pass --test.")
        return 2
    args.tests = args.tests or sorted(
        {f"tests/test_{name}.py" for module in args.modules for name in TESTS[module]}
    )
    if not MUTMUT.exists():
        print("Needs mutmut: .venv/bin/pip install 'mutmut>=3.8,<3.9'", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bitcart-mutation-"))
    try:
        _copy_tree(scratch)
        _generate(scratch, args.modules)
        on_postgres = bool(os.environ.get("DATABASE_URL"))
        left_alone = {**EQUIVALENT, **(SQLITE_ONLY if on_postgres else PG_ONLY)}
        choices = []
        everything: list[str] = []
        for module in args.modules:
            choice, chosen = _choose(scratch, module, args, left_alone)
            choices.append(choice)
            everything += chosen
        # the suite's sameness check (two execution paths compared) is not a rule
        env = {**os.environ, "BITCART_SAMENESS": "0"}
        runner = Runner(scratch, args.tests, env, verbose=args.verbose, recheck=args.recheck)
        runner_stop.append(runner)
        began = time.monotonic()
        if args.minutes is not None:
            runner.stop_at = began + 60 * args.minutes
        outcomes = runner.run(everything)
        print(
            f"{'SQLite' if not on_postgres else 'PostgreSQL'}; seeds {args.seeds} of "
            f"{args.sample} where a module has {args.whole_under} candidates or more, else "
            f"every one; {runner.sessions} test sessions, {time.monotonic() - began:.0f} s"
        )
        print(f"tests: {' '.join(args.tests)}\n")
        header = (
            f"{'module':<34} {'run':>4} {'killed':>6} {'survived':>8} {'timed out':>9} "
            f"{'not run':>7} {'score':>8}   left out (prose / listed) of all"
        )
        print(header)
        for choice in choices:
            k, s, t, n, score = _score(choice.names, outcomes)
            print(
                f"{choice.module:<34} {len(choice.names):>4} {k:>6} {s:>8} {t:>9} {n:>7} "
                f"{score:>8}   {choice.prose} / {choice.listed} of {choice.total}"
            )
            for seed, names in choice.by_seed.items():
                k, s, t, n, score = _score(names, outcomes)
                print(
                    f"{'  seed ' + str(seed):<34} {len(names):>4} {k:>6} {s:>8} {t:>9} {n:>7} "
                    f"{score:>8}"
                )
        for choice in choices:
            shown = [n for n in choice.names if outcomes[n].result not in ("killed", "timed out")]
            if not shown:
                continue
            print(f"\nnot caught in {choice.module}:")
            for name in shown:
                outcome = outcomes[name]
                why = f": {outcome.by}" if outcome.by else ""
                print(f"  {name} ({outcome.result}{why})")
                if args.diffs:
                    print(_diff(scratch, name))
        if args.keep:
            print(f"\nscratch copy: {scratch} (mutmut show <name> there)")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

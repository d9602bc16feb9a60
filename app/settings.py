"""Typed settings, read once from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration_seconds(name: str, default: int) -> int:
    """Seconds from "90", "45m", "24h" or "2d"."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw[-1] in _UNITS:
        return int(raw[:-1]) * _UNITS[raw[-1]]
    return int(raw)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    debug: bool = False
    store_name: str = "BitCart Demo Store"
    store_address: str = "1 Market Street, Springfield"
    store_email: str = "orders@example.com"
    # where returns are sent (emails and packing slips); empty: the store's address
    return_address: str = ""
    # the store's VAT or tax number, printed on invoices when set
    store_tax_id: str = ""
    currency: str = "USD"
    tax_rate: Decimal = Decimal("0")
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50 * 1024 * 1024
    max_query_depth: int = 12
    max_query_tokens: int = 3000
    max_aliases: int = 30
    # selections in a document once its fragments are written out (checked before anything
    # expands them: the token bound lets no plain document past it)
    max_query_selections: int = 3000
    max_query_cost: int = 120_000
    request_timeout_seconds: float = 10.0
    max_response_bytes: int = 20_000_000
    tracking_rate_limit: int = 20
    tracking_rate_window_seconds: int = 60
    login_rate_limit: int = 10
    # per client address an hour; guest orders per address and customer documents per
    # customer a minute
    register_rate_limit: int = 10
    guest_order_rate_limit: int = 10
    # what one buyer (a guest or customer) may take: units of an item an order, and unpaid
    # orders held at once per customer and per client address
    max_units_per_line: int = 100
    max_unpaid_orders_per_customer: int = 5
    max_unpaid_orders_per_address: int = 10
    customer_document_rate_limit: int = 10
    # notes a customer writes on their orders, a minute
    customer_note_rate_limit: int = 10
    # proxies whose X-Forwarded-For is believed (CIDRs); none by default
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    import_set_size: int = 2000
    # a running import or document whose worker showed no sign of life for this long is
    # taken over by another worker
    worker_lease_seconds: int = 30
    # an order with nothing authorized or captured this long after it was placed is
    # cancelled and its stock released; 0 = never
    unpaid_order_ttl_seconds: int = 24 * 3600
    cors_origins: tuple[str, ...] = ()
    # GraphiQL at /graphql and schema introspection; off in production (BITCART_GRAPHIQL=0)
    graphiql: bool = True
    # "json" for one JSON object a line (compose sets it); readable lines otherwise
    log_format: str = "console"
    # when set, /metrics answers only to this bearer token
    metrics_token: str = ""
    # where generated files and uploads go: the data folder, or s3://bucket/prefix
    storage_url: str = ""
    # on SIGTERM, requests in flight get this long to finish
    shutdown_timeout_seconds: int = 20
    # queries' root fields completed set by set (app/schema/fast.py); 0 = graphql-core only
    fast_execution: bool = True
    # known query texts skip the standard pipeline (app/schema/lane.py); with fast_execution
    fast_lane: bool = True
    # how long HTTP caches may keep a guest's persisted query read by GET
    public_max_age_seconds: int = 60
    # persisted queries: the longest a guest may register, how many a guest's address may
    # register a minute, and the bytes all registered queries may take in Redis together
    apq_guest_max_query_bytes: int = 10_000
    apq_guest_rate_limit: int = 30
    apq_max_total_bytes: int = 5_000_000
    # where the store's pages are seen from: links in customer emails start with it
    public_url: str = "http://localhost:8000"
    # webhooks: delivery to loopback, private, link-local and metadata addresses is refused
    # unless this is on (local development and tests)
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = 10.0
    # the waits before each retry (jitter of +-20 % is added): about a day in all
    webhook_retry_delays: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    # a webhook whose deliveries have failed for this long is disabled
    webhook_disable_after_seconds: int = 24 * 3600
    # redeliverWebhook calls per staff member a minute
    webhook_redeliver_rate_limit: int = 30
    # WebSockets one client address may hold open at once, in each API process (each may
    # run MAX_SUBSCRIPTIONS subscriptions, and every event is looked at by each of them)
    max_websockets_per_client: int = 8
    # customer emails: off with BITCART_NOTIFY=0; through SMTP when set, else .eml files in
    # the data folder's outbox/
    notify: bool = True
    smtp_url: str = ""
    email_retry_delays: tuple[float, ...] = (30, 120, 600, 3600, 6 * 3600, 12 * 3600)
    template_dir: Path | None = None
    font_dirs: tuple[Path, ...] = ()
    # the built staff console served at /console (scripts/build-console writes it)
    console_dir: Path = Path(__file__).resolve().parent.parent / "console" / "dist"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None


def _delays(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """Seconds between retries, as "5,300,1800" (at least one)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    delays = tuple(float(part) for part in raw.split(",") if part.strip())
    if not delays or any(d < 0 for d in delays):
        raise ValueError(f"{name} must list one or more waits in seconds, like 5,300,1800")
    return delays


def _secret_key(data_dir: Path) -> str:
    """Use SECRET_KEY, else a random key kept in the data folder so tokens survive restarts."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings() -> Settings:
    """Read the settings from the environment (no caching: tests build their own)."""
    data_dir = Path(os.environ.get("BITCART_DATA_DIR", "./data")).resolve()
    return Settings(**_store_settings(data_dir), **_limit_settings(), **_worker_settings())


def _store_settings(data_dir: Path) -> dict[str, Any]:
    """Where things are kept and what the store is called."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite://{data_dir / 'bitcart.sqlite3'}"
    template_dir = os.environ.get("BITCART_TEMPLATE_DIR")
    return dict(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=_secret_key(data_dir),
        debug=os.environ.get("BITCART_DEBUG", "") == "1",
        store_name=os.environ.get("BITCART_STORE_NAME", Settings.store_name),
        store_address=os.environ.get("BITCART_STORE_ADDRESS", Settings.store_address),
        store_email=os.environ.get("BITCART_STORE_EMAIL", Settings.store_email),
        return_address=os.environ.get("BITCART_RETURN_ADDRESS", "").strip(),
        store_tax_id=os.environ.get("BITCART_STORE_TAX_ID", "").strip(),
        currency=os.environ.get("BITCART_CURRENCY", Settings.currency).upper(),
        tax_rate=Decimal(os.environ.get("BITCART_TAX_RATE", "0")),
        graphiql=os.environ.get("BITCART_GRAPHIQL", "1") != "0",
        log_format=os.environ.get("BITCART_LOG_FORMAT", "console").strip().lower(),
        metrics_token=os.environ.get("BITCART_METRICS_TOKEN", ""),
        storage_url=os.environ.get("BITCART_STORAGE_URL", "").strip(),
        cors_origins=tuple(
            o.strip() for o in os.environ.get("BITCART_CORS_ORIGINS", "").split(",") if o.strip()
        ),
        public_url=(os.environ.get("BITCART_PUBLIC_URL") or Settings.public_url).rstrip("/"),
        template_dir=Path(template_dir) if template_dir else None,
        font_dirs=tuple(
            Path(p) for p in os.environ.get("BITCART_FONT_DIRS", "").split(os.pathsep) if p
        ),
        console_dir=Path(os.environ.get("BITCART_CONSOLE_DIR") or Settings.console_dir),
    )


def _limit_settings() -> dict[str, Any]:
    """Limits on requests, bodies, rates and buyers."""
    return dict(
        max_body_bytes=_env_int("BITCART_MAX_BODY_BYTES", Settings.max_body_bytes),
        max_upload_bytes=_env_int("BITCART_MAX_UPLOAD_BYTES", Settings.max_upload_bytes),
        tracking_rate_limit=_env_int("BITCART_TRACKING_RATE_LIMIT", Settings.tracking_rate_limit),
        max_query_cost=_env_int("BITCART_MAX_QUERY_COST", Settings.max_query_cost),
        request_timeout_seconds=float(
            os.environ.get("BITCART_REQUEST_TIMEOUT", Settings.request_timeout_seconds)
        ),
        max_response_bytes=_env_int("BITCART_MAX_RESPONSE_BYTES", Settings.max_response_bytes),
        login_rate_limit=_env_int("BITCART_LOGIN_RATE_LIMIT", Settings.login_rate_limit),
        register_rate_limit=_env_int("BITCART_REGISTER_RATE_LIMIT", Settings.register_rate_limit),
        guest_order_rate_limit=_env_int(
            "BITCART_GUEST_ORDER_RATE_LIMIT", Settings.guest_order_rate_limit
        ),
        max_units_per_line=max(
            1, _env_int("BITCART_MAX_UNITS_PER_LINE", Settings.max_units_per_line)
        ),
        max_unpaid_orders_per_customer=max(
            1,
            _env_int(
                "BITCART_MAX_UNPAID_ORDERS_PER_CUSTOMER", Settings.max_unpaid_orders_per_customer
            ),
        ),
        max_unpaid_orders_per_address=max(
            1,
            _env_int(
                "BITCART_MAX_UNPAID_ORDERS_PER_ADDRESS", Settings.max_unpaid_orders_per_address
            ),
        ),
        customer_document_rate_limit=_env_int(
            "BITCART_CUSTOMER_DOCUMENT_RATE_LIMIT", Settings.customer_document_rate_limit
        ),
        customer_note_rate_limit=_env_int(
            "BITCART_CUSTOMER_NOTE_RATE_LIMIT", Settings.customer_note_rate_limit
        ),
        trusted_proxies=tuple(
            ip_network(c.strip(), strict=False)
            for c in os.environ.get("BITCART_TRUSTED_PROXIES", "").split(",")
            if c.strip()
        ),
        fast_execution=os.environ.get("BITCART_FAST_EXECUTION", "1") != "0",
        fast_lane=os.environ.get("BITCART_FAST_LANE", "1") != "0",
        public_max_age_seconds=max(
            0, _duration_seconds("BITCART_PUBLIC_MAX_AGE", Settings.public_max_age_seconds)
        ),
        apq_guest_max_query_bytes=_env_int(
            "BITCART_APQ_GUEST_MAX_QUERY_BYTES", Settings.apq_guest_max_query_bytes
        ),
        apq_guest_rate_limit=_env_int(
            "BITCART_APQ_GUEST_RATE_LIMIT", Settings.apq_guest_rate_limit
        ),
        apq_max_total_bytes=_env_int("BITCART_APQ_MAX_TOTAL_BYTES", Settings.apq_max_total_bytes),
        webhook_redeliver_rate_limit=_env_int(
            "BITCART_WEBHOOK_REDELIVER_RATE_LIMIT", Settings.webhook_redeliver_rate_limit
        ),
    )


def _worker_settings() -> dict[str, Any]:
    """Workers, webhooks and emails."""
    return dict(
        import_set_size=max(1, _env_int("BITCART_IMPORT_SET_SIZE", Settings.import_set_size)),
        worker_lease_seconds=max(
            2, _env_int("BITCART_WORKER_LEASE_SECONDS", Settings.worker_lease_seconds)
        ),
        unpaid_order_ttl_seconds=max(
            0, _duration_seconds("BITCART_UNPAID_ORDER_TTL", Settings.unpaid_order_ttl_seconds)
        ),
        shutdown_timeout_seconds=max(
            1, _env_int("BITCART_SHUTDOWN_TIMEOUT", Settings.shutdown_timeout_seconds)
        ),
        webhook_allow_private=os.environ.get("BITCART_WEBHOOK_ALLOW_PRIVATE", "") == "1",
        webhook_timeout_seconds=float(
            os.environ.get("BITCART_WEBHOOK_TIMEOUT", Settings.webhook_timeout_seconds)
        ),
        webhook_retry_delays=_delays("BITCART_WEBHOOK_RETRY_DELAYS", Settings.webhook_retry_delays),
        webhook_disable_after_seconds=_duration_seconds(
            "BITCART_WEBHOOK_DISABLE_AFTER", Settings.webhook_disable_after_seconds
        ),
        max_websockets_per_client=max(
            1, _env_int("BITCART_MAX_WEBSOCKETS_PER_CLIENT", Settings.max_websockets_per_client)
        ),
        notify=os.environ.get("BITCART_NOTIFY", "1") != "0",
        smtp_url=os.environ.get("BITCART_SMTP_URL", "").strip(),
        email_retry_delays=_delays("BITCART_EMAIL_RETRY_DELAYS", Settings.email_retry_delays),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings."""
    return load_settings()

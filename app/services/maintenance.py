"""Housekeeping run by the worker on a schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models import ApiToken, DeliveryStatus, EmailMessage, OutboxEntry, WebhookDelivery


async def purge_expired_tokens(now: datetime | None = None) -> int:
    """Delete tokens past their expiry in one statement; returns how many went."""
    return await ApiToken.filter(expires_at__lte=now or datetime.now(UTC)).delete()


# How long what was told is kept: enough to look into a receiver's complaint or redeliver.
KEEP_DELIVERIES = timedelta(days=30)
KEEP_OUTBOX = timedelta(days=7)


async def purge_notifications(now: datetime | None = None) -> int:
    """Forget finished webhook deliveries and emails after KEEP_DELIVERIES, and dispatched
    outbox entries after KEEP_OUTBOX (the timeline itself is kept)."""
    now = now or datetime.now(UTC)
    done = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
    cutoff = now - KEEP_DELIVERIES
    purged: int = await WebhookDelivery.filter(status__in=done, created_at__lt=cutoff).delete()
    purged += await EmailMessage.filter(status__in=done, created_at__lt=cutoff).delete()
    purged += await OutboxEntry.filter(dispatched=True, created_at__lt=now - KEEP_OUTBOX).delete()
    return purged

"""Fixtures of the payment tests: localstripe as a real server (tests/support/localstripe.py), a Stripe
adapter pointed at it, and the card payment service on each database engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from linemod.framework.billing.payments.card_payments import CardPayments
from linemod.framework.billing.payments.stripe_adapter import StripeProvider
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.support.localstripe import (  # noqa: F401  (fixtures)
    SECRET_KEY,
    WEBHOOK_SECRET,
    LocalStripe,
    localstripe,
    localstripe_server,
)


@pytest.fixture
async def stripe_provider(localstripe: LocalStripe) -> AsyncIterator[StripeProvider]:  # noqa: F811
    provider = StripeProvider(SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe.url, localstripe=True)
    yield provider
    await provider.aclose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def card_payments(db: Database, stripe_provider: StripeProvider, clock: ManualClock) -> CardPayments:
    return CardPayments(db, stripe_provider, clock)

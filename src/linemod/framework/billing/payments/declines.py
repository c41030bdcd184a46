"""Which card declines are worth retrying.

Stripe reports a refused card with `code` (`card_declined`, `expired_card`, `incorrect_cvc`...), a more
precise `decline_code` from its list (docs.stripe.com/declines/codes) and, when the issuer gives one, an
`advice_code` (`try_again_later`, `do_not_try_again`, `confirm_card_data`). Dunning retries a *soft* decline
on its schedule (days 1, 3, 5, 7) and never a *hard* one: retrying a card the issuer will not approve again
only adds declines, and the card networks charge merchants for excessive retries of exactly these (Visa's
"issuer will never approve" category, Mastercard's "do not try again" advice). A hard decline asks the
operator for another card instead.
"""

from __future__ import annotations

from types import MappingProxyType

from linemod.framework.billing.payments.provider import ChargeOutcome

HARD_DECLINE_CODES: MappingProxyType[str, str] = MappingProxyType(
    {
        # The card is gone: reported lost or stolen, or the issuer wants it retained. Visa category 1.
        "lost_card": "reported lost",
        "stolen_card": "reported stolen",
        "pickup_card": "the issuer asks for the card to be retained (lost, stolen or fraud)",
        "restricted_card": "the card may not be used (often reported lost or stolen)",
        # The issuer or Stripe suspects fraud; Stripe asks merchants not to retry and not to say why.
        "fraudulent": "suspected fraud",
        "merchant_blacklist": "matches the account's block list",
        # The issuer explicitly refuses this card for this merchant, without saying why; retries of it are what
        # the networks count as excessive, and it does not clear by itself: the cardholder must call the
        # issuer or use another card.
        "do_not_honor": "the issuer refuses without a reason; the cardholder must contact it",
        "transaction_not_allowed": "the card cannot be used for this kind of payment",
        "not_permitted": "the payment is not permitted on this card",
        "service_not_allowed": "the card does not allow this service",
        # The cardholder told the issuer to stop this merchant's recurring charges (Visa R0, R1, R3).
        "stop_payment_order": "the cardholder stopped payments to this merchant",
        "revocation_of_authorization": "the cardholder revoked this merchant's authorization",
        "revocation_of_all_authorizations": "the cardholder revoked all recurring authorizations",
        # The card's data is wrong or out of date: the same data fails every time until the card is updated.
        "expired_card": "the card has expired",
        "incorrect_number": "the card number is wrong",
        "invalid_number": "the card number is wrong",
        "invalid_account": "the card or its account is closed",
        "new_account_information_available": "the card was replaced; the cardholder must enter the new one",
        "card_not_supported": "the card does not support this kind of payment",
        "currency_not_supported": "the card does not support JPY",
        "invalid_expiry_month": "the expiry date is wrong",
        "invalid_expiry_year": "the expiry date is wrong",
    }
)
"""Decline codes treated as hard, each with the reason (shown to staff)."""

# Issuer refusals without a stated reason: hard by default, but an issuer's explicit `try_again_later` advice
# (Mastercard's "retry after...") is the better information and wins.
_REFUSALS_THE_ISSUER_MAY_LIFT = frozenset(
    {"do_not_honor", "transaction_not_allowed", "not_permitted", "service_not_allowed"}
)

# Codes that mean "the cardholder has to be there": off-session, Stripe refuses with this instead of asking.
AUTHENTICATION_CODES = frozenset({"authentication_required", "payment_intent_authentication_failure"})


def classify_decline(code: str | None, decline_code: str | None, advice_code: str | None = None) -> ChargeOutcome:
    """`declined`, `hard_declined` or `requires_action` for one refusal. Anything unknown is soft: a retry of
    an unknown decline costs one more attempt, a wrong hard decline loses the customer."""
    if code in AUTHENTICATION_CODES or decline_code in AUTHENTICATION_CODES:
        return ChargeOutcome.REQUIRES_ACTION
    if advice_code == "do_not_try_again":
        return ChargeOutcome.HARD_DECLINED
    reason = decline_code if decline_code in HARD_DECLINE_CODES else code
    if reason not in HARD_DECLINE_CODES:
        return ChargeOutcome.DECLINED
    if advice_code == "try_again_later" and reason in _REFUSALS_THE_ISSUER_MAY_LIFT:
        return ChargeOutcome.DECLINED
    return ChargeOutcome.HARD_DECLINED

"""The card page's Content-Security-Policy for Stripe.js itself (the browser tests run localstripe's shim)."""

from __future__ import annotations

from linemod.framework.billing.console.operator_payment import card_page_policy
from linemod.framework.security_headers import CONTENT_SECURITY_POLICY


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_real_stripe_js_may_run_call_stripe_and_show_3d_secure_frames() -> None:
    policy = directives(card_page_policy("https://js.stripe.com/v3/", "https://api.stripe.com"))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://js.stripe.com", "https://api.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    # Everything else is the framework's policy, unchanged.
    base = directives(CONTENT_SECURITY_POLICY)
    for name in ("default-src", "frame-ancestors", "object-src", "base-uri", "img-src", "style-src"):
        assert policy[name] == base[name], name


def test_a_local_stripe_shim_gets_only_its_own_origin() -> None:
    policy = directives(card_page_policy("http://127.0.0.1:8420/js.stripe.com/v3/", "http://127.0.0.1:8420"))
    assert policy["script-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert policy["frame-src"] == ["http://127.0.0.1:8420"]

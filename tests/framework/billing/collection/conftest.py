"""Fixtures of the collection tests: localstripe as a real server (tests/support/localstripe.py)."""

from tests.support.localstripe import localstripe, localstripe_server  # noqa: F401  (fixtures)

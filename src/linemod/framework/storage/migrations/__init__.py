"""Alembic migrations of the framework's tables (run with `linemod db upgrade`)."""

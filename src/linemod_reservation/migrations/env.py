"""Alembic environment of the reservation module: its own metadata, on the connection and in the version table
the framework hands over (`linemod db upgrade`), so its history never mixes with the framework's."""

from __future__ import annotations

from linemod import run_module_migrations
from linemod_reservation.models import ReservationBase

run_module_migrations(ReservationBase.metadata)

"""The reservation module: in-store reservations for LINE Official Accounts, built only on linemod's public API.

Pieces, one file each: `models`/`migrations`/`migrate` (its own tables and history), `slots` (the shop's
calendar rules), `store` (bookings in the database), and the LINE side built on `linemod.ModuleApp` in `app`.
"""

from linemod_reservation.app import create_app

__all__ = ["create_app"]

"""`linemod serve linemod_reservation.main:app`: the module with settings from LINEMOD_* variables."""

from linemod_reservation.app import create_app

app = create_app()

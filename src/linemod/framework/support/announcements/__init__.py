"""Announcements and incident notices (maintenance, an incident on LINE's side): written by staff in Japanese
and English (service.py), shown as a banner across the operator console while active and dismissible per
account, listed at /console/announcements (routes.py), and mailed once to each operator who asked for them
(mailing.py, a durable job).

Nothing is imported here: `storage/models.py` imports `records`, which must not pull in the rest.
"""

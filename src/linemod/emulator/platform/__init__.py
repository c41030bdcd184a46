"""The emulated platform's state and rules, free of HTTP (the moto `models.py` idea, split by area)."""

"""Where the inbox's page templates are (`inbox/*.html`), for the console's template search path."""

from pathlib import Path

INBOX_TEMPLATES = Path(__file__).parent / "templates"

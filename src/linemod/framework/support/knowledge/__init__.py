"""The knowledge base: help articles in Japanese and English, written by staff (articles.py), searched with
character bigrams that work on Japanese text on SQLite and PostgreSQL alike (terms.py, search.py), rendered
from Markdown without raw HTML (rendering.py), read at /help and managed at /provider/support/articles
(routes_help.py, routes_staff.py). `suggest_articles` (search.py) is what the ticket form asks while an operator
writes.

Nothing is imported here: `storage/models.py` imports `records`, which must not pull in the rest.
"""

"""Help-desk reports for staff at /provider/support/reports: the backlog, first-response and resolution
times in business hours (median and 90th percentile), SLA hit rates and CSAT, overall, per staff member and
per plan, over a range of days (figures.py); bar charts drawn server-side as SVG (charts.py); the page and a
CSV download (routes.py).
"""

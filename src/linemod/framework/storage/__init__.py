"""Storage: the database (one async engine, SQLite or PostgreSQL), the framework's tables, their
migrations, and units of work straight on the driver for the hot statements."""

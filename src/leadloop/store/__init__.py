"""The operational store: SQLAlchemy tables, repositories and migrations (SQLite, PostgreSQL)."""

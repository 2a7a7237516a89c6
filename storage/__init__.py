"""PostgreSQL, Redis and S3 adapters, and the SQL migrations."""

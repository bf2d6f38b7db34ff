"""Storage: the database schema, its migrations, and the queries on it."""

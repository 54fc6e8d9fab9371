"""What the SQL backends share: SQLAlchemy Core tables, the compiler and value codecs."""

"""Database backends: each compiles ``QueryState`` into statements and runs them."""

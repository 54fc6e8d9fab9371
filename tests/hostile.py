"""Hostile strings for the bad-input tests: quotes, semicolons, comments, NULs, lone surrogates,
unicode, SQL keywords, placeholders, and names that look like ormada's own paths."""

from __future__ import annotations

import re

from hypothesis import strategies as st

NASTY = [
    "", " ", "'", '"', "`", ";", "--", "/*", "*/", "#", "\x00", "a\x00b", "\ud800", "x\udfff", "\\", "\\'",
    "x'; DROP TABLE books; --", "1; DELETE FROM books", "' OR '1'='1", '" OR ""="', "`) OR 1=1 -- ",
    "title; --", "title--", "title/*", "title OR 1=1", "title)", "(title", "-", "?", "-?", "%s", "%(x)s", ":x",
    "$1", "{x}", "*", "%", "_", "__", "title__", "__title", "title____exact", "title__exact__exact", "Title",
    "title ", " title", "title\n", "tit\u0000le", "títle", "title\u200b", "a\u202eb", "\U0001f600", "ß", "İ",
    "SELECT", "select * from books", "NULL", "null", "true", "DROP", "UNION SELECT 1", "0", "1", "-1", "1e309",
    "a.b", "books.title", "author_id__gt", "year__in", "tags__0", "data__x'y", "pk", "id", "-id", "?",
    "title__regex", "title__icontains", "year__year", "author__name",
]
HOSTILE = st.one_of(st.sampled_from(NASTY),
                    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
                    st.builds("".join, st.lists(st.sampled_from(NASTY), min_size=2, max_size=3)))
# A name that ormada accepts is made of plain identifiers joined by "__", with "-" or "?" for ordering.
PLAIN_NAME = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]*|\?")

"""One search service over every report's recommendations, practices and reports, in both
languages (docs/search.md).

Each report, recommendation and reference practice has one ``search_document`` row holding
its Chinese and English texts; a session hook rewrites the rows of whatever a flush
changed, in the same transaction. A query is split into words (whitespace); every word
must occur in the text (case-insensitive substring match, which is what a trigram index
answers and what Chinese, written without spaces, needs):

* SQLite: words of 3 or more characters go to the FTS5 trigram index (``MATCH``); shorter
  words (e.g. 水, 再生) fall back to ``LIKE``.
* PostgreSQL: ``ILIKE`` on ``content``, served by a pg_trgm GIN index.

Both give the same hits; ranking (title hits first, then how often the words occur) and
snippets are computed here, the same way for both. Filters: SDG goal or target,
destination, department (lead or supporting of an action item answering the
recommendation), kind.

The package: ``documents`` (the indexed rows and the hook keeping them current) and
``queries`` (``search`` and its filters, ranking and snippets).
"""

from .documents import BUILDERS, KINDS, ensure_index, rebuild, reindex
from .queries import (
    KIND_ORDER,
    MAX_QUERY,
    MAX_WORDS,
    PAGE_SIZE,
    SNIPPET,
    Filters,
    Hit,
    Results,
    search,
    snippet,
    words_of,
)

__all__ = [
    "BUILDERS",
    "KINDS",
    "KIND_ORDER",
    "MAX_QUERY",
    "MAX_WORDS",
    "PAGE_SIZE",
    "SNIPPET",
    "Filters",
    "Hit",
    "Results",
    "ensure_index",
    "rebuild",
    "reindex",
    "search",
    "snippet",
    "words_of",
]

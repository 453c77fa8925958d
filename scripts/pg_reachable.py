"""Exit 0 when a PostgreSQL server answers at the given SQLAlchemy URL, 1 otherwise.

Used by ``make test`` to decide whether to run the PostgreSQL pass.
Usage: python scripts/pg_reachable.py postgresql+psycopg://user@host:port/db
"""

from __future__ import annotations

import sys

import sqlalchemy as sa


def main(url: str) -> int:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not usable here"
        print(
            f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))

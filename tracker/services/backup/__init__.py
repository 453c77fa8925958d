"""Backups: the database and the attachment files in one .tar.gz with a manifest.

SQLite is copied with the online backup API (consistent while the app runs, WAL
included); PostgreSQL with ``pg_dump --format=custom``. The database is copied
first and the files second: attachments are append-only and written before their
row is committed, so every attachment row in the copy has its file.

``restore`` checks every checksum, the dialect and that the target is empty before
it touches anything, and checks the row counts afterwards.

Checksums detect damage, not forgery: whoever edits the database in an archive can
recompute them. So the manifest is signed (``manifest.sig``: HMAC-SHA256 over the exact
manifest bytes) with BACKUP_SIGNING_KEY, or SECRET_KEY when that is not set, and
``restore`` refuses an archive without a signature or with one that does not match the
key it has, before reading anything else. The key stays out of the archive.

The package: ``archive`` (the format, the signed manifest, shared steps), ``create``
(``create_backup``) and ``restore`` (``restore_backup``).
"""

from .archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    BackupError,
    BackupResult,
    sign_manifest,
    verify_manifest_signature,
)
from .create import create_backup
from .restore import restore_backup

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "SIGNATURE",
    "BackupError",
    "BackupResult",
    "create_backup",
    "restore_backup",
    "sign_manifest",
    "verify_manifest_signature",
]

"""Evidence files: checked by content, stored under generated names outside the static folder.

A file reaches the disk only after every check of its update passed, and is removed
again if the database transaction that records it does not commit (the session
hooks in ``storage``), so a failed submission leaves neither a row nor a file.

The package: ``checks`` (what a file is, by content), ``storage`` (where it is kept, and the
transaction hooks) and ``staging`` (files parked for a re-shown form).
"""

from .checks import (
    ALLOWED_EXTENSIONS,
    DEFAULT_MAX_ZIP_ENTRIES,
    TYPES,
    CheckedFile,
    FileType,
    IncomingFile,
    UploadRefused,
    check_file,
    clean_filename,
    detect_type,
)
from .staging import (
    STAGING_DIR,
    SWEEP_INTERVAL,
    StagingFull,
    SweepResult,
    stage,
    staged_name,
    staging_max_age,
    staging_usage,
    sweep_staging,
    unstage,
)
from .storage import CONSUMED_KEY, PENDING_KEY, store, stored_path, upload_root

__all__ = [
    "ALLOWED_EXTENSIONS",
    "CONSUMED_KEY",
    "DEFAULT_MAX_ZIP_ENTRIES",
    "PENDING_KEY",
    "STAGING_DIR",
    "SWEEP_INTERVAL",
    "TYPES",
    "CheckedFile",
    "FileType",
    "IncomingFile",
    "StagingFull",
    "SweepResult",
    "UploadRefused",
    "check_file",
    "clean_filename",
    "detect_type",
    "stage",
    "staged_name",
    "staging_max_age",
    "staging_usage",
    "store",
    "stored_path",
    "sweep_staging",
    "unstage",
    "upload_root",
]

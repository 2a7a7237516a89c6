"""Errors raised by the storage adapters and the migration runner."""


class StorageError(Exception):
    """Base of every error the ``storage`` package raises on purpose."""


class MigrationError(StorageError):
    """The migrations on disk disagree with the database; the message names the file."""


class ObjectStoreError(StorageError):
    """S3 refused or could not be reached; the message names the operation."""

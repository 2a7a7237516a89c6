"""Errors raised by the storage adapters and the migration runner."""


class StorageError(Exception):
    """Base of every error the ``storage`` package raises on purpose."""


class MigrationError(StorageError):
    """The migrations on disk disagree with the database; the message names the file."""


class ObjectStoreError(StorageError):
    """S3 refused or could not be reached; the message names the operation."""


class ObjectStoreUnavailable(ObjectStoreError):
    """S3 could not be reached, timed out, answered 5xx, or its client pool had no free
    connection in time: a retry later may succeed (the gateway answers 503)."""


class NotFoundError(StorageError):
    """No row with this id in the caller's tenant (another tenant's rows are invisible)."""


class ConstraintError(StorageError):
    """A write broke a constraint the client can fix: ``field`` names what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

"""S3 access through aiobotocore: the bucket for uploads and HLS output."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from config.settings import Settings
from storage.exceptions import (
    NotFoundError,
    ObjectStoreError,
    ObjectStoreUnavailable,
    StorageError,
)

# Browsers upload straight to S3 with presigned URLs (multipart needs the ETag header back).
UPLOAD_CORS = {
    "CORSRules": [{
        "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
        "AllowedOrigins": ["*"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    }]
}


# S3 error codes that say "later", not "never" (besides any 5xx status).
_TRANSIENT_CODES = frozenset({"SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError",
                              "Throttling"})


def _failure(what: str, exc: Exception) -> ObjectStoreError:
    """The error to raise for a failed S3 call: :class:`ObjectStoreUnavailable` when S3 could
    not be reached, timed out or failed on its side (a retry may succeed), else the plain one."""
    transient = isinstance(exc, (BotoConnectionError, HTTPClientError))
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        transient = status >= 500 or exc.response.get("Error", {}).get("Code") in _TRANSIENT_CODES
    cls = ObjectStoreUnavailable if transient else ObjectStoreError
    return cls(f"{what}: {exc}")


P = ParamSpec("P")
T = TypeVar("T")


def _pooled(method: Callable[Concatenate[ObjectStore, P], Awaitable[T]]
            ) -> Callable[Concatenate[ObjectStore, P], Awaitable[T]]:
    """Run an S3 call holding one of the store's connection slots (see ObjectStore)."""
    @functools.wraps(method)
    async def call(self: ObjectStore, *args: P.args, **kwargs: P.kwargs) -> T:
        async with self.connection():
            return await method(self, *args, **kwargs)
    return call


class ObjectTooLarge(StorageError):
    """The object holds more bytes than the caller accepts (it was not read any further)."""


class ObjectStore:
    """The project's bucket; every S3 error surfaces as :class:`ObjectStoreError`."""

    def __init__(self, client: Any, bucket: str, *, connections: int | None = None,
                 pool_timeout: float | None = None) -> None:
        self._client = client
        self.bucket = bucket
        # aiobotocore's pool (an aiohttp connector of ``connections``) queues a call without a
        # bound when every connection is busy; a slot per connection, taken first, bounds the
        # wait to ``pool_timeout`` (None: wait, for workers that would only retry).
        self._slots = asyncio.Semaphore(connections) if connections else None
        self._pool_timeout = pool_timeout

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        """Hold one connection slot; :class:`ObjectStoreUnavailable` if none frees up within
        ``pool_timeout``."""
        if self._slots is None:
            yield
            return
        try:
            async with asyncio.timeout(self._pool_timeout):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise ObjectStoreUnavailable(
                f"no free S3 connection within {self._pool_timeout}s") from exc
        try:
            yield
        finally:
            self._slots.release()

    @_pooled
    async def ensure_bucket(self) -> bool:
        """Create the bucket (with upload CORS) unless it exists; True if created."""
        try:
            await self._client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
                raise _failure(f"head_bucket {self.bucket}", exc) from exc
        try:
            await self._client.create_bucket(Bucket=self.bucket)
            await self._client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration=UPLOAD_CORS)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"create_bucket {self.bucket}", exc) from exc
        return True

    async def presign(self, operation: str, expires_in: int, **params: Any) -> str:
        """A presigned URL for ``put_object``, ``get_object`` or ``upload_part``."""
        return await self._client.generate_presigned_url(
            operation, Params={"Bucket": self.bucket, **params}, ExpiresIn=expires_in)

    @_pooled
    async def size(self, key: str) -> int | None:
        """The object's size, or None when it does not exist."""
        try:
            head = await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise _failure(f"head {key}", exc) from exc
        except BotoCoreError as exc:
            raise _failure(f"head {key}", exc) from exc
        return int(head["ContentLength"])

    @_pooled
    async def put(self, key: str, body: bytes,
                  content_type: str = "application/octet-stream") -> None:
        """Store a small object in one request."""
        try:
            await self._client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                          ContentType=content_type)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"put {key}", exc) from exc

    async def iter_bytes(self, key: str, *, first: int | None = None, last: int | None = None,
                         chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        """The object's bytes (``first``..``last`` inclusive when given), chunk by chunk.

        Streams: only one chunk is in memory at a time, whatever the object's size. Raises
        :class:`NotFoundError` (on the first iteration) when the object does not exist; close
        the iterator (``contextlib.aclosing``) when stopping early.
        """
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if first is not None:
            params["Range"] = f"bytes={first}-{'' if last is None else last}"
        async with self.connection():  # held while the body streams
            try:
                out = await self._client.get_object(**params)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    raise NotFoundError(key) from exc
                raise _failure(f"get {key}", exc) from exc
            except BotoCoreError as exc:
                raise _failure(f"get {key}", exc) from exc
            async with out["Body"] as body:
                try:
                    async for chunk in body.iter_chunks(chunk_size):
                        yield chunk
                except BotoCoreError as exc:
                    raise _failure(f"get {key}", exc) from exc

    async def download_file(self, key: str, path: str, max_bytes: int | None = None) -> int:
        """Stream the object into the local file ``path``; return its size in bytes.

        Only one chunk is in memory at a time. :class:`NotFoundError` when it does not exist;
        :class:`ObjectTooLarge` as soon as more than ``max_bytes`` arrived (the object may have
        been replaced after a size check, so the bound holds on the bytes themselves).
        """
        size = 0
        with open(path, "wb") as out:
            async with aclosing(self.iter_bytes(key, chunk_size=1024 * 1024)) as chunks:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ObjectTooLarge(f"{key}: more than {max_bytes} bytes")
                    out.write(chunk)
        return size

    @_pooled
    async def upload_file(self, key: str, path: str, content_type: str,
                          cache_control: str = "") -> None:
        """Store a local file (streamed from disk) with its content type and cache header."""
        extra = {"CacheControl": cache_control} if cache_control else {}
        try:
            with open(path, "rb") as body:
                await self._client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                              ContentType=content_type, **extra)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"put {key}", exc) from exc

    @_pooled
    async def delete(self, key: str) -> None:
        """Delete one object (absent already: fine)."""
        try:
            await self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"delete {key}", exc) from exc

    @_pooled
    async def keys(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix``, sorted."""
        found: list[str] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found += [o["Key"] for o in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"list {prefix}", exc) from exc
        return sorted(found)

    @_pooled
    async def start_multipart(self, key: str, content_type: str) -> str:
        """Start a multipart upload; return its upload id."""
        try:
            out = await self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"create_multipart_upload {key}", exc) from exc
        return str(out["UploadId"])

    @_pooled
    async def complete_multipart(self, key: str, upload_id: str,
                                 parts: list[tuple[int, str]]) -> None:
        """Assemble the uploaded parts ((number, etag), ascending) into the object."""
        try:
            await self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})
        except ClientError as exc:
            raise ObjectStoreError(f"complete_multipart_upload {key}: "
                                   f"{exc.response.get('Error', {}).get('Message', exc)}") from exc
        except BotoCoreError as exc:
            raise _failure(f"complete_multipart_upload {key}", exc) from exc

    @_pooled
    async def upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        """Upload one part; return its ETag."""
        try:
            out = await self._client.upload_part(Bucket=self.bucket, Key=key,
                                                 UploadId=upload_id, PartNumber=number, Body=body)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"upload_part {key}#{number}", exc) from exc
        return str(out["ETag"])

    @_pooled
    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abandon a multipart upload (its parts are discarded)."""
        try:
            await self._client.abort_multipart_upload(Bucket=self.bucket, Key=key,
                                                      UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"abort_multipart_upload {key}", exc) from exc

    @_pooled
    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix``; return how many."""
        deleted = 0
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if objects:
                    await self._client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                    deleted += len(objects)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"delete_prefix {prefix}", exc) from exc
        return deleted

    @_pooled
    async def ping(self) -> None:
        """Prove the server answers and the bucket exists (for readiness)."""
        try:
            await self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"s3 bucket {self.bucket} unreachable", exc) from exc


@asynccontextmanager
async def open_object_store(settings: Settings, pool_timeout: float | None = None
                            ) -> AsyncIterator[ObjectStore]:
    """An :class:`ObjectStore` whose client is closed on exit.

    ``S3_MAX_POOL_CONNECTIONS`` connections, each attempt bounded by the connect and read
    timeouts (3 attempts per call); ``pool_timeout``: how long a call waits for a free
    connection (None: no bound).
    """
    session = get_session()
    config = AioConfig(
        signature_version="s3v4", s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        max_pool_connections=settings.s3_max_pool_connections,
    )
    async with session.create_client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=config,
    ) as client:
        yield ObjectStore(client, settings.s3_bucket, connections=settings.s3_max_pool_connections,
                          pool_timeout=pool_timeout)

"""S3 access through aiobotocore: the bucket for uploads and HLS output."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from config.settings import Settings
from storage.exceptions import ObjectStoreError

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


class ObjectStore:
    """The project's bucket; every S3 error surfaces as :class:`ObjectStoreError`."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    async def ensure_bucket(self) -> bool:
        """Create the bucket (with upload CORS) unless it exists; True if created."""
        try:
            await self._client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
                raise ObjectStoreError(f"head_bucket {self.bucket}: {exc}") from exc
        try:
            await self._client.create_bucket(Bucket=self.bucket)
            await self._client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration=UPLOAD_CORS)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"create_bucket {self.bucket}: {exc}") from exc
        return True

    async def ping(self) -> None:
        """Prove the server answers and the bucket exists (for readiness)."""
        try:
            await self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"s3 bucket {self.bucket} unreachable: {exc}") from exc


@asynccontextmanager
async def open_object_store(settings: Settings) -> AsyncIterator[ObjectStore]:
    """An :class:`ObjectStore` whose client is closed on exit."""
    session = get_session()
    config = AioConfig(
        signature_version="s3v4", s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=30,
    )
    async with session.create_client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=config,
    ) as client:
        yield ObjectStore(client, settings.s3_bucket)

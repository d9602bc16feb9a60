"""Where generated files and uploads live: the data folder, or any S3-compatible store.

`BITCART_STORAGE_URL` chooses: empty (the data folder, one host) or `s3://bucket/prefix`
(shared by every api and worker host; endpoint, region and keys come from the usual AWS
variables, `AWS_ENDPOINT_URL` for a non-AWS store). Every call here blocks: callers run
them in a thread. Reads for downloads come in chunks, so a large file is never held whole.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

_KEY_RE = re.compile(r"^[a-z_]+/[A-Za-z0-9_.-]+$")
CHUNK = 1 << 16


def check_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def save_file(self, key: str, local: Path) -> None: ...
    def read(self, key: str) -> bytes: ...
    def chunks(self, key: str) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def fetch(self, key: str, local: Path) -> None: ...
    def local_path(self, key: str) -> Path | None: ...


class LocalStorage:
    """Files under a root folder; written to a temporary name and renamed, so never torn."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def save(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(target)

    def save_file(self, key: str, local: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(local, target)

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def chunks(self, key: str) -> Iterator[bytes]:
        with self.path(key).open("rb") as handle:
            while block := handle.read(CHUNK):
                yield block

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def fetch(self, key: str, local: Path) -> None:
        shutil.copyfile(self.path(key), local)


class S3Storage:
    """Objects under `prefix/` in a bucket of any S3-compatible store."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def local_path(self, key: str) -> Path | None:
        return None

    def save(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def save_file(self, key: str, local: Path) -> None:
        self.client.upload_file(str(local), self.bucket, self._name(key))
        local.unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        data: bytes = body.read()
        return data

    def chunks(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError:
            return False
        return True

    def fetch(self, key: str, local: Path) -> None:
        self.client.download_file(self.bucket, self._name(key), str(local))


def storage_from(url: str, data_dir: Path) -> Storage:
    """The storage `BITCART_STORAGE_URL` names: empty or file: is the data folder."""
    if not url or url.startswith("file:"):
        return LocalStorage(data_dir)
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"BITCART_STORAGE_URL is not s3://bucket/prefix: {url!r}")
    import boto3

    return S3Storage(parts.netloc, parts.path, boto3.client("s3"))


@asynccontextmanager
async def local_file(storage: Storage, key: str) -> AsyncIterator[Path]:
    """A path on this host to read the object from: the file itself in the data folder,
    else a temporary copy, removed afterwards."""
    direct = storage.local_path(key)
    if direct is not None:
        yield direct
        return
    handle, name = tempfile.mkstemp(prefix="bitcart-", suffix=Path(key).suffix)
    os.close(handle)
    copy = Path(name)
    try:
        await asyncio.to_thread(storage.fetch, key, copy)
        yield copy
    finally:
        await asyncio.to_thread(copy.unlink, missing_ok=True)


def scratch_file(suffix: str) -> Path:
    """A new empty file on this host to write into before storage.save_file."""
    handle, name = tempfile.mkstemp(prefix="bitcart-", suffix=suffix)
    os.close(handle)
    return Path(name)

"""Shared storage: documents, uploads and exports in any S3-compatible store, tested against
a real S3 API server (moto in server mode) that the test starts."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from pypdf import PdfReader

from app.settings import Settings
from app.storage import S3Storage, local_file, scratch_file, storage_from
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import create_product, placed
from tests.processes import free_port

BUCKET = "bitcart-files"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        server.stop()


def test_s3_storage_round_trip(s3: Any, tmp_path: Path) -> None:
    storage = storage_from(f"s3://{BUCKET}/shop-1", tmp_path)
    assert isinstance(storage, S3Storage)
    assert not storage.exists("documents/1.pdf")
    storage.save("documents/1.pdf", b"%PDF-1.7 one")
    assert storage.exists("documents/1.pdf")
    assert storage.read("documents/1.pdf") == b"%PDF-1.7 one"
    big = bytes(range(256)) * 1024  # 256 KiB, in several chunks
    local = scratch_file(".csv")
    local.write_bytes(big)
    storage.save_file("exports/7.csv", local)
    assert not local.exists()  # moved into the store
    assert b"".join(storage.chunks("exports/7.csv")) == big
    assert len(list(storage.chunks("exports/7.csv"))) > 1
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="shop-1/")["Contents"]
    keys = sorted(o["Key"] for o in listed)
    assert keys == ["shop-1/documents/1.pdf", "shop-1/exports/7.csv"]
    assert list(tmp_path.iterdir()) == []  # nothing on this host's disk
    with pytest.raises(ValueError, match="not a storage key"):
        storage.save("../escape", b"")
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        storage_from("ftp://nowhere", tmp_path)


async def test_an_upload_is_read_from_a_local_copy(s3: Any, tmp_path: Path) -> None:
    """A worker reads an upload from a temporary copy, removed once read."""
    storage = storage_from(f"s3://{BUCKET}/shop-3", tmp_path)
    await asyncio.to_thread(storage.save, "imports/1.csv", b"order,tracking\n100,1Z\n")
    async with local_file(storage, "imports/1.csv") as copy:
        assert await asyncio.to_thread(copy.read_bytes) == b"order,tracking\n100,1Z\n"
    assert not await asyncio.to_thread(copy.exists)


async def test_documents_render_into_s3_and_download_from_it(
    s3: Any,
    app: Any,
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
) -> None:
    """A worker renders into the shared store, and an api host streams the PDF from it."""
    shared = replace(settings_with_redis, storage_url=f"s3://{BUCKET}/shop-2")
    await create_product(gql, actors.admin.token, "TEE", price="19.90", name="Shared tee")
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    before = app.state.storage
    app.state.storage = storage_from(shared.storage_url, shared.data_dir)
    try:
        started = await gql.data(
            """mutation($ids: [ID!]!) { generateDocuments(orderIds: $ids, kind: INVOICE) {
              document { id } errors { code } } }""",
            {"ids": [order["id"]]},
            actors.admin.token,
        )
        document_id = started["generateDocuments"]["document"]["id"]
        await run_jobs(shared)
        url = (
            await gql.data(
                "query($id: ID!) { document(id: $id) { status url } }",
                {"id": document_id},
                actors.admin.token,
            )
        )["document"]["url"]
        response = await http.get(url, headers={"Authorization": f"Bearer {actors.admin.token}"})
    finally:
        app.state.storage = before
    assert response.status_code == 200
    # this order's invoice, read from the store (the data folder may hold an older 1.pdf)
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Shared tee" in text
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="shop-2/")["Contents"]
    keys = [o["Key"] for o in listed]
    assert len(keys) == 1
    assert keys[0].startswith("shop-2/documents/")

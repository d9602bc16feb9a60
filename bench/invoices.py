"""Invoice documents per second through the worker's render path vs. a bare Typst compile.

A document is what generateDocuments makes: one PDF for a batch of orders (200 by default).
Ours: `render_document` as the job runs it (load the orders from the database, build the data,
compile, count pages, store the file). Floor: the same template and the same data compiled
with a bare typst.Compiler, in the same run. Also reported: one-order documents, where the
per-document database work weighs most.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import scratch_environment, seed_orders


async def main(count: int, rounds: int) -> None:
    import orjson
    import typst
    from tortoise import Tortoise

    from app.db import migrate_database, tortoise_config
    from app.documents.render import PACKAGE_FONTS, Renderer
    from app.models import Document, DocumentKind, DocumentStatus
    from app.services.documents import document_data, render_document
    from app.settings import get_settings
    from app.storage import LocalStorage

    settings = get_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        ids = await seed_orders(count)
        renderer = Renderer()
        storage = LocalStorage(settings.data_dir)
        fonts = renderer.font_families()
        template = renderer.template_path("INVOICE").read_bytes()
        compiler = typst.Compiler(font_paths=[str(PACKAGE_FONTS)], ignore_system_fonts=True)

        async def compare(documents: list[Document]) -> tuple[float, float]:
            payloads = [
                orjson.dumps(await document_data(d, settings, fonts)).decode() for d in documents
            ]
            start = time.perf_counter()
            for payload in payloads:
                compiler.compile(input=template, format="pdf", sys_inputs={"data": payload})
            floor = len(payloads) / (time.perf_counter() - start)
            start = time.perf_counter()
            for document in documents:
                status = await render_document(document.id, settings, renderer, storage)
                assert status is DocumentStatus.READY
            return floor, len(documents) / (time.perf_counter() - start)

        batch = await Document.bulk_create(
            [
                Document(
                    kind=DocumentKind.INVOICE,
                    status=DocumentStatus.PENDING,
                    order_ids=ids,
                    checksum=f"batch-{n}",
                )
                for n in range(rounds)
            ]
        )
        batch = list(await Document.filter(checksum__startswith="batch-").order_by("id"))
        batch_floor, batch_ours = await compare(batch)
        await Document.bulk_create(
            [
                Document(
                    kind=DocumentKind.INVOICE,
                    status=DocumentStatus.PENDING,
                    order_ids=[i],
                    checksum=f"single-{i}",
                )
                for i in ids
            ]
        )
        single = list(await Document.filter(checksum__startswith="single-").order_by("id"))
        single_floor, single_ours = await compare(single)
    finally:
        await Tortoise.close_connections()
    print(f"database: {settings.database_url.split('@')[-1]}")
    print(f"documents of {count} orders ({rounds} of them):")
    print(f"  floor (bare typst compile):           {batch_floor:7.2f} documents/s")
    print(
        f"  render_document (load, render, store): {batch_ours:7.2f} documents/s"
        f"  = {batch_ours * count:.0f} invoices/s"
    )
    print(f"  ratio ours/floor: {batch_ours / batch_floor:.2f}")
    print(f"documents of one order ({count} of them):")
    print(
        f"  floor: {single_floor:.1f}/s, ours: {single_ours:.1f}/s,"
        f" ratio {single_ours / single_floor:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scratch_environment("bitcart_bench_invoices")
    asyncio.run(main(args.orders, args.rounds))

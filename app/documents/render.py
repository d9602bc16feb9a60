"""Typst rendering: a template (.typ) and JSON data in, PDF bytes out.

The data reaches the template through `sys.inputs` as JSON, so whatever an order says is text
to Typst, never markup. Fonts come from the project (and folders named in settings) only, so
the same inputs give the same PDF on every machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import typst

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
PACKAGE_FONTS = Path(__file__).parent / "fonts"
TEMPLATES = {"INVOICE": "invoice.typ", "PACKING_SLIP": "packing_slip.typ"}
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)


class RenderError(Exception):
    """The template could not be rendered; the message is meant for the merchant."""


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    page_count: int


class Renderer:
    """Renders on one thread of its own, off the event loop, with one warm Typst compiler
    (its caches make the next similar document cheaper)."""

    def __init__(self, template_dir: Path | None = None, font_dirs: tuple[Path, ...] = ()) -> None:
        self.template_dir = template_dir
        self.font_paths = [str(PACKAGE_FONTS), *(str(p) for p in font_dirs if p.is_dir())]
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="typst")
        self._families: list[str] | None = None
        self._templates: dict[Path, tuple[float, bytes]] = {}

    def font_families(self) -> list[str]:
        """The text font first, then whatever CJK fonts the configured folders hold."""
        if self._families is None:
            fonts = typst.Fonts(include_system_fonts=False, font_paths=self.font_paths)
            found = set(fonts.families())
            self._families = ["DejaVu Sans", *(f for f in CJK_FAMILIES if f in found)]
        return self._families

    async def render_async(self, kind: str, data: dict[str, Any]) -> Rendered:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.render, kind, data)

    def _template(self, kind: str) -> bytes:
        """The template's bytes, read again only when the file changes."""
        path = self.template_path(kind)
        mtime = path.stat().st_mtime
        cached = self._templates.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, path.read_bytes())
            self._templates[path] = cached
        return cached[1]

    def template_path(self, kind: str) -> Path:
        """A shop's own template when its folder has one, else the packaged one."""
        name = TEMPLATES[kind]
        if self.template_dir is not None and (self.template_dir / name).is_file():
            return self.template_dir / name
        return PACKAGE_TEMPLATES / name

    def template_checksum(self, kind: str) -> str:
        return hashlib.sha256(self.template_path(kind).read_bytes()).hexdigest()

    def _compiler(self) -> typst.Compiler:
        compiler = getattr(self._local, "compiler", None)
        if compiler is None:
            compiler = typst.Compiler(font_paths=self.font_paths, ignore_system_fonts=True)
            self._local.compiler = compiler
        return compiler

    def render(self, kind: str, data: dict[str, Any]) -> Rendered:
        """Blocking: call it in a thread."""
        template = self._template(kind)
        payload = orjson.dumps(data).decode()
        try:
            pdf = self._compiler().compile(
                input=template, format="pdf", sys_inputs={"data": payload}
            )
        except typst.TypstError as exc:
            raise RenderError(f"The {kind.lower()} template failed: {exc.message}") from exc
        assert isinstance(pdf, bytes)
        return Rendered(pdf=pdf, page_count=page_count(pdf))


_PAGE_TREE = re.compile(rb"<<[^<>]*/Type\s*/Pages\b[^<>]*>>")
_COUNT = re.compile(rb"/Count\s+(\d+)")


def page_count(pdf: bytes) -> int:
    """Pages in a PDF: the root page tree's /Count, read without parsing every page (pypdf
    takes ~0.7 ms a page); a file whose page tree is compressed falls back to pypdf."""
    counts = [
        int(found.group(1))
        for tree in _PAGE_TREE.finditer(pdf)
        if (found := _COUNT.search(tree.group(0)))
    ]
    if counts:
        return max(counts)
    from pypdf import PdfReader  # only here: importing it is ~60 ms of every process's start

    return len(PdfReader(io.BytesIO(pdf)).pages)

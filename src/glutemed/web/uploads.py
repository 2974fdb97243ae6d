"""Receive a multipart upload as a stream: each file goes to disk in chunks, never whole into memory.

The request body is parsed as it arrives (python-multipart's push parser). The form's CSRF token must come
before the first file (the page's form puts it first), so a forged upload is refused before a byte is written.
Each file's first bytes are sniffed (:mod:`glutemed.web.sniff`) and the file is streamed by a worker thread into
the :class:`~glutemed.db.storage.FileStore` by content hash; then the reader that will analyse it opens it.
The body is limited in size (``max_upload_bytes``), and when anything fails (a bad or truncated file, the size
limit, a dropped connection) every file this request stored and nobody else references is removed: nothing is
left half.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from glutemed.db.storage import FileStore, StoredFile, UploadTooLargeError
from glutemed.io.errors import InputFileError
from glutemed.web.sniff import HEAD_BYTES, ContentError, Kind, Purpose, check_content, sniff

FIELD_LIMIT = 64 * 1024  # bytes of all plain form fields together
BUFFER_BYTES = 1024 * 1024
_END = object()


class UploadProblem(HTTPException):
    """An upload refused with a message for the person who sent it (4xx)."""


@dataclass
class Received:
    original_name: str
    kind: Kind
    stored: StoredFile


@dataclass
class _Sink:
    """One file part: buffer its head for sniffing, then feed a thread that stores it."""

    name: str
    purpose: Purpose
    store: FileStore
    max_bytes: int
    head: bytearray = field(default_factory=bytearray)
    kind: Kind | None = None
    chunks: queue.Queue[Any] = field(default_factory=lambda: queue.Queue(maxsize=8))
    thread: threading.Thread | None = None
    result: StoredFile | BaseException | None = None
    pending: bytearray = field(default_factory=bytearray)

    def _items(self) -> Iterator[bytes]:
        while (item := self.chunks.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def _run(self) -> None:
        assert self.kind is not None
        try:
            self.result = self.store.save_stream(
                self._items(), suffix=self.kind.suffix, max_bytes=self.max_bytes
            )
        except BaseException as exc:  # handed back to the request, which answers with it
            self.result = exc
            while True:  # drain, so the feeding side never blocks on a full queue
                try:
                    self.chunks.get_nowait()
                except queue.Empty:
                    break

    async def _start(self) -> None:
        try:
            self.kind = sniff(bytes(self.head), self.purpose)
        except ContentError as exc:
            raise UploadProblem(415 if self.head else 422, f"{self.name}: {exc}") from None
        self.thread = threading.Thread(target=self._run, name="glutemed-upload", daemon=True)
        self.thread.start()
        await self._put(bytes(self.head))

    async def _put(self, item: object) -> None:
        assert self.thread is not None
        if not self.thread.is_alive() and isinstance(self.result, BaseException):
            return
        await anyio.to_thread.run_sync(self.chunks.put, item)

    async def feed(self, data: bytes) -> None:
        if self.thread is None:
            self.head += data
            if len(self.head) >= HEAD_BYTES:
                await self._start()
            return
        self.pending += data
        if len(self.pending) >= BUFFER_BYTES:
            chunk, self.pending = bytes(self.pending), bytearray()
            await self._put(chunk)

    async def finish(self) -> StoredFile:
        if self.thread is None:
            await self._start()
        if self.pending:
            await self._put(bytes(self.pending))
        await self._put(_END)
        assert self.thread is not None
        await anyio.to_thread.run_sync(self.thread.join)
        if isinstance(self.result, UploadTooLargeError):
            raise UploadProblem(413, f"{self.name}: larger than the upload limit ({_size(self.max_bytes)})")
        if isinstance(self.result, BaseException):
            raise self.result
        assert isinstance(self.result, StoredFile)
        return self.result

    def abort(self, exc: BaseException) -> None:
        if self.thread is not None and self.thread.is_alive():
            with contextlib.suppress(queue.Full):
                self.chunks.put(exc, timeout=5)
            self.thread.join(timeout=30)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


class UploadReceiver:
    """Parse one multipart request; ``csrf_ok(token)`` is asked before the first file is stored."""

    def __init__(
        self,
        request: Request,
        *,
        purpose: Purpose,
        store: FileStore,
        max_bytes: int,
        csrf_ok: Callable[[str], bool],
        still_used: Callable[[str], bool],
    ) -> None:
        self.request = request
        self.purpose = purpose
        self.store = store
        self.max_bytes = max_bytes
        self.csrf_ok = csrf_ok
        self.still_used = still_used
        self.fields: dict[str, str] = {}
        self.files: list[Received] = []
        self._sink: _Sink | None = None
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._hfield = bytearray()
        self._hvalue = bytearray()
        self._total = 0

    def _boundary(self) -> bytes:
        content_type, params = parse_options_header(self.request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or b"boundary" not in params:
            raise UploadProblem(415, "send the file as a form upload (multipart/form-data)")
        length = self.request.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_bytes + FIELD_LIMIT:
            raise UploadProblem(413, f"the upload is larger than the limit ({_size(self.max_bytes)})")
        return params[b"boundary"]

    async def _on_headers(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            self._field_name = name
            self._field_value = bytearray()
            return
        if not self.csrf_ok(self.fields.get("csrf_token", "")):
            raise UploadProblem(
                403,
                "The form is missing its security token or it does not match your session (CSRF check); "
                "reload the page and send it again.",
            )
        filename = Path(options[b"filename"].decode("utf-8", "replace").replace("\\", "/")).name
        if not filename:
            raise UploadProblem(422, "no file was chosen")
        self._sink = _Sink(filename[:255], self.purpose, self.store, self.max_bytes)

    async def _on_end(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            stored = await sink.finish()
            self.files.append(Received(sink.name, sink.kind, stored))  # type: ignore[arg-type]
            await self._check(self.files[-1])
        elif self._field_name is not None:
            self.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
            self._field_name = None

    async def _check(self, item: Received) -> None:
        path = self.store.resolve(item.stored.relative_path)
        try:
            await run_in_threadpool(check_content, path, item.kind)
        except (ContentError, InputFileError, ValueError) as exc:
            problem = (
                exc.problem if isinstance(exc, InputFileError) else str(exc).replace(str(path), "the file")
            )
            raise UploadProblem(422, f"{item.original_name}: {problem}") from None

    async def _handle(self, kind: str, data: bytes) -> None:
        if kind == "begin":
            self._headers = {}
        elif kind == "hfield":
            self._hfield += data
        elif kind == "hvalue":
            self._hvalue += data
        elif kind == "hend":
            self._headers[bytes(self._hfield).lower()] = bytes(self._hvalue)
            self._hfield, self._hvalue = bytearray(), bytearray()
        elif kind == "headers":
            await self._on_headers()
        elif kind == "data":
            if self._sink is not None:
                await self._sink.feed(data)
            else:
                self._field_value += data
                if sum(len(v) for v in self.fields.values()) + len(self._field_value) > FIELD_LIMIT:
                    raise UploadProblem(413, "the form fields are too long")
        elif kind == "end":
            await self._on_end()

    async def receive(self) -> None:
        """Read the whole body; on any failure remove what was stored and raise (UploadProblem for 4xx)."""
        events: list[tuple[str, bytes]] = []

        def data(kind: str) -> Callable[[bytes, int, int], None]:
            return lambda buf, start, end: events.append((kind, bytes(buf[start:end])))

        callbacks: Any = {
            "on_part_begin": lambda: events.append(("begin", b"")),
            "on_part_data": data("data"),
            "on_part_end": lambda: events.append(("end", b"")),
            "on_header_field": data("hfield"),
            "on_header_value": data("hvalue"),
            "on_header_end": lambda: events.append(("hend", b"")),
            "on_headers_finished": lambda: events.append(("headers", b"")),
        }
        parser = MultipartParser(self._boundary(), callbacks)
        try:
            async for chunk in self.request.stream():
                self._total += len(chunk)
                if self._total > self.max_bytes + FIELD_LIMIT:
                    raise UploadProblem(413, f"the upload is larger than the limit ({_size(self.max_bytes)})")
                parser.write(chunk)
                for kind, payload in events:
                    await self._handle(kind, payload)
                events.clear()
            parser.finalize()
            if self._sink is not None or self._field_name is not None:
                raise UploadProblem(400, "the upload was cut off before its end")
        except BaseException as exc:
            if self._sink is not None:
                self._sink.abort(exc if isinstance(exc, Exception) else ClientDisconnect())
            await run_in_threadpool(forget, self.store, self.files, self.still_used)
            raise
        if not self.files:
            raise UploadProblem(422, "no file was chosen")

    def discard(self) -> None:
        """Remove what this request stored (when recording it in the database failed)."""
        forget(self.store, self.files, self.still_used)


def forget(store: FileStore, files: list[Received], still_used: Callable[[str], bool]) -> None:
    """Remove stored files of a failed upload that no database row references."""
    for item in files:
        if not still_used(item.stored.relative_path):
            store.resolve(item.stored.relative_path).unlink(missing_ok=True)

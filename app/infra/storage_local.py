"""The local backend: files under UPLOAD_DIR (letters, logos, ...) and PACK_DIR (``packs/<bid>/<version>/...``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.infra import files
from app.infra.storage import CHUNK_BYTES, FileMissing


class LocalBackend:
    name = "local"

    def __init__(self, upload_dir: str, pack_dir: str) -> None:
        self.upload_dir, self.pack_dir = Path(upload_dir), Path(pack_dir)

    def path(self, key: str) -> Path:
        area, _, rest = key.partition("/")
        return self.pack_dir / rest if area == "packs" else self.upload_dir / key

    def put(self, key: str, content: bytes, digest: str) -> bool:
        return files.write_atomic(self.path(key), content)

    def put_folder(self, prefix: str, documents: dict[str, bytes]) -> None:
        files.publish_directory(documents, self.path(prefix))

    def chunks(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FileMissing(key) from None
        return _read(handle)

    stream = chunks

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def _read(handle) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk

"""A ZIP writer whose memory does not grow with the number of entries, and that can resume.

Python's zipfile keeps a ZipInfo per entry until it closes (about 150 MB for 260,000 posts) and
reads them all back to append. Here each entry's central-directory record goes to a file of its
own as the entry is written, and both files only ever grow, so a build interrupted at any point
resumes by cutting them back to sizes it recorded at a safe point. `finish` joins them with the
end records (ZIP64, so any number of entries and any size).
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DESCRIPTOR = struct.Struct("<IIII")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")
_ZIP64_EXTRA_ID = 0x0001
_VERSION = 45  # 4.5: ZIP64
_UTF8 = 0x0800
_DATA_DESCRIPTOR = 0x0008
_DEFLATE = 8
_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_COPY_CHUNK = 1024 * 1024


def _dos_time(moment: datetime) -> tuple[int, int]:
    moment = moment.astimezone(UTC)
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((max(moment.year, 1980) - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def _deflater() -> zlib._Compress:
    return zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as ZIP stores it


class ZipWriter:
    """Entries appended to `archive`, their central-directory records to `directory`.

    Open with the sizes recorded at the last safe point (0, 0 for a new archive); `sizes()`
    gives the ones to record after writing more.
    """

    def __init__(
        self, archive: Path, directory: Path, archive_bytes: int = 0, directory_bytes: int = 0
    ) -> None:
        self._archive = self._open_at(archive, archive_bytes)
        self._directory = self._open_at(directory, directory_bytes)
        self._directory_path = directory
        self._time, self._date = _dos_time(datetime.now(UTC))

    @staticmethod
    def _open_at(path: Path, size: int) -> BinaryIO:
        if size == 0 or not path.exists() or path.stat().st_size < size:
            if size:
                raise ValueError(f"{path.name} is shorter than its recorded size {size}")
            path.write_bytes(b"")
        handle = path.open("r+b")
        handle.truncate(size)
        handle.seek(size)
        return handle

    def sizes(self) -> tuple[int, int]:
        """Flushed sizes of the archive and the directory: a point to resume from."""
        self._archive.flush()
        self._directory.flush()
        return self._archive.tell(), self._directory.tell()

    def add(self, name: str, data: bytes) -> None:
        deflater = _deflater()
        compressed = deflater.compress(data) + deflater.flush()
        crc = zlib.crc32(data)
        encoded, offset = self._local(name, _UTF8, crc, len(compressed), len(data))
        self._archive.write(compressed)
        self._central(encoded, _UTF8, crc, len(compressed), len(data), offset)

    def add_stream(self, name: str, chunks: Iterable[bytes]) -> None:
        """An entry of unknown size, compressed as it is read (sizes follow in a descriptor)."""
        flags = _UTF8 | _DATA_DESCRIPTOR
        encoded, offset = self._local(name, flags, 0, 0, 0)
        deflater = _deflater()
        crc = size = compressed = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            out = deflater.compress(chunk)
            compressed += len(out)
            self._archive.write(out)
        out = deflater.flush()
        compressed += len(out)
        self._archive.write(out)
        if size >= _MAX32 or compressed >= _MAX32:
            raise ValueError(f"{name} is too large for a streamed entry")
        self._archive.write(_DESCRIPTOR.pack(0x08074B50, crc, compressed, size))
        self._central(encoded, flags, crc, compressed, size, offset)

    def _common(
        self, name: bytes, flags: int, crc: int, compressed: int, size: int
    ) -> tuple[int, ...]:
        """The fields a local header and its central record share, in the order both hold them."""
        return (_VERSION, flags, _DEFLATE, self._time, self._date, crc, compressed, size, len(name))

    def _local(
        self, name: str, flags: int, crc: int, compressed: int, size: int
    ) -> tuple[bytes, int]:
        """Write an entry's local header; its encoded name and offset, for the directory."""
        offset = self._archive.tell()
        encoded = name.encode()
        self._archive.write(
            _LOCAL.pack(0x04034B50, *self._common(encoded, flags, crc, compressed, size), 0)
            + encoded
        )
        return encoded, offset

    def _central(
        self, name: bytes, flags: int, crc: int, compressed: int, size: int, offset: int
    ) -> None:
        extra = b""
        if offset >= _MAX32:
            extra = struct.pack("<HHQ", _ZIP64_EXTRA_ID, 8, offset)
            offset = _MAX32
        self._directory.write(
            _CENTRAL.pack(
                0x02014B50,
                _VERSION,
                *self._common(name, flags, crc, compressed, size),
                len(extra),
                0,
                0,
                0,
                0,
                offset,
            )
            + name
            + extra
        )

    def _entry_count(self) -> int:
        self._directory.flush()
        count = 0
        with self._directory_path.open("rb") as directory:
            while header := directory.read(_CENTRAL.size):
                fields = _CENTRAL.unpack(header)
                directory.seek(fields[10] + fields[11] + fields[12], 1)
                count += 1
        return count

    def finish(self) -> None:
        """Append the central directory and the end records; the archive is then complete."""
        count = self._entry_count()
        start = self._archive.tell()
        self._directory.seek(0)
        shutil.copyfileobj(self._directory, self._archive, _COPY_CHUNK)
        end = self._archive.tell()
        length = end - start
        self._archive.write(
            _ZIP64_END.pack(
                0x06064B50,
                _ZIP64_END.size - 12,
                _VERSION,
                _VERSION,
                0,
                0,
                count,
                count,
                length,
                start,
            )
        )
        self._archive.write(_ZIP64_LOCATOR.pack(0x07064B50, 0, end, 1))
        self._archive.write(
            _END.pack(
                0x06054B50,
                0,
                0,
                min(count, _MAX16),
                min(count, _MAX16),
                min(length, _MAX32),
                min(start, _MAX32),
                0,
            )
        )
        self.close()

    def close(self) -> None:
        self._archive.close()
        self._directory.close()

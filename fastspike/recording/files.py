"""What the HDF5 writer and reader need to know about files, below HDF5: is a file truncated,
is a writer alive, is there room on its device, and how a population's name becomes a link
name.

- :func:`end_of_file` reads the end-of-file address stored in an HDF5 file's superblock. A
  file cut short (an interrupted copy or download) stores an end beyond its size; HDF5
  notices this when a file is opened normally, but not in SWMR read mode, where it hangs or
  reads garbage. :func:`check_complete_bytes` refuses such a file first.
- :class:`WriterLock`: a writer holds an advisory lock (``flock``) on a small file next to its
  output (``.run.h5.fastspike-lock``, with its process id, host and start time) for as long as
  a run writes. Another writer is refused while it is held, even with ``overwrite=True``; a
  reader tells a live writer (lock held) from a killed one (the kernel released its lock) with
  :func:`live_writer`. On systems without ``fcntl`` nothing is locked.
- :func:`space_left`: bytes that can still be written to a file (free space of its device,
  and the process's file size limit ``RLIMIT_FSIZE``), checked before every write so that
  HDF5 never meets a full disk in the middle of its own structures (which left files that
  claimed rows they did not have, and could not be opened again).
- :func:`link_name`: a population or record name as an HDF5 link name, escaped so that
  different names never share a group (``'x/y'`` and ``'x_y'`` collided).
"""
from __future__ import annotations

import datetime
import json
import os
import re
import socket
import struct
import time
from pathlib import Path
from typing import Any

__all__ = ["end_of_file", "check_complete_bytes", "DamagedFileError", "WriterLock", "live_writer", "space_left",
           "link_name", "lock_path", "SIGNATURE"]

SIGNATURE = b"\x89HDF\r\n\x1a\n"
_UNDEFINED = (1 << 64) - 1

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class DamagedFileError(OSError):
    """A file that cannot hold what it claims (truncated, or not an HDF5 file at all)."""


# ---------------------------------------------------------------------------------------
# the superblock
# ---------------------------------------------------------------------------------------
def end_of_file(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """``(stored_end, size, flags)``: the end of the file as its HDF5 superblock records it
    (bytes, base address included), the file's actual size, and the superblock's file
    consistency flags (0 for a file closed normally; SWMR writers set bits 0 and 2). None when
    no HDF5 signature is found (at 0, 512, 1024, ... as HDF5 searches)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            head = f.read(96)
            if head[:8] == SIGNATURE:
                return _parse(head, size, offset)
            offset = 512 if offset == 0 else offset * 2
    return None


def _parse(head: bytes, size: int, offset: int) -> tuple[int, int, int]:
    if len(head) < 12:
        return (1 << 62, size, 0)  # cut inside the superblock
    version = head[8]
    if version in (0, 1):
        so = head[13] if len(head) > 13 else 8
        flags_at, base_at = 20, 24 if version == 0 else 28
        flags = int.from_bytes(head[flags_at:flags_at + 4], "little") if len(head) >= flags_at + 4 else 0
    else:
        so = head[9]
        flags, base_at = head[11], 12
    if so not in (2, 4, 8, 16) or len(head) < base_at + 3 * so:
        return (1 << 62, size, flags)
    fmt = {2: "<H", 4: "<I", 8: "<Q", 16: "<QQ"}[so]

    def address(k: int) -> int:
        value = struct.unpack_from(fmt, head, base_at + k * so)
        return value[0] if so != 16 else value[0] | (value[1] << 64)

    base = address(0)
    eof = address(2)
    if eof == _UNDEFINED or base == _UNDEFINED:
        return (size, size, flags)
    return (base + eof + (offset if base == 0 and offset else 0), size, flags)


def check_complete_bytes(path: str | os.PathLike, what: str = "load") -> int:
    """Refuse a file whose superblock records an end beyond its size (a truncated copy);
    returns the superblock's consistency flags. A live writer may be extending its file: the
    check is retried for up to a second before it refuses.

    Raises
    ------
    DamagedFileError (an OSError)
        The file is truncated, or is not an HDF5 file.
    """
    for attempt in range(11):
        found = end_of_file(path)
        if found is None:
            raise DamagedFileError(f"{what}: {os.fspath(path)!r} is not an HDF5 file (no HDF5 signature), or it was cut "
                                   f"before its first bytes")
        stored, size, flags = found
        if stored <= size:
            return flags
        if attempt == 10 or live_writer(path) is None:
            break
        time.sleep(0.1)
    shown = "inside its superblock" if stored >= 1 << 62 else f"at byte {stored}"
    raise DamagedFileError(f"{what}: {os.fspath(path)!r} is truncated: HDF5 says it ends {shown}, but it has only "
                           f"{size} bytes (an interrupted copy or download, or a disk that filled up outside "
                           f"fastspike?); copy it again from the original")


# ---------------------------------------------------------------------------------------
# the writer's lock
# ---------------------------------------------------------------------------------------
def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of an output file: ``.<name>.fastspike-lock`` in the same folder."""
    p = Path(path)
    return p.with_name(f".{p.name}.fastspike-lock")


def _read_info(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
        return json.loads(data.decode()) if data else {}
    except (OSError, ValueError):
        return {}


def describe_writer(info: dict[str, Any]) -> str:
    """``process 1234 on host node7 (since 2024-05-01T10:00:00+00:00)``."""
    parts = [f"process {info.get('pid', '?')}"]
    if info.get("host"):
        parts.append(f"on host {info['host']}")
    if info.get("since"):
        parts.append(f"(since {info['since']})")
    return " ".join(parts)


class WriterLock:
    """The advisory lock a writer holds on its output file while a run writes it."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = lock_path(path)
        self.output = os.fspath(path)
        self.fd: int | None = None

    def acquire(self, file_id: str) -> None:
        """Take the lock, or raise FileExistsError naming the live writer that holds it (a
        reader probing the lock holds it for microseconds: tried again for up to a second)."""
        if fcntl is None or self.fd is not None:  # pragma: no cover - no fcntl
            return
        deadline = time.monotonic() + 1.0
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # a folder where no lock file can be made (checked writable before): no lock
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                info = _read_info(fd)
                os.close(fd)
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise FileExistsError(
                    f"run: output file {self.output!r} is being written by {describe_writer(info)}; it cannot be "
                    f"replaced or appended to while that run goes on (wait for it to finish, or choose another "
                    f"path)") from None
            try:  # a writer that finished may have unlinked the file we opened: then start again
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "file_id": file_id,
                "since": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        self.fd = fd

    def release(self) -> None:
        """Remove the lock file and release the lock (the run stopped writing)."""
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        try:
            os.close(self.fd)
        finally:
            self.fd = None


def live_writer(path: str | os.PathLike) -> dict[str, Any] | None:
    """What the lock file of ``path`` says about the writer holding it (``pid``, ``host``,
    ``since``, ``file_id``) when a live process holds it; None when no process writes the
    file (no lock file, or one left by a killed writer, whose lock the kernel released)."""
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fd = os.open(lock_path(path), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_info(fd) or {"pid": None}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------
# room to write
# ---------------------------------------------------------------------------------------
def space_left(path: str | os.PathLike) -> int | None:
    """Bytes that can still be added to the file ``path`` (or created there): the free space
    of its device for unprivileged users, and what the process's file size limit
    (``RLIMIT_FSIZE``) leaves; None when unknown."""
    values = []
    folder = os.path.dirname(os.path.abspath(path)) or "."
    try:
        st = os.statvfs(folder)
        values.append(st.f_bavail * st.f_frsize)
    except (OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            try:
                size = os.path.getsize(path)
            except OSError:
                size = 0
            values.append(soft - size)
    except ImportError:  # pragma: no cover
        pass
    return max(0, min(values)) if values else None


# ---------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------
def link_name(name: str) -> str:
    """``name`` as an HDF5 link name: '%' and '/' percent-encoded (``'x/y'`` -> ``'x%2Fy'``,
    distinct from ``'x_y'``), and ``'.'`` / ``''`` (not valid links) as ``'%2E'`` / ``'%00'``;
    :func:`unlink_name` inverts it. Readers find records by their ``population`` attribute, so
    they do not need to decode it."""
    name = str(name)
    if name == "":
        return "%00"
    if name == ".":
        return "%2E"
    return name.replace("%", "%25").replace("/", "%2F")


def unlink_name(link: str) -> str:
    """The name :func:`link_name` escaped."""
    if link == "%00":
        return ""
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), link)

#!/usr/bin/python3
"""A read-only FUSE filesystem whose files report a size (st_size) that differs from their
content, as network, cloud and archive filesystems do. Used by tests/cli/integrity.rs.

Usage: lying_fs.py MOUNTPOINT -f

Every file holds CONTENT (12 bytes). Its name says what it claims and how it is read:
  {dio,cache}-{small,large,larger,zero,true}
    dio    the file is opened with direct_io (every read goes to this server)
    cache  reads go through the page cache (the kernel trusts st_size there)
    small  st_size 3       large  st_size 20      larger  st_size 4096
    zero   st_size 0       true   st_size 12 (the truth)
"""
import errno
import stat
import sys

import fuse

fuse.fuse_python_api = (0, 2)

CONTENT = b"0123456789ab"
SIZES = {"small": 3, "large": 20, "larger": 4096, "zero": 0, "true": len(CONTENT)}
FILES = {f"{io}-{claim}": (io == "dio", size)
         for io in ("dio", "cache") for claim, size in SIZES.items()}


class Stat(fuse.Stat):
    def __init__(self, mode, size, nlink=1):
        super().__init__()
        self.st_mode = mode
        self.st_ino = 0
        self.st_dev = 0
        self.st_nlink = nlink
        self.st_uid = 0
        self.st_gid = 0
        self.st_size = size
        self.st_atime = self.st_mtime = self.st_ctime = 1_700_000_000


class LyingFS(fuse.Fuse):
    def getattr(self, path):
        if path == "/":
            return Stat(stat.S_IFDIR | 0o755, 0, 2)
        entry = FILES.get(path[1:])
        if entry is None:
            return -errno.ENOENT
        return Stat(stat.S_IFREG | 0o644, entry[1])

    def readdir(self, path, offset):
        for name in [".", ".."] + sorted(FILES):
            yield fuse.Direntry(name)

    def open(self, path, flags):
        if path[1:] not in FILES:
            return -errno.ENOENT
        if flags & (0o1 | 0o2):
            return -errno.EROFS
        return LyingFile(FILES[path[1:]][0])

    def read(self, path, size, offset, fh=None):
        return CONTENT[offset:offset + size]


class LyingFile:
    """Per-open state: only whether the kernel must bypass its page cache."""

    def __init__(self, direct_io):
        self.direct_io = direct_io
        self.keep_cache = False


def main():
    server = LyingFS(usage=__doc__, dash_s_do="setsingle")
    server.parse(errex=1)
    server.main()


if __name__ == "__main__":
    sys.exit(main())

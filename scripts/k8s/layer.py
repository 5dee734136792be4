#!/usr/bin/env python3
"""One image layer (a gzipped tar) from files of this machine, so images can
be made without a container engine (scripts/lib/k8s.sh pushes it with crane).

    layer.py OUT.tar.gz SRC[=DEST] ...

SRC is a file or a directory (copied whole, symlinks kept); DEST defaults to
SRC. Every ELF program or library brings the shared libraries `ldd` names
(and the dynamic loader), at their own paths, dereferenced; set
LD_LIBRARY_PATH and LAYER_ROOTS for libraries unpacked outside /usr. A /tmp (1777)
and a /etc/passwd naming user 65532 (`nonroot`) are always added.
"""

import io
import os
import subprocess
import sys
import tarfile


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def shared_libs(path):
    """Absolute paths of the libraries ldd resolves for PATH (none for a static binary)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            target = parts[parts.index("=>") + 1]
            if target.startswith("/"):
                libs.append(target)
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])  # the dynamic loader
    return libs


def unpacked_path(path):
    """Where a library unpacked under a root of LAYER_ROOTS (colon-separated,
    e.g. Debian packages unpacked with dpkg -x) belongs in the image."""
    for root in filter(None, os.environ.get("LAYER_ROOTS", "").split(":")):
        root = root.rstrip("/")
        if path.startswith(root + "/"):
            return path[len(root):]
    return path


class Layer:
    def __init__(self, out):
        self.tar = tarfile.open(out, "w:gz", compresslevel=3)
        self.seen = set()

    def dirs(self, dest):
        parts = dest.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.seen:
                self.seen.add(d)
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                self.tar.addfile(info)

    def file(self, src, dest, deref=True):
        name = dest.strip("/")
        if name in self.seen:
            return
        self.dirs(dest)
        self.seen.add(name)
        info = self.tar.gettarinfo(os.path.realpath(src) if deref else src, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if info.isreg():
            with open(src, "rb") as f:
                self.tar.addfile(info, f)
        else:
            self.tar.addfile(info)
        if info.isreg() and is_elf(src):
            for lib in shared_libs(src):
                self.file(lib, unpacked_path(lib))

    def tree(self, src, dest):
        for root, dirnames, filenames in os.walk(src):
            rel = os.path.relpath(root, src)
            base = dest if rel == "." else os.path.join(dest, rel)
            for d in list(dirnames):
                p = os.path.join(root, d)
                if os.path.islink(p):  # walk does not follow it; keep the link
                    self.file(p, os.path.join(base, d), deref=False)
            for f in filenames:
                p = os.path.join(root, f)
                self.file(p, os.path.join(base, f), deref=not os.path.islink(p))

    def data(self, dest, content, mode=0o644):
        self.dirs(dest)
        self.seen.add(dest.strip("/"))
        info = tarfile.TarInfo(dest.strip("/"))
        info.size, info.mode = len(content), mode
        self.tar.addfile(info, io.BytesIO(content))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    layer = Layer(sys.argv[1])
    tmp = tarfile.TarInfo("tmp")
    tmp.type, tmp.mode = tarfile.DIRTYPE, 0o1777
    layer.tar.addfile(tmp)
    layer.seen.add("tmp")
    layer.data("/etc/passwd", b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n")
    layer.data("/etc/group", b"root:x:0:\nnonroot:x:65532:\n")
    for arg in sys.argv[2:]:
        src, _, dest = arg.partition("=")
        dest = dest or src
        if os.path.isdir(src) and not os.path.islink(src):
            layer.tree(src, dest)
        else:
            layer.file(src, dest)
    layer.tar.close()


if __name__ == "__main__":
    main()

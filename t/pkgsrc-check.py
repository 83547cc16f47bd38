#!/usr/bin/env python3
# pkgsrc-check.py - read a pkgsrc binary package the way pkg_add(1) does
# and fail on anything it would refuse or get wrong.
#
#   python3 pkgsrc-check.py PACKAGE.tgz NAME-VERSION
#
# No pkg_add runs on Debian, so this follows pkg_install's sources:
#   add/perform.c   read_meta_data: the metadata members come first, each
#                   at most once, in the order of pkg_meta_descriptors,
#                   +CONTENTS, +COMMENT and +DESC required; extract_files:
#                   each file line names the next archive member exactly,
#                   @ignore skips the next line, no member may be left over;
#                   read_buildinfo: OPSYS, OS_VERSION, MACHINE_ARCH needed.
#   lib/plist.c     parse_plist: lines split on "\n", trailing white space
#                   stripped, empty lines skipped, "@" starts a command
#                   matched by prefix, its argument stripped of blanks.
#   mk/pkgformat/pkg/metadata.mk: +SIZE_PKG is the sum of "ls -ld" sizes
#                   of the listed names; +SIZE_ALL adds the dependencies.
# and checks what pkg_delete relies on: each file line is followed by
# "@comment MD5:" of its bytes, or "@comment Symlink:" of its target.
# Prints the first problem and exits 1; exits 0 and prints nothing when
# the package is sound.
import hashlib
import sys
import tarfile

META = ["+CONTENTS", "+COMMENT", "+DESC", "+INSTALL", "+DEINSTALL",
        "+DISPLAY", "+MTREE_DIRS", "+BUILD_VERSION", "+BUILD_INFO",
        "+SIZE_PKG", "+SIZE_ALL", "+PRESERVE", "+VIEWS", "+REQUIRED_BY",
        "+INSTALLED_INFO"]
REQUIRED = {"+CONTENTS", "+COMMENT", "+DESC"}
# Matched in this order, by prefix, as lib/plist.c's cmdv[] does.
COMMANDS = ["cwd", "src", "exec", "unexec", "mode", "owner", "group",
            "comment", "ignore", "name", "display", "pkgdep", "pkgcfl",
            "pkgdir", "dirrm", "option", "blddep"]
SPACE = b" \t\n\v\f\r"


def fail(msg):
    print("pkgsrc-check: " + msg)
    sys.exit(1)


def parse_plist(buf):
    """[(command or "file", argument or None)] as parse_plist makes it."""
    out = []
    for line in buf.split(b"\n"):
        line = line.rstrip(SPACE)
        if not line:
            continue
        if line[:1] != b"@":
            out.append(("file", line.decode("utf-8", "surrogateescape")))
            continue
        for cmd in COMMANDS:
            if line[1:].startswith(cmd.encode()):
                break
        else:
            fail("unrecognised PLIST command %r" % line)
        arg = line[1 + len(cmd):].strip(SPACE)
        out.append((cmd, arg.decode("utf-8", "surrogateescape") or None))
    return out


def main():
    path, want_name = sys.argv[1], sys.argv[2]
    tar = tarfile.open(path, "r:gz", encoding="utf-8",
                       errors="surrogateescape")
    members = tar.getmembers()
    if not members or members[0].name != "+CONTENTS":
        fail("+CONTENTS is not the first member")

    meta, last, i = {}, -1, 0
    while i < len(members) and members[i].name in META:
        m = members[i]
        k = META.index(m.name)
        if m.name in meta:
            fail("duplicate entry %s, package corrupt" % m.name)
        if k < last:
            fail("misordered package: %s" % m.name)
        if not m.isfile():
            fail("%s is not a regular file" % m.name)
        last = k
        meta[m.name] = tar.extractfile(m).read()
        i += 1
    if not REQUIRED <= set(meta):
        fail("missing %s" % sorted(REQUIRED - set(meta)))
    files = members[i:]

    info = dict(l.split("=", 1) for l in
                meta.get("+BUILD_INFO", b"").decode().splitlines() if "=" in l)
    for key in ("OPSYS", "OS_VERSION", "MACHINE_ARCH"):
        if not info.get(key):
            fail("+BUILD_INFO lacks %s" % key)

    plist = parse_plist(meta["+CONTENTS"])
    names = [a for c, a in plist if c == "name"]
    if names != [want_name]:
        fail("@name is %r, not %r" % (names, want_name))
    cwds = [n for n, (c, a) in enumerate(plist) if c == "cwd"]
    firstfile = min([n for n, (c, a) in enumerate(plist) if c == "file"],
                    default=len(plist))
    if not cwds or cwds[0] > firstfile or plist[cwds[0]][1] is None:
        fail("no @cwd before the first file")

    # extract_files: the list and the archive in step.
    byname = {m.name: m for m in files}
    mode = owner = group = None
    size_pkg, k, n = 0, 0, 0
    while n < len(plist):
        cmd, arg = plist[n]
        if cmd == "ignore":
            n += 2
            continue
        if cmd == "mode":
            mode = arg
        elif cmd == "owner":
            owner = arg
        elif cmd == "group":
            group = arg
        elif cmd == "pkgdir" and arg is None:
            fail("@pkgdir without a directory")
        elif cmd == "file":
            if k >= len(files):
                fail("PLIST entry not in package (%s)" % arg)
            m = files[k]
            if m.name != arg:
                fail("PLIST entry and package don't match (%s vs %s)"
                     % (arg, m.name))
            if m.name.startswith("/") or ".." in m.name.split("/"):
                fail("%s leaves the prefix" % m.name)
            nxt = plist[n + 1] if n + 1 < len(plist) else (None, None)
            if nxt[0] != "comment" or nxt[1] is None:
                fail("%s is not followed by an @comment" % arg)
            if m.issym():
                if nxt[1] != "Symlink:" + m.linkname:
                    fail("%s: %r, but the link points to %r"
                         % (arg, nxt[1], m.linkname))
                size_pkg += len(m.linkname.encode("utf-8",
                                                  "surrogateescape"))
            elif m.isfile() or m.islnk():
                data = m if m.isfile() else byname.get(m.linkname)
                if data is None or not data.isfile():
                    fail("%s: hard link to %r, not a file before it"
                         % (arg, m.linkname))
                body = tar.extractfile(data).read()
                md5 = hashlib.md5(body).hexdigest()
                if nxt[1] != "MD5:" + md5:
                    fail("%s: %r, but its bytes have MD5 %s"
                         % (arg, nxt[1], md5))
                size_pkg += len(body)
            else:
                fail("%s is neither a file nor a symbolic link" % arg)
            if mode is not None and (m.mode & 0o7777) != int(mode, 8):
                fail("%s: @mode %s, but the member has %o"
                     % (arg, mode, m.mode & 0o7777))
            if owner is not None and m.uname != owner:
                fail("%s: @owner %s, member %s" % (arg, owner, m.uname))
            if group is not None and m.gname != group:
                fail("%s: @group %s, member %s" % (arg, group, m.gname))
            k += 1
        n += 1
    if k < len(files):
        fail("Package contains entries not in PLIST: %s" % files[k].name)

    sizes = {}
    for f in ("+SIZE_PKG", "+SIZE_ALL"):
        s = meta.get(f, b"").decode()
        if not s.endswith("\n") or not s[:-1].isdigit():
            fail("%s is not a number and a newline: %r" % (f, s))
        sizes[f] = int(s)
    if sizes["+SIZE_PKG"] != size_pkg:
        fail("+SIZE_PKG says %d, the listed names hold %d"
             % (sizes["+SIZE_PKG"], size_pkg))
    if sizes["+SIZE_ALL"] < size_pkg:
        fail("+SIZE_ALL %d is less than the package" % sizes["+SIZE_ALL"])


main()

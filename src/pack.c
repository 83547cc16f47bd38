/*
 * pack.c - overpack pack: turn an upper layer into a tar package.
 *
 * The merged walk (walk.c) hands us every entry the layer changed; each
 * becomes a pax tar entry with its exact mode, numeric and
 * named owner, mtime, symlink target, xattrs (capabilities included), hard
 * links as hard links and holes kept as a sparse map.  Deletions, which a
 * plain tar cannot express, go to a manifest FILE.deleted next to FILE.
 *
 * The formats of fmt.h (deb, pkgsrc, oci, mtree) go through the same walk:
 * the archive written here is their payload, shaped by the format's flags
 * (a "./" root entry, OCI whiteouts in line, no sparse maps, no xattrs,
 * no hard links), in an unlinked temporary file that the format's
 * finish() turns into the package.
 *
 * Invariants:
 *   - The output is deterministic: entries come in walk order (bytewise by
 *     name, parents first), atime, ctime, device and inode numbers are not
 *     recorded, mtimes are clamped to SOURCE_DATE_EPOCH, and gzip is done
 *     here with zlib so that its header carries mtime 0 (in a thread of
 *     its own, gzpipe.c, so that reading files and compressing overlap).
 *   - Nothing half-written is left where the user looks: the package and
 *     its manifest are written to temporary files in the output directory,
 *     fsync'd and renamed into place only after archive_write_close
 *     succeeded.  A failure unlinks them and leaves an old FILE alone.
 *   - A problem with one entry is a warning; the entry is left out and the
 *     exit status is 1.  A problem with the output is fatal (125).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "overpack.h"
#include "exclude.h"
#include "fmt.h"
#include "gzpipe.h"
#include "layer.h"
#include "deps.h"
#include "pack.h"
#include "tree.h"
#include "walk.h"

#define PACK_USAGE \
	"usage: overpack pack -o FILE [-f FORMAT] [--root DIR] " \
	"[--exclude PATTERN]\n" \
	"\t\t[--include PATTERN] [--no-default-excludes] [--meta FILE]\n" \
	"\t\t[--name NAME] [--version VERSION] [--arch ARCH]\n" \
	"\t\t[--maintainer WHO] [--description TEXT] [--depends DEPS]\n" \
	"\t\t[--prefix DIR] [--level N] [--threads N]\n" \
	"\t\t[--depends-from TRACE] UPPER\n" \
	"       overpack pack --list-excludes\n"

enum fmt {
	FMT_TAR,
	FMT_GZ,
	FMT_XZ,
	FMT_ZST
};

/* The formats of fmt.h write a payload (FMT_TAR here) and finish it. */
static const struct {
	const char	*name;		/* for -f */
	const char	*suffix;	/* to guess from the output name */
	enum fmt	 fmt;
	const struct fmt_ops *ops;	/* NULL: a plain tar */
} formats[] = {
	{ "tar",	".tar",		FMT_TAR, NULL },
	{ "tar.gz",	".tar.gz",	FMT_GZ,	 NULL },
	{ "tgz",	".tgz",		FMT_GZ,	 NULL },
	{ "tar.xz",	".tar.xz",	FMT_XZ,	 NULL },
	{ "txz",	".txz",		FMT_XZ,	 NULL },
	{ "tar.zst",	".tar.zst",	FMT_ZST, NULL },
	{ "tzst",	".tzst",	FMT_ZST, NULL },
	{ "deb",	".deb",		FMT_TAR, &fmt_deb },
	{ "pkgsrc",	NULL,		FMT_TAR, &fmt_pkgsrc },
	{ "oci",	NULL,		FMT_TAR, &fmt_oci },
	{ "oci+gzip",	NULL,		FMT_TAR, &fmt_oci_gzip },
	{ "mtree",	".mtree",	FMT_TAR, &fmt_mtree },
};

#define FORMAT_NAMES \
	"tar, tar.gz, tar.xz, tar.zst, deb, pkgsrc, oci, oci+gzip, mtree"

struct idname {
	unsigned long	 id;
	char		*name;		/* NULL: no such user or group */
};

struct idcache {
	struct idname	*v;
	size_t		 n;
};

struct seg {
	off_t		 off, len;
};

/*
 * A directory the walk is inside of that is not in the package yet.  It
 * goes in just before the first entry below it that does, so a package
 * holds no directory that only contained excluded or unchanged entries
 * (./root/ around an excluded ./root/.npm/ cache, say).  A directory
 * that the upper layer added empty, or whose own metadata changed, goes
 * in regardless.
 */
struct pend {
	char		*path;		/* owned */
	char		*name;		/* owned */
	int		 dirfd;		/* its parent, dup'd; owned */
	struct stat	 st;
	int		 packed;	/* in the package already */
	int		 added;		/* not in the base */
	int		 opaque;	/* hides the base (whiteout formats) */
	unsigned long	 children;	/* entries seen below, excluded too */
};

struct pack {
	const char	*output;	/* as given */
	char		*tmp;		/* temporary package; owned */
	char		*deltmp;	/* temporary manifest; owned */
	int		 fd;		/* on tmp, or the format's payload */
	enum fmt	 fmt;
	const struct fmt_ops *ops;	/* NULL: plain tar */
	unsigned	 flags;		/* ops->flags */
	const struct fmt_meta *meta;
	char		*sidetmp;	/* the format's side file; owned */
	char		*sidepath;	/* where it goes; owned */
	char		*report;	/* printed on success; owned */
	struct archive	*a;
	struct archive_entry_linkresolver *lr;
	struct excl	*ex;
	struct gzpipe	*gz;		/* tar.gz: the deflating thread */
	int		 werr;		/* errno of a failed write, or 0 */
	int		 clamp;		/* SOURCE_DATE_EPOCH is set */
	time_t		 epoch;
	struct idcache	 users, groups;
	char		**dels;		/* deleted paths, no "./"; owned */
	size_t		 ndels;
	struct pend	*pend;		/* directories not packed yet; owned */
	size_t		 npend, pendsize;
	int		 status;	/* 0, or 1 after a per-entry problem */
	unsigned char	 buf[65536];
};

static const unsigned char zeros[65536];

static int
usage(void)
{
	fputs(PACK_USAGE, stderr);
	return EXIT_USAGE;
}

static int
format_parse(const char *name, enum fmt *fmt, const struct fmt_ops **ops)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0) {
			*fmt = formats[i].fmt;
			*ops = formats[i].ops;
			return 0;
		}
	return -1;
}

static enum fmt
format_guess(const char *output, const struct fmt_ops **ops)
{
	size_t i, n = strlen(output), m;

	*ops = NULL;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].suffix == NULL)
			continue;
		m = strlen(formats[i].suffix);
		if (n > m && strcmp(output + n - m, formats[i].suffix) == 0) {
			*ops = formats[i].ops;
			return formats[i].fmt;
		}
	}
	return FMT_GZ;
}

static const char *
idname(struct idcache *c, unsigned long id, int group)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return c->v[i].name;
	/* Id 0 is root everywhere, with or without an etc/passwd. */
	return id == 0 ? "root" : NULL;
}

/*
 * The file name (etc/passwd, etc/group) of the packaged tree, open: the
 * upper layer's when it has the whole file, else the base's.  Never the
 * packing host's: names must follow the tree, and the same tree must give
 * the same package anywhere.
 */
static FILE *
tree_file(int upfd, int rootfd, const char *name)
{
	struct stat st;
	FILE *fp;
	int fd = -1;

	if ((fd = tree_open_beneath(upfd, name, O_RDONLY)) != -1 &&
	    (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    layer_is_metacopy(fd, "") != 0)) {
		close(fd);	/* a whiteout, or a metacopy: the base's */
		fd = -1;
	}
	if (fd == -1 && rootfd != -1)
		fd = tree_open_beneath(rootfd, name, O_RDONLY);
	if (fd == -1)
		return NULL;
	if ((fp = fdopen(fd, "r")) == NULL)
		close(fd);
	return fp;
}

/* Load users and groups from the packaged tree; the first name wins. */
static void
idcache_load(struct pack *p, int upfd, int rootfd)
{
	struct passwd *pw;
	struct group *gr;
	FILE *fp;

	if ((fp = tree_file(upfd, rootfd, "etc/passwd")) != NULL) {
		while ((pw = fgetpwent(fp)) != NULL)
			if (idname(&p->users, pw->pw_uid, 0) == NULL) {
				p->users.v = xrealloc(p->users.v,
				    (p->users.n + 1) * sizeof(*p->users.v));
				p->users.v[p->users.n].id = pw->pw_uid;
				p->users.v[p->users.n++].name =
				    xstrdup(pw->pw_name);
			}
		fclose(fp);
	}
	if ((fp = tree_file(upfd, rootfd, "etc/group")) != NULL) {
		while ((gr = fgetgrent(fp)) != NULL)
			if (idname(&p->groups, gr->gr_gid, 1) == NULL) {
				p->groups.v = xrealloc(p->groups.v,
				    (p->groups.n + 1) * sizeof(*p->groups.v));
				p->groups.v[p->groups.n].id = gr->gr_gid;
				p->groups.v[p->groups.n++].name =
				    xstrdup(gr->gr_name);
			}
		fclose(fp);
	}
}

static void
idcache_free(struct idcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
}

static la_ssize_t
out_write(struct archive *a, void *cd, const void *buf, size_t len)
{
	struct pack *p = cd;

	if (p->werr != 0)
		return -1;
	if (p->fmt != FMT_GZ) {
		if (writeall(p->fd, buf, len) == -1) {
			p->werr = errno;
			archive_set_error(a, errno, "write error");
			return -1;
		}
		return len;
	}
	if (gz_write(p->gz, buf, len) == -1) {
		p->werr = errno;
		archive_set_error(a, p->werr, "write error");
		return -1;
	}
	return len;
}

static int
out_close(struct archive *a, void *cd)
{
	struct pack *p = cd;
	int r = ARCHIVE_OK;

	if (p->gz != NULL) {
		if (p->werr != 0)
			gz_abort(p->gz);
		else if (gz_close(p->gz) == -1) {
			p->werr = errno;
			archive_set_error(a, p->werr, "write error");
			r = ARCHIVE_FATAL;
		}
		p->gz = NULL;
	}
	return r;
}

static void
add_deletion(struct pack *p, const char *path)
{
	if (p->ndels > 0 && strcmp(p->dels[p->ndels - 1], path) == 0)
		return;
	p->dels = xrealloc(p->dels, (p->ndels + 1) * sizeof(*p->dels));
	p->dels[p->ndels++] = xstrdup(path);
}

/*
 * The data segments of a sparse file, found with SEEK_DATA/SEEK_HOLE.
 * Returns the number of segments, 0 for a file to be stored whole.
 */
static size_t
sparse_map(int fd, const struct stat *st, struct seg **segs)
{
	off_t off = 0, data, hole;
	size_t n = 0;

	*segs = NULL;
	if (st->st_size == 0 || (off_t)st->st_blocks * 512 >= st->st_size)
		return 0;
	while (off < st->st_size) {
		if ((data = lseek(fd, off, SEEK_DATA)) == -1) {
			if (errno == ENXIO)
				break;
			goto whole;
		}
		if (data >= st->st_size)
			break;
		if ((hole = lseek(fd, data, SEEK_HOLE)) == -1)
			goto whole;
		if (hole > st->st_size)
			hole = st->st_size;
		*segs = xrealloc(*segs, (n + 1) * sizeof(**segs));
		(*segs)[n].off = data;
		(*segs)[n].len = hole - data;
		n++;
		off = hole;
	}
	/* Data everywhere after all (holes too small to see): not sparse. */
	if (n == 1 && (*segs)[0].off == 0 && (*segs)[0].len == st->st_size)
		goto whole;
	/* A final empty segment marks the end of a file ending in a hole. */
	*segs = xrealloc(*segs, (n + 1) * sizeof(**segs));
	(*segs)[n].off = st->st_size;
	(*segs)[n].len = 0;
	return n + 1;
whole:
	free(*segs);
	*segs = NULL;
	return 0;
}

/* Feed len bytes of zeros (a hole, or padding) to the archive. */
static int
put_zeros(struct pack *p, off_t len)
{
	size_t k;

	while (len > 0) {
		k = len > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)len;
		if (archive_write_data(p->a, zeros, k) < 0)
			return -1;
		len -= k;
	}
	return 0;
}

/*
 * Write the body of a regular file: its segments, zeros for the holes in
 * between.  A read problem is warned about and the rest padded with zeros
 * (the header is out already); -1 only for a failing archive.
 */
static int
put_data(struct pack *p, const char *path, int fd, off_t size,
    const struct seg *segs, size_t nsegs)
{
	struct seg whole = { 0, size };
	off_t pos = 0, end;
	ssize_t n;
	size_t i;

	if (nsegs == 0) {
		segs = &whole;
		nsegs = 1;
	}
	for (i = 0; i < nsegs; i++) {
		if (put_zeros(p, segs[i].off - pos) == -1)
			return -1;
		pos = segs[i].off;
		end = segs[i].off + segs[i].len;
		while (pos < end) {
			n = pread(fd, p->buf, end - pos > (off_t)sizeof(p->buf) ?
			    sizeof(p->buf) : (size_t)(end - pos), pos);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				walk_warn("read", path, n == 0 ? EIO : errno);
				p->status = 1;
				return put_zeros(p, size - pos);
			}
			if (archive_write_data(p->a, p->buf, n) < 0)
				return -1;
			pos += n;
		}
	}
	return put_zeros(p, size - pos);
}

/*
 * A format that cannot carry xattrs (deb: dpkg ignores them) drops a
 * file capability without a word unless we say so: name the entry and
 * its attributes, and make the exit status 1.
 */
static void
xattrs_lost(struct pack *p, const char *path, const struct xattrs *xs)
{
	size_t i;

	fprintf(stderr, "overpack: './");
	fputname(path, stderr);
	fprintf(stderr, "': %s cannot carry extended attributes, left out:",
	    p->ops->name);
	for (i = 0; i < xs->n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", xs->v[i].name);
	fputc('\n', stderr);
	p->status = 1;
}

/* Fill e from st and dirfd/name; 0, or -1 with errno for a skipped entry. */
static int
entry_fill(struct pack *p, struct archive_entry *e, const struct stat *st,
    int dirfd, const char *name, const char *path)
{
	struct xattrs xs;
	char *target;
	ssize_t n;
	size_t i;

	archive_entry_copy_stat(e, st);
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	if (p->clamp && st->st_mtime > p->epoch)
		archive_entry_set_mtime(e, p->epoch, 0);
	archive_entry_copy_uname(e, idname(&p->users, st->st_uid, 0));
	archive_entry_copy_gname(e, idname(&p->groups, st->st_gid, 1));
	if (S_ISLNK(st->st_mode)) {
		target = xmalloc(st->st_size + 2);
		n = layer_readlink(dirfd, name, target, st->st_size + 2);
		if (n == -1 || n > st->st_size) {
			if (n != -1)
				errno = EAGAIN;	/* changed under us */
			free(target);
			return -1;
		}
		target[n] = '\0';
		archive_entry_copy_symlink(e, target);
		free(target);
	}
	if ((p->flags & FMTF_NOXATTR) && !(p->flags & FMTF_XATTRLOSS))
		return 0;
	if (xattrs_read(dirfd, name, &xs) == -1)
		return -1;
	if (p->flags & FMTF_NOXATTR) {
		if (xs.n > 0)
			xattrs_lost(p, path, &xs);
		xattrs_free(&xs);
		return 0;
	}
	for (i = 0; i < xs.n; i++)
		archive_entry_xattr_add_entry(e, xs.v[i].name, xs.v[i].value,
		    xs.v[i].size);
	xattrs_free(&xs);
	return 0;
}

/* Write one header (and body); -1 only when the archive is broken. */
static int
put_entry(struct pack *p, const char *path, struct archive_entry *e,
    int fd, const struct seg *segs, size_t nsegs)
{
	int r;

	/*
	 * ARCHIVE_WARN only says that a name is not valid UTF-8 (overpack
	 * runs in C.UTF-8, see main): the pax writer then stores the bytes
	 * as they are, marked hdrcharset=BINARY, which is what we want.
	 */
	r = archive_write_header(p->a, e);
	if (r == ARCHIVE_FAILED) {
		fprintf(stderr, "overpack: cannot pack './");
		fputname(path, stderr);
		fprintf(stderr, "': %s\n", archive_error_string(p->a));
		p->status = 1;
		return 0;
	} else if (r < ARCHIVE_WARN)
		return -1;
	if (fd != -1 && archive_entry_size(e) > 0 &&
	    put_data(p, path, fd, archive_entry_size(e), segs, nsegs) == -1)
		return -1;
	return archive_write_finish_entry(p->a) < ARCHIVE_WARN ? -1 : 0;
}

/*
 * Pack path, described by st, with metadata from dirfd/name and, for a
 * regular file, bytes from datadir/dataname (the same but for a metacopy,
 * whose bytes are the base's; datadir -1 when they are missing).
 */
static int
pack_entry(struct pack *p, const char *path, int dirfd, const char *name,
    const struct stat *st, int datadir, const char *dataname)
{
	struct archive_entry *e, *spare = NULL;
	struct seg *segs = NULL;
	struct stat dst;
	size_t nsegs = 0, i;
	char *apath;
	int fd = -1, r = -1;

	if (S_ISSOCK(st->st_mode)) {
		walk_warn("pack socket", path, EOPNOTSUPP);
		p->status = 1;
		return 0;
	}
	e = archive_entry_new();
	xasprintf(&apath, "./%s", path);
	archive_entry_copy_pathname(e, apath);
	free(apath);
	if (S_ISREG(st->st_mode) && datadir == -1) {
		errno = EIO;	/* a metacopy without its data */
		goto skip;
	}
	if (S_ISREG(st->st_mode) && (fd = openat(datadir, dataname, O_RDONLY |
	    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) == -1)
		goto skip;
	if (entry_fill(p, e, st, dirfd, name, path) == -1)
		goto skip;
	/* Holes are the data file's: a metacopy's upper file is all hole. */
	if (fd != -1 && !(p->flags & FMTF_WHOLE) && fstat(fd, &dst) == 0 &&
	    dst.st_size == st->st_size &&
	    (nsegs = sparse_map(fd, &dst, &segs)) > 0)
		for (i = 0; i < nsegs; i++)
			archive_entry_sparse_add_entry(e, segs[i].off,
			    segs[i].len);
	if (!(p->flags & FMTF_NOLINKS))
		archive_entry_linkify(p->lr, &e, &spare);
	/* The resolver keeps its own copy; the numbers are not packed. */
	if (e != NULL) {
		archive_entry_set_dev(e, 0);
		archive_entry_set_ino(e, 0);
		if (archive_entry_hardlink(e) != NULL) {
			archive_entry_sparse_clear(e);
			if (fd != -1)
				close(fd);
			fd = -1;
		}
		if (put_entry(p, path, e, fd, segs, nsegs) == -1)
			goto out;
	}
	r = 0;
	goto out;
skip:
	walk_warn(S_ISREG(st->st_mode) ? "read" : "pack", path, errno);
	p->status = 1;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(segs);
	archive_entry_free(e);
	archive_entry_free(spare);
	return r;
}

/* Pack the pending directories, outermost first. */
static int
pend_flush(struct pack *p)
{
	struct pend *d;
	size_t i;

	for (i = 0; i < p->npend; i++) {
		d = &p->pend[i];
		if (d->packed)
			continue;
		d->packed = 1;
		if (pack_entry(p, d->path, d->dirfd, d->name, &d->st,
		    d->dirfd, d->name) == -1)
			return -1;
	}
	return 0;
}

/* Done with the innermost pending directory. */
static int
pend_pop(struct pack *p)
{
	struct pend *d = &p->pend[p->npend - 1];
	int r = 0;

	/* Added empty: the installer made it so. */
	if (!d->packed && d->added && d->children == 0)
		r = pend_flush(p);
	close(d->dirfd);
	free(d->path);
	free(d->name);
	p->npend--;
	return r;
}

/* Leave the pending directories that path is not below. */
static int
pend_leave(struct pack *p, const char *path)
{
	struct pend *d;
	size_t len;

	while (p->npend > 0) {
		d = &p->pend[p->npend - 1];
		len = strlen(d->path);
		if (strncmp(path, d->path, len) == 0 && path[len] == '/')
			break;
		if (pend_pop(p) == -1)
			return -1;
	}
	return 0;
}

static int
pend_push(struct pack *p, const struct walk_ent *we, int dirfd,
    const struct stat *st, int packed)
{
	struct pend *d;
	int fd;

	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if (p->npend == p->pendsize) {
		p->pendsize = p->pendsize ? p->pendsize * 2 : 16;
		p->pend = xrealloc(p->pend, p->pendsize * sizeof(*p->pend));
	}
	d = &p->pend[p->npend++];
	d->path = xstrdup(we->path);
	d->name = xstrdup(we->name);
	d->dirfd = fd;
	d->st = *st;
	d->packed = packed;
	d->added = we->cmp == NULL;
	d->opaque = 0;
	d->children = 0;
	return 0;
}

/*
 * An empty regular file, owned by root: an OCI whiteout or opaque marker
 * (path has no "./"), or with dir set the package's "./" root entry.
 */
static int
put_marker(struct pack *p, const char *path, int dir)
{
	struct archive_entry *e;
	char *apath;
	int r;

	e = archive_entry_new();
	xasprintf(&apath, "./%s", path);
	archive_entry_copy_pathname(e, apath);
	free(apath);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_copy_uname(e, idname(&p->users, 0, 0));
	archive_entry_copy_gname(e, idname(&p->groups, 0, 1));
	archive_entry_set_mtime(e, p->clamp ? p->epoch : 0, 0);
	archive_entry_set_size(e, 0);
	r = put_entry(p, path, e, -1, NULL, 0);
	archive_entry_free(e);
	return r;
}

/*
 * A deletion in a format that carries them (OCI): a whiteout, unless the
 * base has nothing there or an opaque directory above hides it already.
 */
static int
put_whiteout(struct pack *p, const struct walk_ent *we)
{
	char *wh;
	size_t i;
	int r;

	if (we->cmp == NULL)
		return 0;
	for (i = 0; i < p->npend; i++)
		if (p->pend[i].opaque)
			return 0;
	if (pend_flush(p) == -1)
		return -1;
	wh = oci_whiteout(we->path, 0);
	r = put_marker(p, wh, 0);
	free(wh);
	return r;
}

/* An opaque directory over a base directory, in a format that says so. */
static int
is_opaque(const struct pack *p, const struct walk_ent *we)
{
	if (!(p->flags & FMTF_WHITEOUTS) || we->up == NULL ||
	    we->cmp == NULL || !S_ISDIR(we->cmp->st_mode))
		return 0;
	return layer_is_opaque(we->updir, we->name) == 1;
}

static int
pack_cb(const struct walk_ent *we, void *arg)
{
	struct pack *p = arg;
	const struct stat *st;
	unsigned fields;
	char *wh;
	int dirfd, own, opaque, r;

	if (pend_leave(p, we->path) == -1)
		return -1;
	if (p->npend > 0)
		p->pend[p->npend - 1].children++;
	if (excl_match(p->ex, we->path))
		return WALK_SKIP;
	if (we->deleted) {
		if (p->flags & FMTF_WHITEOUTS)
			return put_whiteout(p, we);
		add_deletion(p, we->path);
		return 0;
	}
	st = we->up != NULL ? we->up : we->low;
	dirfd = we->up != NULL ? we->updir : we->lowdir;
	/* A directory replaced by a non-directory must go first (a layer
	 * format replaces it by the entry itself). */
	if (we->cmp != NULL && S_ISDIR(we->cmp->st_mode) &&
	    !S_ISDIR(st->st_mode) && !(p->flags & FMTF_WHITEOUTS))
		add_deletion(p, we->path);
	if (!S_ISDIR(st->st_mode))
		return pend_flush(p) == -1 ? -1 :
		    pack_entry(p, we->path, dirfd, we->name, st, we->datadir,
		    we->dataname);
	/* A directory: in now if its own metadata changed, else pending. */
	own = 0;
	if (we->cmp != NULL && S_ISDIR(we->cmp->st_mode) && we->up != NULL) {
		if (walk_meta_changed(we, &fields) == -1)
			own = 1;	/* unreadable: keep it, to be safe */
		else
			own = fields != 0;
	} else if (we->cmp != NULL && !S_ISDIR(we->cmp->st_mode))
		own = 1;		/* replaced a non-directory */
	opaque = is_opaque(p, we);
	if ((own || opaque) && (pend_flush(p) == -1 ||
	    pack_entry(p, we->path, dirfd, we->name, st, dirfd,
	    we->name) == -1))
		return -1;
	if (pend_push(p, we, dirfd, st, own || opaque) == -1) {
		walk_warn("open directory", we->path, errno);
		p->status = 1;
		return WALK_SKIP;
	}
	if (opaque) {
		wh = oci_whiteout(we->path, 1);
		r = put_marker(p, wh, 0);
		free(wh);
		p->pend[p->npend - 1].opaque = 1;
		return r;
	}
	return 0;
}

/*
 * Make the temporary file "DIR/.NAME.XXXXXX" for output "DIR/NAME"; fd on
 * it, or -1.  Its mode is what creat(2) would give.
 */
static int
tmpfile_at(const char *output, const char *suffix, char **tmp)
{
	const char *slash, *base;
	mode_t mask;
	int fd, saved;

	slash = strrchr(output, '/');
	base = slash ? slash + 1 : output;
	if (slash == NULL)
		xasprintf(tmp, ".%s%s.XXXXXX", base, suffix);
	else
		xasprintf(tmp, "%.*s/.%s%s.XXXXXX", (int)(slash - output),
		    output, base, suffix);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		free(*tmp);
		*tmp = NULL;
		errno = saved;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1) {
		saved = errno;
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		errno = saved;
		return -1;
	}
	return fd;
}

static void
dir_warn(const char *what, const char *output, int errnum)
{
	const char *slash = strrchr(output, '/');

	if (slash == NULL)
		fprintf(stderr, "overpack: cannot %s in '.': %s\n", what,
		    strerror(errnum));
	else
		fprintf(stderr, "overpack: cannot %s in '%.*s': %s\n", what,
		    slash == output ? 1 : (int)(slash - output), output,
		    strerror(errnum));
}

/* Write the deletions to a temporary manifest next to the package. */
static int
write_manifest(struct pack *p)
{
	FILE *fp;
	size_t i;
	int fd, saved;

	if ((fd = tmpfile_at(p->output, ".deleted", &p->deltmp)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (i = 0; i < p->ndels; i++) {
		fputs("./", fp);
		fputname(p->dels[i], fp);
		fputc('\n', fp);
	}
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1) {
		saved = errno ? errno : EIO;
		fclose(fp);
		errno = saved;
		return -1;
	}
	return fclose(fp) == EOF ? -1 : 0;
}

/*
 * Rename the manifest (or remove a stale one: it would describe another
 * package) and then the package into place, and make that durable.
 */
static int
publish(struct pack *p)
{
	const char *slash;
	char *delpath, *dir;
	int dfd, r = -1;

	/*
	 * The package first: if that fails, nothing is published.  The
	 * files beside it follow; if one of those fails, say which is stale.
	 */
	xasprintf(&delpath, "%s.deleted", p->output);
	if (rename(p->tmp, p->output) == -1) {
		warn("cannot write '%s'", p->output);
		goto out;
	}
	free(p->tmp);
	p->tmp = NULL;
	if (p->sidetmp != NULL) {
		if (rename(p->sidetmp, p->sidepath) == -1) {
			warn("wrote '%s' but not '%s'", p->output,
			    p->sidepath);
			goto out;
		}
		free(p->sidetmp);
		p->sidetmp = NULL;
	}
	if (p->deltmp != NULL) {
		if (rename(p->deltmp, delpath) == -1) {
			warn("wrote '%s' but not its deletions '%s'",
			    p->output, delpath);
			goto out;
		}
		free(p->deltmp);
		p->deltmp = NULL;
	} else if (unlink(delpath) == -1 && errno != ENOENT) {
		warn("wrote '%s' but cannot remove the stale '%s'", p->output,
		    delpath);
		goto out;
	}
	slash = strrchr(p->output, '/');
	if (slash == NULL)
		dir = xstrdup(".");
	else
		xasprintf(&dir, "%.*s", slash == p->output ? 1 :
		    (int)(slash - p->output), p->output);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	r = 0;
out:
	free(delpath);
	return r;
}

static void
archive_fail(struct pack *p)
{
	if (p->werr != 0) {
		errno = p->werr;
		warn("cannot write '%s'", p->output);
	}
	else if (archive_errno(p->a) != 0 && archive_error_string(p->a))
		warnx("cannot write '%s': %s", p->output,
		    archive_error_string(p->a));
	else
		warnx("cannot write '%s'", p->output);
}

/* Pass --level and --threads to libarchive's xz or zstd filter. */
static int
tune_filter(struct pack *p, const char *filter, int lo, int hi)
{
	char v[24];
	long threads;
	int zstd;

	if (p->meta != NULL && p->meta->level > 0) {
		if (p->meta->level < lo || p->meta->level > hi) {
			warnx("%s levels are %d to %d, not %d", filter, lo, hi,
			    p->meta->level);
			return -1;
		}
		snprintf(v, sizeof(v), "%d", p->meta->level);
		if (archive_write_set_filter_option(p->a, filter,
		    "compression-level", v) < ARCHIVE_WARN) {
			warnx("cannot set the %s level: %s", filter,
			    archive_error_string(p->a));
			return -1;
		}
	}
	/*
	 * zstd compresses in worker threads, one per CPU unless told: its
	 * multi-threaded output is the same whatever their number, so the
	 * package does not depend on the machine.
	 */
	zstd = strcmp(filter, "zstd") == 0;
	threads = p->meta != NULL ? p->meta->threads : 0;
	if (threads == 0 && zstd &&
	    (threads = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	if (zstd || threads > 1) {
		snprintf(v, sizeof(v), "%ld", threads);
		if (archive_write_set_filter_option(p->a, filter, "threads",
		    v) < ARCHIVE_WARN) {
			warnx("cannot use %s threads: %s", filter,
			    archive_error_string(p->a));
			return -1;
		}
	}
	return 0;
}

/* Set up libarchive for p->fmt writing through out_write. */
static int
archive_setup(struct pack *p)
{
	int r = ARCHIVE_OK;

	p->a = archive_write_new();
	if (p->ops != NULL) {
		if (p->ops->setup(p->a) == -1)
			return -1;
	} else if (archive_write_set_format_pax(p->a) != ARCHIVE_OK) {
		warnx("cannot set up the tar format: %s",
		    archive_error_string(p->a));
		return -1;
	}
	switch (p->fmt) {
	case FMT_XZ:
		r = archive_write_add_filter_xz(p->a);
		if (r >= ARCHIVE_WARN && tune_filter(p, "xz", 0, 9) == -1)
			return -1;
		break;
	case FMT_ZST:
		r = archive_write_add_filter_zstd(p->a);
		if (r >= ARCHIVE_WARN && tune_filter(p, "zstd", 1, 19) == -1)
			return -1;
		break;
	case FMT_GZ:
		/* gzip's own default level, as tar -czf uses. */
		if (p->meta != NULL && p->meta->threads > 1) {
			warnx("--threads works with tar.xz and tar.zst only");
			return -1;
		}
		if (p->meta != NULL && p->meta->level > 9) {
			warnx("gzip levels are 1 to 9, not %d", p->meta->level);
			return -1;
		}
		if ((p->gz = gz_open(p->fd, p->meta != NULL &&
		    p->meta->level > 0 ? p->meta->level :
		    Z_DEFAULT_COMPRESSION)) == NULL) {
			warn("cannot set up gzip compression");
			return -1;
		}
		break;
	case FMT_TAR:
		break;
	}
	/* ARCHIVE_WARN: the filter runs an external program; that works. */
	if (r < ARCHIVE_WARN) {
		warnx("this libarchive cannot write %s: %s",
		    p->fmt == FMT_XZ ? "tar.xz" : "tar.zst",
		    archive_error_string(p->a));
		return -1;
	}
	/* Padding after the compressed stream would corrupt an xz or zstd
	 * file; the tar stream itself is still padded to whole records. */
	if (p->fmt == FMT_XZ || p->fmt == FMT_ZST)
		archive_write_set_bytes_in_last_block(p->a, 1);
	if (archive_write_open2(p->a, p, NULL, out_write, out_close,
	    NULL) != ARCHIVE_OK) {
		archive_fail(p);
		return -1;
	}
	p->lr = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(p->lr, archive_format(p->a));
	return 0;
}

static int
epoch_parse(struct pack *p)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 ||
	    (long long)(time_t)v != v) {
		warnx("invalid SOURCE_DATE_EPOCH '%s'", s);
		return -1;
	}
	p->clamp = 1;
	p->epoch = (time_t)v;
	return 0;
}

static void
pack_free(struct pack *p)
{
	size_t i;

	if (p->a != NULL) {
		if (p->werr == 0 && p->tmp != NULL)
			p->werr = ECANCELED;	/* no close on failure */
		archive_write_free(p->a);
	}
	gz_abort(p->gz);
	archive_entry_linkresolver_free(p->lr);
	if (p->fd != -1)
		close(p->fd);
	if (p->tmp != NULL)
		unlink(p->tmp);
	if (p->deltmp != NULL)
		unlink(p->deltmp);
	if (p->sidetmp != NULL)
		unlink(p->sidetmp);
	free(p->tmp);
	free(p->deltmp);
	free(p->sidetmp);
	free(p->sidepath);
	free(p->report);
	for (i = 0; i < p->ndels; i++)
		free(p->dels[i]);
	free(p->dels);
	for (i = 0; i < p->npend; i++) {
		close(p->pend[i].dirfd);
		free(p->pend[i].path);
		free(p->pend[i].name);
	}
	free(p->pend);
	idcache_free(&p->users);
	idcache_free(&p->groups);
	free(p);
}

/*
 * A format's payload: an unlinked temporary file next to the output (or
 * in TMPDIR when there is none), so nothing is left behind on a crash.
 */
static int
payload_open(const char *output)
{
	const char *dir;
	char *tmp;
	int fd, saved;

	if (output != NULL) {
		if ((fd = tmpfile_at(output, ".payload", &tmp)) == -1) {
			dir_warn("create a temporary file", output, errno);
			return -1;
		}
	} else {
		if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
			dir = "/tmp";
		xasprintf(&tmp, "%s/overpack.XXXXXX", dir);
		if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
			warn("cannot create a temporary file in '%s'", dir);
			free(tmp);
			return -1;
		}
	}
	saved = errno;
	unlink(tmp);
	free(tmp);
	errno = saved;
	return fd;
}

/* Write the format's side file (FILE.diffid) to a temporary file. */
static int
write_side(struct pack *p, const char *suffix, const char *data)
{
	int fd, saved;

	xasprintf(&p->sidepath, "%s%s", p->output, suffix);
	if ((fd = tmpfile_at(p->output, suffix, &p->sidetmp)) == -1)
		return -1;
	if (writeall(fd, data, strlen(data)) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * Hand the finished payload to the format, which writes the output's
 * temporary file.  Returns an exit status.
 */
static int
fmt_finish(struct pack *p)
{
	struct fmt_job job;
	int st = EXIT_RUNFAIL;

	memset(&job, 0, sizeof(job));
	job.meta = p->meta;
	job.output = p->output;
	job.payload = p->fd;
	job.out = -1;
	job.clamp = p->clamp;
	job.epoch = p->epoch;
	if (lseek(p->fd, 0, SEEK_SET) == -1) {
		warn("cannot read back the payload");
		goto out;
	}
	if (p->output != NULL &&
	    (job.out = tmpfile_at(p->output, "", &p->tmp)) == -1) {
		dir_warn("create package", p->output, errno);
		goto out;
	}
	if ((st = p->ops->finish(&job)) != 0)
		goto out;
	st = EXIT_RUNFAIL;
	if (job.out != -1) {
		if (fsync(job.out) == -1 || close(job.out) == -1) {
			job.out = -1;
			warn("cannot write '%s'", p->output);
			goto out;
		}
		job.out = -1;
	}
	if (job.side_data != NULL &&
	    write_side(p, job.side_suffix, job.side_data) == -1) {
		warn("cannot write '%s'", p->sidepath);
		goto out;
	}
	p->report = job.report;
	job.report = NULL;
	st = 0;
out:
	if (job.out != -1)
		close(job.out);
	free(job.side_data);
	free(job.report);
	return st;
}

static int
pack_ops(const char *upper, const char *root, const char *output,
    enum fmt fmt, const struct fmt_ops *ops, const struct fmt_meta *meta,
    struct excl *ex)
{
	struct pack *p;
	char *mark;
	int upfd = -1, rootfd = -1, st = EXIT_RUNFAIL;

	p = xcalloc(1, sizeof(*p));
	p->fd = -1;
	p->output = output;
	p->ex = ex;
	p->fmt = fmt;
	p->ops = ops;
	p->flags = ops != NULL ? ops->flags : 0;
	p->meta = meta;
	if (epoch_parse(p) == -1) {
		st = EXIT_USAGE;
		goto out;
	}
	if (ops != NULL && ops->check != NULL && (st = ops->check(meta)) != 0)
		goto out;
	st = EXIT_RUNFAIL;
	if (output != NULL && (*output == '\0' ||
	    output[strlen(output) - 1] == '/')) {
		warnx("cannot write '%s': %s", output, strerror(EISDIR));
		goto out;
	}
	if (upper_lost(upper, &mark)) {
		warnx("the upper layer '%s' was being written when the machine "
		    "went down, so it may be incomplete: capture it again, or "
		    "remove '%s' to pack it anyway", upper, mark);
		free(mark);
		goto out;
	}
	if ((upfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("cannot open upper layer '%s'", upper);
		goto out;
	}
	if (root != NULL && (rootfd = open(root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		warn("cannot open root '%s'", root);
		goto out;
	}
	idcache_load(p, upfd, rootfd);
	if (ops != NULL)
		p->fd = payload_open(output);
	else if ((p->fd = tmpfile_at(output, "", &p->tmp)) == -1)
		dir_warn("create package", output, errno);
	if (p->fd == -1)
		goto out;
	if (archive_setup(p) == -1)
		goto out;
	if ((p->flags & FMTF_ROOTDIR) && put_marker(p, "", 1) == -1) {
		archive_fail(p);
		goto out;
	}
	walk_warnings = 0;
	if (walk_layer(upfd, rootfd, WALK_PACK, pack_cb, p) == -1 ||
	    pend_leave(p, "") == -1) {
		if (p->werr != 0 || archive_errno(p->a) != 0)
			archive_fail(p);
		else
			warn("cannot walk upper layer '%s'", upper);
		goto out;
	}
	/* libarchive drops out_close's status: werr carries it. */
	if (archive_write_close(p->a) != ARCHIVE_OK || p->werr != 0) {
		archive_fail(p);
		goto out;
	}
	if (ops != NULL) {
		if ((st = fmt_finish(p)) != 0)
			goto out;
		st = EXIT_RUNFAIL;
	} else if (fsync(p->fd) == -1 || close(p->fd) == -1) {
		p->fd = -1;
		warn("cannot write '%s'", output);
		goto out;
	} else
		p->fd = -1;
	if (output == NULL) {
		st = (p->status || walk_warnings) ? 1 : 0;
		goto out;
	}
	if (p->ndels > 0 && write_manifest(p) == -1) {
		warn("cannot write '%s.deleted'", output);
		goto out;
	}
	if (publish(p) == -1)
		goto out;
	if (p->ndels > 0)
		warnx("%zu deletion%s cannot be represented in %s; "
		    "listed in %s.deleted", p->ndels, p->ndels == 1 ? "" : "s",
		    output, output);
	if (p->report != NULL)
		printf("%s\n", p->report);
	st = (p->status || walk_warnings) ? 1 : 0;
out:
	if (upfd != -1)
		close(upfd);
	if (rootfd != -1)
		close(rootfd);
	pack_free(p);
	return st;
}

int
pack_fmt(const char *upper, const char *root, const char *output,
    const struct fmt_ops *ops, const struct fmt_meta *meta, struct excl *ex)
{
	return pack_ops(upper, root, output, FMT_TAR, ops, meta, ex);
}

static int
pack_run(const char *upper, const char *root, const char *output,
    const char *format, const struct fmt_meta *meta, struct excl *ex)
{
	const struct fmt_ops *ops = NULL;
	enum fmt fmt;

	if (format != NULL && format_parse(format, &fmt, &ops) == -1) {
		warnx("unknown format '%s' (" FORMAT_NAMES ")", format);
		return EXIT_USAGE;
	}
	if (format == NULL)
		fmt = format_guess(output, &ops);
	return pack_ops(upper, root, output, fmt, ops, meta, ex);
}

/*
 * Everything pack_layer would refuse that does not depend on the layer:
 * the format, SOURCE_DATE_EPOCH, the metadata a format needs, and a
 * writable directory for the output.  overpack run asks before it runs
 * the command, so that a typo does not cost a whole install.
 */
int
pack_check(const char *output, const char *format)
{
	const struct fmt_ops *ops = NULL;
	const char *file = getenv("OVERPACK_META");
	struct fmt_meta meta;
	struct pack p;
	enum fmt fmt;
	char *tmp;
	int fd, st = 0;

	memset(&p, 0, sizeof(p));
	memset(&meta, 0, sizeof(meta));
	if (format != NULL && format_parse(format, &fmt, &ops) == -1) {
		warnx("unknown format '%s' (" FORMAT_NAMES ")", format);
		return EXIT_USAGE;
	}
	if (format == NULL)
		(void)format_guess(output, &ops);
	if (epoch_parse(&p) == -1)
		return EXIT_USAGE;
	if (file != NULL && *file != '\0' && meta_load(&meta, file) == -1)
		st = EXIT_USAGE;
	else if (ops != NULL && ops->check != NULL)
		st = ops->check(&meta);
	meta_free(&meta);
	if (st != 0)
		return st;
	if (*output == '\0' || output[strlen(output) - 1] == '/') {
		warnx("cannot write '%s': %s", output, strerror(EISDIR));
		return EXIT_USAGE;
	}
	if ((fd = tmpfile_at(output, "", &tmp)) == -1) {
		dir_warn("create package", output, errno);
		return EXIT_USAGE;
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
}

int
pack_layer(const char *upper, const char *root, const char *output,
    const char *format)
{
	struct fmt_meta meta;
	const char *file = getenv("OVERPACK_META");
	struct excl *ex;
	int st;

	memset(&meta, 0, sizeof(meta));
	if (file != NULL && *file != '\0' && meta_load(&meta, file) == -1) {
		meta_free(&meta);
		return EXIT_USAGE;
	}
	ex = excl_new(1);
	st = pack_run(upper, root ? root : "/", output, format, &meta, ex);
	excl_free(ex);
	meta_free(&meta);
	return st;
}

/* A decimal number in [lo, hi], or a message naming it. */
static int
number(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		warnx("'%s' is not a number from %ld to %ld", s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/*
 * --depends-from: the packages a traced run used, as @pkgdep patterns
 * after those of --depends.  pkgsrc only: other formats name their
 * dependencies differently.
 */
static int
depends_from(struct fmt_meta *m, const char *trace, const char *format,
    const char *output)
{
	const struct fmt_ops *ops = NULL;
	enum fmt fmt;
	char *deps, *all;

	if (format == NULL)
		(void)format_guess(output, &ops);
	else if (format_parse(format, &fmt, &ops) == -1)
		ops = NULL;
	if (ops == NULL || strcmp(ops->name, "pkgsrc") != 0) {
		warnx("--depends-from needs -f pkgsrc");
		return EXIT_USAGE;
	}
	if ((deps = deps_pkgdeps(trace, NULL)) == NULL)
		return EXIT_RUNFAIL;
	if (m->depends != NULL && *m->depends != '\0' && *deps != '\0') {
		xasprintf(&all, "%s,%s", m->depends, deps);
		free(deps);
		deps = all;
	}
	if (*deps != '\0') {
		free(m->depends);
		m->depends = deps;
	} else
		free(deps);
	return 0;
}

int
cmd_pack(int argc, char *argv[])
{
	enum { OPT_ROOT = 256, OPT_EXCL, OPT_INCL, OPT_NODEF, OPT_LIST,
	    OPT_META, OPT_FIELD, OPT_LEVEL, OPT_THREADS, OPT_DEPFROM };
	static const struct option longopts[] = {
		{ "output",		required_argument, NULL, 'o' },
		{ "format",		required_argument, NULL, 'f' },
		{ "root",		required_argument, NULL, OPT_ROOT },
		{ "exclude",		required_argument, NULL, OPT_EXCL },
		{ "include",		required_argument, NULL, OPT_INCL },
		{ "no-default-excludes", no_argument,	   NULL, OPT_NODEF },
		{ "list-excludes",	no_argument,	   NULL, OPT_LIST },
		{ "meta",		required_argument, NULL, OPT_META },
		{ "name",		required_argument, NULL, OPT_FIELD },
		{ "version",		required_argument, NULL, OPT_FIELD },
		{ "arch",		required_argument, NULL, OPT_FIELD },
		{ "maintainer",		required_argument, NULL, OPT_FIELD },
		{ "description",	required_argument, NULL, OPT_FIELD },
		{ "depends",		required_argument, NULL, OPT_FIELD },
		{ "prefix",		required_argument, NULL, OPT_FIELD },
		{ "level",		required_argument, NULL, OPT_LEVEL },
		{ "threads",		required_argument, NULL, OPT_THREADS },
		{ "depends-from",	required_argument, NULL, OPT_DEPFROM },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *output = NULL, *format = NULL, *root = "/";
	const char *metafile = getenv("OVERPACK_META"), *depfrom = NULL;
	struct fmt_meta meta;
	struct excl *ex;
	size_t i;
	int ch, st = EXIT_USAGE, defaults = 1, li;

	memset(&meta, 0, sizeof(meta));
	ex = excl_new(0);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:f:h", longopts,
	    &li)) != -1) {
		switch (ch) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_EXCL:
		case OPT_INCL:
			excl_add(ex, optarg, ch == OPT_INCL);
			break;
		case OPT_NODEF:
			defaults = 0;
			break;
		case OPT_META:
			metafile = optarg;
			break;
		case OPT_DEPFROM:
			depfrom = optarg;
			break;
		case OPT_FIELD:
			(void)meta_set(&meta, longopts[li].name, optarg);
			break;
		case OPT_LEVEL:
		case OPT_THREADS:
			if (number(optarg, ch == OPT_LEVEL ? 0 : 1,
			    ch == OPT_LEVEL ? 22 : 64, ch == OPT_LEVEL ?
			    &meta.level : &meta.threads) == -1) {
				st = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LIST:
			for (i = 0; excl_defaults[i] != NULL; i++)
				printf("%s\n", excl_defaults[i]);
			st = 0;
			goto out;
		case 'h':
			fputs(PACK_USAGE, stdout);
			st = 0;
			goto out;
		case ':':
			warnx("option '%s' needs an argument", argv[optind - 1]);
			st = usage();
			goto out;
		default:
			warnx("unknown option '%s'", argv[optind - 1]);
			st = usage();
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (output == NULL || argc != 1) {
		warnx("%s", output == NULL ? "no output file given (-o FILE)" :
		    argc == 0 ? "no upper layer given" : "too many arguments");
		st = usage();
		goto out;
	}
	if (metafile != NULL && *metafile != '\0' &&
	    meta_load(&meta, metafile) == -1)
		goto out;
	if (depfrom != NULL && (st = depends_from(&meta, depfrom, format,
	    output)) != 0)
		goto out;
	if (defaults) {
		/* The defaults come first so that later options win. */
		struct excl *all = excl_new(1);

		excl_append(all, ex);
		excl_free(ex);
		ex = all;
	}
	st = pack_run(argv[0], root, output, format, &meta, ex);
out:
	excl_free(ex);
	meta_free(&meta);
	return st;
}

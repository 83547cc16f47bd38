/*
 * fmt-deb.c - the deb format: a Debian binary package, deb(5).
 *
 * The package is an ar(1) archive of three members, in this order:
 * "debian-binary" ("2.0\n"), "control.tar.xz" and "data.tar.xz".  The
 * payload pack.c writes is data.tar.xz itself: a GNU tar (what dpkg-deb
 * writes), names "./usr/...", a "./" root entry first, no extended
 * attributes and no sparse maps (dpkg handles neither).  finish() reads
 * it back once to make control.tar.xz:
 *
 *   ./control	Package, Version, Architecture, Maintainer,
 *		Installed-Size (KiB: the sizes of the regular files, summed
 *		and rounded up), Depends when given, Description
 *   ./conffiles	every regular file below /etc, when there is one
 *   ./md5sums	"MD5  path" for every regular file, hard links too
 *
 * The ar container is written here: fixed-width headers, mtime
 * SOURCE_DATE_EPOCH or 0, owner 0/0, mode 100644, so the same layer gives
 * the same bytes.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "overpack.h"
#include "fmt.h"

/* A growing in-memory buffer (the control member, the control file). */
struct buf {
	char		*s;
	size_t		 len, cap;
};

static void
buf_add(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* A path of the package with its md5, for md5sums and hard links. */
struct sum {
	char		*path;		/* no "./"; owned */
	char		 md5[33];
};

struct deb {
	struct sum	*sums;
	size_t		 nsums;
	unsigned long long bytes;	/* sizes of the regular files */
	struct buf	 md5sums, conffiles;
};

/* dpkg's name for this machine's architecture, else "all". */
static const char *
default_arch(void)
{
	static const struct {
		const char	*machine, *arch;
	} map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" },
		{ "i386", "i386" }, { "i486", "i386" }, { "i586", "i386" },
		{ "i686", "i386" }, { "armv7l", "armhf" }, { "armv6l", "armel" },
		{ "ppc64le", "ppc64el" }, { "ppc64", "ppc64" },
		{ "s390x", "s390x" }, { "riscv64", "riscv64" },
		{ "mips64", "mips64el" }, { "loongarch64", "loong64" },
	};
	static struct utsname u;
	size_t i;

	if (uname(&u) == -1)
		return "all";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u.machine, map[i].machine) == 0)
			return map[i].arch;
	return "all";
}

/* Only the characters of set, and at least min of them. */
static int
only(const char *s, const char *set, size_t min)
{
	return strlen(s) >= min && strspn(s, set) == strlen(s);
}

#define LOWER	"abcdefghijklmnopqrstuvwxyz0123456789"

static int
deb_check(const struct fmt_meta *m)
{
	if (meta_require("deb", "name", m->name) == -1 ||
	    meta_require("deb", "version", m->version) == -1 ||
	    meta_require("deb", "maintainer", m->maintainer) == -1 ||
	    meta_require("deb", "description", m->description) == -1)
		return EXIT_USAGE;
	/* The rules of deb-control(5), so that dpkg takes the package. */
	if (!only(m->name, LOWER "+-.", 2) ||
	    strchr(LOWER, m->name[0]) == NULL) {
		warnx("invalid package name '%s' (lower case letters, digits, "
		    "'+', '-', '.'; at least two, starting alphanumeric)",
		    m->name);
		return EXIT_USAGE;
	}
	if (!only(m->version, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~:-", 1) ||
	    m->version[0] < '0' || m->version[0] > '9') {
		warnx("invalid version '%s' (must start with a digit; letters, "
		    "digits, '.', '+', '~', ':', '-')", m->version);
		return EXIT_USAGE;
	}
	if (m->arch != NULL && !only(m->arch, LOWER "-", 1)) {
		warnx("invalid architecture '%s'", m->arch);
		return EXIT_USAGE;
	}
	if (strchr(m->maintainer, '\n') != NULL ||
	    (m->depends != NULL && strchr(m->depends, '\n') != NULL)) {
		warnx("maintainer and depends must be one line");
		return EXIT_USAGE;
	}
	return 0;
}

static int
deb_setup(struct archive *a)
{
	if (archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_xz(a) < ARCHIVE_WARN) {
		warnx("cannot set up data.tar.xz: %s", archive_error_string(a));
		return -1;
	}
	archive_write_set_bytes_in_last_block(a, 1);
	return 0;
}

/* Read the payload: md5sums, conffiles and the installed size. */
static int
scan(struct fmt_job *job, struct deb *d)
{
	struct archive *a;
	struct archive_entry *e;
	const char *path, *link;
	char line[64];
	size_t i;
	int r, st = -1;

	if ((a = fmt_read_open(job->payload)) == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		path = archive_entry_pathname(e);
		if (strncmp(path, "./", 2) == 0)
			path += 2;
		d->sums = xrealloc(d->sums, (d->nsums + 1) * sizeof(*d->sums));
		if ((link = archive_entry_hardlink(e)) != NULL) {
			if (strncmp(link, "./", 2) == 0)
				link += 2;
			for (i = 0; i < d->nsums; i++)
				if (strcmp(d->sums[i].path, link) == 0)
					break;
			if (i == d->nsums)
				continue;
			memcpy(d->sums[d->nsums].md5, d->sums[i].md5, 33);
		} else if (archive_entry_filetype(e) == AE_IFREG) {
			if (fmt_md5_data(a, d->sums[d->nsums].md5) == -1)
				goto bad;
			d->bytes += archive_entry_size(e);
		} else
			continue;
		d->sums[d->nsums].path = xstrdup(path);
		snprintf(line, sizeof(line), "%s  ", d->sums[d->nsums].md5);
		buf_str(&d->md5sums, line);
		buf_str(&d->md5sums, path);
		buf_str(&d->md5sums, "\n");
		if (strncmp(path, "etc/", 4) == 0) {
			buf_str(&d->conffiles, "/");
			buf_str(&d->conffiles, path);
			buf_str(&d->conffiles, "\n");
		}
		d->nsums++;
	}
	if (r != ARCHIVE_EOF)
		goto bad;
	st = 0;
	goto out;
bad:
	warnx("cannot read back the payload: %s", archive_error_string(a));
out:
	archive_read_free(a);
	return st;
}

/* The control file of deb-control(5). */
static void
control(const struct fmt_job *job, const struct deb *d, struct buf *b)
{
	const struct fmt_meta *m = job->meta;
	const char *s, *nl;
	char *line;

	xasprintf(&line, "Package: %s\nVersion: %s\nArchitecture: %s\n"
	    "Maintainer: %s\nInstalled-Size: %llu\n", m->name, m->version,
	    m->arch != NULL ? m->arch : default_arch(), m->maintainer,
	    (d->bytes + 1023) / 1024);
	buf_str(b, line);
	free(line);
	if (m->depends != NULL && *m->depends != '\0') {
		buf_str(b, "Depends: ");
		buf_str(b, m->depends);
		buf_str(b, "\n");
	}
	/* The first line is the synopsis; the rest is indented, and an
	 * empty line is " .". */
	buf_str(b, "Description: ");
	for (s = m->description; ; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		if (s != m->description)
			buf_str(b, nl == s ? " ." : " ");
		buf_add(b, s, nl - s);
		buf_str(b, "\n");
		if (*nl == '\0')
			break;
	}
}

static la_ssize_t
mem_write(struct archive *a, void *arg, const void *s, size_t n)
{
	(void)a;
	buf_add(arg, s, n);
	return n;
}

static int
add_member(struct archive *a, const char *name, const struct buf *b,
    time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, b == NULL ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, b == NULL ? 0755 : 0644);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, b == NULL ? 0 : b->len);
	r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && b != NULL && b->len > 0 &&
	    archive_write_data(a, b->s, b->len) != (la_ssize_t)b->len)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r;
}

/* control.tar.xz, in memory. */
static int
control_tar(const struct fmt_job *job, const struct deb *d, struct buf *out)
{
	struct archive *a = archive_write_new();
	struct buf ctl = { NULL, 0, 0 };
	time_t mtime = FMT_MTIME(job);
	int r = -1;

	control(job, d, &ctl);
	if (archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_xz(a) < ARCHIVE_WARN ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, out, NULL, mem_write, NULL, NULL) !=
	    ARCHIVE_OK)
		goto fail;
	if (add_member(a, "./", NULL, mtime) != ARCHIVE_OK ||
	    (d->conffiles.len > 0 && add_member(a, "./conffiles",
	    &d->conffiles, mtime) != ARCHIVE_OK) ||
	    add_member(a, "./control", &ctl, mtime) != ARCHIVE_OK ||
	    (d->md5sums.len > 0 && add_member(a, "./md5sums", &d->md5sums,
	    mtime) != ARCHIVE_OK) ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	r = 0;
	goto out;
fail:
	warnx("cannot make control.tar.xz: %s", archive_error_string(a));
out:
	archive_write_free(a);
	free(ctl.s);
	return r;
}

/* One ar(5) member header, as dpkg-deb writes it. */
static int
ar_header(const struct fmt_job *job, const char *name, off_t size)
{
	char h[61];

	snprintf(h, sizeof(h), "%-16s%-12lld%-6d%-6d%-8o%-10lld`\n", name,
	    (long long)FMT_MTIME(job), 0, 0, 0100644, (long long)size);
	return writeall(job->out, h, 60);
}

static int
ar_member(const struct fmt_job *job, const char *name, const void *s,
    size_t n)
{
	if (ar_header(job, name, n) == -1 ||
	    writeall(job->out, s, n) == -1 ||
	    (n % 2 == 1 && writeall(job->out, "\n", 1) == -1))
		return -1;
	return 0;
}

static int
deb_finish(struct fmt_job *job)
{
	struct deb d;
	struct buf ctl = { NULL, 0, 0 };
	struct stat st;
	size_t i;
	int r = EXIT_RUNFAIL;

	memset(&d, 0, sizeof(d));
	if (scan(job, &d) == -1 || control_tar(job, &d, &ctl) == -1)
		goto out;
	if (fstat(job->payload, &st) == -1 ||
	    lseek(job->payload, 0, SEEK_SET) == -1) {
		warn("cannot read back the payload");
		goto out;
	}
	if (writeall(job->out, "!<arch>\n", 8) == -1 ||
	    ar_member(job, "debian-binary", "2.0\n", 4) == -1 ||
	    ar_member(job, "control.tar.xz", ctl.s, ctl.len) == -1 ||
	    ar_header(job, "data.tar.xz", st.st_size) == -1) {
		warn("cannot write '%s'", job->output);
		goto out;
	}
	if (fmt_copy(job, NULL, NULL) == -1)
		goto out;
	if (st.st_size % 2 == 1 && writeall(job->out, "\n", 1) == -1) {
		warn("cannot write '%s'", job->output);
		goto out;
	}
	r = 0;
out:
	for (i = 0; i < d.nsums; i++)
		free(d.sums[i].path);
	free(d.sums);
	free(d.md5sums.s);
	free(d.conffiles.s);
	free(ctl.s);
	return r;
}

const struct fmt_ops fmt_deb = {
	"deb", FMTF_ROOTDIR | FMTF_WHOLE | FMTF_NOXATTR | FMTF_XATTRLOSS,
	deb_check, deb_setup,
	deb_finish
};

/*
 * fmt-pkgsrc.c - the pkgsrc format: a binary package for pkg_add(1), and
 * overpack plist, which prints its packing list.
 *
 * A pkgsrc binary package (pkg_create(1)) is a gzip'd tar whose first
 * entries are the metadata, in this order: +CONTENTS (the packing list),
 * +COMMENT (one line), +DESC, +BUILD_INFO (MACHINE_ARCH, OPSYS,
 * OS_VERSION and MAINTAINER lines), +SIZE_PKG and +SIZE_ALL.  The files
 * follow, named relative to the prefix, in the order the packing list
 * names them: pkg_add reads the archive and the list in step, and any
 * entry of one missing from the other is an error.  Directories are not
 * archive entries; an empty one is "@pkgdir DIR".  Extended attributes
 * ride along as pax records, which pkg_add's libarchive extraction
 * restores.
 *
 * +SIZE_PKG is what pkgsrc's mk/pkgformat/pkg/metadata.mk computes: the
 * sizes "ls -ld" gives for the names in the list, so each hard link
 * counts and a symbolic link counts its target's length.  +SIZE_ALL
 * would add the sizes of the installed dependencies, which overpack
 * cannot know; it is the same number.
 *
 * pkg_add reads +CONTENTS line by line, strips trailing white space and
 * takes a line starting with "@" for a command (pkg_install's
 * lib/plist.c).  A name it would misread - a newline anywhere, trailing
 * white space, a leading "@", or for @pkgdir leading white space - is
 * named and no package is written (exit status 1).
 *
 * +CONTENTS holds "@name NAME-VERSION", one "@pkgdep" per --depends
 * item, "@cwd PREFIX", then per entry its path and "@comment MD5:HEX"
 * (a regular file) or "@comment Symlink:TARGET".  An entry not owned by
 * uid 0 or gid 0 is preceded by "@owner NAME" or "@group NAME" when the
 * tree names it (reset with a bare "@owner"/"@group" after it; a bare
 * one is all "@owner " would be), a file whose permissions are
 * not 0644 or 0755 by "@mode MODE" (reset likewise).  Absolute symlinks
 * into the prefix become relative.  Every entry must be below the
 * prefix: those that are not are named and no package is written (exit
 * status 1).
 */
#include "config.h"

#include <sys/utsname.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "overpack.h"
#include "exclude.h"
#include "fmt.h"
#include "pack.h"

#define DEFAULT_PREFIX	"/usr/pkg"

#define PLIST_USAGE \
	"usage: overpack plist [--prefix DIR] [--root DIR] UPPER\n"

struct ent {
	char		*name;		/* relative to the prefix; owned */
	mode_t		 mode;
	unsigned long	 uid, gid;
	char		*uname, *gname;	/* owned, may be NULL */
	char		 md5[33];
	char		*symlink;	/* target, made relative; owned */
	int		 empty;		/* a directory with nothing below */
	long long	 size;		/* as ls -ld: file size, link length */
};

struct plist {
	const char	*prefix;	/* "/usr/pkg" */
	const char	*rel;		/* "usr/pkg" */
	struct ent	*v;
	size_t		 n;
	unsigned long long bytes;	/* +SIZE_PKG */
	int		 outside;	/* entries outside the prefix */
	int		 unlisted;	/* names +CONTENTS cannot hold */
};

static char *
xstrdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * The name of archive path p below the prefix, or NULL: *skip is set for
 * the prefix itself and the directories above it, else p is outside.
 */
static const char *
below(const struct plist *pl, const char *p, int isdir, int *skip)
{
	size_t n = strlen(pl->rel), m;

	*skip = 0;
	if (strncmp(p, "./", 2) == 0)
		p += 2;
	m = strlen(p);
	if (m > 0 && p[m - 1] == '/')
		m--;
	if (strncmp(p, pl->rel, n) == 0 && p[n] == '/' && p[n + 1] != '\0')
		return p + n + 1;
	/* "usr/" or "usr/pkg/" themselves */
	if (isdir && (m == 0 || (m <= n && strncmp(p, pl->rel, m) == 0 &&
	    (pl->rel[m] == '/' || pl->rel[m] == '\0'))))
		*skip = 1;
	return NULL;
}

/*
 * An absolute symlink target inside the prefix, made relative to the
 * link's directory (both relative to the prefix); else a copy.
 */
static char *
relink(const struct plist *pl, const char *name, const char *target)
{
	size_t n = strlen(pl->prefix), i, common = 0;
	const char *t, *s;
	char *r;
	size_t cap;

	if (strncmp(target, pl->prefix, n) != 0 ||
	    (target[n] != '/' && target[n] != '\0'))
		return xstrdup(target);
	t = target + n;
	while (*t == '/')
		t++;
	/* The common leading directories of name's directory and t. */
	for (i = 0; name[i] != '\0' && name[i] == t[i]; i++)
		if (name[i] == '/')
			common = i + 1;
	cap = strlen(name) * 2 + strlen(t) + 3;
	r = xmalloc(cap);
	*r = '\0';
	for (s = name + common; (s = strchr(s, '/')) != NULL; s++)
		strcat(r, "../");
	strcat(r, t + common);
	if (*r == '\0')
		strcpy(r, ".");
	else if (r[strlen(r) - 1] == '/')
		r[strlen(r) - 1] = '\0';
	return r;
}

/*
 * Why pkg_add would misread s as a line of +CONTENTS, or NULL.  A file
 * is a whole line; an argument (dir true: of @pkgdir) follows a command.
 */
static const char *
unlistable(const char *s, int arg, int dir)
{
	size_t n = strlen(s);

	if (strchr(s, '\n') != NULL)
		return "a newline";
	if (n > 0 && isspace((unsigned char)s[n - 1]))
		return "trailing white space";
	if (!arg && s[0] == '@')
		return "a leading '@'";
	if (dir && isspace((unsigned char)s[0]))
		return "leading white space";
	return NULL;
}

/* "overpack: './PREFIX/NAME' WHAT: WHY", the name escaped. */
static void
warn_name(const struct plist *pl, const char *name, const char *what,
    const char *why)
{
	fprintf(stderr, "overpack: './%s/", pl->rel);
	fputname(name, stderr);
	fprintf(stderr, "' %s: %s\n", what, why);
}

/* Can +CONTENTS hold x?  Counts and names it when not. */
static void
check_listable(struct plist *pl, const struct ent *x)
{
	const char *why;
	int dir = S_ISDIR(x->mode);

	if (dir && !x->empty)
		return;		/* not listed */
	if ((why = unlistable(x->name, dir, dir)) != NULL)
		warn_name(pl, x->name, "cannot be named in +CONTENTS", why);
	else if (x->symlink != NULL &&
	    (why = unlistable(x->symlink, 1, 0)) != NULL)
		warn_name(pl, x->name, "has a link target +CONTENTS cannot "
		    "hold", why);
	if (why != NULL)
		pl->unlisted++;
}

static void
plist_free(struct plist *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		free(pl->v[i].name);
		free(pl->v[i].uname);
		free(pl->v[i].gname);
		free(pl->v[i].symlink);
	}
	free(pl->v);
}

/* Read the payload into pl; -1 on a read error (message printed). */
static int
scan(struct fmt_job *job, struct plist *pl)
{
	struct archive *a;
	struct archive_entry *e;
	struct ent *x;
	const char *name, *hard;
	size_t i, len;
	int r, skip, isdir, st = -1;

	pl->prefix = job->meta->prefix != NULL ? job->meta->prefix :
	    DEFAULT_PREFIX;
	pl->rel = pl->prefix + strspn(pl->prefix, "/");
	if ((a = fmt_read_open(job->payload)) == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		isdir = archive_entry_filetype(e) == AE_IFDIR;
		name = below(pl, archive_entry_pathname(e), isdir, &skip);
		if (name == NULL) {
			if (!skip) {
				warnx("'%s' is outside the prefix '%s'",
				    archive_entry_pathname(e), pl->prefix);
				pl->outside++;
			}
			continue;
		}
		pl->v = xrealloc(pl->v, (pl->n + 1) * sizeof(*pl->v));
		x = &pl->v[pl->n];
		memset(x, 0, sizeof(*x));
		x->name = xstrdup(name);
		len = strlen(x->name);
		if (len > 0 && x->name[len - 1] == '/')
			x->name[len - 1] = '\0';
		x->mode = archive_entry_mode(e);
		x->uid = archive_entry_uid(e);
		x->gid = archive_entry_gid(e);
		x->uname = xstrdup_or_null(archive_entry_uname(e));
		x->gname = xstrdup_or_null(archive_entry_gname(e));
		x->empty = isdir;
		/* A directory above this entry is not empty. */
		for (i = 0; i < pl->n; i++)
			if (pl->v[i].empty && strncmp(x->name, pl->v[i].name,
			    strlen(pl->v[i].name)) == 0 &&
			    x->name[strlen(pl->v[i].name)] == '/')
				pl->v[i].empty = 0;
		if ((hard = archive_entry_hardlink(e)) != NULL) {
			x->mode = S_IFREG | (x->mode & 07777);
			hard = below(pl, hard, 0, &skip);
			for (i = 0; hard != NULL && i < pl->n; i++)
				if (strcmp(pl->v[i].name, hard) == 0) {
					memcpy(x->md5, pl->v[i].md5, 33);
					x->size = pl->v[i].size;
				}
		} else if (archive_entry_filetype(e) == AE_IFLNK) {
			x->symlink = relink(pl, x->name,
			    archive_entry_symlink(e));
			x->size = strlen(x->symlink);
		} else if (archive_entry_filetype(e) == AE_IFREG) {
			if (fmt_md5_data(a, x->md5) == -1)
				goto bad;
			x->size = archive_entry_size(e);
		}
		pl->bytes += x->size;
		pl->n++;
	}
	if (r != ARCHIVE_EOF)
		goto bad;
	/* Only now is it known which directories are empty. */
	for (i = 0; i < pl->n; i++)
		check_listable(pl, &pl->v[i]);
	st = 0;
	goto out;
bad:
	warnx("cannot read back the payload: %s", archive_error_string(a));
out:
	archive_read_free(a);
	return st;
}

/* The packing list; with contents, +CONTENTS (else a PLIST). */
static void
write_plist(const struct plist *pl, const struct fmt_meta *m, int contents,
    FILE *fp)
{
	const struct ent *x;
	const char *s, *e;
	size_t i;
	mode_t perm;
	int owner, group;

	if (contents) {
		fprintf(fp, "@name %s-%s\n", m->name, m->version);
		for (s = m->depends; s != NULL && *s != '\0'; s = e) {
			s += strspn(s, " \t,");
			e = s + strcspn(s, ",");
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e > s)
				fprintf(fp, "@pkgdep %.*s\n", (int)(e - s), s);
			e += strcspn(e, ",");
		}
		fprintf(fp, "@cwd %s\n", pl->prefix);
	}
	for (i = 0; i < pl->n; i++) {
		x = &pl->v[i];
		if (S_ISDIR(x->mode)) {
			if (x->empty)
				fprintf(fp, "@pkgdir %s\n", x->name);
			continue;
		}
		perm = x->mode & 07777;
		owner = contents && x->uid != 0 && x->uname != NULL &&
		    *x->uname != '\0';
		group = contents && x->gid != 0 && x->gname != NULL &&
		    *x->gname != '\0';
		if (owner)
			fprintf(fp, "@owner %s\n", x->uname);
		if (group)
			fprintf(fp, "@group %s\n", x->gname);
		if (contents && S_ISREG(x->mode) && perm != 0644 &&
		    perm != 0755)
			fprintf(fp, "@mode %04o\n", (unsigned)perm);
		fprintf(fp, "%s\n", x->name);
		if (contents && x->symlink != NULL)
			fprintf(fp, "@comment Symlink:%s\n", x->symlink);
		else if (contents && S_ISREG(x->mode))
			fprintf(fp, "@comment MD5:%s\n", x->md5);
		if (contents && S_ISREG(x->mode) && perm != 0644 &&
		    perm != 0755)
			fputs("@mode\n", fp);
		if (group)
			fputs("@group\n", fp);
		if (owner)
			fputs("@owner\n", fp);
	}
}

static int
check_names(const struct fmt_meta *m, const char *format)
{
	if (meta_require(format, "name", m->name) == -1 ||
	    meta_require(format, "version", m->version) == -1 ||
	    meta_require(format, "description", m->description) == -1)
		return EXIT_USAGE;
	if (strcspn(m->name, " \t\n/") != strlen(m->name) ||
	    strcspn(m->version, " \t\n/-") != strlen(m->version)) {
		warnx("invalid name or version '%s-%s' (no blanks or '/'; no "
		    "'-' in the version)", m->name, m->version);
		return EXIT_USAGE;
	}
	if (m->prefix != NULL && (m->prefix[0] != '/' ||
	    m->prefix[1] == '\0')) {
		warnx("the prefix '%s' must be an absolute path below /",
		    m->prefix);
		return EXIT_USAGE;
	}
	return 0;
}

static int
pkgsrc_check(const struct fmt_meta *m)
{
	return check_names(m, "pkgsrc");
}

static int
pkgsrc_setup(struct archive *a)
{
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) {
		warnx("cannot set up the tar format: %s",
		    archive_error_string(a));
		return -1;
	}
	return 0;
}

static la_ssize_t
out_write(struct archive *a, void *arg, const void *s, size_t n)
{
	struct fmt_job *job = arg;

	if (writeall(job->out, s, n) == -1) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return n;
}

static int
put_meta(struct archive *a, const char *name, const char *s, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	size_t n = strlen(s);
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, n);
	r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && n > 0 &&
	    archive_write_data(a, s, n) != (la_ssize_t)n)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r;
}

/* The metadata entries, in the order pkg_add expects them. */
static int
put_metas(struct archive *a, const struct plist *pl, struct fmt_job *job)
{
	const struct fmt_meta *m = job->meta;
	struct utsname u;
	char *contents = NULL, *s;
	size_t len = 0;
	time_t mtime = FMT_MTIME(job);
	FILE *fp;
	int r;

	if ((fp = open_memstream(&contents, &len)) == NULL)
		return ARCHIVE_FATAL;
	write_plist(pl, m, 1, fp);
	fclose(fp);
	r = put_meta(a, "+CONTENTS", contents, mtime);
	free(contents);
	if (r != ARCHIVE_OK)
		return r;
	xasprintf(&s, "%.*s\n", (int)strcspn(m->description, "\n"),
	    m->description);
	r = put_meta(a, "+COMMENT", s, mtime);
	free(s);
	if (r != ARCHIVE_OK)
		return r;
	xasprintf(&s, "%s\n", m->description);
	r = put_meta(a, "+DESC", s, mtime);
	free(s);
	if (r != ARCHIVE_OK)
		return r;
	if (uname(&u) == -1)
		memset(&u, 0, sizeof(u));
	xasprintf(&s, "MACHINE_ARCH=%s\nOPSYS=%s\nOS_VERSION=%s\n%s%s%s",
	    m->arch != NULL ? m->arch : u.machine, u.sysname, u.release,
	    m->maintainer != NULL ? "MAINTAINER=" : "",
	    m->maintainer != NULL ? m->maintainer : "",
	    m->maintainer != NULL ? "\n" : "");
	r = put_meta(a, "+BUILD_INFO", s, mtime);
	free(s);
	if (r != ARCHIVE_OK)
		return r;
	xasprintf(&s, "%llu\n", pl->bytes);
	if ((r = put_meta(a, "+SIZE_PKG", s, mtime)) == ARCHIVE_OK)
		r = put_meta(a, "+SIZE_ALL", s, mtime);
	free(s);
	return r;
}

/* Copy the payload's entries below the prefix, renamed, into a. */
static int
put_files(struct archive *a, const struct plist *pl, struct fmt_job *job)
{
	struct archive *in;
	struct archive_entry *e;
	const char *name, *hard;
	char buf[65536];
	la_ssize_t k;
	size_t i = 0;
	int r, skip, st = -1;

	if (lseek(job->payload, 0, SEEK_SET) == -1) {
		warn("cannot read back the payload");
		return -1;
	}
	if ((in = fmt_read_open(job->payload)) == NULL)
		return -1;
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		name = below(pl, archive_entry_pathname(e),
		    archive_entry_filetype(e) == AE_IFDIR, &skip);
		if (name == NULL)
			continue;
		/* Same order as scan(): pl->v[i] is this entry. */
		if (S_ISDIR(pl->v[i++].mode))
			continue;
		archive_entry_copy_pathname(e, pl->v[i - 1].name);
		if (pl->v[i - 1].symlink != NULL)
			archive_entry_copy_symlink(e, pl->v[i - 1].symlink);
		if ((hard = archive_entry_hardlink(e)) != NULL &&
		    (hard = below(pl, hard, 0, &skip)) != NULL)
			archive_entry_copy_hardlink(e, hard);
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			goto bad_out;
		while ((k = archive_read_data(in, buf, sizeof(buf))) > 0)
			if (archive_write_data(a, buf, k) != k)
				goto bad_out;
		if (k < 0)
			goto bad_in;
	}
	if (r != ARCHIVE_EOF)
		goto bad_in;
	st = 0;
	goto out;
bad_in:
	warnx("cannot read back the payload: %s", archive_error_string(in));
	goto out;
bad_out:
	warnx("cannot write '%s': %s", job->output, archive_error_string(a));
out:
	archive_read_free(in);
	return st;
}

static int
pkgsrc_finish(struct fmt_job *job)
{
	struct plist pl;
	struct archive *a = NULL;
	int st = EXIT_RUNFAIL;

	memset(&pl, 0, sizeof(pl));
	if (scan(job, &pl) == -1)
		goto out;
	if (pl.outside > 0) {
		warnx("%d entr%s outside the prefix '%s'; no package written",
		    pl.outside, pl.outside == 1 ? "y is" : "ies are",
		    pl.prefix);
		st = 1;
		goto out;
	}
	if (pl.unlisted > 0) {
		warnx("%d name%s cannot be written in +CONTENTS; no package "
		    "written", pl.unlisted, pl.unlisted == 1 ? "" : "s");
		st = 1;
		goto out;
	}
	a = archive_write_new();
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) !=
	    ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, job, NULL, out_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		warnx("cannot set up tar.gz: %s", archive_error_string(a));
		goto out;
	}
	if (put_metas(a, &pl, job) != ARCHIVE_OK) {
		warnx("cannot write '%s': %s", job->output,
		    archive_error_string(a));
		goto out;
	}
	if (put_files(a, &pl, job) == -1)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		warnx("cannot write '%s': %s", job->output,
		    archive_error_string(a));
		goto out;
	}
	st = 0;
out:
	if (a != NULL)
		archive_write_free(a);
	plist_free(&pl);
	return st;
}

static int
plist_finish(struct fmt_job *job)
{
	struct plist pl;
	int st = EXIT_RUNFAIL;

	memset(&pl, 0, sizeof(pl));
	if (scan(job, &pl) == -1)
		goto out;
	if (pl.outside > 0) {
		warnx("%d entr%s outside the prefix '%s'", pl.outside,
		    pl.outside == 1 ? "y is" : "ies are", pl.prefix);
		st = 1;
		goto out;
	}
	if (pl.unlisted > 0) {
		warnx("%d name%s cannot be written in a packing list",
		    pl.unlisted, pl.unlisted == 1 ? "" : "s");
		st = 1;
		goto out;
	}
	write_plist(&pl, job->meta, 0, stdout);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("cannot write the packing list");
		goto out;
	}
	st = 0;
out:
	plist_free(&pl);
	return st;
}

const struct fmt_ops fmt_pkgsrc = {
	"pkgsrc", FMTF_WHOLE, pkgsrc_check, pkgsrc_setup,
	pkgsrc_finish
};

const struct fmt_ops fmt_plist = {
	"plist", FMTF_WHOLE | FMTF_NOXATTR | FMTF_NOOUTPUT, NULL,
	pkgsrc_setup, plist_finish
};

int
cmd_plist(int argc, char *argv[])
{
	enum { OPT_ROOT = 256, OPT_PREFIX };
	static const struct option longopts[] = {
		{ "prefix",	required_argument,	NULL, OPT_PREFIX },
		{ "root",	required_argument,	NULL, OPT_ROOT },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fmt_meta meta;
	struct excl *ex;
	const char *root = "/";
	int ch, st;

	memset(&meta, 0, sizeof(meta));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_PREFIX:
			(void)meta_set(&meta, "prefix", optarg);
			break;
		case OPT_ROOT:
			root = optarg;
			break;
		case 'h':
			fputs(PLIST_USAGE, stdout);
			meta_free(&meta);
			return 0;
		case ':':
			warnx("option '%s' needs an argument", argv[optind - 1]);
			goto usage;
		default:
			warnx("unknown option '%s'", argv[optind - 1]);
			goto usage;
		}
	}
	if (argc - optind != 1) {
		warnx("%s", argc == optind ? "no upper layer given" :
		    "too many arguments");
		goto usage;
	}
	if (meta.prefix != NULL && (meta.prefix[0] != '/' ||
	    meta.prefix[1] == '\0')) {
		warnx("the prefix '%s' must be an absolute path below /",
		    meta.prefix);
		meta_free(&meta);
		return EXIT_USAGE;
	}
	ex = excl_new(1);
	st = pack_fmt(argv[optind], root, NULL, &fmt_plist, &meta, ex);
	excl_free(ex);
	meta_free(&meta);
	return st;
usage:
	fputs(PLIST_USAGE, stderr);
	meta_free(&meta);
	return EXIT_USAGE;
}

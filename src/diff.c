/*
 * diff.c - overpack diff: what an upper layer changes in its base.
 *
 * One record per change, in walk order (bytewise by name within a
 * directory, a directory before what is in it):
 *
 *	A path			added
 *	M path [(fields)]	content changed (bytes, symlink target, device
 *				number); fields other than mtime also listed
 *	m path (fields)		metadata only: mode, owner, group, mtime,
 *				xattr, capability
 *	D path			deleted; only the top-most deleted entry
 *	T path			type changed
 *	R old -> new		directory renamed (its origin's D is implied)
 *
 * A directory is reported only when added, deleted, retyped, renamed or
 * when its mode, owners or xattrs changed: directory mtimes are ignored,
 * since a directory is copied up whenever something below it changes.  A
 * file rewritten with the same bytes and metadata is no change.  The root
 * directory itself is not compared.
 *
 * With --json the same records are a JSON array of objects
 * {"op", "path", "fields", ["from"]}; bytes of a name that are not UTF-8
 * are written as the lone surrogate \udcXX, as Python's surrogateescape
 * does, so that names round-trip.
 */
#include "config.h"

#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overpack.h"
#include "walk.h"

#define DIFF_USAGE \
	"usage: overpack diff [--json] [--exit-code] [--root DIR] UPPER\n"

static const char *const fieldnames[] = {
	"mode", "owner", "group", "mtime", "xattr", "capability"
};

struct rec {
	char		 op;
	char		*path;		/* no "./"; owned */
	char		*from;		/* R: origin; owned */
	unsigned	 fields;
};

struct diff {
	struct rec	*v;
	size_t		 n;
};

static void
add(struct diff *d, char op, const char *path, const char *from,
    unsigned fields)
{
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n].op = op;
	d->v[d->n].path = xstrdup(path);
	d->v[d->n].from = from ? xstrdup(from) : NULL;
	d->v[d->n].fields = fields;
	d->n++;
}

/* Do two open regular files hold the same bytes?  1 yes, 0 no, -1 error. */
static int
same_bytes(int fa, int fb)
{
	static char ba[65536], bb[65536];
	ssize_t na, nb, k;

	for (;;) {
		do
			na = read(fa, ba, sizeof(ba));
		while (na == -1 && errno == EINTR);
		if (na == -1)
			return -1;
		for (nb = 0; nb < na; nb += k) {
			do
				k = read(fb, bb + nb, na - nb);
			while (k == -1 && errno == EINTR);
			if (k == -1)
				return -1;
			if (k == 0)
				return 0;
		}
		if (na == 0)
			return read(fb, bb, 1) == 0;
		if (memcmp(ba, bb, na) != 0)
			return 0;
	}
}

/* Did the content change?  1 yes, 0 no, -1 error (errno). */
static int
content_changed(const struct walk_ent *we)
{
	const struct stat *u = we->up, *c = we->cmp;
	char *tu = NULL, *tc = NULL;
	ssize_t nu, nc;
	int fu = -1, fc = -1, r = -1;

	if (S_ISCHR(u->st_mode) || S_ISBLK(u->st_mode))
		return u->st_rdev != c->st_rdev;
	if (S_ISLNK(u->st_mode)) {
		if (u->st_size != c->st_size)
			return 1;
		tu = xmalloc(u->st_size + 1);
		tc = xmalloc(c->st_size + 1);
		nu = readlinkat(we->updir, we->name, tu, u->st_size + 1);
		nc = readlinkat(we->cmpdir, we->cmpname, tc, c->st_size + 1);
		if (nu != -1 && nc != -1)
			r = nu != nc || memcmp(tu, tc, nu) != 0;
		goto out;
	}
	if (!S_ISREG(u->st_mode))
		return 0;
	if (u->st_size != c->st_size)
		return 1;
	if (u->st_dev == c->st_dev && u->st_ino == c->st_ino)
		return 0;
	if (we->datadir == -1) {
		errno = EIO;	/* a metacopy without its data */
		return -1;
	}
	if ((fu = openat(we->datadir, we->dataname, O_RDONLY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC)) == -1 ||
	    (fc = openat(we->cmpdir, we->cmpname, O_RDONLY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		goto out;
	if ((r = same_bytes(fu, fc)) != -1)
		r = !r;
out:
	if (fu != -1)
		close(fu);
	if (fc != -1)
		close(fc);
	free(tu);
	free(tc);
	return r;
}

static int
diff_cb(const struct walk_ent *we, void *arg)
{
	struct diff *d = arg;
	unsigned fields;
	int c;

	if (we->deleted) {
		if (we->cmp != NULL)
			add(d, 'D', we->path, NULL, 0);
		return 0;
	}
	if (we->up == NULL)
		return 0;
	if (we->redirect != NULL)
		add(d, 'R', we->path, we->redirect, 0);
	if (we->cmp == NULL) {
		if (we->redirect == NULL)
			add(d, 'A', we->path, NULL, 0);
		return 0;
	}
	if ((we->up->st_mode & S_IFMT) != (we->cmp->st_mode & S_IFMT)) {
		add(d, 'T', we->path, NULL, 0);
		return 0;
	}
	if (walk_meta_changed(we, &fields) == -1 ||
	    (c = content_changed(we)) == -1) {
		walk_warn("compare", we->path, errno);
		return 0;
	}
	if (c)
		add(d, 'M', we->path, NULL, fields & ~F_MTIME);
	else if (fields)
		add(d, 'm', we->path, NULL, fields);
	return 0;
}

static void
json_string(const char *prefix, const char *str, FILE *fp)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fprintf(fp, "\"%s", prefix);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(fp, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", fp);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", fp);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(fp, "\\u%04x", *s++);
		} else if ((n = utf8len(s)) > 0) {
			fwrite(s, 1, n, fp);
			s += n;
		} else
			fprintf(fp, "\\udc%02x", *s++);
	}
	fputc('"', fp);
}

static void
print_fields(unsigned fields, int json, FILE *fp)
{
	const char *sep = "";
	size_t i;

	if (!json && fields == 0)
		return;
	fputs(json ? ",\"fields\":[" : " (", fp);
	for (i = 0; i < sizeof(fieldnames) / sizeof(fieldnames[0]); i++)
		if (fields & (1u << i)) {
			fprintf(fp, json ? "%s\"%s\"" : "%s%s", sep,
			    fieldnames[i]);
			sep = ",";
		}
	fputc(json ? ']' : ')', fp);
}

static void
print_rec(const struct rec *r, int json, FILE *fp)
{
	if (json) {
		fprintf(fp, "{\"op\":\"%c\",\"path\":", r->op);
		json_string("./", r->path, fp);
		print_fields(r->fields, 1, fp);
		if (r->from != NULL) {
			fputs(",\"from\":", fp);
			json_string("./", r->from, fp);
		}
		fputc('}', fp);
		return;
	}
	fprintf(fp, "%c ", r->op);
	if (r->from != NULL) {
		fputs("./", fp);
		fputname(r->from, fp);
		fputs(" -> ", fp);
	}
	fputs("./", fp);
	fputname(r->path, fp);
	print_fields(r->fields, 0, fp);
}

/* Is r the deletion of a renamed directory's origin (R says it all)? */
static int
renamed_away(const struct diff *d, const struct rec *r)
{
	size_t i;

	if (r->op != 'D')
		return 0;
	for (i = 0; i < d->n; i++)
		if (d->v[i].op == 'R' && strcmp(d->v[i].from, r->path) == 0)
			return 1;
	return 0;
}

/* Print the records; returns how many were printed. */
static size_t
print_all(const struct diff *d, int json)
{
	size_t i, n = 0;

	if (json)
		fputs("[", stdout);
	for (i = 0; i < d->n; i++) {
		if (renamed_away(d, &d->v[i]))
			continue;
		if (json)
			fputs(n ? ",\n" : "\n", stdout);
		print_rec(&d->v[i], json, stdout);
		if (!json)
			fputc('\n', stdout);
		n++;
	}
	if (json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	return n;
}

int
cmd_diff(int argc, char *argv[])
{
	enum { OPT_ROOT = 256, OPT_JSON, OPT_EXIT };
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "exit-code",	no_argument,		NULL, OPT_EXIT },
		{ "root",	required_argument,	NULL, OPT_ROOT },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct diff d = { NULL, 0 };
	const char *root = "/";
	size_t i, n;
	int ch, json = 0, exitcode = 0, upfd = -1, rootfd = -1;
	int st = EXIT_RUNFAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON:
			json = 1;
			break;
		case OPT_EXIT:
			exitcode = 1;
			break;
		case OPT_ROOT:
			root = optarg;
			break;
		case 'h':
			fputs(DIFF_USAGE, stdout);
			return 0;
		case ':':
			warnx("option '%s' needs an argument", argv[optind - 1]);
			fputs(DIFF_USAGE, stderr);
			return EXIT_USAGE;
		default:
			warnx("unknown option '%s'", argv[optind - 1]);
			fputs(DIFF_USAGE, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		warnx("%s", argc == optind ? "no upper layer given" :
		    "too many arguments");
		fputs(DIFF_USAGE, stderr);
		return EXIT_USAGE;
	}
	if ((upfd = open(argv[optind], O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		warn("cannot open upper layer '%s'", argv[optind]);
		goto out;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("cannot open root '%s'", root);
		goto out;
	}
	walk_warnings = 0;
	if (walk_layer(upfd, rootfd, WALK_DIFF, diff_cb, &d) == -1) {
		warn("cannot walk upper layer '%s'", argv[optind]);
		goto out;
	}
	n = print_all(&d, json);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("cannot write the report");
		goto out;
	}
	st = (walk_warnings || (exitcode && n > 0)) ? 1 : 0;
out:
	if (upfd != -1)
		close(upfd);
	if (rootfd != -1)
		close(rootfd);
	for (i = 0; i < d.n; i++) {
		free(d.v[i].path);
		free(d.v[i].from);
	}
	free(d.v);
	return st;
}

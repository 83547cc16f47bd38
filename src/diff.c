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
 * With -p each M line of a regular file is followed by a unified diff of
 * the base bytes (a/PATH) against the new ones (b/PATH), made by diff(1)
 * while the walk still holds the files open; its output is kept in an
 * anonymous temporary file until the records are printed, since records
 * are printed only after the walk.  Binary files (a NUL in the first
 * 8 KiB of either side) get one line with sizes and SHA-256 instead.
 *
 * With --summary a count of each kind of change and the bytes added (sizes
 * of A and M regular files) follow, per top-level entry, then in total.
 * With --color the op letters are coloured.
 *
 * With --json the report is one JSON object, schema version 1 (described
 * in overpack(1); a key is only ever added within a version):
 * {"version": 1, "changes": [RECORD...], ["summary": {...}]}.  A record
 * holds the op letter, its class word, the path, the entry's type and the
 * changed fields, plus "from" (R), "old_type" (T) and "bytes" (A and M of
 * a regular file).  Bytes of a name that are not UTF-8 are written as the
 * lone surrogate \udcXX, as Python's surrogateescape does, so that names
 * round-trip.  -p has no JSON form and is refused with --json.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "layer.h"
#include "overpack.h"
#include "walk.h"

#define DIFF_USAGE \
	"usage: overpack diff [--json] [--exit-code] [-p] [--summary]\n" \
	"\t\t[--color=WHEN] [--root DIR | --base DIR] UPPER\n"

#define DIFF_JSON_VERSION 1	/* --json schema; see overpack(1) */
#define BINARY_PROBE	8192	/* a NUL this early means binary, as in git */

static const char *const fieldnames[] = {
	"mode", "owner", "group", "mtime", "xattr", "capability"
};

/* The kinds of change: op letter and class word, in report order. */
#define OPS	"AMmDTR"
static const char *const classes[] = {
	"added", "modified", "metadata", "deleted", "retyped", "renamed"
};
#define NOPS	(sizeof(classes) / sizeof(classes[0]))

struct rec {
	char		 op;
	char		*path;		/* no "./"; owned */
	char		*from;		/* R: origin; owned */
	unsigned	 fields;
	mode_t		 type;		/* S_IFMT: now, or the deleted one's */
	mode_t		 oldtype;	/* T: the base entry's S_IFMT */
	off_t		 patchoff;	/* -p: its text in diff.patchfd */
	off_t		 patchlen;	/* 0: none */
	int		 hasbytes;	/* A, M of a regular file */
	long long	 bytes;		/* then its size */
};

struct diff {
	struct rec	*v;
	size_t		 n;
	int		 patchfd;	/* -p: anonymous temporary file, or -1 */
};

/* Append a record of op for path, whose entry is st; returns it. */
static struct rec *
add(struct diff *d, char op, const char *path, const struct stat *st)
{
	struct rec *r;

	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	r = &d->v[d->n++];
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->path = xstrdup(path);
	r->type = st->st_mode & S_IFMT;
	if (S_ISREG(st->st_mode) && (op == 'A' || op == 'M')) {
		r->hasbytes = 1;
		r->bytes = st->st_size;
	}
	return r;
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
		nu = layer_readlink(we->updir, we->name, tu, u->st_size + 1);
		nc = readlinkat(we->cmpdir, we->cmpname, tc, c->st_size + 1);
		if (nu != -1 && nc != -1)
			r = nu != nc || memcmp(tu, tc, nu) != 0;
		goto out;
	}
	if (!S_ISREG(u->st_mode))
		return 0;
	if (u->st_size != c->st_size)
		return 1;
	if (u->st_size == 0)
		return 0;	/* nothing to read, perhaps nothing readable */
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

/* Open the base (*fc) and new (*fu) bytes of a changed regular file. */
static int
open_pair(const struct walk_ent *we, int *fc, int *fu)
{
	*fc = *fu = -1;
	if ((*fc = openat(we->cmpdir, we->cmpname, O_RDONLY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC)) == -1 ||
	    (*fu = openat(we->datadir, we->dataname, O_RDONLY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

/* Does fd hold a NUL in its first BINARY_PROBE bytes?  1, 0, or -1. */
static int
is_binary(int fd)
{
	char buf[BINARY_PROBE];
	ssize_t n, got = 0;

	while (got < (ssize_t)sizeof(buf)) {
		n = pread(fd, buf + got, sizeof(buf) - got, got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return memchr(buf, '\0', got) != NULL;
}

/* The SHA-256 of all of fd, as 64 hex digits in hex[65]. */
static int
sha256_fd(int fd, char *hex)
{
	static char buf[65536];
	struct sha256 ctx;
	off_t off = 0;
	ssize_t n;

	sha256_init(&ctx);
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		sha256_update(&ctx, buf, n);
		off += n;
	}
	sha256_hex(&ctx, hex);
	return 0;
}

/*
 * Run diff -u on the open files fc and fu, its output appended to
 * patchfd.  diff reaches them as /proc/self/fd/N, so no path is rebuilt.
 * 0, or -1 with errno set (EIO when diff itself failed).
 */
static int
run_diff(const char *path, int fc, int fu, int patchfd)
{
	char *la = NULL, *lb = NULL, fa[32], fb[32];
	pid_t pid;
	int status, r = -1;

	if (xasprintf(&la, "a/%s", path) == -1 ||
	    xasprintf(&lb, "b/%s", path) == -1)
		goto out;
	snprintf(fa, sizeof(fa), "/proc/self/fd/%d", fc);
	snprintf(fb, sizeof(fb), "/proc/self/fd/%d", fu);
	fflush(stdout);		/* no buffered bytes written twice */
	fflush(stderr);
	if ((pid = fork()) == -1)
		goto out;
	if (pid == 0) {
		/* The child keeps fc and fu across exec; stdout is the patch. */
		if (dup2(patchfd, STDOUT_FILENO) == -1 ||
		    fcntl(fc, F_SETFD, 0) == -1 || fcntl(fu, F_SETFD, 0) == -1)
			_exit(126);
		execlp("diff", "diff", "-u", "--label", la, "--label", lb,
		    fa, fb, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			goto out;
	/* diff: 0 same, 1 different, 2 trouble. */
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
	    WEXITSTATUS(status) == 1))
		r = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) >= 126)
		errno = WEXITSTATUS(status) == 127 ? ENOENT : EACCES;
	else
		errno = EIO;
out:
	free(la);
	free(lb);
	return r;
}

/* Make r's -p text: a unified diff, or one line for binary files. */
static int
make_patch(struct diff *d, const struct walk_ent *we, struct rec *r)
{
	char hc[65], hu[65];
	off_t start, end;
	int fc = -1, fu = -1, bin, ret = -1;

	if ((start = lseek(d->patchfd, 0, SEEK_END)) == -1 ||
	    open_pair(we, &fc, &fu) == -1)
		goto out;
	if ((bin = is_binary(fc)) == -1 ||
	    (!bin && (bin = is_binary(fu)) == -1))
		goto out;
	if (bin) {
		if (sha256_fd(fc, hc) == -1 || sha256_fd(fu, hu) == -1)
			goto out;
		if (dprintf(d->patchfd, "Binary files differ: %lld -> %lld "
		    "bytes, sha256 %s -> %s\n", (long long)we->cmp->st_size,
		    (long long)we->up->st_size, hc, hu) < 0)
			goto out;
	} else if (run_diff(we->path, fc, fu, d->patchfd) == -1)
		goto out;
	if ((end = lseek(d->patchfd, 0, SEEK_END)) == -1)
		goto out;
	r->patchoff = start;
	r->patchlen = end - start;
	ret = 0;
out:
	if (fc != -1)
		close(fc);
	if (fu != -1)
		close(fu);
	return ret;
}

static int
diff_cb(const struct walk_ent *we, void *arg)
{
	struct diff *d = arg;
	struct rec *r;
	unsigned fields;
	int c;

	if (we->deleted) {
		if (we->cmp != NULL)
			add(d, 'D', we->path, we->cmp);
		return 0;
	}
	if (we->up == NULL)
		return 0;
	if (we->redirect != NULL)
		add(d, 'R', we->path, we->up)->from = xstrdup(we->redirect);
	if (we->cmp == NULL) {
		if (we->redirect == NULL)
			add(d, 'A', we->path, we->up);
		return 0;
	}
	if ((we->up->st_mode & S_IFMT) != (we->cmp->st_mode & S_IFMT)) {
		add(d, 'T', we->path, we->up)->oldtype =
		    we->cmp->st_mode & S_IFMT;
		return 0;
	}
	if (walk_meta_changed(we, &fields) == -1 ||
	    (c = content_changed(we)) == -1) {
		walk_warn("compare", we->path, errno);
		return 0;
	}
	if (c) {
		r = add(d, 'M', we->path, we->up);
		r->fields = fields & ~F_MTIME;
		if (d->patchfd != -1 && S_ISREG(we->up->st_mode) &&
		    make_patch(d, we, r) == -1)
			walk_warn("diff", we->path, errno);
	} else if (fields)
		add(d, 'm', we->path, we->up)->fields = fields;
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

/* The SGR colour of an op letter, or NULL. */
static const char *
op_color(char op)
{
	switch (op) {
	case 'A':
		return "\033[32m";	/* green */
	case 'M':
	case 'm':
		return "\033[33m";	/* yellow */
	case 'D':
		return "\033[31m";	/* red */
	case 'R':
	case 'T':
		return "\033[36m";	/* cyan */
	}
	return NULL;
}

/* The JSON name of an S_IFMT type. */
static const char *
type_name(mode_t type)
{
	switch (type) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "char";
	case S_IFBLK:
		return "block";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "unknown";
}

static void
print_rec(const struct rec *r, int json, int color, FILE *fp)
{
	const char *sgr;

	if (json) {
		fprintf(fp, "{\"op\":\"%c\",\"class\":\"%s\",\"path\":", r->op,
		    classes[strchr(OPS, r->op) - OPS]);
		json_string("./", r->path, fp);
		if (r->from != NULL) {
			fputs(",\"from\":", fp);
			json_string("./", r->from, fp);
		}
		fprintf(fp, ",\"type\":\"%s\"", type_name(r->type));
		if (r->op == 'T')
			fprintf(fp, ",\"old_type\":\"%s\"",
			    type_name(r->oldtype));
		print_fields(r->fields, 1, fp);
		if (r->hasbytes)
			fprintf(fp, ",\"bytes\":%lld", r->bytes);
		fputc('}', fp);
		return;
	}
	if (color && (sgr = op_color(r->op)) != NULL)
		fprintf(fp, "%s%c\033[m ", sgr, r->op);
	else
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

/* Copy r's -p text to fp. */
static int
print_patch(const struct diff *d, const struct rec *r, FILE *fp)
{
	static char buf[65536];
	off_t off = r->patchoff, left = r->patchlen;
	ssize_t k;

	while (left > 0) {
		k = pread(d->patchfd, buf, left < (off_t)sizeof(buf) ?
		    (size_t)left : sizeof(buf), off);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		fwrite(buf, 1, k, fp);
		off += k;
		left -= k;
	}
	return 0;
}

/* Print the records (with --json, the "changes" array); how many, or -1. */
static ssize_t
print_all(const struct diff *d, int json, int color)
{
	size_t i;
	ssize_t n = 0;

	if (json)
		fputs("\"changes\": [", stdout);
	for (i = 0; i < d->n; i++) {
		if (renamed_away(d, &d->v[i]))
			continue;
		if (json)
			fputs(n ? ",\n" : "\n", stdout);
		print_rec(&d->v[i], json, color, stdout);
		if (!json)
			fputc('\n', stdout);
		if (d->v[i].patchlen > 0 &&
		    print_patch(d, &d->v[i], stdout) == -1)
			return -1;
		n++;
	}
	if (json)
		fputs(n ? "\n]" : "]", stdout);
	return n;
}

/* --summary: the changes under one top-level entry, or all of them. */
struct tally {
	char		*top;		/* first component of the paths; owned */
	unsigned long	 n[NOPS];	/* by op, in the order of OPS */
	long long	 bytes;
};

static int
tally_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally *)a)->top,
	    ((const struct tally *)b)->top);
}

static void
print_tally(const struct tally *t, int json, FILE *fp)
{
	size_t k;

	for (k = 0; k < NOPS; k++)
		if (json)
			fprintf(fp, "%s\"%s\":%lu", k ? "," : "", classes[k],
			    t->n[k]);
		else
			fprintf(fp, "%s %lu %s", k ? "," : "", t->n[k],
			    classes[k]);
	if (json)
		fprintf(fp, ",\"bytes\":%lld}", t->bytes);
	else
		fprintf(fp, "; %lld bytes\n", t->bytes);
}

/*
 * Print the summary of the records print_all printed: a line per
 * top-level entry and a total, or with json the "summary" object.
 */
static void
print_summary(const struct diff *d, int json, FILE *fp)
{
	struct tally *t = NULL, all;
	size_t i, j, nt = 0, len;
	const char *p;
	int k;

	memset(&all, 0, sizeof(all));
	for (i = 0; i < d->n; i++) {
		if (renamed_away(d, &d->v[i]))
			continue;
		p = d->v[i].path;
		len = strcspn(p, "/");
		for (j = 0; j < nt; j++)
			if (strlen(t[j].top) == len &&
			    memcmp(t[j].top, p, len) == 0)
				break;
		if (j == nt) {
			t = xrealloc(t, (nt + 1) * sizeof(*t));
			memset(&t[nt], 0, sizeof(*t));
			t[nt].top = xmalloc(len + 1);
			memcpy(t[nt].top, p, len);
			t[nt].top[len] = '\0';
			nt++;
		}
		k = strchr(OPS, d->v[i].op) - OPS;
		t[j].n[k]++;
		t[j].bytes += d->v[i].bytes;
		all.n[k]++;
		all.bytes += d->v[i].bytes;
	}
	qsort(t, nt, sizeof(*t), tally_cmp);
	if (json)
		fputs("\"summary\": {\"top_level\": [", fp);
	for (j = 0; j < nt; j++) {
		if (json) {
			fputs(j ? ",\n{\"path\":" : "\n{\"path\":", fp);
			json_string("./", t[j].top, fp);
			fputc(',', fp);
		} else {
			fputs("./", fp);
			fputname(t[j].top, fp);
			fputc(':', fp);
		}
		print_tally(&t[j], json, fp);
		free(t[j].top);
	}
	free(t);
	if (json) {
		fputs(nt ? "\n],\n\"total\": {" : "],\n\"total\": {", fp);
		print_tally(&all, 1, fp);
		fputc('}', fp);
	} else if (nt > 0) {
		fputs("total:", fp);
		print_tally(&all, 0, fp);
	}
}

int
cmd_diff(int argc, char *argv[])
{
	enum { OPT_ROOT = 256, OPT_JSON, OPT_EXIT, OPT_SUMMARY, OPT_COLOR };
	FILE *tmp = NULL;
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "exit-code",	no_argument,		NULL, OPT_EXIT },
		{ "root",	required_argument,	NULL, OPT_ROOT },
		{ "base",	required_argument,	NULL, OPT_ROOT },
		{ "summary",	no_argument,		NULL, OPT_SUMMARY },
		{ "color",	required_argument,	NULL, OPT_COLOR },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct diff d = { NULL, 0, -1 };
	const char *root = "/";
	size_t i;
	ssize_t n;
	const char *nc;
	int ch, json = 0, exitcode = 0, patch = 0, summary = 0, color = -1;
	int upfd = -1, rootfd = -1, lost = 0;
	int st = EXIT_RUNFAIL;
	char *mark;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hp", longopts, NULL)) != -1) {
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
		case 'p':
			patch = 1;
			break;
		case OPT_SUMMARY:
			summary = 1;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "always") == 0)
				color = 1;
			else if (strcmp(optarg, "never") == 0)
				color = 0;
			else if (strcmp(optarg, "auto") == 0)
				color = -1;
			else {
				warnx("--color takes always, never or auto, "
				    "not '%s'", optarg);
				fputs(DIFF_USAGE, stderr);
				return EXIT_USAGE;
			}
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
	if (patch && json) {
		warnx("-p cannot be used with --json: a unified diff has no "
		    "JSON form");
		fputs(DIFF_USAGE, stderr);
		return EXIT_USAGE;
	}
	/* auto: a terminal, and no NO_COLOR (https://no-color.org). */
	if (color == -1)
		color = isatty(STDOUT_FILENO) &&
		    ((nc = getenv("NO_COLOR")) == NULL || *nc == '\0');
	if (patch) {
		if ((tmp = tmpfile()) == NULL) {
			warn("cannot make a temporary file for -p");
			goto out;
		}
		d.patchfd = fileno(tmp);
	}
	if (upper_lost(argv[optind], &mark)) {
		warnx("the upper layer '%s' was being written when the machine "
		    "went down, so it may be incomplete (remove '%s' once it "
		    "is known to be whole)", argv[optind], mark);
		free(mark);
		lost = 1;
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
	if (json)
		printf("{\"version\": %d,\n", DIFF_JSON_VERSION);
	n = print_all(&d, json, color);
	if (n != -1 && summary) {
		if (json)
			fputs(",\n", stdout);
		print_summary(&d, json, stdout);
	}
	if (n != -1 && json)
		fputs("\n}\n", stdout);
	if (n == -1 || fflush(stdout) == EOF || ferror(stdout)) {
		warn("cannot write the report");
		goto out;
	}
	st = (walk_warnings || lost || (exitcode && n > 0)) ? 1 : 0;
out:
	if (upfd != -1)
		close(upfd);
	if (rootfd != -1)
		close(rootfd);
	if (tmp != NULL)
		fclose(tmp);
	for (i = 0; i < d.n; i++) {
		free(d.v[i].path);
		free(d.v[i].from);
	}
	free(d.v);
	return st;
}

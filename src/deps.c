/*
 * deps.c - overpack deps: which packages a traced run used, which it only
 * probed for, and which it reached for in a --only view but found hidden;
 * with --declared, what was used but not declared and the reverse.  Also
 * the @pkgdep list of overpack pack --depends-from.
 *
 * Each path of the trace is reduced to its strongest operation (exec >
 * open > readlink > lookup); directories are shared by many packages and
 * never pull one in, nor do listings.  A path is mapped to its owners
 * through the dpkg database's index (dpkgdb.c).  A package is used when a
 * file of it was opened, executed or read as a link, probed when its
 * files were only looked up, hidden when a lookup found its file hidden.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "dpkgdb.h"
#include "hash.h"
#include "overpack.h"

enum { OP_NONE, OP_LOOKUP, OP_READLINK, OP_OPEN, OP_EXEC };
static const char *const opnames[] = { "-", "lookup", "readlink", "open",
    "exec" };

/* One path of the trace. */
struct tfile {
	char		*path;		/* canonical; owned */
	char		 type;
	unsigned char	 op;		/* strongest OP_* */
	unsigned char	 hidden;	/* a lookup found it hidden */
	unsigned char	 miss;		/* a lookup found nothing */
};

struct tset {
	struct tfile	*v;		/* open addressing by path */
	size_t		 size, n;
	struct dpkgdb	*db;		/* for canonical paths, or NULL */
};

/* A package of the report and the files that pulled it in. */
struct prep {
	char		*name;		/* owned */
	unsigned char	 op;		/* strongest over its files */
	unsigned char	 hidden;
	struct tfile	**files;	/* into the tset */
	size_t		 nfiles;
};

struct report {
	struct tset	 ts;
	struct prep	*pk;
	size_t		 npk;
	struct tfile	**unowned;
	size_t		 nunowned;
};

static struct tfile *
tset_get(struct tset *ts, const char *path)
{
	struct tfile *old;
	size_t i, oldsize;

	if ((ts->n + 1) * 2 > ts->size) {
		old = ts->v;
		oldsize = ts->size;
		ts->size = ts->size ? ts->size * 2 : 4096;
		ts->v = xcalloc(ts->size, sizeof(*ts->v));
		for (i = 0; i < oldsize; i++) {
			struct tfile *s;
			size_t j;

			if (old[i].path == NULL)
				continue;
			for (j = hash_str(old[i].path) & (ts->size - 1);
			    ts->v[j].path != NULL; j = (j + 1) & (ts->size - 1))
				;
			s = &ts->v[j];
			*s = old[i];
		}
		free(old);
	}
	for (i = hash_str(path) & (ts->size - 1); ts->v[i].path != NULL;
	    i = (i + 1) & (ts->size - 1))
		if (strcmp(ts->v[i].path, path) == 0)
			return &ts->v[i];
	ts->v[i].path = xstrdup(path);
	ts->n++;
	return &ts->v[i];
}

static int
add_rec(void *arg, const struct trace_rec *r)
{
	struct tset *ts = arg;
	const char *const *alias;
	struct tfile *f;
	int op;
	char *c;

	if (strcmp(r->op, "lookup") == 0)
		op = OP_LOOKUP;
	else if (strcmp(r->op, "readlink") == 0)
		op = OP_READLINK;
	else if (strcmp(r->op, "open") == 0)
		op = OP_OPEN;
	else if (strcmp(r->op, "exec") == 0)
		op = OP_EXEC;
	else if (strcmp(r->op, "hidden") == 0 || strcmp(r->op, "miss") == 0)
		op = OP_NONE;
	else
		return 0;		/* readdir, or newer than us */
	/* /lib -> usr/lib is layout: dpkg lists it as everyone's dir. */
	for (alias = dpkgdb_aliases(ts->db); *alias != NULL; alias++)
		if (strcmp(r->path, *alias) == 0)
			return 0;
	c = dpkgdb_canon(ts->db, r->path);
	f = tset_get(ts, c);
	free(c);
	if (r->type != '-')
		f->type = r->type;
	if (op > f->op)
		f->op = op;
	if (strcmp(r->op, "hidden") == 0)
		f->hidden = 1;
	else if (strcmp(r->op, "miss") == 0)
		f->miss = 1;
	return 0;
}

static struct prep *
prep_get(struct report *rp, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < rp->npk; i++)
		if (strncmp(rp->pk[i].name, name, len) == 0 &&
		    rp->pk[i].name[len] == '\0')
			return &rp->pk[i];
	rp->pk = xrealloc(rp->pk, (rp->npk + 1) * sizeof(*rp->pk));
	memset(&rp->pk[rp->npk], 0, sizeof(*rp->pk));
	rp->pk[rp->npk].name = strndup(name, len);
	if (rp->pk[rp->npk].name == NULL)
		err(EXIT_RUNFAIL, "out of memory");
	return &rp->pk[rp->npk++];
}

static int
prep_cmp(const void *a, const void *b)
{
	return strcmp(((const struct prep *)a)->name,
	    ((const struct prep *)b)->name);
}

static int
tfile_cmp(const void *a, const void *b)
{
	return strcmp((*(struct tfile *const *)a)->path,
	    (*(struct tfile *const *)b)->path);
}

/* Read the trace and map its paths to packages.  -1 with a message. */
static int
analyse(struct report *rp, const char *trace, const char *rootarg,
    struct dpkgdb **dbp)
{
	struct dpkgdb *db;
	struct tfile *f;
	struct prep *p;
	const char *own, *o;
	char *troot = NULL;
	size_t i, len, n;

	memset(rp, 0, sizeof(*rp));
	/* The root is needed before the records, for canonical paths. */
	if (trace_read(trace, &troot, NULL, NULL) == -1)
		return -1;
	if ((db = dpkgdb_open(rootarg ? rootarg : troot ? troot : "/")) ==
	    NULL) {
		free(troot);
		return -1;
	}
	free(troot);
	rp->ts.db = db;
	if (trace_read(trace, &troot, add_rec, &rp->ts) == -1) {
		free(troot);
		dpkgdb_free(db);
		return -1;
	}
	free(troot);
	if (dpkgdb_index(db) == -1) {
		warn("cannot index the dpkg database");
		dpkgdb_free(db);
		return -1;
	}
	for (i = 0; i < rp->ts.size; i++) {
		f = &rp->ts.v[i];
		if (f->path == NULL || f->type == 'd' || f->type == 0 ||
		    (f->op == OP_NONE && !f->hidden))
			continue;
		if ((own = dpkgdb_owners(db, f->path, &len)) == NULL) {
			if (f->op != OP_NONE) {
				rp->unowned = xrealloc(rp->unowned,
				    (rp->nunowned + 1) * sizeof(*rp->unowned));
				rp->unowned[rp->nunowned++] = f;
			}
			continue;
		}
		for (o = own; o < own + len; o += n + 1) {
			n = strcspn(o, ",\n");
			if (o + n > own + len)
				n = own + len - o;
			p = prep_get(rp, o, n);
			if (f->op > p->op)
				p->op = f->op;
			if (f->hidden)
				p->hidden = 1;
			p->files = xrealloc(p->files, (p->nfiles + 1) *
			    sizeof(*p->files));
			p->files[p->nfiles++] = f;
		}
	}
	qsort(rp->pk, rp->npk, sizeof(*rp->pk), prep_cmp);
	for (i = 0; i < rp->npk; i++)
		qsort(rp->pk[i].files, rp->pk[i].nfiles, sizeof(struct tfile *),
		    tfile_cmp);
	qsort(rp->unowned, rp->nunowned, sizeof(*rp->unowned), tfile_cmp);
	*dbp = db;
	return 0;
}

static void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->npk; i++) {
		free(rp->pk[i].name);
		free(rp->pk[i].files);
	}
	for (i = 0; i < rp->ts.size; i++)
		free(rp->ts.v[i].path);
	free(rp->ts.v);
	free(rp->pk);
	free(rp->unowned);
}

static int
is_used(const struct prep *p)
{
	return p->op >= OP_READLINK;
}

/* A package's section: its name, then its files (unless quiet). */
static void
print_pkg(const char *kind, const struct prep *p, int hidden, int quiet)
{
	const struct tfile *f;
	size_t i;

	printf("%s\t%s\n", kind, p->name);
	for (i = 0; !quiet && i < p->nfiles; i++) {
		f = p->files[i];
		if (hidden ? !f->hidden : f->op == OP_NONE)
			continue;
		printf("\t%s\t", hidden ? "hidden" : opnames[f->op]);
		fputname(f->path, stdout);
		putchar('\n');
	}
}

/* Mark the --declared packages; -1 if one is not installed. */
static int
mark_declared(struct dpkgdb *db, const char *list, unsigned char *mark,
    unsigned char *direct)
{
	char *s = xstrdup(list), *item, *next, *e;
	int p, ret = 0;

	for (item = s; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item += strspn(item, " \t");
		e = item + strcspn(item, " \t(:");
		*e = '\0';
		if (*item == '\0')
			continue;
		if ((p = dpkgdb_find(db, item)) == -1) {
			warnx("--declared: package '%s' is not installed",
			    item);
			ret = -1;
			continue;
		}
		mark[p] = direct[p] = 1;
	}
	free(s);
	return ret;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: overpack deps [-q] [--misses] [--root DIR] "
	    "[--declared PKG,...] TRACE\n");
}

int
cmd_deps(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "root",	required_argument,	NULL, 'R' },
		{ "declared",	required_argument,	NULL, 'D' },
		{ "misses",	no_argument,		NULL, 'M' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char *root = NULL, *declared = NULL;
	struct report rp;
	struct dpkgdb *db;
	unsigned char *mark = NULL, *direct = NULL;
	size_t i, n;
	int ch, quiet = 0, misses = 0, p, st = EXIT_RUNFAIL, any;


	argv[0] = (char *)"overpack deps";
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'R':
			root = optarg;
			break;
		case 'D':
			declared = optarg;
			break;
		case 'M':
			misses = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		warnx("deps: %s", argc == 0 ? "no trace given" :
		    "too many arguments");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (analyse(&rp, argv[0], root, &db) == -1)
		return EXIT_RUNFAIL;
	n = dpkgdb_count(db);
	if (declared != NULL) {
		mark = xcalloc(n + 1, 1);
		direct = xcalloc(n + 1, 1);
		if (mark_declared(db, declared, mark, direct) == -1) {
			st = EXIT_USAGE;
			goto out;
		}
		/* What the declared need comes with them; so does the
		   Essential set, which needs no declaring. */
		dpkgdb_mark_essential(db, mark);
		dpkgdb_close(db, mark);
	}
	for (i = 0; i < rp.npk; i++)
		if (is_used(&rp.pk[i]))
			print_pkg("used", &rp.pk[i], 0, quiet);
	for (i = 0; i < rp.npk; i++)
		if (rp.pk[i].op == OP_LOOKUP)
			print_pkg("probed", &rp.pk[i], 0, quiet);
	for (i = 0; i < rp.npk; i++)
		if (rp.pk[i].hidden)
			print_pkg("hidden", &rp.pk[i], 1, quiet);
	if (declared != NULL) {
		for (i = 0; i < rp.npk; i++)
			if (is_used(&rp.pk[i]) &&
			    ((p = dpkgdb_find(db, rp.pk[i].name)) == -1 ||
			    !mark[p]))
				printf("undeclared\t%s\n", rp.pk[i].name);
		for (i = 0; i < n; i++) {
			if (!direct[i] || (i > 0 && direct[i - 1] &&
			    strcmp(dpkgdb_name(db, i),
			    dpkgdb_name(db, i - 1)) == 0))
				continue;
			for (any = 0, p = 0; (size_t)p < rp.npk; p++)
				if (strcmp(rp.pk[p].name,
				    dpkgdb_name(db, i)) == 0 &&
				    rp.pk[p].op != OP_NONE)
					any = 1;
			if (!any)
				printf("unused\t%s\n", dpkgdb_name(db, i));
		}
	}
	if (!quiet && rp.nunowned > 0) {
		printf("unowned\n");
		for (i = 0; i < rp.nunowned; i++) {
			printf("\t%s\t", opnames[rp.unowned[i]->op]);
			fputname(rp.unowned[i]->path, stdout);
			putchar('\n');
		}
	}
	if (misses) {
		struct tfile **mv = NULL;
		size_t nm = 0;

		for (i = 0; i < rp.ts.size; i++)
			if (rp.ts.v[i].path != NULL && rp.ts.v[i].miss &&
			    rp.ts.v[i].op == OP_NONE) {
				mv = xrealloc(mv, (nm + 1) * sizeof(*mv));
				mv[nm++] = &rp.ts.v[i];
			}
		qsort(mv, nm, sizeof(*mv), tfile_cmp);
		if (nm > 0)
			printf("missing\n");
		for (i = 0; i < nm; i++) {
			printf("\tmiss\t");
			fputname(mv[i]->path, stdout);
			putchar('\n');
		}
		free(mv);
	}
	st = fflush(stdout) == 0 ? 0 : EXIT_RUNFAIL;
out:
	free(mark);
	free(direct);
	report_free(&rp);
	dpkgdb_free(db);
	return st;
}

char *
deps_pkgdeps(const char *trace, const char *root)
{
	struct report rp;
	struct dpkgdb *db;
	char *s = NULL, *t;
	size_t i;

	if (analyse(&rp, trace, root, &db) == -1)
		return NULL;
	for (i = 0; i < rp.npk; i++) {
		if (!is_used(&rp.pk[i]))
			continue;
		xasprintf(&t, "%s%s%s-[0-9]*", s ? s : "", s ? "," : "",
		    rp.pk[i].name);
		free(s);
		s = t;
	}
	report_free(&rp);
	dpkgdb_free(db);
	return s ? s : xstrdup("");
}

/*
 * dpkgdb.c - the dpkg database of a base root, read-only (see dpkgdb.h).
 *
 * The status file gives the installed packages: name, architecture,
 * Essential, Depends and Pre-Depends, Provides.  A package's files come
 * from info/NAME:ARCH.list or info/NAME.list, with diversions applied: a
 * path another package diverted is the diverted-to path for every
 * package but the diverting one, as dpkg itself installs it.
 *
 * The owner index is a text file of "PATH<TAB>OWNER[,OWNER...]" lines,
 * sorted by path, searched in place by bisection (mmap), so using it costs
 * nothing up front.  It is cached under a directory named in overpack(1)
 * and keyed by a header line holding the root and the modification times
 * of info/, status and diversions; any change to the database makes the
 * next run rebuild it.  When the cache cannot be written, the index is
 * built in memory for the one run.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpkgdb.h"
#include "hash.h"
#include "overpack.h"

#define INDEX_MAGIC	"overpack-dpkg-index 1"

struct pkg {
	char		*name;		/* without ":arch"; owned */
	char		*arch;		/* owned, or NULL */
	char		*deps;		/* Pre-Depends, Depends; owned */
	char		*provides;	/* owned, or NULL */
	int		 essential;
	int		 next;		/* next of the same name, or -1 */
};

struct divert {
	char		*from, *to, *by;	/* canonical; owned */
};

struct dpkgdb {
	char		*root;		/* "" for "/"; owned */
	struct pkg	*pkgs;
	size_t		 n;
	int		*hash;		/* name -> first pkg, -1 empty */
	size_t		 hsize;
	struct divert	*div;		/* sorted by from */
	size_t		 ndiv;
	char		**alias;	/* "/bin", NULL-terminated; owned */
	char		**aliasto;	/* "/usr/bin"; owned */
	size_t		 nalias;

	char		*idx;		/* the index file's bytes */
	size_t		 idxlen;
	int		 idxmapped;	/* munmap, else free */
	size_t		 idxstart;	/* after the header line */
};

/* Read a whole file below the root; NULL with errno set. */
static char *
slurp(struct dpkgdb *db, const char *rel, size_t *lenp)
{
	char *path, *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	xasprintf(&path, "%s/%s", db->root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return NULL;
	for (;;) {
		if (len + 65536 + 1 > cap)
			buf = xrealloc(buf, cap = cap ? cap * 2 : 262144);
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			n = errno;
			free(buf);
			close(fd);
			errno = n;
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int
dpkgdb_find(struct dpkgdb *db, const char *name)
{
	size_t len = strcspn(name, ":"), i;
	int p;

	for (i = hash_add(HASH_INIT, name, len) & (db->hsize - 1);
	    (p = db->hash[i]) != -1; i = (i + 1) & (db->hsize - 1))
		if (strncmp(db->pkgs[p].name, name, len) == 0 &&
		    db->pkgs[p].name[len] == '\0')
			return p;
	return -1;
}

const char *
dpkgdb_name(struct dpkgdb *db, int pkg)
{
	return db->pkgs[pkg].name;
}

size_t
dpkgdb_count(struct dpkgdb *db)
{
	return db->n;
}

static void
hash_pkgs(struct dpkgdb *db)
{
	size_t i, j;
	int p;

	for (db->hsize = 1024; db->hsize < db->n * 2; db->hsize *= 2)
		;
	db->hash = xmalloc(db->hsize * sizeof(*db->hash));
	for (i = 0; i < db->hsize; i++)
		db->hash[i] = -1;
	for (i = 0; i < db->n; i++) {
		db->pkgs[i].next = -1;
		if ((p = dpkgdb_find(db, db->pkgs[i].name)) != -1) {
			/* Another architecture of a known name: chain it. */
			while (db->pkgs[p].next != -1)
				p = db->pkgs[p].next;
			db->pkgs[p].next = i;
			continue;
		}
		for (j = hash_add(HASH_INIT, db->pkgs[i].name, strlen(db->pkgs[i].name)) &
		    (db->hsize - 1); db->hash[j] != -1; j = (j + 1) &
		    (db->hsize - 1))
			;
		db->hash[j] = i;
	}
}

/* Is the Status field's last word an installed state? */
static int
installed(const char *status)
{
	const char *w = strrchr(status, ' ');

	w = w ? w + 1 : status;
	return strcmp(w, "not-installed") != 0 &&
	    strcmp(w, "config-files") != 0;
}

static void
append(char **dst, const char *val)
{
	char *s;

	if (*dst == NULL) {
		*dst = xstrdup(val);
		return;
	}
	xasprintf(&s, "%s, %s", *dst, val);
	free(*dst);
	*dst = s;
}

static int
parse_status(struct dpkgdb *db)
{
	struct pkg cur;
	char *buf, *line, *next, *val, *status = NULL, **field = NULL;
	size_t cap = 0;
	int end;

	if ((buf = slurp(db, "var/lib/dpkg/status", NULL)) == NULL) {
		warn("cannot read '%s/var/lib/dpkg/status'", db->root);
		return -1;
	}
	memset(&cur, 0, sizeof(cur));
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		end = *line == '\0' || next == NULL;
		if (!end && (*line == ' ' || *line == '\t')) {
			/* A continuation: only lists of ours care. */
			if (field != NULL && *field != NULL) {
				xasprintf(&val, "%s %s", *field, line + 1);
				free(*field);
				*field = val;
			}
			continue;
		}
		if (!end) {
			field = NULL;
			if ((val = strchr(line, ':')) == NULL)
				continue;
			*val++ = '\0';
			val += strspn(val, " \t");
			if (strcmp(line, "Package") == 0)
				field = &cur.name;
			else if (strcmp(line, "Architecture") == 0)
				field = &cur.arch;
			else if (strcmp(line, "Depends") == 0 ||
			    strcmp(line, "Pre-Depends") == 0) {
				append(&cur.deps, val);
				field = NULL;
				continue;
			} else if (strcmp(line, "Provides") == 0)
				field = &cur.provides;
			else if (strcmp(line, "Status") == 0)
				field = &status;
			else if (strcmp(line, "Essential") == 0)
				cur.essential = strcmp(val, "yes") == 0;
			if (field != NULL) {
				free(*field);
				*field = xstrdup(val);
			}
			continue;
		}
		/* End of a paragraph. */
		if (cur.name != NULL && status != NULL && installed(status)) {
			if (db->n == cap)
				db->pkgs = xrealloc(db->pkgs,
				    (cap = cap ? cap * 2 : 1024) *
				    sizeof(*db->pkgs));
			db->pkgs[db->n++] = cur;
		} else {
			free(cur.name);
			free(cur.arch);
			free(cur.deps);
			free(cur.provides);
		}
		free(status);
		status = NULL;
		memset(&cur, 0, sizeof(cur));
		field = NULL;
	}
	free(buf);
	hash_pkgs(db);
	return 0;
}

/*
 * The top-level symlinks of the root that lead to directories inside it:
 * usrmerge's /bin -> usr/bin and the like.
 */
static void
find_aliases(struct dpkgdb *db)
{
	struct dirent *de;
	struct stat st;
	char target[PATH_MAX], *to, *p;
	ssize_t n;
	DIR *d;
	int fd;

	db->alias = xcalloc(1, sizeof(*db->alias));
	if ((fd = open(*db->root ? db->root : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		n = readlinkat(dirfd(d), de->d_name, target,
		    sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		for (p = target; *p == '/'; p++)
			;
		while (strncmp(p, "./", 2) == 0)
			p += 2;
		if (*p == '\0' || strstr(p, "..") != NULL ||
		    fstatat(dirfd(d), p, &st, 0) == -1 || !S_ISDIR(st.st_mode))
			continue;
		xasprintf(&to, "/%s", p);
		for (n = strlen(to); n > 1 && to[n - 1] == '/'; n--)
			to[n - 1] = '\0';
		db->alias = xrealloc(db->alias, (db->nalias + 2) *
		    sizeof(*db->alias));
		db->aliasto = xrealloc(db->aliasto, (db->nalias + 1) *
		    sizeof(*db->aliasto));
		xasprintf(&db->alias[db->nalias], "/%s", de->d_name);
		db->aliasto[db->nalias++] = to;
		db->alias[db->nalias] = NULL;
	}
	closedir(d);
}

char *
dpkgdb_canon(struct dpkgdb *db, const char *path)
{
	char *s;
	size_t i, len;

	for (i = 0; i < db->nalias; i++) {
		len = strlen(db->alias[i]);
		if (strncmp(path, db->alias[i], len) == 0 && path[len] == '/') {
			xasprintf(&s, "%s%s", db->aliasto[i], path + len);
			return s;
		}
	}
	return xstrdup(path);
}

const char *const *
dpkgdb_aliases(struct dpkgdb *db)
{
	return (const char *const *)db->alias;
}

static int
div_cmp(const void *a, const void *b)
{
	return strcmp(((const struct divert *)a)->from,
	    ((const struct divert *)b)->from);
}

/* Triplets of lines: the path, where it went, the diverting package. */
static void
parse_diversions(struct dpkgdb *db)
{
	char *buf, *l[3], *p;
	int i;

	if ((buf = slurp(db, "var/lib/dpkg/diversions", NULL)) == NULL)
		return;
	for (p = buf; *p != '\0'; ) {
		for (i = 0; i < 3; i++) {
			l[i] = p;
			if ((p = strchr(p, '\n')) == NULL) {
				p = l[i] + strlen(l[i]);
				break;
			}
			*p++ = '\0';
		}
		if (i < 3)
			break;
		db->div = xrealloc(db->div, (db->ndiv + 1) * sizeof(*db->div));
		db->div[db->ndiv].from = dpkgdb_canon(db, l[0]);
		db->div[db->ndiv].to = dpkgdb_canon(db, l[1]);
		db->div[db->ndiv++].by = xstrdup(l[2]);
	}
	free(buf);
	qsort(db->div, db->ndiv, sizeof(*db->div), div_cmp);
}

struct dpkgdb *
dpkgdb_open(const char *root)
{
	struct dpkgdb *db = xcalloc(1, sizeof(*db));
	size_t len;

	db->root = xstrdup(root);
	len = strlen(db->root);
	while (len > 0 && db->root[len - 1] == '/')
		db->root[--len] = '\0';
	find_aliases(db);
	if (parse_status(db) == -1) {
		dpkgdb_free(db);
		return NULL;
	}
	parse_diversions(db);
	return db;
}

void
dpkgdb_free(struct dpkgdb *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++) {
		free(db->pkgs[i].name);
		free(db->pkgs[i].arch);
		free(db->pkgs[i].deps);
		free(db->pkgs[i].provides);
	}
	for (i = 0; i < db->ndiv; i++) {
		free(db->div[i].from);
		free(db->div[i].to);
		free(db->div[i].by);
	}
	for (i = 0; i < db->nalias; i++) {
		free(db->alias[i]);
		free(db->aliasto[i]);
	}
	if (db->idxmapped)
		munmap(db->idx, db->idxlen);
	else
		free(db->idx);
	free(db->alias);
	free(db->aliasto);
	free(db->div);
	free(db->hash);
	free(db->pkgs);
	free(db->root);
	free(db);
}

void
dpkgdb_mark_essential(struct dpkgdb *db, unsigned char *mark)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (db->pkgs[i].essential)
			mark[i] = 1;
}

/* Does name[0..len) appear in a Provides list (versions ignored)? */
static int
provides(const char *list, const char *name, size_t len)
{
	const char *s = list, *e;

	while (s != NULL && *s != '\0') {
		s += strspn(s, " \t,");
		e = s + strcspn(s, " \t,(:");
		if ((size_t)(e - s) == len && strncmp(s, name, len) == 0)
			return 1;
		s += strcspn(s, ",");
	}
	return 0;
}

/* Mark every architecture of p; push those not yet marked on q. */
static void
mark_pkg(struct dpkgdb *db, int p, unsigned char *mark, int *q, size_t *nq)
{
	for (; p != -1; p = db->pkgs[p].next)
		if (!mark[p]) {
			mark[p] = 1;
			q[(*nq)++] = p;
		}
}

/* Resolve one alternative: a real package or its providers.  1 if any. */
static int
resolve(struct dpkgdb *db, const char *name, size_t len, unsigned char *mark,
    int *q, size_t *nq)
{
	char buf[256];
	size_t i;
	int p, found = 0;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if ((p = dpkgdb_find(db, buf)) != -1) {
		mark_pkg(db, p, mark, q, nq);
		return 1;
	}
	for (i = 0; i < db->n; i++)
		if (db->pkgs[i].provides != NULL &&
		    provides(db->pkgs[i].provides, name, len)) {
			mark_pkg(db, i, mark, q, nq);
			found = 1;
		}
	return found;
}

void
dpkgdb_close(struct dpkgdb *db, unsigned char *mark)
{
	const char *s, *alt, *e;
	size_t nq = 0, i;
	int *q, p;

	q = xmalloc((db->n + 1) * sizeof(*q));
	for (i = 0; i < db->n; i++)
		if (mark[i])
			q[nq++] = i;
	while (nq > 0) {
		p = q[--nq];
		/* "a (>= 1) | b:any, c": groups by ',', choices by '|'. */
		for (s = db->pkgs[p].deps; s != NULL && *s != '\0'; ) {
			e = s + strcspn(s, ",");
			for (alt = s; alt < e; ) {
				const char *ae, *ne;

				alt += strspn(alt, " \t|");
				ae = alt + strcspn(alt, "|,");
				if (ae > e)
					ae = e;
				ne = alt + strcspn(alt, " \t(:[<|,");
				if (ne > ae)
					ne = ae;
				if (resolve(db, alt, ne - alt, mark, q, &nq))
					break;
				alt = ae;
			}
			s = *e ? e + 1 : e;
		}
	}
	free(q);
}

/* The diversion of a path listed by pkg: where the file really is. */
static const char *
divert(struct dpkgdb *db, const char *path, const char *pkg)
{
	struct divert key, *d;

	if (db->ndiv == 0)
		return path;
	key.from = (char *)path;
	d = bsearch(&key, db->div, db->ndiv, sizeof(*db->div), div_cmp);
	if (d == NULL || strcmp(d->by, pkg) == 0)
		return path;
	return d->to;
}

int
dpkgdb_files(struct dpkgdb *db, int pkg, int (*fn)(void *, const char *),
    void *arg)
{
	const struct pkg *pk = &db->pkgs[pkg];
	char *rel, *buf = NULL, *line, *next, *c;
	int ret = 0;

	if (pk->arch != NULL) {
		xasprintf(&rel, "var/lib/dpkg/info/%s:%s.list", pk->name,
		    pk->arch);
		buf = slurp(db, rel, NULL);
		free(rel);
	}
	if (buf == NULL) {
		xasprintf(&rel, "var/lib/dpkg/info/%s.list", pk->name);
		buf = slurp(db, rel, NULL);
		free(rel);
	}
	if (buf == NULL)
		return -1;
	for (line = buf; *line != '\0' && ret == 0; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line != '/' || strcmp(line, "/.") == 0)
			continue;
		c = dpkgdb_canon(db, line);
		ret = fn(arg, divert(db, c, pk->name));
		free(c);
	}
	free(buf);
	return ret;
}

/* One link of an alternative: name in /etc/alternatives, path. */
static void
alt_link(struct dpkgdb *db, const char *name, const char *link,
    void (*fn)(void *, const char *, const char *), void *arg)
{
	char *p, target[PATH_MAX], *cl, *ct;
	ssize_t n;

	xasprintf(&p, "%s/etc/alternatives/%s", db->root, name);
	n = readlink(p, target, sizeof(target) - 1);
	free(p);
	if (n <= 0 || target[0] != '/')
		return;
	target[n] = '\0';
	cl = dpkgdb_canon(db, link);
	ct = dpkgdb_canon(db, target);
	fn(arg, cl, ct);
	free(cl);
	free(ct);
}

void
dpkgdb_alternatives(struct dpkgdb *db,
    void (*fn)(void *, const char *, const char *), void *arg)
{
	struct dirent *de;
	char *dir, *rel, *buf, *l[2], *p;
	DIR *d;
	int i;

	xasprintf(&dir, "%s/var/lib/dpkg/alternatives", db->root);
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&rel, "var/lib/dpkg/alternatives/%s", de->d_name);
		buf = slurp(db, rel, NULL);
		free(rel);
		if (buf == NULL)
			continue;
		/* The mode, the master link, then slave name/link pairs
		   up to an empty line. */
		if ((p = strchr(buf, '\n')) == NULL) {
			free(buf);
			continue;
		}
		l[0] = de->d_name;
		for (i = 1, p++; *p != '\0' && *p != '\n'; i ^= 1) {
			l[i] = p;
			if ((p = strchr(p, '\n')) == NULL)
				break;
			*p++ = '\0';
			if (i == 1)
				alt_link(db, l[0], l[1], fn, arg);
		}
		free(buf);
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */
/* The owner index                                                    */
/* ------------------------------------------------------------------ */

struct pair {
	char		*path;		/* owned */
	const char	*owner;		/* a package's name */
};

struct pairs {
	struct pair	*v;
	size_t		 n, cap;
	const char	*owner;
};

static int
add_pair(void *arg, const char *path)
{
	struct pairs *ps = arg;

	if (ps->n == ps->cap)
		ps->v = xrealloc(ps->v, (ps->cap = ps->cap ? ps->cap * 2 :
		    65536) * sizeof(*ps->v));
	ps->v[ps->n].path = xstrdup(path);
	ps->v[ps->n++].owner = ps->owner;
	return 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c;

	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	return strcmp(x->owner, y->owner);
}

/* The index's text, header first. */
static char *
build_index(struct dpkgdb *db, const char *header, size_t *lenp)
{
	struct pairs ps = { 0 };
	char *buf;
	size_t i, len, cap, hl = strlen(header);

	for (i = 0; i < db->n; i++) {
		ps.owner = db->pkgs[i].name;
		(void)dpkgdb_files(db, i, add_pair, &ps);
	}
	qsort(ps.v, ps.n, sizeof(*ps.v), pair_cmp);
	cap = hl + 1;
	for (i = 0; i < ps.n; i++)
		cap += strlen(ps.v[i].path) + strlen(ps.v[i].owner) + 2;
	buf = xmalloc(cap + 1);
	memcpy(buf, header, hl);
	len = hl;
	for (i = 0; i < ps.n; i++) {
		if (i > 0 && strcmp(ps.v[i].path, ps.v[i - 1].path) == 0) {
			if (strcmp(ps.v[i].owner, ps.v[i - 1].owner) != 0) {
				buf[len - 1] = ',';	/* over the '\n' */
				len += sprintf(buf + len, "%s\n",
				    ps.v[i].owner);
			}
			continue;
		}
		/* A path with a tab or newline cannot be a key: skip it. */
		if (strpbrk(ps.v[i].path, "\t\n") != NULL)
			continue;
		len += sprintf(buf + len, "%s\t%s\n", ps.v[i].path,
		    ps.v[i].owner);
	}
	for (i = 0; i < ps.n; i++)
		free(ps.v[i].path);
	free(ps.v);
	*lenp = len;
	return buf;
}

static void
stamp(struct dpkgdb *db, const char *rel, char *out, size_t outlen)
{
	struct stat st;
	char *p;

	xasprintf(&p, "%s/%s", db->root, rel);
	if (stat(p, &st) == -1)
		memset(&st, 0, sizeof(st));
	free(p);
	snprintf(out, outlen, "%lld.%09ld:%lld", (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec, (long long)st.st_size);
}

/* Where the index is cached (the caller frees it), or NULL. */
static char *
cache_dir(void)
{
	const char *e;
	char *d;

	if ((e = getenv("OVERPACK_CACHE")) != NULL && *e != '\0')
		return xstrdup(e);
	if ((e = getenv("XDG_CACHE_HOME")) != NULL && *e == '/') {
		xasprintf(&d, "%s/overpack", e);
		return d;
	}
	if (geteuid() == 0)
		return xstrdup("/var/cache/overpack");
	if ((e = getenv("HOME")) != NULL && *e == '/') {
		xasprintf(&d, "%s/.cache/overpack", e);
		return d;
	}
	return NULL;
}

/* Map the cached index if its header is the one wanted. */
static int
load_cache(struct dpkgdb *db, const char *path, const char *header)
{
	struct stat st;
	size_t hl = strlen(header);
	char *m;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size < hl) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	if (memcmp(m, header, hl) != 0) {
		munmap(m, st.st_size);
		return -1;
	}
	db->idx = m;
	db->idxlen = st.st_size;
	db->idxmapped = 1;
	db->idxstart = hl;
	return 0;
}

/* Write the index to the cache, atomically; failures are not errors. */
static void
save_cache(const char *dir, const char *path, const char *buf, size_t len)
{
	char *tmp;
	int fd;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return;
	xasprintf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		free(tmp);
		return;
	}
	if (writeall(fd, buf, len) == -1 || fchmod(fd, 0644) == -1 ||
	    close(fd) == -1 || rename(tmp, path) == -1)
		unlink(tmp);
	free(tmp);
}

int
dpkgdb_index(struct dpkgdb *db)
{
	char header[PATH_MAX + 256], st[3][64], *dir, *path = NULL;
	size_t len;

	if (db->idx != NULL)
		return 0;
	stamp(db, "var/lib/dpkg/info", st[0], sizeof(st[0]));
	stamp(db, "var/lib/dpkg/status", st[1], sizeof(st[1]));
	stamp(db, "var/lib/dpkg/diversions", st[2], sizeof(st[2]));
	snprintf(header, sizeof(header), "%s %s %s %s %s\n", INDEX_MAGIC,
	    *db->root ? db->root : "/", st[0], st[1], st[2]);
	if ((dir = cache_dir()) != NULL) {
		xasprintf(&path, "%s/dpkg-index-%016llx", dir,
		    (unsigned long long)hash_add(HASH_INIT, db->root, strlen(db->root)));
		if (load_cache(db, path, header) == 0) {
			free(path);
			free(dir);
			return 0;
		}
	}
	db->idx = build_index(db, header, &len);
	db->idxlen = len;
	db->idxstart = strlen(header);
	if (dir != NULL)
		save_cache(dir, path, db->idx, len);
	free(path);
	free(dir);
	return 0;
}

/* Compare key with the path that starts the line at l. */
static int
line_cmp(const char *key, const char *l, const char *end)
{
	unsigned char a, b;

	for (;; key++, l++) {
		a = *key;
		b = l < end && *l != '\t' && *l != '\n' ? *l : 0;
		if (a != b)
			return a < b ? -1 : 1;
		if (a == 0)
			return 0;
	}
}

const char *
dpkgdb_owners(struct dpkgdb *db, const char *path, size_t *lenp)
{
	const char *buf = db->idx, *end = db->idx + db->idxlen, *l, *o;
	size_t lo = db->idxstart, hi = db->idxlen, mid;
	int c;

	if (buf == NULL)
		return NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		while (mid > lo && buf[mid - 1] != '\n')
			mid--;
		l = buf + mid;
		if ((c = line_cmp(path, l, end)) == 0) {
			o = memchr(l, '\t', end - l);
			if (o == NULL)
				return NULL;
			o++;
			*lenp = strcspn(o, "\n");
			return o;
		}
		if (c < 0)
			hi = mid;
		else {
			l = memchr(l, '\n', end - l);
			lo = l ? (size_t)(l - buf) + 1 : hi;
		}
	}
	return NULL;
}

/*
 * walk.c - the merged walk of an upper layer over its base (see walk.h).
 *
 * Each directory of the walk is a frame of three directory fds: the upper
 * directory, the lower directory merged with it (the base directory at the
 * same path, or the origin of a redirect, or none below an opaque
 * directory) and the base directory entries are compared with.  Everything
 * is opened relative to these fds with O_NOFOLLOW, so paths are only built
 * for messages and for the callback, on the heap, never truncated.  A frame
 * holds its fds while its children are walked: the depth is bounded by the
 * number of open files (three per level), which cmd_pack and cmd_diff raise
 * to the hard limit; past it a directory is warned about and skipped.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer.h"
#include "overpack.h"
#include "tree.h"
#include "walk.h"

unsigned long walk_warnings;

struct frame {
	int		 up;	/* upper dir fd, or -1; owned */
	int		 low;	/* lower dir fd merged in, or -1; owned */
	int		 cmp;	/* base dir fd compared with, or -1; owned */
	char		*path;	/* merged path, "" for the root; owned */
	char		*lpath;	/* base path of low; owned */
	int		 moved;	/* low reached through a redirect */
};

struct walk {
	int		 rootfd;
	enum walk_mode	 mode;
	walk_fn		 fn;
	void		*arg;
	int		 records;	/* owners kept as records */
	uid_t		 diskuid;	/* records: the upper root's owner */
	gid_t		 diskgid;	/*   on disk, which stands for 0 */
};

struct names {
	char		**v;
	size_t		 n, cap;
};

static int	walk_dir(struct walk *, struct frame *);

void
walk_warn(const char *what, const char *path, int errnum)
{
	fflush(stdout);
	fprintf(stderr, "overpack: cannot %s './", what);
	fputname(path, stderr);
	fprintf(stderr, "': %s\n", strerror(errnum));
	walk_warnings++;
}

static void
frame_free(struct frame *f)
{
	if (f->up != -1)
		close(f->up);
	if (f->low != -1)
		close(f->low);
	if (f->cmp != -1)
		close(f->cmp);
	free(f->path);
	free(f->lpath);
}

static char *
joinpath(const char *dir, const char *name)
{
	char *p;

	xasprintf(&p, "%s%s%s", dir, *dir ? "/" : "", name);
	return p;
}

static int
opendirat(int dirfd, const char *name)
{
	return openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* 1 present, 0 absent (or no directory to look in), -1 error. */
static int
statat(int dirfd, const char *name, struct stat *st)
{
	if (dirfd == -1)
		return 0;
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return -1;
}

static int
samedir(int a, int b)
{
	struct stat sa, sb;

	if (a == -1 || b == -1)
		return a == b;
	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Add the names in directory fd to nm; "." and ".." are left out. */
static int
names_read(struct names *nm, int fd)
{
	DIR *d;
	struct dirent *de;
	int dfd, saved;

	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (nm->n == nm->cap) {
			nm->cap = nm->cap ? nm->cap * 2 : 32;
			nm->v = xrealloc(nm->v, nm->cap * sizeof(*nm->v));
		}
		nm->v[nm->n++] = xstrdup(de->d_name);
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return saved ? -1 : 0;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_sort(struct names *nm)
{
	size_t i, j;

	if (nm->n == 0)
		return;
	qsort(nm->v, nm->n, sizeof(*nm->v), namecmp);
	for (i = 1, j = 0; i < nm->n; i++) {
		if (strcmp(nm->v[i], nm->v[j]) == 0)
			free(nm->v[i]);
		else
			nm->v[++j] = nm->v[i];
	}
	nm->n = j + 1;
}

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

/*
 * Open the origin of a redirected directory: an absolute path from the
 * base root, walked one component at a time without following symlinks,
 * or a bare name in the parent's lower directory.  Sets *lpath.
 */
static int
open_redirect(struct walk *w, struct frame *f, const char *val,
    char **lpath)
{
	char *copy, *tok, *save, *s;
	int fd, nfd, saved;

	*lpath = NULL;
	if (*val != '/') {
		if (strchr(val, '/') != NULL || strcmp(val, "..") == 0 ||
		    strcmp(val, ".") == 0) {
			errno = EINVAL;
			return -1;
		}
		if (f->low == -1) {
			errno = ENOENT;
			return -1;
		}
		if ((fd = opendirat(f->low, val)) == -1)
			return -1;
		*lpath = joinpath(f->lpath, val);
		return fd;
	}
	if ((fd = openat(w->rootfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	copy = xstrdup(val);
	*lpath = xstrdup("");
	for (s = copy; (tok = strtok_r(s, "/", &save)) != NULL; s = NULL) {
		if (strcmp(tok, "..") == 0 || strcmp(tok, ".") == 0) {
			errno = EINVAL;
			goto fail;
		}
		if ((nfd = opendirat(fd, tok)) == -1)
			goto fail;
		close(fd);
		fd = nfd;
		s = joinpath(*lpath, tok);
		free(*lpath);
		*lpath = s;
		s = NULL;
	}
	free(copy);
	return fd;
fail:
	saved = errno;
	close(fd);
	free(copy);
	free(*lpath);
	*lpath = NULL;
	errno = saved;
	return -1;
}

/*
 * Set up the frame c of the upper directory f/name: is it opaque, is it
 * renamed, which lower directory merges with it.  *lst becomes the stat
 * of that lower directory (or is cleared).
 */
static void
upper_dir(struct walk *w, struct frame *f, const char *name, struct frame *c,
    struct stat *lst, int *haslow, char **redirect)
{
	char val[LAYER_REDIRECT_MAX + 1];
	ssize_t rl = 0;
	int op;

	if ((op = layer_is_opaque(f->up, name)) == -1) {
		walk_warn("read opaque mark of", c->path, errno);
		op = 0;
	}
	if (!op && (rl = layer_get_redirect(f->up, name, val,
	    sizeof(val))) == -1) {
		walk_warn("read redirect of", c->path, errno);
		rl = 0;
	}
	if (op) {
		*haslow = 0;
	} else if (rl > 0) {
		c->low = open_redirect(w, f, val, &c->lpath);
		if (c->low == -1) {
			walk_warn("find the origin of renamed directory",
			    c->path, errno);
			*haslow = 0;
		} else {
			c->moved = 1;
			*redirect = c->lpath;
			*haslow = fstat(c->low, lst) == 0;
		}
	} else if (*haslow && S_ISDIR(lst->st_mode)) {
		if ((c->low = opendirat(f->low, name)) == -1) {
			walk_warn("open lower directory", c->path, errno);
			*haslow = 0;
		} else
			c->lpath = joinpath(f->lpath, name);
	} else
		*haslow = 0;
}

/* Visit f/name: report it to the callback and descend into it. */
static int
visit(struct walk *w, struct frame *f, const char *name)
{
	struct frame c = { -1, -1, -1, NULL, NULL, f->moved };
	struct stat ust, lst, cst;
	struct walk_ent e;
	char *redirect = NULL;
	int hasup, haslow, hascmp, r = 0;

	memset(&e, 0, sizeof(e));
	c.path = joinpath(f->path, name);
	e.path = c.path;
	e.name = name;
	e.moved = f->moved;
	e.updir = f->up;
	e.lowdir = f->low;
	e.cmpdir = f->cmp;
	e.cmpname = name;
	if ((hasup = statat(f->up, name, &ust)) == -1 ||
	    (haslow = statat(f->low, name, &lst)) == -1 ||
	    (hascmp = statat(f->cmp, name, &cst)) == -1) {
		walk_warn("stat", c.path, errno);
		goto out;
	}
	e.cmp = hascmp ? &cst : NULL;
	if (hasup && !layer_is_whiteout(&ust) && w->records &&
	    layer_rec_stat(f->up, name, w->diskuid, w->diskgid, &ust) == -1) {
		walk_warn("read the record of", c.path, errno);
		goto out;
	}
	if ((hasup && layer_is_whiteout(&ust)) || (!hasup && !haslow)) {
		if (!hascmp && !hasup)
			goto out;
		e.deleted = 1;
		e.whiteout = hasup;
		r = w->fn(&e, w->arg);
		goto out;
	}
	if (!hasup && !(w->mode == WALK_PACK && f->moved))
		goto out;	/* a lower entry where the base has it */
	if (hasup) {
		e.up = &ust;
		if (S_ISDIR(ust.st_mode)) {
			if ((c.up = opendirat(f->up, name)) == -1) {
				walk_warn("open directory", c.path, errno);
				goto out;
			}
			upper_dir(w, f, name, &c, &lst, &haslow, &redirect);
		} else if (S_ISREG(ust.st_mode) &&
		    layer_is_metacopy(f->up, name) > 0) {
			/* Metadata only: its bytes are the lower file's. */
			e.metacopy = 1;
			if (!haslow || !S_ISREG(lst.st_mode))
				haslow = 0;
		} else
			haslow = 0;
	} else if (S_ISDIR(lst.st_mode)) {
		if ((c.low = opendirat(f->low, name)) == -1) {
			walk_warn("open lower directory", c.path, errno);
			goto out;
		}
		c.lpath = joinpath(f->lpath, name);
	}
	e.low = haslow ? &lst : NULL;
	e.redirect = redirect;
	e.datadir = e.metacopy ? (haslow ? f->low : -1) :
	    hasup ? f->up : f->low;
	e.dataname = name;
	if (w->mode == WALK_DIFF && c.low != -1) {
		/* Compare with what was merged in, renamed or not. */
		c.cmp = openat(c.low, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (redirect != NULL) {
			e.cmp = haslow ? &lst : NULL;
			e.cmpdir = c.low;
			e.cmpname = "";
		}
	} else if (hascmp && S_ISDIR(cst.st_mode) &&
	    (e.up == NULL || S_ISDIR(e.up->st_mode)) &&
	    (c.cmp = opendirat(f->cmp, name)) == -1)
		walk_warn("open base directory", c.path, errno);
	if ((r = w->fn(&e, w->arg)) != 0)
		goto out;
	if (c.up != -1 || c.low != -1)
		r = walk_dir(w, &c);
out:
	frame_free(&c);
	return r == WALK_SKIP ? 0 : r;
}

static int
walk_dir(struct walk *w, struct frame *f)
{
	struct names nm = { NULL, 0, 0 };
	size_t i;
	int r = 0;

	if (f->up != -1 && names_read(&nm, f->up) == -1)
		walk_warn("read directory", f->path, errno);
	if (w->mode == WALK_PACK && f->moved && f->low != -1 &&
	    names_read(&nm, f->low) == -1)
		walk_warn("read lower directory", f->path, errno);
	if (f->cmp != -1 && !samedir(f->low, f->cmp) &&
	    names_read(&nm, f->cmp) == -1)
		walk_warn("read base directory", f->path, errno);
	names_sort(&nm);
	for (i = 0; i < nm.n && r == 0; i++)
		r = visit(w, f, nm.v[i]);
	names_free(&nm);
	return r;
}

int
walk_layer(int upperfd, int rootfd, enum walk_mode mode, walk_fn fn,
    void *arg)
{
	struct walk w = { rootfd, mode, fn, arg, 0, 0, 0 };
	struct frame f = { -1, -1, -1, NULL, NULL, 0 };
	struct layer_rec rec;
	struct rlimit rl;
	struct stat st;
	int op, r = -1, saved;

	/* Each level of the tree holds up to three fds: allow deep trees. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	f.path = xstrdup("");
	f.lpath = xstrdup("");
	if ((f.up = openat(upperfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fstat(f.up, &st) == -1 ||
	    (op = layer_get_rec(f.up, "", &st, &rec)) == -1)
		goto out;
	/* A layer written without privilege keeps owners as records. */
	w.records = op;
	w.diskuid = st.st_uid;
	w.diskgid = st.st_gid;
	if (rootfd != -1) {
		if ((f.cmp = openat(rootfd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			goto out;
		if ((op = layer_is_opaque(upperfd, "")) == -1)
			goto out;
		if (!op && (f.low = openat(rootfd, ".", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1)
			goto out;
	}
	r = walk_dir(&w, &f);
out:
	saved = errno;
	frame_free(&f);
	errno = saved;
	return r;
}

static int
xattrcmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name,
	    ((const struct xattr *)b)->name);
}

/* The value of one xattr, or NULL with errno (ENODATA: it went away). */
static void *
getvalue(const char *path, int follow, const char *attr, size_t *size)
{
	void *v = NULL;
	ssize_t n;

	for (;;) {
		n = follow ? getxattr(path, attr, NULL, 0) :
		    lgetxattr(path, attr, NULL, 0);
		if (n == -1)
			break;
		v = xrealloc(v, n);
		n = follow ? getxattr(path, attr, v, n) :
		    lgetxattr(path, attr, v, n);
		if (n >= 0) {
			*size = n;
			return v;
		}
		if (errno != ERANGE)
			break;
	}
	free(v);
	return NULL;
}

int
xattrs_read(int dirfd, const char *name, struct xattrs *xs)
{
	const size_t xplen = strlen(LAYER_XATTR_XPREFIX);
	char path[64 + NAME_MAX + 1];
	char *list = NULL, *p, *shown;
	ssize_t n;
	size_t size;
	void *v;
	int follow = *name == '\0';

	xs->v = NULL;
	xs->n = 0;
	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	for (;;) {
		n = follow ? listxattr(path, NULL, 0) :
		    llistxattr(path, NULL, 0);
		if (n <= 0)
			break;
		list = xrealloc(list, n);
		n = follow ? listxattr(path, list, n) :
		    llistxattr(path, list, n);
		if (n >= 0 || errno != ERANGE)
			break;
	}
	if (n == -1) {
		free(list);
		if (errno == ENOTSUP)
			return 0;
		return -1;
	}
	for (p = list; p < list + n; p += strlen(p) + 1) {
		/* Kept under another name in a layer with records. */
		shown = strncmp(p, LAYER_XATTR_XPREFIX, xplen) == 0 ?
		    p + xplen : p;
		if (shown == p && layer_is_private_xattr(p))
			continue;
		if ((v = getvalue(path, follow, p, &size)) == NULL) {
			if (errno == ENODATA)
				continue;
			free(list);
			xattrs_free(xs);
			return -1;
		}
		xs->v = xrealloc(xs->v, (xs->n + 1) * sizeof(*xs->v));
		xs->v[xs->n].name = xstrdup(shown);
		xs->v[xs->n].value = v;
		xs->v[xs->n].size = size;
		xs->n++;
	}
	free(list);
	if (xs->n > 1)
		qsort(xs->v, xs->n, sizeof(*xs->v), xattrcmp);
	return 0;
}

void
xattrs_free(struct xattrs *xs)
{
	size_t i;

	for (i = 0; i < xs->n; i++) {
		free(xs->v[i].name);
		free(xs->v[i].value);
	}
	free(xs->v);
	xs->v = NULL;
	xs->n = 0;
}

#define CAP_XATTR	"security.capability"

static const struct xattr *
xfind(const struct xattrs *xs, const char *name)
{
	size_t i;

	for (i = 0; i < xs->n; i++)
		if (strcmp(xs->v[i].name, name) == 0)
			return &xs->v[i];
	return NULL;
}

/* Which of F_XATTR and F_CAP differ between a and b. */
static unsigned
xattrs_diff(const struct xattrs *a, const struct xattrs *b)
{
	const struct xattrs *s[2] = { a, b }, *o[2] = { b, a };
	const struct xattr *x, *y;
	unsigned f = 0;
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < s[k]->n; i++) {
			x = &s[k]->v[i];
			y = xfind(o[k], x->name);
			if (y != NULL && y->size == x->size &&
			    memcmp(y->value, x->value, x->size) == 0)
				continue;
			f |= strcmp(x->name, CAP_XATTR) == 0 ? F_CAP : F_XATTR;
		}
	return f;
}

int
walk_meta_changed(const struct walk_ent *we, unsigned *fields)
{
	const struct stat *u = we->up, *c = we->cmp;
	struct xattrs xu, xc;
	unsigned f = 0;

	if ((u->st_mode & 07777) != (c->st_mode & 07777))
		f |= F_MODE;
	if (u->st_uid != c->st_uid)
		f |= F_OWNER;
	if (u->st_gid != c->st_gid)
		f |= F_GROUP;
	if (!S_ISDIR(u->st_mode) && (u->st_mtim.tv_sec != c->st_mtim.tv_sec ||
	    u->st_mtim.tv_nsec != c->st_mtim.tv_nsec))
		f |= F_MTIME;
	if (xattrs_read(we->updir, we->name, &xu) == -1)
		return -1;
	if (xattrs_read(we->cmpdir, we->cmpname, &xc) == -1) {
		xattrs_free(&xu);
		return -1;
	}
	f |= xattrs_diff(&xu, &xc);
	xattrs_free(&xu);
	xattrs_free(&xc);
	*fields = f;
	return 0;
}

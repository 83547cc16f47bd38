/*
 * dir.c - the merged namespace: what lookup finds at a name, whether a
 * merged directory is empty, and the merged listing readdir serves.
 *
 * Rules (kernel overlayfs's): an upper non-directory hides the lower
 * entry; a whiteout hides it and shows nothing; an upper directory merges
 * with the lower directory of the same name unless it is opaque, or with
 * the one its redirect names.  Lower paths are opened beneath the base
 * root with symlinks refused, so a redirect can never leave the layer.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hash.h"
#include "layer.h"

/* A set of names, open addressing; the set does not own the strings. */
struct nameset {
	const char	**slot;
	size_t		  size, n;
};

static int
nameset_add(struct nameset *set, const char *name)
{
	const char **old = set->slot;
	size_t i, oldsize = set->size;

	if ((set->n + 1) * 2 > set->size) {
		set->size = set->size ? set->size * 2 : 64;
		if ((set->slot = calloc(set->size, sizeof(*set->slot))) == NULL)
			return ENOMEM;
		set->n = 0;
		for (i = 0; i < oldsize; i++)
			if (old[i] != NULL)
				nameset_add(set, old[i]);
		free(old);
	}
	for (i = hash_str(name) & (set->size - 1); set->slot[i] != NULL;
	    i = (i + 1) & (set->size - 1))
		if (strcmp(set->slot[i], name) == 0)
			return 0;
	set->slot[i] = name;
	set->n++;
	return 0;
}

static int
nameset_has(const struct nameset *set, const char *name)
{
	size_t i;

	if (set->size == 0)
		return 0;
	for (i = hash_str(name) & (set->size - 1); set->slot[i] != NULL;
	    i = (i + 1) & (set->size - 1))
		if (strcmp(set->slot[i], name) == 0)
			return 1;
	return 0;
}

static int
is_dot(const char *name)
{
	return name[0] == '.' &&
	    (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

void
entry_free(struct entry *e)
{
	if (e->upper >= 0)
		close(e->upper);
	if (e->lower >= 0)
		close(e->lower);
	free(e->lowerpath);
	e->upper = e->lower = -1;
	e->lowerpath = NULL;
}

static char *
join(const char *dir, const char *name)
{
	char *p;

	if (dir == NULL || asprintf(&p, "%s/%s", dir, name) == -1)
		return NULL;
	return p;
}

/*
 * Find what the merged view shows at parent/name.  Returns 0 with e filled
 * in (the caller owns its fds), ENOENT (with e->whiteout set when a whiteout
 * hid a lower entry), or another errno.  The caller holds parent busy.
 */
int
entry_find(struct fs *fs, struct node *parent, const char *name,
    struct entry *e)
{
	char redirect[LAYER_REDIRECT_MAX];
	ssize_t rlen = 0;
	int pu, pl, fd, error, mark = 0;

	memset(e, 0, sizeof(*e));
	e->upper = e->lower = -1;
	if (strlen(name) > NAME_MAX)
		return ENAMETOOLONG;
	if ((pu = node_fd(fs, parent, UP)) < 0 && pu != -ENOENT)
		return -pu;
	if ((pl = node_fd(fs, parent, LO)) < 0 && pl != -ENOENT)
		return -pl;

	if (pu >= 0) {
		fd = openat(pu, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno != ENOENT)
			return errno;
		if (fd >= 0) {
			if (fstatat(fd, "", &e->st, AT_EMPTY_PATH) == -1) {
				error = errno;
				close(fd);
				return error;
			}
			if (layer_is_whiteout(&e->st)) {
				close(fd);
				e->whiteout = 1;
				return ENOENT;
			}
			e->upper = fd;
			if ((error = rec_stat(fs, fd, &e->st)) != 0) {
				entry_free(e);
				return error;
			}
			index_nlink_show(fs, fd, &e->st);
			/* A mark that cannot be read is an error, not a no. */
			if (S_ISREG(e->st.st_mode))
				mark = layer_is_metacopy(fd, "");
			else if (S_ISDIR(e->st.st_mode))
				mark = layer_is_opaque(fd, "");
			if (mark == -1) {
				error = errno;
				entry_free(e);
				return error;
			}
			if (S_ISREG(e->st.st_mode) && mark)
				e->metacopy = 1;	/* its data is below */
			else if (!S_ISDIR(e->st.st_mode) || mark)
				return 0;	/* opaque, or not a dir */
			rlen = layer_get_redirect(fd, "", redirect,
			    sizeof(redirect));
			if (rlen < 0)
				rlen = 0;
		}
	}
	if (pl < 0) {
		if (e->metacopy) {
			entry_free(e);
			return EIO;	/* a metacopy without its data */
		}
		return e->upper >= 0 ? 0 : ENOENT;
	}

	if (rlen > 0 && redirect[0] == '/') {
		fd = fdc_open_lower(fs, redirect);
		e->lowerpath = strdup(redirect);
	} else {
		if (rlen > 0 && strchr(redirect, '/') == NULL &&
		    !is_dot(redirect))
			name = redirect;	/* relative: a sibling */
		fd = openat(pl, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			fd = -errno;
		e->lowerpath = join(parent->lowerpath, name);
	}
	/* Hidden by --only: as if the base had no such entry. */
	if (fd >= 0 && e->lowerpath != NULL &&
	    !filter_admits(fs->filter, e->lowerpath)) {
		close(fd);
		fd = -ENOENT;
	}
	if (fd < 0 || e->lowerpath == NULL) {
		error = fd < 0 ? -fd : ENOMEM;
		if (fd >= 0)
			close(fd);
		free(e->lowerpath);
		e->lowerpath = NULL;
		if (e->metacopy) {
			entry_free(e);
			return EIO;	/* a metacopy without its data */
		}
		if (e->upper >= 0)
			return 0;	/* a redirect gone stale shows upper */
		return error == ELOOP ? ENOENT : error;
	}
	if (fstatat(fd, "", &e->lst, AT_EMPTY_PATH) == -1) {
		error = errno;
		close(fd);
		entry_free(e);
		return error;
	}
	if (e->metacopy && !S_ISREG(e->lst.st_mode)) {
		close(fd);
		entry_free(e);
		return EIO;
	}
	if (e->upper >= 0 && !e->metacopy && !S_ISDIR(e->lst.st_mode)) {
		/* An upper directory over a lower non-directory. */
		close(fd);
		free(e->lowerpath);
		e->lowerpath = NULL;
		return 0;
	}
	e->lower = fd;
	if (e->upper < 0)
		e->st = e->lst;
	return 0;
}

/*
 * Does the lower directory merged into parent have an entry called name?
 * The caller holds parent busy.
 */
int
lower_has(struct fs *fs, struct node *parent, const char *name)
{
	struct stat st;
	int pl;

	if ((pl = node_fd(fs, parent, LO)) < 0 ||
	    !filter_admits_at(fs->filter, parent->lowerpath, name))
		return 0;
	return fstatat(pl, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Open an O_PATH directory fd for reading its entries. */
static DIR *
open_dir(struct fs *fs, int fd)
{
	DIR *d;
	int rfd;

	if ((rfd = reopen(fs, fd, O_RDONLY | O_DIRECTORY)) < 0) {
		errno = -rfd;
		return NULL;
	}
	if ((d = fdopendir(rfd)) == NULL)
		close(rfd);
	return d;
}

static int
is_whiteout_at(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_CHR && de->d_type != DT_UNKNOWN)
		return 0;
	if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return layer_is_whiteout(&st);
}

/*
 * Is the merged directory (upper, lower; either may be -1) empty?  Returns
 * 0 when it is, ENOTEMPTY when it is not, or another errno.
 */
int
dir_is_empty(struct fs *fs, int upper, int lower)
{
	struct nameset hidden = { 0 };
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *d = NULL;
	int error = 0;

	if (upper >= 0) {
		if ((d = open_dir(fs, upper)) == NULL)
			return errno;
		while ((errno = 0, de = readdir(d)) != NULL) {
			if (is_dot(de->d_name))
				continue;
			if (!is_whiteout_at(dirfd(d), de)) {
				error = ENOTEMPTY;
				goto out;
			}
			if (lower < 0)
				continue;
			if ((names = reallocarray(names, nnames + 1,
			    sizeof(*names))) == NULL ||
			    (names[nnames] = strdup(de->d_name)) == NULL) {
				error = ENOMEM;
				goto out;
			}
			if ((error = nameset_add(&hidden, names[nnames++])))
				goto out;
		}
		if (errno) {
			error = errno;
			goto out;
		}
		closedir(d);
		d = NULL;
	}
	if (lower >= 0) {
		if ((d = open_dir(fs, lower)) == NULL) {
			error = errno;
			goto out;
		}
		while ((errno = 0, de = readdir(d)) != NULL)
			if (!is_dot(de->d_name) &&
			    !nameset_has(&hidden, de->d_name)) {
				error = ENOTEMPTY;
				goto out;
			}
		if (errno)
			error = errno;
	}
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(hidden.slot);
	return error;
}

/* Remove dfd/name and everything below it (used only in the work dir). */
int
dir_purge(struct fs *fs, int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, error = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOTDIR ?
		    (unlinkat(dfd, name, 0) == -1 ? errno : 0) : errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return errno;
	}
	while ((de = readdir(d)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			error = dir_purge(fs, dirfd(d), de->d_name);
		else if (unlinkat(dirfd(d), de->d_name, 0) == -1)
			error = errno;
		if (error)
			break;
	}
	closedir(d);
	if (error == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1)
		error = errno;
	return error;
}

/* A fresh name for a scratch object in the work directory. */
int
work_name(struct fs *fs, char *buf, size_t len)
{
	uint64_t seq;

	pthread_mutex_lock(&fs->table_lock);
	seq = fs->tmpseq++;
	pthread_mutex_unlock(&fs->table_lock);
	if ((size_t)snprintf(buf, len, "#opfs.%d.%llx", (int)getpid(),
	    (unsigned long long)seq) >= len)
		return ENAMETOOLONG;
	return 0;
}

/*
 * The merged listing of a directory, kept in its node while a reader goes
 * through it.  The kernel asks for a listing only when its own cache of
 * it is gone (see op_init), so a listing is taken afresh whenever reading
 * starts at offset 0, served by offset, and dropped at the end.
 */
struct dirrec {
	char		*name;
	uint64_t	 ino;
	off_t		 cookie;	/* this entry's offset; see dir_read */
	unsigned char	 type;
};

/*
 * Offsets are cookies, not indexes: 1 is "..", 2 the first name, and a
 * name's cookie is a hash of it, the listing being sorted by cookie.  So
 * a listing taken again between two reads (another reader started over,
 * entries came and went) resumes at the same place: no entry that stayed
 * is skipped or repeated.  This is how ext4 numbers its htree listings.
 */
#define COOKIE_FIRST	3
#define COOKIE_END	((off_t)1 << 62)

static off_t
cookie_of(const char *name)
{
	return COOKIE_FIRST + (off_t)(hash_str(name) >> 3);
}

static int
cookie_cmp(const void *a, const void *b)
{
	const struct dirrec *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct dirlist {
	struct dirrec	*ents;
	size_t		 n, cap;
};

static int
dirlist_add(struct dirlist *dl, const char *name, uint64_t ino,
    unsigned char type)
{
	struct dirrec *r;

	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 32;
		if ((r = reallocarray(dl->ents, dl->cap, sizeof(*r))) == NULL)
			return ENOMEM;
		dl->ents = r;
	}
	r = &dl->ents[dl->n];
	if ((r->name = strdup(name)) == NULL)
		return ENOMEM;
	r->ino = ino;
	r->type = type;
	r->cookie = cookie_of(name);
	dl->n++;
	return 0;
}

void
dirlist_free(struct dirlist *dl)
{
	size_t i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->n; i++)
		free(dl->ents[i].name);
	free(dl->ents);
	free(dl);
}

/*
 * Read one layer's entries into dl.  Upper entries go into seen (listed)
 * or hidden (whiteouts); lower entries are listed unless seen or hidden,
 * or the filter hides them (lpath: the lower directory's path).
 */
static int
dirlist_layer(struct fs *fs, struct dirlist *dl, int fd, int upper,
    struct nameset *seen, struct nameset *hidden, char ***hold,
    size_t *nhold, const char *lpath)
{
	struct dirent *de;
	struct stat dst;
	size_t first = dl->n, i;
	DIR *d;
	int error = 0;

	if ((d = open_dir(fs, fd)) == NULL)
		return errno;
	if (fstat(dirfd(d), &dst) == -1) {
		error = errno;
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if (upper && is_whiteout_at(dirfd(d), de)) {
			char **h = reallocarray(*hold, *nhold + 1, sizeof(*h));
			if (h == NULL || (h[*nhold] = strdup(de->d_name)) ==
			    NULL) {
				if (h)
					*hold = h;
				error = ENOMEM;
				goto out;
			}
			*hold = h;
			if ((error = nameset_add(hidden, h[(*nhold)++])))
				goto out;
			continue;
		}
		if (!upper && (nameset_has(seen, de->d_name) ||
		    nameset_has(hidden, de->d_name) ||
		    !filter_admits_at(fs->filter, lpath, de->d_name)))
			continue;
		/* d_ino keyed like lookup keys it: the backing object. */
		if ((error = dirlist_add(dl, de->d_name,
		    node_number(fs, dst.st_dev, de->d_ino), de->d_type)))
			goto out;
	}
	if (errno)
		error = errno;
	if (upper)
		for (i = first; error == 0 && i < dl->n; i++)
			error = nameset_add(seen, dl->ents[i].name);
out:
	closedir(d);
	return error;
}

/* Take the merged listing of n.  The caller holds n busy. */
static int
dirlist_load(struct fs *fs, struct node *n, struct dirlist **out)
{
	struct nameset seen = { 0 }, hidden = { 0 };
	struct dirlist *dl;
	struct node *parent;
	char **hold = NULL;
	size_t nhold = 0, i;
	int upper, lower, error;

	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return ENOMEM;
	pthread_mutex_lock(&n->lock);
	parent = n->parent;
	pthread_mutex_unlock(&n->lock);
	if ((error = dirlist_add(dl, ".", n->ino, DT_DIR)) ||
	    (error = dirlist_add(dl, "..", parent ? parent->ino : n->ino,
	    DT_DIR)))
		goto out;
	if ((upper = node_fd(fs, n, UP)) < 0 && upper != -ENOENT) {
		error = -upper;
		goto out;
	}
	if ((lower = node_fd(fs, n, LO)) < 0 && lower != -ENOENT) {
		error = -lower;
		goto out;
	}
	if (upper >= 0)
		error = dirlist_layer(fs, dl, upper, 1, &seen, &hidden, &hold,
		    &nhold, NULL);
	if (error == 0 && lower >= 0)
		error = dirlist_layer(fs, dl, lower, 0, &seen, &hidden,
		    &hold, &nhold, n->lowerpath);
out:
	for (i = 0; i < nhold; i++)
		free(hold[i]);
	free(hold);
	free(seen.slot);
	free(hidden.slot);
	if (error) {
		dirlist_free(dl);
		return error;
	}
	/* "." and ".." first, at 0 and 1; the names in cookie order. */
	dl->ents[0].cookie = 0;
	dl->ents[1].cookie = 1;
	qsort(dl->ents + 2, dl->n - 2, sizeof(*dl->ents), cookie_cmp);
	*out = dl;
	return 0;
}

/*
 * Hand the entries of directory n from offset off to fn, in order, until
 * fn returns non-zero (its buffer is full) or the listing ends.  Each
 * entry goes with the offset of the one after it (a cookie, see above).
 * The caller holds n busy.
 */
int
dir_read(struct fs *fs, struct node *n, off_t off,
    int (*fn)(void *, const char *, uint64_t, unsigned char, off_t),
    void *arg)
{
	struct dirlist *dl;
	size_t i;
	int error = 0;

	pthread_mutex_lock(&n->dl_lock);
	if (off == 0 || n->dl == NULL) {
		dirlist_free(n->dl);
		n->dl = NULL;
		if ((error = dirlist_load(fs, n, &dl)) != 0)
			goto out;
		n->dl = dl;
	}
	dl = n->dl;
	if (off >= COOKIE_END)
		goto out;
	if (off < COOKIE_FIRST)
		i = off < 2 ? (size_t)off : 2;
	else {
		/* The first name whose cookie is off or more. */
		size_t lo = 2, hi = dl->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (dl->ents[mid].cookie < off)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo;
	}
	for (; i < dl->n; i++)
		if (fn(arg, dl->ents[i].name, dl->ents[i].ino,
		    dl->ents[i].type, i + 1 < 2 ? 1 : i + 1 == 2 ? 2 :
		    i + 1 < dl->n ? dl->ents[i + 1].cookie : COOKIE_END))
			goto out;
	/* The reader has it all: nothing to keep. */
	dirlist_free(n->dl);
	n->dl = NULL;
out:
	pthread_mutex_unlock(&n->dl_lock);
	return error;
}

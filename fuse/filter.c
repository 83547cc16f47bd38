/*
 * filter.c - which base objects a restricted view shows (opfs_filter in
 * opfs.h; overpack run --only builds one).
 *
 * A filter is a hash set of paths from the base root, without the
 * leading '/'.  Each path is admitted with its ancestors, which stay
 * visible as directories whose other entries are hidden; a path added as
 * a tree admits everything below it too.  The root ("") is always
 * admitted.  Adding a path costs its depth in hash inserts, so building a
 * filter is proportional to the admitted paths, never to the base.
 *
 * Once the filesystem runs, the filter is read-only and needs no lock.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hash.h"
#include "opfs.h"

#define F_ADMIT		0x1	/* the path itself is shown */
#define F_TREE		0x2	/* and everything below it */

struct fslot {
	char		*path;		/* owned; NULL when free */
	size_t		 hash;
	unsigned char	 flags;
};

struct opfs_filter {
	struct fslot	*slot;
	size_t		 size, n;
	size_t		 ntrees;	/* no ancestor walk when 0 */
};

static struct fslot *
slot_find(const struct opfs_filter *f, const char *p, size_t len, size_t h)
{
	size_t i;

	for (i = h & (f->size - 1); f->slot[i].path != NULL;
	    i = (i + 1) & (f->size - 1))
		if (f->slot[i].hash == h &&
		    strncmp(f->slot[i].path, p, len) == 0 &&
		    f->slot[i].path[len] == '\0')
			return &f->slot[i];
	return &f->slot[i];		/* the free slot it would take */
}

static int
grow(struct opfs_filter *f)
{
	struct fslot *old = f->slot, *s;
	size_t i, oldsize = f->size;

	f->size = f->size ? f->size * 2 : 1024;
	if ((f->slot = calloc(f->size, sizeof(*f->slot))) == NULL) {
		f->slot = old;
		f->size = oldsize;
		return ENOMEM;
	}
	for (i = 0; i < oldsize; i++) {
		if (old[i].path == NULL)
			continue;
		s = slot_find(f, old[i].path, strlen(old[i].path),
		    old[i].hash);
		*s = old[i];
	}
	free(old);
	return 0;
}

/* Set flags on p[0..len), inserting it if new. */
static int
mark(struct opfs_filter *f, const char *p, size_t len, unsigned char flags)
{
	struct fslot *s;
	size_t h = hash_add(HASH_INIT, p, len);
	int error;

	if ((f->n + 1) * 2 > f->size && (error = grow(f)) != 0)
		return error;
	s = slot_find(f, p, len, h);
	if (s->path == NULL) {
		if ((s->path = strndup(p, len)) == NULL)
			return ENOMEM;
		s->hash = h;
		f->n++;
	}
	if ((flags & F_TREE) && !(s->flags & F_TREE))
		f->ntrees++;
	s->flags |= flags;
	return 0;
}

struct opfs_filter *
opfs_filter_new(void)
{
	struct opfs_filter *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if (grow(f) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

int
opfs_filter_add(struct opfs_filter *f, const char *path, int tree)
{
	const char *p, *end;
	size_t len;
	int error;

	while (*path == '/')
		path++;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return tree ? mark(f, "", 0, F_ADMIT | F_TREE) : 0;
	end = path + len;
	/* The ancestors first; each stops at the '/' after it. */
	for (p = path; (p = memchr(p, '/', end - p)) != NULL; p++)
		if ((error = mark(f, path, p - path, F_ADMIT)) != 0)
			return error;
	return mark(f, path, len, F_ADMIT | (tree ? F_TREE : 0));
}

int
opfs_filter_admits(const struct opfs_filter *f, const char *path)
{
	return filter_admits(f, path);
}

size_t
opfs_filter_count(const struct opfs_filter *f)
{
	return f->n;
}

void
opfs_filter_free(struct opfs_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->size; i++)
		free(f->slot[i].path);
	free(f->slot);
	free(f);
}

/* Is p[0..len) shown? */
static int
admits(const struct opfs_filter *f, const char *p, size_t len)
{
	const struct fslot *s;

	if (len == 0)
		return 1;
	s = slot_find(f, p, len, hash_add(HASH_INIT, p, len));
	if (s->path != NULL)
		return 1;
	if (f->ntrees == 0)
		return 0;
	/* Below a tree?  Walk up the ancestors. */
	while (len > 0) {
		while (len > 0 && p[len - 1] != '/')
			len--;
		if (len == 0)
			break;
		len--;
		s = slot_find(f, p, len, hash_add(HASH_INIT, p, len));
		if (s->path != NULL && (s->flags & F_TREE))
			return 1;
	}
	s = slot_find(f, "", 0, hash_add(HASH_INIT, "", 0));
	return s->path != NULL && (s->flags & F_TREE);
}

/* Lower paths are "" for the root, else "/a/b"; the set has "a/b". */
int
filter_admits(const struct opfs_filter *f, const char *lowerpath)
{
	while (*lowerpath == '/')
		lowerpath++;
	return f == NULL || admits(f, lowerpath, strlen(lowerpath));
}

int
filter_admits_at(const struct opfs_filter *f, const char *dir,
    const char *name)
{
	char buf[PATH_MAX];
	int n;

	if (f == NULL)
		return 1;
	if (dir == NULL)
		return 0;	/* no base directory: nothing of the base */
	while (*dir == '/')
		dir++;
	n = snprintf(buf, sizeof(buf), "%s%s%s", dir, *dir ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return 0;
	return admits(f, buf, n);
}

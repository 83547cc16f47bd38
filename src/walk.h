/*
 * walk.h - the merged walk of an upper layer over its base, shared by
 * overpack pack and overpack diff.
 *
 * The walk visits the merged view (what a mount of the layer over the base
 * shows) directory by directory, entries sorted bytewise by name, parents
 * before children, and reports each entry that the upper layer made
 * different from the base:
 *
 *   - every entry that exists in the upper layer (not whiteouts);
 *   - in WALK_PACK mode, every entry below a renamed (redirected) directory
 *     that comes from the lower directory, since in the base it lives under
 *     another name;
 *   - deletions: an upper whiteout, and each base entry hidden by an opaque
 *     directory or a redirect.  Only the top-most deleted entry is reported,
 *     never what lies below it.
 *
 * The root directory itself is not reported.
 *
 * "cmp" is what an entry is compared with.  In WALK_PACK mode it is the base
 * entry at the same path (what a package is unpacked over).  In WALK_DIFF
 * mode a renamed directory is compared with its origin, so cmp follows
 * redirects.
 *
 * Return convention: 0, or -1 with errno set.  Problems with one entry
 * (an unreadable directory, a dangling redirect) are warned about on
 * stderr, counted in walk_warnings and skipped.
 */
#ifndef OVERPACK_WALK_H
#define OVERPACK_WALK_H

#include <sys/stat.h>
#include <stddef.h>

enum walk_mode {
	WALK_PACK,
	WALK_DIFF
};

struct walk_ent {
	const char	*path;		/* "etc/foo": relative, no "./" */
	const char	*name;		/* last component of path */
	int		 deleted;	/* gone from the merged view */
	int		 whiteout;	/* deleted by an upper whiteout */
	int		 moved;		/* below a redirect: lower is elsewhere */
	const char	*redirect;	/* dir renamed from this base path */

	/* Each stat is NULL when that side has no entry; dir+name reach it. */
	const struct stat *up;	int updir;	/* the upper entry */
	const struct stat *low;	int lowdir;	/* the lower entry merged in */
	const struct stat *cmp;	int cmpdir;	/* the base entry compared with */
	const char	*cmpname;	/* its name in cmpdir */

	/*
	 * Where the entry's bytes are: the upper file, or for a metacopy
	 * (an upper file holding only metadata) the lower file merged in;
	 * -1 for a metacopy whose data is missing from the base.
	 */
	int		 metacopy;
	int		 datadir;
	const char	*dataname;
};

/* A callback's answers besides 0 (go on) and -1 (stop, errno set). */
#define WALK_SKIP	1	/* do not descend into this directory */

typedef int (*walk_fn)(const struct walk_ent *, void *);

int	walk_layer(int upperfd, int rootfd, enum walk_mode, walk_fn, void *);

/* Per-entry problems seen so far by the walk (and by walk_warn). */
extern unsigned long walk_warnings;

/* "overpack: cannot WHAT './path': strerror(errnum)", counted. */
void	walk_warn(const char *what, const char *path, int errnum);

/* Metadata fields, as diff reports them. */
enum {
	F_MODE		= 1 << 0,
	F_OWNER		= 1 << 1,
	F_GROUP		= 1 << 2,
	F_MTIME		= 1 << 3,	/* never for directories */
	F_XATTR		= 1 << 4,
	F_CAP		= 1 << 5	/* security.capability */
};

/*
 * Which metadata fields of we's upper entry differ from its base entry
 * (we->up and we->cmp both set).  0, or -1 with errno when unreadable.
 */
int	walk_meta_changed(const struct walk_ent *, unsigned *fields);

/* The xattrs of dirfd/name that a package carries (not the layer's own). */
struct xattr {
	char		*name;
	void		*value;
	size_t		 size;
};
struct xattrs {
	struct xattr	*v;
	size_t		 n;
};
/* Sorted by name.  Missing xattr support reads as none. */
int	xattrs_read(int dirfd, const char *name, struct xattrs *);
void	xattrs_free(struct xattrs *);

#endif

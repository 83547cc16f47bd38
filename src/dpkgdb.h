/*
 * dpkgdb.h - reading the dpkg database of a base root: installed
 * packages and their dependencies (var/lib/dpkg/status), the files each
 * owns (var/lib/dpkg/info/NAME.list), diversions, and an index from a path
 * to its owners, built once and cached.
 *
 * Paths are canonical: absolute, and with the base root's top-level
 * symlinks to directories (usrmerge: /bin -> usr/bin, /lib -> usr/lib)
 * resolved, so that a path dpkg lists as /lib/x86_64-linux-gnu/libz.so.1
 * and the one the filesystem saw, /usr/lib/x86_64-linux-gnu/libz.so.1,
 * are the same string.
 *
 * Return convention: src/'s, -1 with errno set.
 */
#ifndef OVERPACK_DPKGDB_H
#define OVERPACK_DPKGDB_H

#include <stddef.h>

struct dpkgdb;

/* Read the status file and diversions of root; NULL and a message. */
struct dpkgdb	*dpkgdb_open(const char *root);
void		 dpkgdb_free(struct dpkgdb *);

/* Number of a package by name (":arch" ignored), or -1. */
int		 dpkgdb_find(struct dpkgdb *, const char *name);
const char	*dpkgdb_name(struct dpkgdb *, int pkg);
size_t		 dpkgdb_count(struct dpkgdb *);

/*
 * Closures.  A mark array has one byte per package (dpkgdb_count).
 * dpkgdb_mark_essential marks the Essential: yes packages;
 * dpkgdb_close adds everything the marked packages depend on (Depends
 * and Pre-Depends; of alternatives the first installed, a virtual
 * package through its installed providers; versions ignored).
 */
void		 dpkgdb_mark_essential(struct dpkgdb *, unsigned char *);
void		 dpkgdb_close(struct dpkgdb *, unsigned char *);

/* Call fn for each canonical path pkg owns; -1 if its list is unreadable. */
int		 dpkgdb_files(struct dpkgdb *, int pkg,
		    int (*fn)(void *, const char *), void *);

/*
 * Call fn for each link that update-alternatives manages (from
 * var/lib/dpkg/alternatives), with the canonical link path and the
 * canonical path its /etc/alternatives entry points to.
 */
void		 dpkgdb_alternatives(struct dpkgdb *,
		    void (*fn)(void *, const char *link, const char *target),
		    void *);

/* A canonical form of an absolute path (the caller frees it). */
char		*dpkgdb_canon(struct dpkgdb *, const char *path);
/* The top-level symlinks of the root ("/bin", ...), NULL-terminated. */
const char *const *dpkgdb_aliases(struct dpkgdb *);

/*
 * The owners of a canonical path: a comma-separated list of package
 * names, or NULL.  The first call builds the index or loads it from the
 * cache (see overpack(1), FILES); -1 when neither works.
 */
int		 dpkgdb_index(struct dpkgdb *);
const char	*dpkgdb_owners(struct dpkgdb *, const char *path, size_t *len);

#endif

/*
 * tree.h - taking the base as a lower layer, shared by overpackfs and
 * overpack run.
 *
 * Return convention: an fd, or -1 with errno set.
 */
#ifndef OVERPACK_TREE_H
#define OVERPACK_TREE_H

#include <stddef.h>

/*
 * A detached copy of the mount tree at path, submounts included, made
 * read-only and private: the kernel refuses any write through it, no
 * access time is updated, and nothing mounted later (the overlay itself
 * included) appears in it.  Needs CAP_SYS_ADMIN; EPERM otherwise.
 */
int	tree_clone_ro(const char *path);

/*
 * Open path (leading slashes ignored; "" is dirfd itself) below dirfd
 * with flags, refusing any symlink, magic link or ".." that would leave
 * it: a name from a layer can never lead out of the layer.
 */
int	tree_open_beneath(int dirfd, const char *path, int flags);

/*
 * "/proc/self/fd/N" for dirfd itself (name "" or NULL), or
 * "/proc/self/fd/N/name" for an entry of it, into buf.  The magic link
 * must be followed to reach dirfd's object, and a named entry must not
 * be (use the l* calls for it).  -1 with ENAMETOOLONG if it does not fit.
 */
int	tree_procpath(char *buf, size_t len, int dirfd, const char *name);

#endif

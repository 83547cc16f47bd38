/*
 * tree.h - taking the base as a lower layer, shared by overpackfs and
 * overpack run.
 *
 * Return convention: an fd, or -1 with errno set.
 */
#ifndef OVERPACK_TREE_H
#define OVERPACK_TREE_H

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

#endif

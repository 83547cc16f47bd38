/*
 * layer.h - the on-disk format of an overpack upper layer.
 *
 * Both overpackfs (which writes upper layers) and overpack pack/diff (which
 * read them) go through these helpers, so the format is defined once.  It is
 * kernel overlayfs's format, so an upper layer written by the kernel can be
 * packed too; overpack-layer(5) documents it:
 *
 *   whiteout      a character device with device number 0/0 named like the
 *                 entry it hides.
 *   opaque dir    a directory with the xattr trusted.overlay.opaque = "y"
 *                 (user.overlay.opaque is read as well): nothing below it in
 *                 the lower layer shows through.
 *   redirect      a directory with trusted.overlay.redirect = "/abs/path"
 *                 (or a bare name, relative to the parent's lower directory)
 *                 merges with the lower directory at that path instead of
 *                 the one at its own name.  It is written when a directory
 *                 that has a lower part is renamed.
 *   metacopy      a regular file with trusted.overlay.metacopy (any value,
 *                 empty as written here) holds only metadata: owner, mode,
 *                 times, xattrs and size.  Its data is the lower file at
 *                 the same place in the merged view.  Written when a lower
 *                 file's metadata changes and its data does not.
 *
 * Return convention: 0 on success, -1 with errno set, like the C library.
 * Predicates return 1, 0 or -1.
 */
#ifndef OVERPACK_LAYER_H
#define OVERPACK_LAYER_H

#include <sys/stat.h>
#include <stddef.h>

#define LAYER_XATTR_OPAQUE	"trusted.overlay.opaque"
#define LAYER_XATTR_REDIRECT	"trusted.overlay.redirect"
#define LAYER_XATTR_METACOPY	"trusted.overlay.metacopy"
#define LAYER_XATTR_PREFIX	"trusted.overlay."
#define LAYER_UXATTR_PREFIX	"user.overlay."

/* Longest redirect we write or accept: an absolute path. */
#define LAYER_REDIRECT_MAX	4096

/* Is this stat of an upper entry a whiteout? */
int	layer_is_whiteout(const struct stat *);

/* Is this xattr name part of the layer format (hidden from users)? */
int	layer_is_private_xattr(const char *);

/* Create a whiteout called name in dirfd. */
int	layer_mkwhiteout(int dirfd, const char *name);

/*
 * Is the directory at dirfd/name (name may be "" for dirfd itself) marked
 * opaque?  Missing xattr support reads as "not opaque".
 */
int	layer_is_opaque(int dirfd, const char *name);
int	layer_set_opaque(int dirfd, const char *name);

/*
 * Read the redirect of the directory at dirfd/name into buf.  Returns the
 * length (0 when there is none) or -1.
 */
ssize_t	layer_get_redirect(int dirfd, const char *name, char *buf, size_t len);

/* Is the file at dirfd/name a metacopy?  1, 0 or -1. */
int	layer_is_metacopy(int dirfd, const char *name);
int	layer_set_metacopy(int dirfd, const char *name);
int	layer_clear_metacopy(int dirfd, const char *name);
int	layer_set_redirect(int dirfd, const char *name, const char *path);

#endif

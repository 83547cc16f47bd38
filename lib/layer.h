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
 *   record        a regular file or directory with the xattr
 *                 user.containers.override_stat = "UID:GID:MODE:TYPE" (the
 *                 format of containers/storage; MODE is octal permission
 *                 bits, TYPE one of file, dir, pipe, socket, char-MAJ-MIN,
 *                 block-MAJ-MIN) shows with that owner, mode and type.  An
 *                 unprivileged overpackfs (-o owners=xattr) keeps ownership
 *                 this way, stores fifos, sockets and devices as empty
 *                 regular files carrying a record, and keeps the xattrs it
 *                 may not set (security.*, trusted.*) as user.overpack.x.NAME.
 *                 Such a layer has a record on its root; an object there
 *                 without one (a symlink) whose owner is the root's owner on
 *                 disk shows as owned by 0:0.
 *   nlink         a non-directory with trusted.overlay.nlink = "U-1" (U,
 *                 a sign, a decimal: kernel overlayfs's format) shows with
 *                 its link count on disk plus that number.  Written on the
 *                 copy of a lower file with hard links, which is also
 *                 linked into the index (below): the count on disk has the
 *                 index's link, and lacks the lower names not linked yet.
 *
 * The index lives in the work directory, not in the layer: index/KEY is
 * a hard link of the upper copy of the lower file KEY names (see
 * layer_index_key), so that a name of that file found in a later mount is
 * linked to the copy instead of showing the old contents.
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
#define LAYER_XATTR_NLINK	"trusted.overlay.nlink"
#define LAYER_XATTR_PREFIX	"trusted.overlay."
#define LAYER_UXATTR_PREFIX	"user.overlay."
#define LAYER_XATTR_RECORD	"user.containers.override_stat"
#define LAYER_XATTR_XPREFIX	"user.overpack.x."	/* + security.* etc. */
#define LAYER_XATTR_OWN		"user.overpack."	/* ours, all hidden */

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
int	layer_clear_opaque(int dirfd, const char *name);

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
int	layer_clear_redirect(int dirfd, const char *name);

/*
 * The link count shown is the count on disk plus *diff.  1 with *diff
 * set, 0 when dirfd/name has no such xattr, -1 (EINVAL: malformed).
 */
int	layer_get_nlink(int dirfd, const char *name, int *diff);
int	layer_set_nlink(int dirfd, const char *name, int diff);

/*
 * In the work directory while a volatile mount (one that never waits for
 * the disk) may have written to the layer: the boot id it was made in.
 * layer_volatile says what the mark in workfd means: LAYER_SOUND (none),
 * LAYER_UNSYNCED (made in this boot: the page cache holds what was
 * written), LAYER_LOST (another boot's, or unreadable: writes may be
 * lost), or -1 with errno.  layer_volatile_mark leaves this boot's mark,
 * on disk when it returns 0.
 */
#define LAYER_VOLATILE_MARK	"volatile"
#define LAYER_SOUND		0
#define LAYER_UNSYNCED		1
#define LAYER_LOST		2
int	layer_volatile(int workfd);
int	layer_volatile_mark(int workfd);

/* The index directory, in the work directory. */
#define LAYER_INDEX_DIR		"index"
#define LAYER_INDEX_KEYLEN	256	/* a key and its NUL fit in this */

/*
 * The index key of the lower object at fd (an O_PATH fd will do), into
 * key: "h-FSID-TYPE-HANDLE" from statfs(2)'s f_fsid and the object's file
 * handle (name_to_handle_at(2): inode and generation on ext4, btrfs and
 * xfs), which outlive mounts and boots as long as f_fsid does; where the
 * filesystem has no handles, "i-DEV-INO-CTIME", which a new inode under
 * a reused number cannot match, and which a change of the file on the
 * host (a link, a chmod) makes miss: the names then come apart, they
 * never show another file.  All numbers in lower-case hex.
 */
int	layer_index_key(int fd, char *key, size_t len);

/* An object's recorded owner, mode (type included) and device number. */
struct layer_rec {
	uid_t		 uid;
	gid_t		 gid;
	mode_t		 mode;
	dev_t		 rdev;
};

/*
 * Read the record of dirfd/name (name "" for dirfd itself, which must not
 * be a symlink then).  1 with *rec filled, 0 when there is none, -1.
 * A record without a type takes it from st, when st is not NULL.
 */
int	layer_get_rec(int dirfd, const char *name, const struct stat *st,
	    struct layer_rec *);
int	layer_set_rec(int dirfd, const char *name, const struct layer_rec *);

/* Show st as the record says: owner, mode, type, device, size 0 if special. */
void	layer_rec_apply(struct stat *, const struct layer_rec *);

/*
 * Show the upper object dirfd/name of a layer that keeps records, whose
 * own stat is st, as its record says; an object without one keeps its
 * mode, and the layer owner's ids (diskuid, diskgid: the upper root's on
 * disk) show as 0.  0, or -1 with errno.
 */
int	layer_rec_stat(int dirfd, const char *name, uid_t diskuid,
	    gid_t diskgid, struct stat *st);

/*
 * The mode to give the object on disk for a record of mode: the permission
 * bits with the owner's read and write (and search, for a directory)
 * always on, so the layer's owner can always reach it, and never setuid,
 * setgid or sticky.  Regular files stand in for the special types.
 */
mode_t	layer_rec_diskmode(mode_t);

/*
 * The name under which an xattr the layer's owner may not set (security.*,
 * trusted.*) is stored: LAYER_XATTR_XPREFIX + name, into buf.  Returns
 * buf, or NULL when name needs no such mapping (or does not fit).
 */
const char *layer_xattr_stored(const char *name, char *buf, size_t len);

/* readlinkat(2) that also reads a symlink kept as a record. */
ssize_t	layer_readlink(int dirfd, const char *name, char *buf, size_t len);

#endif

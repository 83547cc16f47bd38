/*
 * owners.c - ownership kept as records, for an overpackfs that may not
 * chown (-o owners=xattr; see overpack-layer(5)).
 *
 * Without privilege the filesystem cannot give an upper object another
 * owner, make a device node or set security.capability.  It keeps what
 * the command asked for in a record on the object instead: owner, mode
 * (setuid and setgid included) and type, with fifos, sockets and devices
 * stored as empty regular files and symlinks as regular files holding
 * their target.  The object on disk stays the layer
 * owner's, readable and writable by it.  Every change goes through this
 * filesystem, so the records cannot drift from what the kernel was shown.
 *
 * The kernel maps the ids of a reply through the mounter's user
 * namespace; one it cannot map would show as the overflow id, and root
 * inside would lose its override on the object.  ids_show gives such ids
 * as 0 instead (idmax), the record keeping the true ones.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"

/* Show the upper object fd (O_PATH), whose own stat is st, as recorded. */
int
rec_stat(struct fs *fs, int fd, struct stat *st)
{
	if (!fs->records)
		return 0;
	if (layer_rec_stat(fd, "", fs->diskuid, fs->diskgid, st) == -1)
		return errno;
	return 0;
}

void
ids_show(struct fs *fs, struct stat *st)
{
	if (fs->idmax == 0)
		return;
	if (st->st_uid >= fs->idmax)
		st->st_uid = 0;
	if (st->st_gid >= fs->idmax)
		st->st_gid = 0;
}

/*
 * Set fs->records: want, or whether the layer keeps records already (a
 * layer that does stays one).  A layer that starts to gets a record on
 * its root: the merged root shows the upper root's attributes, and the
 * record marks the layer.  It starts as the base root's.
 */
int
rec_init(struct fs *fs, int want)
{
	struct layer_rec rec;
	struct stat st, lst;
	int k;

	if (fstat(fs->upperfd, &st) == -1)
		return errno;
	fs->diskuid = st.st_uid;
	fs->diskgid = st.st_gid;
	k = layer_get_rec(fs->upperfd, "", &st, &rec);
	if (k == 1 || !want) {
		fs->records = k == 1;
		return 0;
	}
	if (k == -1)
		return errno;
	fs->records = 1;
	if (fstat(fs->lowerfd, &lst) == -1)
		return errno;
	rec.uid = lst.st_uid;
	rec.gid = lst.st_gid;
	rec.mode = lst.st_mode;
	rec.rdev = 0;
	if (layer_set_rec(fs->upperfd, "", &rec) == -1 ||
	    fchmod(fs->upperfd, layer_rec_diskmode(rec.mode)) == -1)
		return errno;
	return 0;
}

/*
 * The owner and mode changes of a setattr, on the upper object fd.  A real
 * symlink (put in the layer by other means) cannot carry a record: it
 * stays owned by 0:0, and only a chown to that succeeds.
 */
int
rec_chattr(struct fs *fs, int fd, const struct stat *attr, int to_set)
{
	char path[64];
	struct layer_rec rec;
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (S_ISLNK(st.st_mode)) {	/* not made by owners=xattr */
		if (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != 0) ||
		    ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != 0))
			return EPERM;
		return 0;
	}
	if (layer_rec_stat(fd, "", fs->diskuid, fs->diskgid, &st) == -1)
		return errno;
	rec.uid = st.st_uid;
	rec.gid = st.st_gid;
	rec.mode = st.st_mode;
	rec.rdev = st.st_rdev;
	if (to_set & FUSE_SET_ATTR_UID)
		rec.uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		rec.gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_MODE)
		rec.mode = (rec.mode & S_IFMT) | (attr->st_mode & 07777);
	if (layer_set_rec(fd, "", &rec) == -1)
		return errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((to_set & FUSE_SET_ATTR_MODE) &&
	    chmod(path, layer_rec_diskmode(rec.mode)) == -1)
		return errno;
	return 0;
}

/*
 * Make dirfd/name as mode (type and permissions) for uid:gid.  Regular
 * files and directories are the caller's to create; anything else is made
 * here as an empty regular file, a symlink as one holding its target.
 */
int
rec_make(struct fs *fs, int dirfd, const char *name, mode_t mode,
    dev_t rdev, const char *target, uid_t uid, gid_t gid)
{
	struct layer_rec rec = {
		.uid = uid, .gid = gid, .mode = mode, .rdev = rdev
	};
	size_t len;
	int fd, error = 0;

	(void)fs;
	if (S_ISLNK(mode)) {
		if ((fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
			return errno;
		len = strlen(target);
		if (write(fd, target, len) != (ssize_t)len)
			error = errno ? errno : EIO;
		if (close(fd) == -1 && error == 0)
			error = errno;
		if (error)
			return error;
	} else if (!S_ISREG(mode) && !S_ISDIR(mode) &&
	    mknodat(dirfd, name, S_IFREG | layer_rec_diskmode(mode), 0) == -1)
		return errno;
	if (layer_set_rec(dirfd, name, &rec) == -1)
		return errno;
	return 0;
}

/*
 * The target of the symlink that the upper object fd (O_PATH) stands for,
 * into buf: a real symlink's, or what a recorded one holds.
 */
ssize_t
rec_readlink(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int rfd;

	if ((n = readlinkat(fd, "", buf, len)) >= 0 || errno != ENOENT)
		return n;
	/* readlinkat of "" on a non-symlink O_PATH fd says ENOENT. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((rfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(rfd, buf, len);
	close(rfd);
	return n;
}

/* The name under which xattr name is kept in layer. */
const char *
rec_xname(struct fs *fs, int layer, const char *name, char *buf, size_t len)
{
	const char *stored;

	if (!fs->records || layer != UP)
		return name;
	stored = layer_xattr_stored(name, buf, len);
	return stored != NULL ? stored : name;
}

/*
 * direct.c - changes made on a process's behalf from outside the FUSE
 * session (the library side of opfs_chown and opfs_mknod in opfs.h).
 *
 * In a user namespace the kernel refuses some calls before the filesystem
 * sees them: a chown to an id the namespace does not map, and mknod of a
 * device without CAP_MKNOD in the host's namespace.  overpack run stops
 * those calls (seccomp user notification, src/seccomp.c), decides whether
 * root inside may make them, and asks for them here.  They go through the
 * same copy-up and record code as the kernel's requests, and afterwards
 * the kernel is told to drop what it cached of the objects.
 *
 * These run in a thread of their own, never in a request handler: the
 * kernel takes a directory's lock to drop an entry, and a handler may be
 * running under that lock.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "opfs.h"

/*
 * A chown as the kernel makes it: setuid always goes, and setgid of a
 * group-executable file, from anything but a directory; so does a file
 * capability.
 */
int
opfs_chown(struct opfs *o, uint64_t ino, uint32_t uid, uint32_t gid)
{
	struct fs *fs = (struct fs *)o;
	struct stat st, attr;
	struct node *n;
	int error, to_set = 0;

	if ((n = node_get(fs, ino)) == NULL)
		return ESTALE;
	if ((error = node_stat(fs, n, &st)) != 0)
		goto out;
	memset(&attr, 0, sizeof(attr));
	if (uid != (uint32_t)-1) {
		attr.st_uid = uid;
		to_set |= FUSE_SET_ATTR_UID;
	}
	if (gid != (uint32_t)-1) {
		attr.st_gid = gid;
		to_set |= FUSE_SET_ATTR_GID;
	}
	attr.st_mode = st.st_mode & 07777;
	if (!S_ISDIR(st.st_mode) && to_set != 0) {
		attr.st_mode &= ~S_ISUID;
		if (attr.st_mode & S_IXGRP)
			attr.st_mode &= ~S_ISGID;
		if (attr.st_mode != (st.st_mode & 07777))
			to_set |= FUSE_SET_ATTR_MODE;
	}
	if ((error = do_setattr(fs, n, &attr, to_set, NULL)) != 0)
		goto out;
	if (S_ISREG(st.st_mode) && to_set != 0) {
		error = do_removexattr(fs, n, "security.capability");
		if (error == ENODATA)
			error = 0;
	}
out:
	node_put(fs, n);
	fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
	return error;
}

/* mknod of parent/name, umask applied, for uid:gid. */
int
opfs_mknod(struct opfs *o, uint64_t parent, const char *name, mode_t mode,
    dev_t rdev, uint32_t uid, uint32_t gid)
{
	struct fs *fs = (struct fs *)o;
	struct newobj obj = { .mode = mode, .rdev = rdev, .fd = -1 };
	struct node *p, *n;
	int error;

	/* A 0/0 character device would read back as a whiteout. */
	if (S_ISCHR(mode) && rdev == 0)
		return EPERM;
	if ((p = node_get(fs, parent)) == NULL)
		return ESTALE;
	error = do_create(fs, p, name, &obj, uid, gid, &n);
	if (error == 0)
		node_forget(fs, n, 1);	/* no kernel lookup to count */
	node_put(fs, p);
	/* The kernel may hold a negative entry for name. */
	fuse_lowlevel_notify_inval_entry(fs->se, parent, name, strlen(name));
	return error;
}

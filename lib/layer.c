/*
 * layer.c - reading and writing the upper-layer format of layer.h.
 *
 * xattrs are reached through /proc/self/fd so that directories are never
 * opened by a path that could be swapped under us; callers pass O_PATH or
 * directory fds.  trusted.* needs CAP_SYS_ADMIN; without it the user.*
 * twin is used, as kernel overlayfs does with -o userxattr.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer.h"
#include "tree.h"

int
layer_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int
layer_is_private_xattr(const char *name)
{
	return strncmp(name, LAYER_XATTR_PREFIX, strlen(LAYER_XATTR_PREFIX)) == 0 ||
	    strncmp(name, LAYER_UXATTR_PREFIX, strlen(LAYER_UXATTR_PREFIX)) == 0 ||
	    strncmp(name, LAYER_XATTR_OWN, strlen(LAYER_XATTR_OWN)) == 0 ||
	    strcmp(name, LAYER_XATTR_RECORD) == 0;
}

int
layer_mkwhiteout(int dirfd, const char *name)
{
	return mknodat(dirfd, name, S_IFCHR | 0000, makedev(0, 0));
}

static ssize_t
getx(int dirfd, const char *name, const char *attr, char *buf, size_t len)
{
	char path[64 + 256];
	ssize_t n;

	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	n = (name && *name) ? lgetxattr(path, attr, buf, len) :
	    getxattr(path, attr, buf, len);
	if (n == -1 && (errno == ENODATA || errno == ENOTSUP))
		n = 0;
	return n;
}

static int
setx(int dirfd, const char *name, const char *attr, const char *val)
{
	char path[64 + 256];
	char uattr[64];
	int (*set)(const char *, const char *, const void *, size_t, int);

	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	set = (name && *name) ? lsetxattr : setxattr;
	if (set(path, attr, val, strlen(val), 0) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	/* Unprivileged: fall back to the user.overlay.* twin. */
	snprintf(uattr, sizeof(uattr), "%s%s", LAYER_UXATTR_PREFIX,
	    attr + strlen(LAYER_XATTR_PREFIX));
	return set(path, uattr, val, strlen(val), 0);
}

static ssize_t
getx2(int dirfd, const char *name, const char *attr, char *buf, size_t len)
{
	char uattr[64];
	ssize_t n;

	if ((n = getx(dirfd, name, attr, buf, len)) != 0)
		return n;
	snprintf(uattr, sizeof(uattr), "%s%s", LAYER_UXATTR_PREFIX,
	    attr + strlen(LAYER_XATTR_PREFIX));
	return getx(dirfd, name, uattr, buf, len);
}

/* Does dirfd/name carry attr or its user.overlay.* twin?  1, 0 or -1. */
static int
hasx(int dirfd, const char *name, const char *attr)
{
	char path[64 + 256], uattr[64];
	ssize_t n;
	int k;

	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	snprintf(uattr, sizeof(uattr), "%s%s", LAYER_UXATTR_PREFIX,
	    attr + strlen(LAYER_XATTR_PREFIX));
	for (k = 0; k < 2; k++) {
		n = (name && *name) ?
		    lgetxattr(path, k ? uattr : attr, NULL, 0) :
		    getxattr(path, k ? uattr : attr, NULL, 0);
		if (n >= 0)
			return 1;
		if (errno != ENODATA && errno != ENOTSUP)
			return -1;
	}
	return 0;
}

int
layer_is_opaque(int dirfd, const char *name)
{
	char v[8];
	ssize_t n;

	if ((n = getx2(dirfd, name, LAYER_XATTR_OPAQUE, v, sizeof(v))) == -1)
		return errno == ERANGE ? 0 : -1;
	return n == 1 && v[0] == 'y';
}

int
layer_set_opaque(int dirfd, const char *name)
{
	return setx(dirfd, name, LAYER_XATTR_OPAQUE, "y");
}

ssize_t
layer_get_redirect(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;

	if ((n = getx2(dirfd, name, LAYER_XATTR_REDIRECT, buf, len - 1)) == -1)
		return -1;
	buf[n] = '\0';
	if (n > 0 && memchr(buf, '\0', n) != NULL) {
		errno = EINVAL;
		return -1;
	}
	return n;
}

int
layer_set_redirect(int dirfd, const char *name, const char *path)
{
	return setx(dirfd, name, LAYER_XATTR_REDIRECT, path);
}

int
layer_is_metacopy(int dirfd, const char *name)
{
	return hasx(dirfd, name, LAYER_XATTR_METACOPY);
}

int
layer_set_metacopy(int dirfd, const char *name)
{
	return setx(dirfd, name, LAYER_XATTR_METACOPY, "");
}

static int
clearx(int dirfd, const char *name, const char *attr)
{
	char path[64 + 256];
	char uattr[64];
	int (*rm)(const char *, const char *);

	rm = (name && *name) ? lremovexattr : removexattr;
	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	if (rm(path, attr) == -1 &&
	    errno != ENODATA && errno != ENOTSUP && errno != EPERM)
		return -1;
	snprintf(uattr, sizeof(uattr), "%s%s", LAYER_UXATTR_PREFIX,
	    attr + strlen(LAYER_XATTR_PREFIX));
	if (rm(path, uattr) == -1 &&
	    errno != ENODATA && errno != ENOTSUP)
		return -1;
	return 0;
}

int
layer_clear_metacopy(int dirfd, const char *name)
{
	return clearx(dirfd, name, LAYER_XATTR_METACOPY);
}

int
layer_clear_opaque(int dirfd, const char *name)
{
	return clearx(dirfd, name, LAYER_XATTR_OPAQUE);
}

int
layer_clear_redirect(int dirfd, const char *name)
{
	return clearx(dirfd, name, LAYER_XATTR_REDIRECT);
}

int
layer_get_nlink(int dirfd, const char *name, int *diff)
{
	char buf[16], *end;
	ssize_t n;
	long v;

	if ((n = getx2(dirfd, name, LAYER_XATTR_NLINK, buf, sizeof(buf) - 1))
	    == -1)
		return errno == ERANGE ? (errno = EINVAL, -1) : -1;
	if (n == 0)
		return 0;
	buf[n] = '\0';
	if (buf[0] != 'U' || (buf[1] != '+' && buf[1] != '-')) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtol(buf + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v < INT_MIN / 2 || v > INT_MAX / 2) {
		errno = EINVAL;
		return -1;
	}
	*diff = v;
	return 1;
}

int
layer_set_nlink(int dirfd, const char *name, int diff)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "U%+d", diff);
	return setx(dirfd, name, LAYER_XATTR_NLINK, buf);
}

static void
hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (; n > 0; n--, p++) {
		*out++ = digits[*p >> 4];
		*out++ = digits[*p & 0xf];
	}
	*out = '\0';
}

int
layer_index_key(int fd, char *key, size_t len)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	char handle[2 * MAX_HANDLE_SZ + 1];
	struct statfs sfs;
	struct stat st;
	int mid, r, fsid[2];

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &h.fh, &mid, AT_EMPTY_PATH) == 0) {
		if (fstatfs(fd, &sfs) == -1)
			return -1;
		memcpy(fsid, &sfs.f_fsid, sizeof(fsid));
		hex(handle, (unsigned char *)h.fh.f_handle, h.fh.handle_bytes);
		r = snprintf(key, len, "h-%08x%08x-%x-%s", (unsigned)fsid[0],
		    (unsigned)fsid[1], (unsigned)h.fh.handle_type, handle);
		if (r >= 0 && (size_t)r < len && r <= NAME_MAX)
			return 0;
		/* A handle too long for a name: the other key. */
	}
	/* No handles here (EOPNOTSUPP, EOVERFLOW, ...): the other key. */
	if (fstat(fd, &st) == -1)
		return -1;
	r = snprintf(key, len, "i-%jx-%jx-%jx.%lx", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino, (uintmax_t)st.st_ctim.tv_sec,
	    (unsigned long)st.st_ctim.tv_nsec);
	if (r < 0 || (size_t)r >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
layer_get_rec(int dirfd, const char *name, const struct stat *st,
    struct layer_rec *rec)
{
	char buf[96], type[32];
	unsigned long uid, gid, mode;
	unsigned maj, min;
	ssize_t n;
	int k, used;

	if ((n = getx(dirfd, name, LAYER_XATTR_RECORD, buf, sizeof(buf) - 1))
	    == -1)
		return errno == ERANGE ? (errno = EINVAL, -1) : -1;
	if (n == 0)
		return 0;
	buf[n] = '\0';
	type[0] = '\0';
	k = sscanf(buf, "%lu:%lu:%lo%n:%31s", &uid, &gid, &mode, &used, type);
	if (k < 3 || uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1 ||
	    mode > 07777 || (k == 3 && buf[used] != '\0')) {
		errno = EINVAL;
		return -1;
	}
	rec->uid = uid;
	rec->gid = gid;
	rec->mode = mode;
	rec->rdev = 0;
	if (type[0] == '\0') {
		if (st == NULL) {
			errno = EINVAL;
			return -1;
		}
		rec->mode |= st->st_mode & S_IFMT;
	} else if (strcmp(type, "file") == 0)
		rec->mode |= S_IFREG;
	else if (strcmp(type, "dir") == 0)
		rec->mode |= S_IFDIR;
	else if (strcmp(type, "symlink") == 0)
		rec->mode |= S_IFLNK;
	else if (strcmp(type, "pipe") == 0)
		rec->mode |= S_IFIFO;
	else if (strcmp(type, "socket") == 0)
		rec->mode |= S_IFSOCK;
	else if (sscanf(type, "char-%u-%u", &maj, &min) == 2) {
		rec->mode |= S_IFCHR;
		rec->rdev = makedev(maj, min);
	} else if (sscanf(type, "block-%u-%u", &maj, &min) == 2) {
		rec->mode |= S_IFBLK;
		rec->rdev = makedev(maj, min);
	} else {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

int
layer_set_rec(int dirfd, const char *name, const struct layer_rec *rec)
{
	char path[64 + 256], buf[96], type[32];
	ssize_t n;

	switch (rec->mode & S_IFMT) {
	case S_IFREG:
		strcpy(type, "file");
		break;
	case S_IFDIR:
		strcpy(type, "dir");
		break;
	case S_IFLNK:
		strcpy(type, "symlink");
		break;
	case S_IFIFO:
		strcpy(type, "pipe");
		break;
	case S_IFSOCK:
		strcpy(type, "socket");
		break;
	default:
		snprintf(type, sizeof(type), "%s-%u-%u",
		    S_ISCHR(rec->mode) ? "char" : "block",
		    major(rec->rdev), minor(rec->rdev));
		break;
	}
	n = snprintf(buf, sizeof(buf), "%lu:%lu:%04lo:%s",
	    (unsigned long)rec->uid, (unsigned long)rec->gid,
	    (unsigned long)(rec->mode & 07777), type);
	if (tree_procpath(path, sizeof(path), dirfd, name) == -1)
		return -1;
	return ((name && *name) ? lsetxattr : setxattr)(path,
	    LAYER_XATTR_RECORD, buf, n, 0);
}

void
layer_rec_apply(struct stat *st, const struct layer_rec *rec)
{
	st->st_uid = rec->uid;
	st->st_gid = rec->gid;
	st->st_mode = rec->mode;
	st->st_rdev = rec->rdev;
	if (!S_ISREG(rec->mode) && !S_ISDIR(rec->mode) && !S_ISLNK(rec->mode)) {
		st->st_size = 0;
		st->st_blocks = 0;
	}
}

int
layer_rec_stat(int dirfd, const char *name, uid_t diskuid, gid_t diskgid,
    struct stat *st)
{
	struct layer_rec rec;
	int k = 0;

	if ((S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) &&
	    (k = layer_get_rec(dirfd, name, st, &rec)) == -1)
		return -1;
	if (k == 1) {
		layer_rec_apply(st, &rec);
		return 0;
	}
	if (st->st_uid == diskuid)
		st->st_uid = 0;
	if (st->st_gid == diskgid)
		st->st_gid = 0;
	return 0;
}

mode_t
layer_rec_diskmode(mode_t mode)
{
	if (S_ISDIR(mode))
		return (mode & 0777) | 0700;
	return (mode & 0777) | 0600;
}

const char *
layer_xattr_stored(const char *name, char *buf, size_t len)
{
	if (strncmp(name, "security.", 9) != 0 &&
	    strncmp(name, "trusted.", 8) != 0)
		return NULL;
	if ((size_t)snprintf(buf, len, "%s%s", LAYER_XATTR_XPREFIX, name) >=
	    len)
		return NULL;
	return buf;
}

ssize_t
layer_readlink(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((n = readlinkat(dirfd, name, buf, len)) >= 0 || errno != EINVAL)
		return n;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

/* This boot's id, 36 characters and a NUL; 0 or -1 with errno. */
static int
boot_id(char id[37])
{
	ssize_t n;
	int fd;

	if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, id, 36);
	close(fd);
	if (n != 36) {
		errno = EIO;
		return -1;
	}
	id[36] = '\0';
	return 0;
}

int
layer_volatile(int workfd)
{
	char id[37], old[37];
	ssize_t n;
	int fd;

	if ((fd = openat(workfd, LAYER_VOLATILE_MARK, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? LAYER_SOUND : -1;
	n = read(fd, old, 36);
	close(fd);
	if (boot_id(id) == -1)
		return -1;
	return n == 36 && memcmp(old, id, 36) == 0 ? LAYER_UNSYNCED :
	    LAYER_LOST;
}

int
layer_volatile_mark(int workfd)
{
	char id[37];
	int fd, e = 0;

	if (boot_id(id) == -1)
		return -1;
	if ((fd = openat(workfd, "#" LAYER_VOLATILE_MARK, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (write(fd, id, 36) != 36 || fsync(fd) == -1)
		e = errno ? errno : EIO;
	if (close(fd) == -1 && e == 0)
		e = errno;
	if (e == 0 && (renameat(workfd, "#" LAYER_VOLATILE_MARK, workfd,
	    LAYER_VOLATILE_MARK) == -1 || fsync(workfd) == -1))
		e = errno;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
	    strncmp(name, LAYER_UXATTR_PREFIX, strlen(LAYER_UXATTR_PREFIX)) == 0;
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

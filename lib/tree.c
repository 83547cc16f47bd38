/*
 * tree.c - the base as a read-only, detached copy of its mount tree.
 *
 * This is what makes "the base is never written" true by construction
 * rather than by care: every lower fd of overpackfs lives in this copy.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tree.h"

int
tree_procpath(char *buf, size_t len, int dirfd, const char *name)
{
	int n;

	if (name == NULL || *name == '\0')
		n = snprintf(buf, len, "/proc/self/fd/%d", dirfd);
	else
		n = snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
tree_open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how;

	while (*path == '/')
		path++;
	memset(&how, 0, sizeof(how));
	how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return syscall(SYS_openat2, dirfd, *path ? path : ".", &how,
	    sizeof(how));
}

int
tree_clone_ro(const char *path)
{
	struct mount_attr attr;
	int fd, e;

	fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_RECURSIVE);
	if (fd == -1)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY;
	attr.propagation = MS_PRIVATE;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
	    sizeof(attr)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

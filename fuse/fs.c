/*
 * fs.c - setting up, running and tearing down one overpackfs instance
 * (the library side of opfs.h).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"
#include "opfs.h"

/*
 * Does close(2) on the upper filesystem tell nothing that FLUSH could
 * report?  True of the local filesystems whose files have no flush
 * operation; a network filesystem's close can report a failed write.
 */
static int
close_says_nothing(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) == -1)
		return 0;
	switch (sfs.f_type) {
	case EXT4_SUPER_MAGIC:		/* ext2 and ext3 too */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/*
 * Raise the fd limit as far as the kernel lets, and keep node fds to half
 * of it: the rest is for open files, directory listings and copy-ups.
 */
static void
raise_nofile(struct fs *fs)
{
	struct rlimit rl;
	FILE *fp;
	long max = 0;

	fs->maxfds = 64;
	if ((fp = fopen("/proc/sys/fs/nr_open", "r")) != NULL) {
		if (fscanf(fp, "%ld", &max) != 1)
			max = 0;
		fclose(fp);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (max > 0 && (rlim_t)max > rl.rlim_max) {
		struct rlimit want = { max, max };

		setrlimit(RLIMIT_NOFILE, &want);	/* needs CAP_SYS_RESOURCE */
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	fs->maxfds = rl.rlim_cur / 2 > 64 ? rl.rlim_cur / 2 : 64;
}

/*
 * Remove what a crashed instance left in the work directory: all but the
 * index, which outlives mounts (see copyup.c), and a volatile mount's
 * mark, which says whether the layer can be trusted.
 */
static int
clean_work(struct fs *fs)
{
	struct dirent *de;
	DIR *d;
	int fd, error = 0;

	if ((fd = openat(fs->workfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return errno;
	}
	while (error == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, LAYER_INDEX_DIR) != 0 &&
		    strcmp(de->d_name, LAYER_VOLATILE_MARK) != 0)
			error = dir_purge(fs, fs->workfd, de->d_name);
	closedir(d);
	return error;
}

/*
 * Before any mount writes: a volatile mount's mark left from an earlier
 * boot means the machine went down while the layer was written without
 * waiting for the disk, so writes may be lost (EUCLEAN).  One from this
 * boot (a daemon that was killed) only means the page cache still holds
 * them: sync.  A volatile mount then leaves its own mark, on disk before
 * anything else is written.
 */
static int
volatile_begin(struct fs *fs)
{
	switch (layer_volatile(fs->workfd)) {
	case -1:
		return errno;
	case LAYER_LOST:
		return EUCLEAN;
	case LAYER_UNSYNCED:
		if (syncfs(fs->upperfd) == -1)
			return errno;
		if (!fs->nosync && (unlinkat(fs->workfd, LAYER_VOLATILE_MARK,
		    0) == -1 || fsync(fs->workfd) == -1))
			return errno;
		break;
	}
	if (fs->nosync && layer_volatile_mark(fs->workfd) == -1)
		return errno;
	return 0;
}

int
opfs_finish(struct opfs *o)
{
	struct fs *fs = (struct fs *)o;

	if (!fs->nosync)
		return 0;
	if (syncfs(fs->upperfd) == -1 ||
	    unlinkat(fs->workfd, LAYER_VOLATILE_MARK, 0) == -1 ||
	    fsync(fs->workfd) == -1)
		return -1;
	return 0;
}

static int
make_root(struct fs *fs)
{
	struct node *n;
	struct stat ust, lst;

	if (fstatat(fs->upperfd, "", &ust, AT_EMPTY_PATH) == -1 ||
	    fstatat(fs->lowerfd, "", &lst, AT_EMPTY_PATH) == -1)
		return errno;
	if (ust.st_dev != fs->workdev)
		return EXDEV;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->lowerpath = strdup("")) == NULL) {
		free(n);
		return ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_mutex_init(&n->dl_lock, NULL);
	n->ino = FUSE_ROOT_ID;
	n->type = S_IFDIR;
	n->nlookup = 1;
	n->fd[UP] = fcntl(fs->upperfd, F_DUPFD_CLOEXEC, 0);
	n->fd[LO] = fcntl(fs->lowerfd, F_DUPFD_CLOEXEC, 0);
	if (n->fd[UP] == -1 || n->fd[LO] == -1) {
		int error = errno;

		if (n->fd[UP] >= 0)
			close(n->fd[UP]);
		free(n->lowerpath);
		free(n);
		return error;
	}
	n->has[UP] = n->has[LO] = 1;
	n->key[UP].dev = ust.st_dev;
	n->key[UP].ino = ust.st_ino;
	n->key[LO].dev = lst.st_dev;
	n->key[LO].ino = lst.st_ino;
	n->pinned = 1;
	fs->root = n;
	n->refs = 1;
	fdc_account(fs, n, 2);
	node_insert(fs, n);
	/* The root's number is fixed at 1 for both of its objects. */
	if (node_alias(fs, n, &ust) != 0 || node_alias(fs, n, &lst) != 0)
		return ENOMEM;
	return 0;
}

struct opfs *
opfs_new(const struct opfs_config *cfg, struct fuse_args *args)
{
	struct fs *fs;
	struct stat wst;
	int error;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	fs->lowerfd = cfg->lowerfd;
	fs->upperfd = cfg->upperfd;
	fs->workfd = cfg->workfd;
	fs->indexfd = -1;
	pthread_mutex_init(&fs->index_lock, NULL);
	pthread_mutex_init(&fs->handle_lock, NULL);
	fs->timeout = cfg->timeout > 0 ? cfg->timeout : 86400.0;
	if ((fs->strict = cfg->strict) != 0)
		fs->timeout = 0;
	fs->trace = cfg->trace;
	fs->filter = cfg->filter;
	if ((error = node_table_init(fs)) != 0)
		goto fail;
	if (fstat(fs->workfd, &wst) == -1) {
		error = errno;
		goto fail;
	}
	fs->workdev = wst.st_dev;
	fs->noflush = close_says_nothing(fs->upperfd);
	fs->nosync = cfg->nosync;
	fs->ring_ok = !cfg->noring;
	if (access("/proc/self/fd", X_OK) == -1) {
		error = errno;	/* reopen() and xattrs need it */
		goto fail;
	}
	raise_nofile(fs);
	if (cfg->maxfds > 0 && cfg->maxfds < fs->maxfds)
		fs->maxfds = cfg->maxfds < 8 ? 8 : cfg->maxfds;
	/* Modes come from the kernel with the caller's umask applied. */
	umask(0);
	if ((error = clean_work(fs)) != 0 ||
	    (error = volatile_begin(fs)) != 0 ||
	    (error = index_init(fs)) != 0 ||
	    (error = make_root(fs)) != 0)
		goto fail;
	fs->idmax = cfg->idmax;
	if ((error = rec_init(fs, cfg->records)) != 0)
		goto fail;
	if (fuse_opt_add_arg(args, "-odefault_permissions,allow_other,suid,"
	    "dev,fsname=overpackfs,subtype=overpackfs") == -1) {
		error = ENOMEM;
		goto fail;
	}
	fs->se = fuse_session_new(args, &opfs_ops, sizeof(opfs_ops), fs);
	if (fs->se == NULL) {
		error = EINVAL;
		goto fail;
	}
	return (struct opfs *)fs;
fail:
	opfs_free((struct opfs *)fs);
	errno = error;
	return NULL;
}

int
opfs_mount(struct opfs *o, const char *mountpoint)
{
	struct fs *fs = (struct fs *)o;
	int error;

	if (fuse_session_mount(fs->se, mountpoint) != 0) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if ((error = loop_attach(fs)) != 0) {
		fuse_session_unmount(fs->se);
		errno = error;
		return -1;
	}
	return 0;
}

void
opfs_exit(struct opfs *o)
{
	fuse_session_exit(((struct fs *)o)->se);
}

void
opfs_unmount(struct opfs *o)
{
	fuse_session_unmount(((struct fs *)o)->se);
}

int
opfs_fd(struct opfs *o)
{
	return fuse_session_fd(((struct fs *)o)->se);
}

void
opfs_free(struct opfs *o)
{
	struct fs *fs = (struct fs *)o;

	if (fs == NULL)
		return;
	if (fs->se != NULL)
		fuse_session_destroy(fs->se);
	handles_free(fs);
	if (fs->nodes != NULL)
		node_table_free(fs);	/* the root is in it */
	close(fs->lowerfd);
	close(fs->upperfd);
	close(fs->workfd);
	if (fs->indexfd >= 0)
		close(fs->indexfd);
	pthread_mutex_destroy(&fs->index_lock);
	pthread_mutex_destroy(&fs->handle_lock);
	free(fs);
}

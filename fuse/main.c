/*
 * main.c - overpackfs(8): mount the overlay on its own.
 *
 *	overpackfs [-f] [-d] -o lowerdir=L,upperdir=U,workdir=W MOUNTPOINT
 *
 * The lower directory is taken as a detached, read-only, private clone of
 * its mount tree, so that neither this mount nor anything mounted later
 * shows up inside it, and the kernel itself refuses writes to it.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "layer.h"
#include "opfs.h"
#include "tree.h"

struct options {
	char	*lowerdir;
	char	*upperdir;
	char	*workdir;
	char	*timeout;
	char	*maxfds;
	char	*owners;
	int	 nosync;
	int	 noring;
};

#define OPT(t, p) { t, offsetof(struct options, p), 1 }
static const struct fuse_opt option_spec[] = {
	OPT("lowerdir=%s", lowerdir),
	OPT("upperdir=%s", upperdir),
	OPT("workdir=%s", workdir),
	OPT("timeout=%s", timeout),
	OPT("maxfds=%s", maxfds),
	OPT("owners=%s", owners),
	{ "volatile", offsetof(struct options, nosync), 1 },
	{ "nouring", offsetof(struct options, noring), 1 },
	FUSE_OPT_END
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: overpackfs [-f] [-d] -o lowerdir=DIR,upperdir=DIR,"
	    "workdir=DIR[,timeout=SEC][,maxfds=N]\n"
	    "\t\t  [,owners=host|xattr][,volatile][,nouring] MOUNTPOINT\n");
}

/* The base: a read-only clone of its mount tree where we may make one. */
static int
open_lower(const char *path)
{
	int fd;

	if ((fd = tree_clone_ro(path)) == -1 &&
	    (errno == EPERM || errno == ENOSYS))
		/* Unprivileged: the plain directory, read only by design. */
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/*
 * Is the directory a (dev, ino) one of fd's directory or its ancestors?
 * Walks ".." up to the root.  The work directory is emptied at mount, so
 * it must not hold the upper layer, and it must not show inside it.
 */
static int
contains(int fd, const struct stat *a)
{
	struct stat st, pst;
	int cur, up, found = 0;

	if ((cur = dup(fd)) == -1)
		return -1;
	for (;;) {
		if (fstat(cur, &st) == -1)
			break;
		if (st.st_dev == a->st_dev && st.st_ino == a->st_ino) {
			found = 1;
			break;
		}
		if ((up = openat(cur, "..", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			break;
		if (fstat(up, &pst) == -1 || (pst.st_dev == st.st_dev &&
		    pst.st_ino == st.st_ino)) {
			close(up);
			break;		/* the root */
		}
		close(cur);
		cur = up;
	}
	close(cur);
	return found;
}

static int
open_dir(const char *what, const char *path, int flags)
{
	struct stat st;
	int fd;

	if (path == NULL) {
		fprintf(stderr, "overpackfs: missing -o %s=DIR\n", what);
		return -1;
	}
	fd = flags == -1 ? open_lower(path) :
	    open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "overpackfs: cannot open %s '%s': %s\n", what,
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "overpackfs: %s '%s' is not a directory\n",
		    what, path);
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl;
	struct options opts = { 0 };
	struct opfs_config cfg = { .lowerfd = -1, .upperfd = -1,
	    .workfd = -1 };
	struct stat ust, wst;
	struct opfs *fs = NULL;
	int status = 1;

	if (fuse_parse_cmdline(&args, &cl) != 0) {
		usage(stderr);
		return 2;
	}
	if (cl.show_help) {
		usage(stdout);
		status = 0;
		goto out;
	}
	if (cl.show_version) {
		printf("overpackfs %s (libfuse %s)\n", PACKAGE_VERSION,
		    fuse_pkgversion());
		status = 0;
		goto out;
	}
	if (fuse_opt_parse(&args, &opts, option_spec, NULL) == -1) {
		usage(stderr);
		status = 2;
		goto out;
	}
	if (cl.mountpoint == NULL) {
		fprintf(stderr, "overpackfs: no mount point given\n");
		usage(stderr);
		status = 2;
		goto out;
	}
	if (opts.lowerdir == NULL || opts.upperdir == NULL ||
	    opts.workdir == NULL) {
		fprintf(stderr, "overpackfs: -o lowerdir=, upperdir= and "
		    "workdir= are all needed\n");
		usage(stderr);
		status = 2;
		goto out;
	}
	if ((cfg.upperfd = open_dir("upperdir", opts.upperdir, 0)) == -1 ||
	    (cfg.workfd = open_dir("workdir", opts.workdir, 0)) == -1 ||
	    (cfg.lowerfd = open_dir("lowerdir", opts.lowerdir, -1)) == -1)
		goto out;
	if (fstat(cfg.upperfd, &ust) == -1 || fstat(cfg.workfd, &wst) == -1 ||
	    ust.st_dev != wst.st_dev) {
		fprintf(stderr, "overpackfs: workdir '%s' is not on the same "
		    "filesystem as upperdir '%s'\n", opts.workdir,
		    opts.upperdir);
		goto out;
	}
	if (contains(cfg.upperfd, &wst) > 0 || contains(cfg.workfd, &ust) > 0) {
		fprintf(stderr, "overpackfs: workdir '%s' and upperdir '%s' "
		    "must not contain each other\n", opts.workdir,
		    opts.upperdir);
		status = 2;
		goto out;
	}
	if (opts.timeout != NULL) {
		char *end;

		cfg.timeout = strtod(opts.timeout, &end);
		if (*end != '\0' || cfg.timeout < 0 || cfg.timeout > 1e9) {
			fprintf(stderr, "overpackfs: bad timeout '%s'\n",
			    opts.timeout);
			status = 2;
			goto out;
		}
	}
	if (opts.maxfds != NULL) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(opts.maxfds, &end, 10);
		if (*end != '\0' || errno != 0 || v < 8 || v > 1000000) {
			fprintf(stderr, "overpackfs: bad maxfds '%s' (8 to "
			    "1000000)\n", opts.maxfds);
			status = 2;
			goto out;
		}
		cfg.maxfds = v;
	}
	/* Without root the owners the command asks for can only be kept. */
	cfg.records = geteuid() != 0;
	if (opts.owners != NULL) {
		if (strcmp(opts.owners, "xattr") == 0)
			cfg.records = 1;
		else if (strcmp(opts.owners, "host") == 0)
			cfg.records = 0;
		else {
			fprintf(stderr, "overpackfs: bad owners '%s' (host or "
			    "xattr)\n", opts.owners);
			status = 2;
			goto out;
		}
	}
	cfg.nosync = opts.nosync;
	cfg.noring = opts.noring;
	if ((fs = opfs_new(&cfg, &args)) == NULL && errno == EUCLEAN) {
		fprintf(stderr, "overpackfs: upperdir '%s' was being written "
		    "by a volatile mount when the machine went down, so writes "
		    "may be lost; remove '%s/%s' to mount it anyway\n",
		    opts.upperdir, opts.workdir, LAYER_VOLATILE_MARK);
		cfg.lowerfd = cfg.upperfd = cfg.workfd = -1;	/* closed */
		goto out;
	} else if (fs == NULL) {
		fprintf(stderr, "overpackfs: cannot start on upperdir '%s': "
		    "%s\n", opts.upperdir, strerror(errno));
		cfg.lowerfd = cfg.upperfd = cfg.workfd = -1;	/* closed */
		goto out;
	}
	cfg.lowerfd = cfg.upperfd = cfg.workfd = -1;		/* fs owns */
	if (opfs_mount(fs, cl.mountpoint) == -1) {
		fprintf(stderr, "overpackfs: cannot mount on '%s': %s\n",
		    cl.mountpoint, strerror(errno));
		goto out;
	}
	if (fuse_daemonize(cl.foreground) == -1) {
		opfs_unmount(fs);
		goto out;
	}
	status = opfs_loop(fs) == -1 ? 1 : 0;
	opfs_unmount(fs);
	if (status == 0 && opfs_finish(fs) == -1) {
		fprintf(stderr, "overpackfs: cannot write upperdir '%s' to "
		    "disk: %s\n", opts.upperdir, strerror(errno));
		status = 1;
	}
out:
	opfs_free(fs);
	if (cfg.lowerfd >= 0)
		close(cfg.lowerfd);
	if (cfg.upperfd >= 0)
		close(cfg.upperfd);
	if (cfg.workfd >= 0)
		close(cfg.workfd);
	free(cl.mountpoint);
	free(opts.lowerdir);
	free(opts.upperdir);
	free(opts.workdir);
	free(opts.timeout);
	free(opts.maxfds);
	free(opts.owners);
	fuse_opt_free_args(&args);
	return status;
}

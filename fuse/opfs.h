/*
 * opfs.h - the overpack overlay filesystem as a library.
 *
 * overpackfs(8) wraps it in a command; overpack run links it directly and
 * serves the mount from its namespace's init process.  The caller opens the
 * three layer directories and hands the fds over; the filesystem never
 * resolves a layer by path after that, so nothing mounted later (the
 * overlay itself included) can appear inside a layer.
 *
 * Return convention: opfs_new returns NULL and opfs_mount/opfs_loop return
 * -1, both with errno set.  Nothing here exits the process.
 */
#ifndef OVERPACK_OPFS_H
#define OVERPACK_OPFS_H

struct fuse_args;
struct opfs;

struct opfs_config {
	int		 lowerfd;	/* base root, a directory; owned by opfs */
	int		 upperfd;	/* upper layer root; owned by opfs */
	int		 workfd;	/* scratch dir on upper's fs; owned by opfs */
	double		 timeout;	/* kernel cache of entries and
					   attributes, seconds; 0: default */
	unsigned	 maxfds;	/* node fds kept open; 0: half the
					   fd limit */
	int		 records;	/* keep owners, modes and special
					   files as records (owners=xattr);
					   a layer that has them keeps them */
	unsigned	 idmax;		/* ids the kernel can map are below
					   this; others are shown as 0;
					   0: all */
};

/*
 * opfs_new adds the mount options the filesystem depends on
 * (default_permissions, allow_other, suid, dev) to args and clears what a
 * crashed instance left in the work directory.  It changes two things for
 * the whole process, which a caller that forks other programs afterwards
 * restores in them: the umask becomes 0 (modes arrive from the kernel
 * already masked), and RLIMIT_NOFILE is raised as far as it will go.
 *
 * opfs_exit alone does not wake threads blocked reading /dev/fuse:
 * unmount (or detach the mount point) to make opfs_loop return.
 */
struct opfs	*opfs_new(const struct opfs_config *, struct fuse_args *);
int		 opfs_mount(struct opfs *, const char *mountpoint);
int		 opfs_loop(struct opfs *);	/* until unmounted or exited */
void		 opfs_exit(struct opfs *);	/* ask the loop to return */
void		 opfs_unmount(struct opfs *);
int		 opfs_fd(struct opfs *);	/* the /dev/fuse fd */
void		 opfs_free(struct opfs *);	/* closes the layer fds */

#endif

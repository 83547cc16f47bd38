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

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct fuse_args;
struct opfs;
struct opfs_filter;
struct opfs_trace;

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
	int		 strict;	/* no kernel caching of entries,
					   attributes, listings or links:
					   every access reaches the filesystem
					   (and the trace) */
	int		 nosync;	/* volatile: copy-ups and fsync(2)
					   never wait for the disk; see
					   opfs_finish */
	int		 noring;	/* /dev/fuse only, even where the
					   kernel offers io_uring */
	struct opfs_trace *trace;	/* access log, or NULL; the caller's */
	struct opfs_filter *filter;	/* base objects shown, or NULL for
					   all; the caller's */
};

/*
 * opfs_new adds the mount options the filesystem depends on
 * (default_permissions, allow_other, suid, dev) to args and clears what a
 * crashed instance left in the work directory (all but its index of hard
 * links, which belongs to the upper layer).  It changes two things for
 * the whole process, which a caller that forks other programs afterwards
 * restores in them: the umask becomes 0 (modes arrive from the kernel
 * already masked), and RLIMIT_NOFILE is raised as far as it will go.
 *
 * opfs_exit alone does not wake threads blocked reading /dev/fuse:
 * unmount (or detach the mount point) to make opfs_loop return.
 */
/*
 * With nosync, opfs_new marks the work directory volatile before anything
 * is written, and opfs_finish, called once the loop has returned, makes
 * what was written durable (syncfs(2) of the upper layer) and removes the
 * mark: -1 with errno if the disk could not take it, the mark then
 * staying.  A mark left by an earlier boot means the machine went down
 * while the layer was being written without waiting for the disk:
 * opfs_new refuses the layer with EUCLEAN, volatile or not.  One left in
 * this boot (a daemon that was killed) only means a syncfs first.
 * Without nosync opfs_finish does nothing.
 */
struct opfs	*opfs_new(const struct opfs_config *, struct fuse_args *);
int		 opfs_finish(struct opfs *);
int		 opfs_mount(struct opfs *, const char *mountpoint);
int		 opfs_loop(struct opfs *);	/* until unmounted or exited */
void		 opfs_exit(struct opfs *);	/* ask the loop to return */
void		 opfs_unmount(struct opfs *);
int		 opfs_fd(struct opfs *);	/* the /dev/fuse fd */
void		 opfs_free(struct opfs *);	/* closes the layer fds */

/*
 * Changes asked for from outside the FUSE session, for a process whose
 * call the kernel refused before the filesystem saw it (see direct.c):
 * chown of node ino to uid:gid ((uint32_t)-1 leaves one as it is), and
 * mknod of name in directory parent.  Ids are those of the mount's user
 * namespace; mode has the caller's umask applied.  Both return 0 or an
 * errno and make the kernel drop what it cached.  Call them from a thread
 * that handles no FUSE request, while the loop runs.
 */
int		 opfs_chown(struct opfs *, uint64_t ino, uint32_t uid,
		    uint32_t gid);
int		 opfs_mknod(struct opfs *, uint64_t parent, const char *name,
		    mode_t mode, dev_t rdev, uint32_t uid, uint32_t gid);

/*
 * A filter restricts the base to the paths added (from the base root) and
 * their ancestors, or with tree set to everything below a path too; the
 * rest answers ENOENT and is not listed.  Build it before opfs_new; it is
 * read-only while the filesystem runs.  opfs_filter_add returns 0 or an
 * errno; opfs_filter_new NULL when out of memory.
 */
struct opfs_filter *opfs_filter_new(void);
int		 opfs_filter_add(struct opfs_filter *, const char *path,
		    int tree);
size_t		 opfs_filter_count(const struct opfs_filter *);
int		 opfs_filter_admits(const struct opfs_filter *,
		    const char *path);
void		 opfs_filter_free(struct opfs_filter *);

/*
 * The access log: one line per base object looked up, missed, hidden,
 * opened, executed, read as a link or listed (format in overpack(1)),
 * written to fd by a thread of its own.  strip is the mount point of the
 * view, dropped from executables' paths.  Create it before forking;
 * opfs_trace_start starts the writer (0 or an errno), and
 * opfs_trace_finish, once the loop has returned, writes what is left and
 * closes fd (0 or the first errno).
 */
struct opfs_trace *opfs_trace_new(int fd, const char *strip);
/* A procfs of the requests' pid namespace, when /proc is not (owned). */
void		 opfs_trace_proc(struct opfs_trace *, int procfd);
int		 opfs_trace_start(struct opfs_trace *);
int		 opfs_trace_finish(struct opfs_trace *);
void		 opfs_trace_free(struct opfs_trace *);

#endif

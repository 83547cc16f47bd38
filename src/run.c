/*
 * run.c - overpack run: execute a command over a copy-on-write view of the
 * base root and keep what it changed in an upper layer.
 *
 * Three processes (see run.h): P parses and checks the arguments, makes
 * the session directories, forks I into new namespaces and packs the upper
 * layer when the command succeeded.  I, pid 1 of its pid namespace, hides
 * the session directories, clones the base mount tree as the lower layer,
 * serves the overlay filesystem in threads and reaps everything.  C makes
 * the mounts the command needs inside the merged view, chroots into it and
 * executes the command.
 *
 * Invariants: nothing mounted here propagates to the host (I makes "/"
 * recursively private first); the lower layer is a detached clone taken
 * before the merged view is mounted, so the view never contains itself;
 * when P dies, I gets SIGKILL, and when I dies, the kernel kills the pid
 * namespace and drops the mount namespace.  Directories C creates in the
 * upper layer for mount points are removed again by I.
 *
 * Messages: err/warn, "overpack: what failed 'path': why".  Setup failures
 * exit EXIT_RUNFAIL; a bad invocation exits EXIT_USAGE before anything is
 * created.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <net/if.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "deps.h"
#include "layer.h"
#include "opfs.h"
#include "overpack.h"
#include "pack.h"
#include "run.h"
#include "seccomp.h"
#include "tree.h"

static const char *const run_devnodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};
#define NDEVNODES	(sizeof(run_devnodes) / sizeof(run_devnodes[0]))

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: overpack run [-o FILE] [-f FORMAT] [-u DIR] [--root DIR] "
	    "[--bind SRC[:DST]]\n"
	    "\t\t[--network] [--keep] [--trace FILE] [--trace-strict]\n"
	    "\t\t[--only PKG,...] [--only-list FILE] [--only-core SPEC]\n"
	    "\t\t-- COMMAND [ARG ...]\n");
}

/* Is path equal to dir or below it?  Both absolute and clean. */
static int
path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* A path in the merged view relative to its root: "" for "/". */
static const char *
relpath(const char *abs)
{
	while (*abs == '/')
		abs++;
	return abs;
}

/* ------------------------------------------------------------------ */
/* P: arguments and session directories                               */
/* ------------------------------------------------------------------ */

static int
parse_bind(struct run *r, const char *arg)
{
	struct bind *b;
	char *s, *colon;

	s = xstrdup(arg);
	r->binds = xrealloc(r->binds, (r->nbinds + 1) * sizeof(*r->binds));
	b = &r->binds[r->nbinds];
	if ((colon = strchr(s, ':')) != NULL)
		*colon++ = '\0';
	if (*s == '\0' || (colon != NULL && *colon == '\0')) {
		warnx("--bind '%s': empty path", arg);
		free(s);
		return -1;
	}
	if ((b->src = abspath(s)) == NULL ||
	    (b->dst = abspath(colon ? colon : s)) == NULL)
		err(EXIT_RUNFAIL, "cannot resolve '%s'", arg);
	free(s);
	r->nbinds++;
	return 0;
}

/* realpath(3) or a message; the path must be a directory. */
static char *
resolve_dir(const char *what, const char *p)
{
	struct stat st;
	char *res;

	if ((res = realpath(p, NULL)) == NULL) {
		warn("%s '%s'", what, p);
		return NULL;
	}
	if (stat(res, &st) == -1 || !S_ISDIR(st.st_mode)) {
		warnx("%s '%s': Not a directory", what, p);
		free(res);
		return NULL;
	}
	return res;
}

/*
 * Without -u: a fresh session directory holding upper/ and work/.  With
 * -u DIR: DIR (created if missing, continued if not) and its work dir
 * upper_workdir(DIR), dirname(DIR)/.basename(DIR).work.
 */
static int
make_dirs(struct run *r, const char *updir)
{
	const char *tmp;
	char *s, *p;

	if (updir == NULL) {
		if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
			tmp = "/var/tmp";
		xasprintf(&s, "%s/overpack.XXXXXX", tmp);
		if (mkdtemp(s) == NULL) {
			warn("cannot create a session directory '%s'", s);
			return -1;
		}
		r->session = s;
		xasprintf(&r->upper, "%s/upper", s);
		xasprintf(&r->work, "%s/work", s);
		if (mkdir(r->upper, 0755) == -1) {
			warn("cannot create '%s'", r->upper);
			return -1;
		}
		if (mkdir(r->work, 0700) == -1) {
			warn("cannot create '%s'", r->work);
			return -1;
		}
		return 0;
	}
	if (mkdir(updir, 0755) == -1 && errno != EEXIST) {
		warn("cannot create the upper layer '%s'", updir);
		return -1;
	}
	if ((r->upper = resolve_dir("upper layer", updir)) == NULL)
		return -1;
	p = upper_workdir(r->upper);
	if (mkdir(p, 0700) == -1 && errno != EEXIST) {
		warn("cannot create the work directory '%s'", p);
		free(p);
		return -1;
	}
	if ((r->work = resolve_dir("work directory", p)) == NULL) {
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

/*
 * The upper layer may well lie inside the base root (it is hidden from the
 * view), but it must not be the base root or contain it, and the working
 * directory, which is bind-mounted into the view, must not be inside it.
 * Checked on the lexical path before anything is created and again on the
 * real one.
 */
static int
check_upper(const struct run *r, const char *upper)
{
	if (strcmp(upper, r->root) == 0) {
		warnx("the upper layer '%s' is the base root", upper);
		return -1;
	}
	if (path_within(r->root, upper)) {
		warnx("the base root '%s' is inside the upper layer '%s'",
		    r->root, upper);
		return -1;
	}
	if (path_within(r->cwd, upper)) {
		warnx("the working directory '%s' is inside the upper layer "
		    "'%s'; change to another directory", r->cwd, upper);
		return -1;
	}
	return 0;
}

static int
check_dirs(const struct run *r)
{
	struct stat us, ws;

	if (check_upper(r, r->upper) == -1)
		return -1;
	if (path_within(r->cwd, r->work)) {
		warnx("the working directory '%s' is inside the work "
		    "directory '%s'; change to another directory", r->cwd,
		    r->work);
		return -1;
	}
	if (stat(r->upper, &us) == -1 || stat(r->work, &ws) == -1) {
		warn("cannot stat '%s'", r->upper);
		return -1;
	}
	if (us.st_dev != ws.st_dev) {
		warnx("the upper layer '%s' and its work directory '%s' are "
		    "on different filesystems", r->upper, r->work);
		return -1;
	}
	return 0;
}

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(p) == -1 && errno != ENOENT)
		warn("cannot remove '%s'", p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* C: the mounts of the merged view, then the command                 */
/* ------------------------------------------------------------------ */

/*
 * Mount sources for C, taken by I as detached trees after the session
 * directories are hidden and before the merged view is mounted, so that a
 * recursive copy (of a working directory above the session directory, say)
 * cannot contain the view itself.  C attaches them after its chroot, so
 * every target resolves inside the merged view (a symlink there cannot
 * send a mount out to the host's tree).
 */
struct sources {
	int		 dev;		/* host /dev, when the base root is / */
	int		 devnode[NDEVNODES];	/* with --root */
	int		 sys;		/* host /sys, made read-only */
	int		 cwd;		/* the working directory, or -1 */
	int		*bind;
	size_t		 nbind;
};

struct child {
	struct run	*r;
	int		 repfd;		/* records to I; see run.h */
};

static void
report(struct child *c, char type, const char *path)
{
	size_t len = strlen(path) + 1;
	char *buf = xmalloc(len + 1);

	buf[0] = type;
	memcpy(buf + 1, path, len);
	/* Records are short; a pipe write below PIPE_BUF is atomic. */
	if (write(c->repfd, buf, len + 1) != (ssize_t)(len + 1))
		warn("cannot report '%s' for removal", path);
	free(buf);
}

/* What the upper layer holds at rel: 0 nothing, 1 an entry, 2 whiteout. */
static int
upper_has(struct child *c, const char *rel)
{
	struct stat st;

	if (fstatat(c->r->upfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return layer_is_whiteout(&st) ? 2 : 1;
}

/*
 * Create the missing mount point path (absolute, inside the merged view;
 * we are chrooted) and its missing parents, as directories, or the last
 * one as an empty file.  Whatever this puts in the upper layer is
 * reported, parents that a mkdir copied up included, so that I can take
 * it out again.
 */
static void
make_mountpoint(struct child *c, const char *path, int isfile)
{
	struct stat st;
	char *p, *s, *t;
	char *absent;		/* per '/' in rel: parent absent from upper */
	const char *rel;
	int last, had, fd, file;
	size_t n;

	if (lstat(path, &st) == 0)
		return;
	p = xstrdup(path);
	absent = xmalloc(strlen(p));
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		rel = relpath(p);
		if (lstat(p, &st) == -1) {
			if (errno != ENOENT)
				err(EXIT_RUNFAIL, "cannot create the mount "
				    "point '%s'", p);
			had = upper_has(c, rel);
			for (n = 0, t = strchr(rel, '/'); t != NULL;
			    t = strchr(t + 1, '/')) {
				*t = '\0';
				absent[n++] = upper_has(c, rel) == 0;
				*t = '/';
			}
			file = last && isfile;
			if (file) {
				fd = open(p, O_WRONLY | O_CREAT | O_EXCL |
				    O_NOFOLLOW | O_CLOEXEC, 0644);
				if (fd == -1)
					err(EXIT_RUNFAIL, "cannot create the "
					    "mount point '%s'", p);
				close(fd);
			} else if (mkdir(p, 0755) == -1)
				err(EXIT_RUNFAIL, "cannot create the mount "
				    "point '%s'", p);
			for (n = 0, t = strchr(rel, '/'); t != NULL;
			    t = strchr(t + 1, '/')) {
				*t = '\0';
				if (absent[n++] && upper_has(c, rel) == 1)
					report(c, RUN_REC_COPYUP, rel);
				*t = '/';
			}
			/* Only what went to the upper layer, not to a tmpfs. */
			if (upper_has(c, rel) == 1)
				report(c, had == 2 ?
				    (file ? RUN_REC_FILEWH : RUN_REC_DIRWH) :
				    (file ? RUN_REC_FILE : RUN_REC_DIR), rel);
		}
		if (last)
			break;
		*s = '/';
	}
	free(absent);
	free(p);
}

/*
 * I's root is the host's, and from inside the clean room /proc/1/root
 * would lead there.  Once C is forked, I moves into a jail of its own: an
 * empty directory on the hiding tmpfs with just a procfs of the new PID
 * namespace, which the filesystem needs for /proc/self/fd.  The view
 * stays reachable through an fd, for the final detach.
 */
static int
jail(struct run *r)
{
	char *j, *proc;
	int mntfd;

	if ((mntfd = open(r->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot open '%s'", r->mnt);
	xasprintf(&j, "%s/jail", r->hide);
	xasprintf(&proc, "%s/proc", j);
	if (mkdir(j, 0700) == -1)
		err(EXIT_RUNFAIL, "cannot create '%s'", j);
	/* Its own small tmpfs, made read-only once proc is in it. */
	if (mount("tmpfs", j, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=4k,mode=0555") == -1 || mkdir(proc, 0555) == -1)
		err(EXIT_RUNFAIL, "cannot make '%s'", j);
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) == -1)
		err(EXIT_RUNFAIL, "cannot mount proc on '%s'", proc);
	if (mount(NULL, j, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
	    MS_NODEV | MS_NOEXEC, NULL) == -1)
		err(EXIT_RUNFAIL, "cannot make '%s' read-only", j);
	if (chroot(j) == -1 || chdir("/") == -1)
		err(EXIT_RUNFAIL, "cannot enter '%s'", j);
	free(j);
	free(proc);
	return mntfd;
}

static int
clone_tree(const char *path, int recursive)
{
	int fd;

	fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    (recursive ? AT_RECURSIVE : 0));
	if (fd == -1)
		err(EXIT_RUNFAIL, "cannot clone the mount tree at '%s'", path);
	return fd;
}

/* Attach a detached tree at path (inside the merged view). */
static void
attach(int fd, const char *path, const char *what)
{
	if (move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_RUNFAIL, "cannot mount %s on '%s'", what, path);
	close(fd);
}

static void
mount_fs(const char *type, const char *path, unsigned long flags,
    const char *data)
{
	if (mount(type, path, type, flags, data) == -1)
		err(EXIT_RUNFAIL, "cannot mount %s on '%s'", type, path);
}

static void
take_sources(struct run *r, struct sources *src)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	char *p;
	size_t i;

	/* /dev: the host's devices, or a few of them for a scratch root. */
	src->dev = -1;
	for (i = 0; i < NDEVNODES; i++)
		src->devnode[i] = -1;
	if (strcmp(r->root, "/") == 0)
		src->dev = clone_tree("/dev", 1);
	else
		for (i = 0; i < NDEVNODES; i++) {
			xasprintf(&p, "/dev/%s", run_devnodes[i]);
			src->devnode[i] = clone_tree(p, 0);
			free(p);
		}
	/* /sys: read through FUSE it would be slow and meaningless. */
	src->sys = clone_tree("/sys", 1);
	if (mount_setattr(src->sys, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro,
	    sizeof(ro)) == -1)
		err(EXIT_RUNFAIL, "cannot make '/sys' read-only");
	/* The working directory, so that the command's output lands there. */
	src->cwd = strcmp(r->cwd, "/") ? clone_tree(r->cwd, 1) : -1;
	src->nbind = r->nbinds;
	src->bind = xcalloc(r->nbinds, sizeof(int));
	for (i = 0; i < r->nbinds; i++)
		src->bind[i] = clone_tree(r->binds[i].src, 1);
}

/* I's copies, once C has its own. */
static void
close_sources(struct sources *src)
{
	size_t i;

	if (src->dev != -1)
		close(src->dev);
	for (i = 0; i < NDEVNODES; i++)
		if (src->devnode[i] != -1)
			close(src->devnode[i]);
	close(src->sys);
	if (src->cwd != -1)
		close(src->cwd);
	for (i = 0; i < src->nbind; i++)
		close(src->bind[i]);
	free(src->bind);
}

/* A minimal /dev for a scratch root. */
static void
mount_dev_minimal(struct child *c, struct sources *src)
{
	static const char *const links[][2] = {
		{ "/dev/ptmx", "pts/ptmx" },
		{ "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	char *p;
	size_t i;
	int fd;

	mount_fs("tmpfs", "/dev", MS_NOSUID, "mode=0755,size=64k");
	for (i = 0; i < NDEVNODES; i++) {
		xasprintf(&p, "/dev/%s", run_devnodes[i]);
		if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) == -1)
			err(EXIT_RUNFAIL, "cannot create '%s'", p);
		close(fd);
		attach(src->devnode[i], p, p);
		free(p);
	}
	/* A private devpts instance: ptys of the host stay out of reach. */
	if (mkdir("/dev/pts", 0755) == -1)
		err(EXIT_RUNFAIL, "cannot create '/dev/pts'");
	mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=0620");
	/* POSIX shared memory, private to the session. */
	if (mkdir("/dev/shm", 01777) == -1)
		err(EXIT_RUNFAIL, "cannot create '/dev/shm'");
	mount_fs("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][1], links[i][0]) == -1)
			err(EXIT_RUNFAIL, "cannot create '%s'", links[i][0]);
	(void)c;
}

static void
child_mounts(struct child *c, struct sources *src)
{
	struct run *r = c->r;
	struct stat st;
	size_t i;

	/* A procfs of the new pid namespace: the host's pids stay hidden. */
	make_mountpoint(c, "/proc", 0);
	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* Devices are not files to capture. */
	make_mountpoint(c, "/dev", 0);
	if (src->dev != -1)
		attach(src->dev, "/dev", "'/dev'");
	else
		mount_dev_minimal(c, src);
	make_mountpoint(c, "/sys", 0);
	attach(src->sys, "/sys", "'/sys'");
	/* Scratch space the command leaves behind is not part of a package. */
	make_mountpoint(c, "/tmp", 0);
	mount_fs("tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777");
	/* The command's own input and output live in the working directory. */
	if (src->cwd != -1) {
		make_mountpoint(c, r->cwd, 0);
		attach(src->cwd, r->cwd, "the working directory");
	}
	/* The caller's --bind mounts, in order, so later ones win. */
	for (i = 0; i < r->nbinds; i++) {
		if (fstat(src->bind[i], &st) == -1)
			err(EXIT_RUNFAIL, "cannot stat '%s'", r->binds[i].src);
		make_mountpoint(c, r->binds[i].dst, !S_ISDIR(st.st_mode));
		if (move_mount(src->bind[i], "", AT_FDCWD, r->binds[i].dst,
		    MOVE_MOUNT_F_EMPTY_PATH) == -1)
			err(EXIT_RUNFAIL, "cannot bind '%s' on '%s'",
			    r->binds[i].src, r->binds[i].dst);
		close(src->bind[i]);
	}
	free(src->bind);
}

/*
 * Without root: stop the calls the user namespace refuses and hand the
 * listener to I over sock (seccomp.h).  Without it they fail as the
 * kernel says.
 */
static void
child_filter(struct run *r, int sock)
{
	int lfd;

	if ((lfd = sc_install(userns_idmax(&r->idmap))) == -1)
		warn("cannot stop system calls (seccomp); chown to ids "
		    "outside the map and mknod of devices will fail");
	else if (send_fds(sock, &lfd, 1) == -1)
		err(EXIT_RUNFAIL, "cannot hand over the seccomp listener");
	if (lfd != -1)
		close(lfd);
	close(sock);
}

/*
 * Never returns.  goread: I writes a byte when the filesystem is served.
 * scsock: without root, where the seccomp listener goes, else -1.
 */
static void __attribute__((noreturn))
child_main(struct run *r, struct sources *src, int goread, int repfd,
    int scsock)
{
	struct child c = { .r = r, .repfd = repfd };
	char go;
	int sig;

	if (read(goread, &go, 1) != 1)
		_exit(EXIT_RUNFAIL);	/* I is gone and has said why */
	close(goread);
	if (chroot(r->mnt) == -1)
		err(EXIT_RUNFAIL, "cannot change root to '%s'", r->mnt);
	if (chdir("/") == -1)
		err(EXIT_RUNFAIL, "cannot change directory to '/'");
	child_mounts(&c, src);
	close(r->upfd);
	close(repfd);			/* EOF: I has every record */
	if (chdir(r->cwd) == -1)
		err(EXIT_RUNFAIL, "cannot change directory to '%s'", r->cwd);

	/*
	 * The command gets the caller's umask, limits and signal state:
	 * what the caller ignored stays ignored (nohup), the rest is
	 * default, and the caller's mask is put back.
	 */
	umask(r->umask);
	if (setrlimit(RLIMIT_NOFILE, &r->nofile) == -1)
		warn("cannot restore the limit on open files");
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, sigismember(&r->ignored, sig) == 1 ?
			    SIG_IGN : SIG_DFL);
	if (scsock != -1)
		child_filter(r, scsock);
	sigprocmask(SIG_SETMASK, &r->mask, NULL);
	execvp(r->argv[0], r->argv);
	if (errno == ENOENT && strchr(r->argv[0], '/') == NULL) {
		warnx("%s: command not found", r->argv[0]);
		_exit(EXIT_NOTFOUND);
	}
	warn("cannot execute '%s'", r->argv[0]);
	_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/* ------------------------------------------------------------------ */
/* I: pid 1 of the session                                            */
/* ------------------------------------------------------------------ */

/* Why opfs_new failed, said for the layer it was given. */
static void
warn_opfs_new(struct run *r)
{
	if (errno == EUCLEAN)
		warnx("the upper layer '%s' was being written when the "
		    "machine went down, so writes may be lost: start afresh, "
		    "or remove '%s/%s' to use it anyway", r->upper, r->work,
		    LAYER_VOLATILE_MARK);
	else
		warn("cannot start the overlay filesystem on '%s'", r->upper);
}

/* The session never waits for the disk (volatile); its end does. */
static int
finish_fs(struct run *r, struct opfs *fs)
{
	if (opfs_finish(fs) == 0)
		return 0;
	warn("cannot write the upper layer '%s' to disk", r->upper);
	return -1;
}

static void *
loop_thread(void *arg)
{
	struct opfs *fs = arg;

	if (opfs_loop(fs) == -1)
		warn("the overlay filesystem stopped");
	return NULL;
}

/* Bring up lo in a new network namespace: localhost works, nothing else. */
static void
loopback_up(void)
{
	struct ifreq ifr;
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		err(EXIT_RUNFAIL, "cannot create a socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		err(EXIT_RUNFAIL, "cannot read the flags of 'lo'");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		err(EXIT_RUNFAIL, "cannot bring up 'lo'");
	close(s);
}

/*
 * Where the merged view is mounted: on a tmpfs over the session directory,
 * or over the work directory with -u.  P needs the path too, to strip it
 * from the trace.
 */
static void
view_paths(struct run *r)
{
	r->hide = r->session != NULL ? r->session : r->work;
	if (r->mnt == NULL)
		xasprintf(&r->mnt, "%s/root", r->hide);
}

/*
 * A procfs of I's pid namespace, mounted nowhere, for P: FUSE requests
 * name their pids as this namespace numbers them.
 */
static int
session_proc(struct run *r)
{
	char *p;
	int fd;

	xasprintf(&p, "%s/proc", r->hide);
	if (mkdir(p, 0555) == -1 ||
	    mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
	    == -1 ||
	    (fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot mount proc on '%s'", p);
	if (umount2(p, MNT_DETACH) == -1 || rmdir(p) == -1)
		err(EXIT_RUNFAIL, "cannot unmount '%s'", p);
	free(p);
	return fd;
}

/* An empty read-only tmpfs over path: the view must not see it. */
static void
hide(const char *path)
{
	if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "size=4k,nr_inodes=1,mode=0700") == -1)
		err(EXIT_RUNFAIL, "cannot mount tmpfs on '%s'", path);
}

static int
open_dir(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot open '%s'", path);
	return fd;
}

/*
 * Undo the records of C, last first: remove the mount points it made in
 * the upper layer if they are still empty, and put back the whiteouts they
 * replaced.  Runs when nothing can use the filesystem any more.
 */
static void
undo_records(struct run *r, char *buf, size_t len)
{
	struct stat st;
	char **rec = NULL, *p, *slash, *name;
	size_t n = 0, i;
	int dfd, ok;

	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		if (memchr(p, '\0', buf + len - p) == NULL)
			break;
		rec = xrealloc(rec, (n + 1) * sizeof(*rec));
		rec[n++] = p;
	}
	for (i = n; i-- > 0; ) {
		/*
		 * The command may have replaced a parent with a symlink:
		 * reach the entry beneath the upper layer, no symlinks.
		 */
		p = rec[i] + 1;
		if ((slash = strrchr(p, '/')) != NULL) {
			*slash = '\0';
			name = slash + 1;
			dfd = tree_open_beneath(r->upfd, p, O_RDONLY |
			    O_DIRECTORY);
		} else {
			name = p;
			dfd = tree_open_beneath(r->upfd, "", O_RDONLY |
			    O_DIRECTORY);
		}
		if (dfd == -1 ||
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (dfd != -1)
				close(dfd);
			continue;
		}
		switch (rec[i][0]) {
		case RUN_REC_FILE:
		case RUN_REC_FILEWH:
			ok = S_ISREG(st.st_mode) && st.st_size == 0 &&
			    unlinkat(dfd, name, 0) == 0;
			break;
		default:
			ok = S_ISDIR(st.st_mode) &&
			    unlinkat(dfd, name, AT_REMOVEDIR) == 0;
			break;
		}
		if (ok && (rec[i][0] == RUN_REC_DIRWH ||
		    rec[i][0] == RUN_REC_FILEWH) &&
		    layer_mkwhiteout(dfd, name) == -1)
			warn("cannot restore the whiteout '%s' in '%s'", name,
			    r->upper);
		close(dfd);
	}
	free(rec);
}

static int
exit_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return EXIT_RUNFAIL;
}

/*
 * Serve signals and reaping until C exits; collect C's records meanwhile.
 * Returns C's wait status.
 */
static int
supervise(pid_t cpid, int repfd, char **recbuf, size_t *reclen)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t set;
	size_t cap = 0;
	ssize_t n;
	pid_t pid;
	int ws, cstatus = -1, sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "signalfd");
	*recbuf = NULL;
	*reclen = 0;
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = repfd;
	pfd[1].events = POLLIN;
	while (cstatus == -1) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_RUNFAIL, "poll");
		}
		if (pfd[1].revents) {
			if (*reclen + 4096 > cap)
				*recbuf = xrealloc(*recbuf, cap += 65536);
			n = read(repfd, *recbuf + *reclen, 4096);
			if (n > 0)
				*reclen += n;
			else if (n == 0 || errno != EINTR)
				pfd[1].fd = -1;	/* EOF: all recorded */
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			/* pid 1 reaps every orphan of the session. */
			while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
				if (pid == cpid)
					cstatus = ws;
			continue;
		}
		/*
		 * Forward what a process sent; a terminal's signal has
		 * reached the whole foreground process group already.
		 */
		if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE)
			kill(cpid, si.ssi_signo);
	}
	/* The command's leftovers die with it, before the view goes away. */
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	/* Whatever C wrote before it exited is still in the pipe. */
	if (pfd[1].fd != -1)
		for (;;) {
			if (*reclen + 4096 > cap)
				*recbuf = xrealloc(*recbuf, cap += 65536);
			n = read(repfd, *recbuf + *reclen, 4096);
			if (n <= 0)
				break;
			*reclen += n;
		}
	close(sfd);
	return cstatus;
}

/*
 * Mount an overlay to be served by P at path; returns the /dev/fuse fd.
 * The options are those opfs_new gives (overpackfs(8)); a mount made in
 * a user namespace is nosuid and nodev whatever they say.
 */
static int
mount_fuse(const char *path)
{
	char opts[160];
	int fd;

	if ((fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot open '/dev/fuse'");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=%o,user_id=0,"
	    "group_id=0,default_permissions,allow_other", fd, S_IFDIR);
	if (mount("overpackfs", path, "fuse.overpackfs", MS_NOSUID | MS_NODEV,
	    opts) == -1)
		err(EXIT_RUNFAIL, "cannot mount the overlay filesystem on "
		    "'%s'", path);
	return fd;
}

/* Never returns; exits with C's status, or EXIT_RUNFAIL. */
static void __attribute__((noreturn))
init_main(struct run *r, int deathfd)
{
	struct opfs_config cfg;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct pollfd pfd;
	struct timespec ts;
	struct sources src;
	struct opfs *fs;
	struct opfs_trace *trace = NULL;
	pthread_t loop;
	char *recbuf;
	size_t reclen;
	pid_t cpid;
	char mntpath[32], go;
	int treefd, gopipe[2], reppipe[2], status, ws, joined, mntfd, fds[3];
	int nfds;
	int scsock[2] = { -1, -1 };
	pthread_t watcher;
	struct stat st;

	/* Die with P; P may have died before the prctl, so look. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNFAIL, "prctl(PR_SET_PDEATHSIG)");
	pfd.fd = deathfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLIN)))
		_exit(EXIT_RUNFAIL);
	/* In a user namespace nothing works until P has mapped our ids. */
	if (r->user && read(r->ctl, &go, 1) != 1)
		_exit(EXIT_RUNFAIL);	/* P said why */

	if (unshare(CLONE_NEWNS | (r->network ? 0 : CLONE_NEWNET)) == -1)
		err(EXIT_RUNFAIL, "cannot create namespaces");
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_RUNFAIL, "cannot make '/' private");

	memset(&cfg, 0, sizeof(cfg));
	cfg.upperfd = open_dir(r->upper);
	cfg.workfd = open_dir(r->work);
	if ((r->upfd = fcntl(cfg.upperfd, F_DUPFD_CLOEXEC, 0)) == -1)
		err(EXIT_RUNFAIL, "dup");

	/* The session's own files must not show in the view: cover them. */
	view_paths(r);
	if (r->session != NULL)
		hide(r->session);
	else {
		hide(r->upper);
		hide(r->work);
	}
	/*
	 * The lower layer: a detached, read-only copy of the base mount
	 * tree, submounts included, so the kernel itself refuses writes to
	 * the base.  Mounts made later, the view itself among them, are not
	 * in it.  treefd keeps the copy's submounts attached; it stays open
	 * until I exits.
	 */
	if ((treefd = tree_clone_ro(r->root)) == -1)
		err(EXIT_RUNFAIL, "cannot clone the mount tree at '%s'",
		    r->root);
	if ((cfg.lowerfd = openat(treefd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot open '%s'", r->root);
	take_sources(r, &src);

	/* A place for the mount point that the lower layer cannot see. */
	if (mount("tmpfs", r->hide, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=4k,mode=0755") == -1)
		err(EXIT_RUNFAIL, "cannot mount tmpfs on '%s'", r->hide);
	if (mkdir(r->mnt, 0755) == -1)
		err(EXIT_RUNFAIL, "cannot create '%s'", r->mnt);

	if (!r->network)
		loopback_up();

	fs = NULL;
	if (r->user) {
		/* P serves it, from where the base's owners are true. */
		fds[0] = mount_fuse(r->mnt);
		fds[1] = treefd;
		nfds = 2;
		if (r->tracefd != -1)
			fds[nfds++] = session_proc(r);
		if (send_fds(r->ctl, fds, nfds) == -1)
			err(EXIT_RUNFAIL, "cannot hand the filesystem over");
		close(fds[0]);
		if (nfds > 2)
			close(fds[2]);
		close(cfg.upperfd);
		close(cfg.workfd);
		close(cfg.lowerfd);
	} else {
		/* opfs_new adds the mount options (see overpackfs(8)). */
		if (fuse_opt_add_arg(&args, "overpack") == -1 ||
		    (getenv("OVERPACK_DEBUG") != NULL &&
		    fuse_opt_add_arg(&args, "-d") == -1))
			errx(EXIT_RUNFAIL, "out of memory");
		/* --trace, --only: see deps.h; the trace strips the view. */
		cfg.strict = r->strict;
		cfg.filter = r->filter;
		if (r->tracefd != -1 && (cfg.trace = trace =
		    opfs_trace_new(r->tracefd, r->mnt)) == NULL)
			err(EXIT_RUNFAIL, "cannot start the trace '%s'",
			    r->trace);
		cfg.nosync = 1;
		if ((fs = opfs_new(&cfg, &args)) == NULL) {
			warn_opfs_new(r);
			_exit(EXIT_RUNFAIL);
		}
		if (opfs_mount(fs, r->mnt) == -1)
			err(EXIT_RUNFAIL, "cannot mount the overlay filesystem "
			    "on '%s'", r->mnt);
	}

	/* C is forked before any thread exists. */
	if (pipe2(gopipe, O_CLOEXEC) == -1 || pipe2(reppipe, O_CLOEXEC) == -1)
		err(EXIT_RUNFAIL, "pipe");
	if (r->user && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    scsock) == -1)
		err(EXIT_RUNFAIL, "socketpair");
	if ((cpid = fork()) == -1)
		err(EXIT_RUNFAIL, "fork");
	if (cpid == 0) {
		close(gopipe[1]);
		close(reppipe[0]);
		close(treefd);
		if (r->user) {
			close(r->ctl);
			close(scsock[0]);
		}
		child_main(r, &src, gopipe[0], reppipe[1], scsock[1]);
	}
	close_sources(&src);
	close(gopipe[0]);
	close(reppipe[1]);
	mntfd = jail(r);
	if (r->user) {
		/* Calls the user namespace refuses come here (seccomp.h). */
		close(scsock[1]);
		if (fstat(mntfd, &st) == -1)
			err(EXIT_RUNFAIL, "cannot stat '%s'", r->mnt);
		if ((errno = sc_watch_start(scsock[0], r->ctl, st.st_dev,
		    &watcher)) != 0)
			err(EXIT_RUNFAIL, "cannot start the watcher of "
			    "system calls");
	}
	if (trace != NULL && (errno = opfs_trace_start(trace)) != 0)
		err(EXIT_RUNFAIL, "cannot start the trace '%s'", r->trace);
	if (fs != NULL &&
	    (errno = pthread_create(&loop, NULL, loop_thread, fs)) != 0)
		err(EXIT_RUNFAIL, "cannot start the filesystem's thread");
	if (write(gopipe[1], "g", 1) != 1)
		err(EXIT_RUNFAIL, "cannot start the command");
	close(gopipe[1]);

	ws = supervise(cpid, reppipe[0], &recbuf, &reclen);
	close(reppipe[0]);
	status = exit_status(ws);

	/*
	 * Every process but us is gone; detaching the view ends the
	 * filesystem's session, so its loop returns.
	 */
	if (fs != NULL)
		opfs_exit(fs);
	snprintf(mntpath, sizeof(mntpath), "/proc/self/fd/%d", mntfd);
	if (umount2(mntpath, MNT_DETACH) == -1)
		warn("cannot unmount '%s'", r->mnt);
	close(mntfd);
	if (fs != NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		joined = pthread_timedjoin_np(loop, NULL, &ts) == 0;
		if (joined) {
			opfs_unmount(fs);
			if (finish_fs(r, fs) == -1)
				status = EXIT_RUNFAIL;
			opfs_free(fs);
			if (trace != NULL &&
			    (errno = opfs_trace_finish(trace)) != 0)
				warn("cannot write the trace '%s'", r->trace);
			opfs_trace_free(trace);
		} else
			warnx("the overlay filesystem did not stop; leaving it");
	}
	undo_records(r, recbuf, reclen);
	free(recbuf);
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}

/* ------------------------------------------------------------------ */
/* P: start I, wait for it, pack                                      */
/* ------------------------------------------------------------------ */

/* P's side of a session without root: it serves the filesystem. */
struct server {
	struct opfs	*fs;
	pthread_t	 loop;
	int		 treefd;	/* keeps the lower tree's mounts */
	int		 ctl;		/* I asks for calls it stopped */
	pthread_t	 answer;	/*   and this thread makes them */
	struct opfs_trace *trace;	/* --trace, or NULL */
};

/*
 * Take the /dev/fuse fd and the lower tree from I and serve them in a
 * thread.  The umask stays 0 while the filesystem runs (opfs_new).
 */
static int
serve_start(struct run *r, int sock, struct server *sv)
{
	struct opfs_config cfg;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char mp[32];
	int fds[3], nfds = r->tracefd != -1 ? 3 : 2;

	memset(&cfg, 0, sizeof(cfg));
	cfg.lowerfd = cfg.upperfd = cfg.workfd = -1;
	if (recv_fds(sock, fds, nfds) == -1)
		return -1;		/* I said why */
	sv->treefd = fds[1];
	/* --trace, --only: see deps.h; the trace strips the view. */
	cfg.strict = r->strict;
	cfg.filter = r->filter;
	if (nfds > 2) {
		view_paths(r);
		if ((cfg.trace = sv->trace = opfs_trace_new(r->tracefd,
		    r->mnt)) == NULL) {
			warn("cannot start the trace '%s'", r->trace);
			close(fds[2]);
			goto fail;
		}
		r->tracefd = -1;		/* the trace's */
		opfs_trace_proc(sv->trace, fds[2]);
	}
	if ((cfg.lowerfd = openat(sv->treefd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 ||
	    (cfg.upperfd = open(r->upper, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 ||
	    (cfg.workfd = open(r->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1) {
		warn("cannot open the layers of '%s'", r->upper);
		goto fail;
	}
	cfg.records = 1;
	cfg.idmax = userns_idmax(&r->idmap);
	if (fuse_opt_add_arg(&args, "overpack") == -1 ||
	    (getenv("OVERPACK_DEBUG") != NULL &&
	    fuse_opt_add_arg(&args, "-d") == -1))
		errx(EXIT_RUNFAIL, "out of memory");
	cfg.nosync = 1;
	sv->fs = opfs_new(&cfg, &args);
	fuse_opt_free_args(&args);
	cfg.lowerfd = cfg.upperfd = cfg.workfd = -1;	/* opfs's or closed */
	if (sv->fs == NULL) {
		warn_opfs_new(r);
		goto fail;
	}
	/* libfuse takes a mount made elsewhere as /dev/fd/N. */
	snprintf(mp, sizeof(mp), "/dev/fd/%d", fds[0]);
	if (opfs_mount(sv->fs, mp) == -1) {
		warn("cannot serve the overlay filesystem");
		goto fail;
	}
	fds[0] = -1;
	if (sv->trace != NULL && (errno = opfs_trace_start(sv->trace)) != 0) {
		warn("cannot start the trace '%s'", r->trace);
		goto fail;
	}
	if ((errno = pthread_create(&sv->loop, NULL, loop_thread, sv->fs))
	    != 0) {
		warn("cannot start the filesystem's thread");
		goto fail;
	}
	return 0;
fail:
	if (sv->fs != NULL)
		opfs_free(sv->fs);
	sv->fs = NULL;
	opfs_trace_free(sv->trace);
	sv->trace = NULL;
	if (fds[0] != -1)
		close(fds[0]);
	close(sv->treefd);
	if (cfg.lowerfd != -1)
		close(cfg.lowerfd);
	if (cfg.upperfd != -1)
		close(cfg.upperfd);
	if (cfg.workfd != -1)
		close(cfg.workfd);
	umask(r->umask);
	return -1;
}

/*
 * I is gone, and with its mount namespace the mount: the kernel ends
 * the FUSE connection, so the loop returns.  -1 if what the session
 * wrote could not be made durable.
 */
static int
serve_stop(struct run *r, struct server *sv)
{
	struct timespec ts;
	int rc = 0;

	/* I's end is closed, so this returns once a call in hand is made. */
	pthread_join(sv->answer, NULL);
	close(sv->ctl);
	opfs_exit(sv->fs);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (pthread_timedjoin_np(sv->loop, NULL, &ts) == 0) {
		opfs_unmount(sv->fs);
		rc = finish_fs(r, sv->fs);
		opfs_free(sv->fs);
		if (sv->trace != NULL &&
		    (errno = opfs_trace_finish(sv->trace)) != 0)
			warn("cannot write the trace '%s'", r->trace);
		opfs_trace_free(sv->trace);
	} else
		warnx("the overlay filesystem did not stop; leaving it");
	close(sv->treefd);
	umask(r->umask);
	return rc;
}

/*
 * Start I.  As root: in a new pid namespace, which unshare() gives our
 * next child; setns() back afterwards so that anything pack forks lives
 * in ours.  Without root: in new user and pid namespaces at once (the
 * pid namespace is then the user namespace's), with its ids mapped, and
 * start serving what it mounts.
 */
static pid_t
start_init(struct run *r, int deathpipe[2], struct server *sv)
{
	pid_t ipid;
	int pidns, sp[2], ws;

	if (r->user) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)
		    == -1)
			err(EXIT_RUNFAIL, "socketpair");
		fflush(stdout);
		fflush(stderr);
		ipid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID |
		    SIGCHLD, NULL, NULL, NULL, NULL);
		if (ipid == -1) {
			userns_explain(errno);
			return -1;
		}
		if (ipid == 0) {
			close(deathpipe[1]);
			close(sp[0]);
			r->ctl = sp[1];
			init_main(r, deathpipe[0]);
		}
		close(sp[1]);
		if (userns_write_maps(ipid, &r->idmap) == -1 ||
		    write(sp[0], "m", 1) != 1 ||
		    serve_start(r, sp[0], sv) == -1) {
			kill(ipid, SIGKILL);
			while (waitpid(ipid, &ws, 0) == -1 && errno == EINTR)
				;
			close(sp[0]);
			return -1;
		}
		sv->ctl = sp[0];
		if ((errno = sc_serve_start(sv->ctl, sv->fs, &sv->answer)) != 0)
			err(EXIT_RUNFAIL, "cannot start a thread");
		return ipid;
	}
	if ((pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) == -1)
		err(EXIT_RUNFAIL, "cannot open '/proc/self/ns/pid'");
	if (unshare(CLONE_NEWPID) == -1)
		err(EXIT_RUNFAIL, "cannot create a pid namespace");
	fflush(stdout);
	fflush(stderr);
	if ((ipid = fork()) == -1)
		err(EXIT_RUNFAIL, "fork");
	if (ipid == 0) {
		close(deathpipe[1]);
		close(pidns);
		init_main(r, deathpipe[0]);
	}
	if (setns(pidns, CLONE_NEWPID) == -1)
		warn("cannot return to the pid namespace");
	close(pidns);
	return ipid;
}

static int
run_session(struct run *r)
{
	struct server sv;
	struct sigaction sa;
	siginfo_t si;
	sigset_t set, old;
	pid_t ipid;
	int deathpipe[2], ws, ret, sig, unsynced;

	/* Blocked before the fork: I, as pid 1, must not die of them. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	r->mask = old;			/* for the command */
	sigemptyset(&r->ignored);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&r->ignored, sig);

	if (pipe2(deathpipe, O_CLOEXEC) == -1)
		err(EXIT_RUNFAIL, "pipe");
	memset(&sv, 0, sizeof(sv));
	ipid = start_init(r, deathpipe, &sv);
	close(deathpipe[0]);
	if (ipid == -1) {
		close(deathpipe[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return EXIT_RUNFAIL;
	}

	for (;;) {
		if (sigwaitinfo(&set, &si) == -1)
			continue;
		if (si.si_signo == SIGCHLD) {
			ret = waitpid(ipid, &ws, WNOHANG);
			if (ret == ipid)
				break;
			continue;
		}
		if (si.si_code == SI_USER || si.si_code == SI_QUEUE)
			kill(ipid, si.si_signo);
	}
	close(deathpipe[1]);
	unsynced = sv.fs != NULL && serve_stop(r, &sv) == -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (unsynced)
		return EXIT_RUNFAIL;
	if (WIFSIGNALED(ws)) {
		warnx("the overlay filesystem died (SIG%s); the upper layer is "
		    "intact in '%s'", sigabbrev_np(WTERMSIG(ws)) ?
		    sigabbrev_np(WTERMSIG(ws)) : "?", r->upper);
		return EXIT_RUNFAIL;
	}
	return exit_status(ws);
}

static int
run_main(struct run *rp, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "output",	required_argument,	NULL, 'o' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "upper",	required_argument,	NULL, 'u' },
		{ "root",	required_argument,	NULL, 'R' },
		{ "bind",	required_argument,	NULL, 'B' },
		{ "network",	no_argument,		NULL, 'N' },
		{ "keep",	no_argument,		NULL, 'K' },
		{ "trace",	required_argument,	NULL, 'T' },
		{ "trace-strict", no_argument,		NULL, 'S' },
		{ "only",	required_argument,	NULL, 'O' },
		{ "only-list",	required_argument,	NULL, 'L' },
		{ "only-core",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct stat st;
	const char *updir = NULL, *rootarg = "/";
	size_t i;
	int ch, status, pst;

	/* The filesystem changes both in I; C restores them. */
	rp->umask = umask(022);
	umask(rp->umask);
	if (getrlimit(RLIMIT_NOFILE, &rp->nofile) == -1)
		err(EXIT_RUNFAIL, "getrlimit");
	argv[0] = (char *)"overpack run";	/* for getopt's messages */
	/* "+": the command's own options are not ours. */
	while ((ch = getopt_long(argc, argv, "+o:f:u:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			rp->output = optarg;
			break;
		case 'f':
			rp->format = optarg;
			break;
		case 'u':
			updir = optarg;
			break;
		case 'R':
			rootarg = optarg;
			break;
		case 'B':
			if (parse_bind(rp, optarg) == -1)
				return EXIT_USAGE;
			break;
		case 'N':
			rp->network = 1;
			break;
		case 'K':
			rp->keep = 1;
			break;
		case 'T':
			rp->trace = optarg;
			break;
		case 'S':
			rp->strict = 1;
			break;
		case 'O':
			rp->only = optarg;
			break;
		case 'L':
			rp->onlylist = optarg;
			break;
		case 'C':
			rp->onlycore = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		warnx("run: no command given");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (rp->format != NULL && rp->output == NULL) {
		warnx("run: -f needs -o");
		return EXIT_USAGE;
	}
	if (rp->strict && rp->trace == NULL) {
		warnx("run: --trace-strict needs --trace");
		return EXIT_USAGE;
	}
	if (rp->onlycore != NULL && rp->only == NULL && rp->onlylist == NULL) {
		warnx("run: --only-core needs --only or --only-list");
		return EXIT_USAGE;
	}
	/* A bad -o or -f must not cost a whole install first. */
	if (rp->output != NULL && (pst = pack_check(rp->output, rp->format)) != 0)
		return pst;
	rp->argv = argv;

	if ((rp->root = resolve_dir("base root", rootarg)) == NULL)
		return EXIT_USAGE;
	for (i = 0; i < rp->nbinds; i++)
		if (stat(rp->binds[i].src, &st) == -1) {
			warn("cannot bind '%s'", rp->binds[i].src);
			return EXIT_USAGE;
		}
	if ((rp->cwd = getcwd(NULL, 0)) == NULL)
		err(EXIT_RUNFAIL, "cannot find the working directory");
	/* The view of --only: from the base's dpkg database, before I. */
	if ((rp->only != NULL || rp->onlylist != NULL) &&
	    (rp->filter = only_filter(rp->root, rp->only, rp->onlylist,
	    rp->onlycore)) == NULL)
		return EXIT_USAGE;
	if (rp->trace != NULL && (rp->tracefd = trace_create(rp->trace,
	    rp->root, rp->strict, rp->only)) == -1) {
		warn("cannot create the trace '%s'", rp->trace);
		return EXIT_RUNFAIL;
	}
	if (geteuid() != 0) {
		/* Root in a user namespace of our own (userns.h). */
		rp->user = 1;
		if (userns_check_fuse() == -1 || userns_check_allowed() == -1)
			return EXIT_RUNFAIL;
		userns_plan(&rp->idmap);
		if (!rp->idmap.full)
			warnx("only root is mapped, so no process can switch "
			    "to another user (su, setuid): %s",
			    rp->idmap.why);
	}
	if (updir != NULL) {
		/* Check what we can before creating anything. */
		char *u;

		if ((u = abspath(updir)) == NULL)
			err(EXIT_RUNFAIL, "cannot resolve '%s'", updir);
		ch = check_upper(rp, u);
		free(u);
		if (ch == -1)
			return EXIT_USAGE;
	}
	if (make_dirs(rp, updir) == -1)
		return EXIT_RUNFAIL;
	if (check_dirs(rp) == -1)
		return EXIT_USAGE;

	status = run_session(rp);

	if (status != 0) {
		if (rp->output != NULL)
			warnx("%s (exit status %d); not packing '%s'",
			    status == EXIT_RUNFAIL ? "the run failed" :
			    status > 128 ? "the command was killed" :
			    "the command failed", status, rp->output);
		if (rp->session != NULL)
			warnx("upper layer kept in %s", rp->upper);
		return status;
	}
	if (rp->output != NULL) {
		pst = pack_layer(rp->upper, rp->root, rp->output, rp->format);
		if (pst != 0) {
			warnx("upper layer kept in %s", rp->upper);
			return pst;
		}
		if (rp->session != NULL && !rp->keep) {
			if (nftw(rp->session, rm_one, 16, FTW_DEPTH | FTW_PHYS)
			    == -1)
				warn("cannot remove '%s'", rp->session);
			return 0;
		}
	}
	if (rp->session != NULL)
		warnx("upper layer kept in %s", rp->upper);
	return 0;
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nbinds; i++) {
		free(r->binds[i].src);
		free(r->binds[i].dst);
	}
	free(r->binds);
	free(r->root);
	free(r->upper);
	free(r->work);
	free(r->session);
	free(r->cwd);
	free(r->mnt);		/* hide points at session or work */
	if (r->upfd != -1)
		close(r->upfd);
	if (r->tracefd != -1)
		close(r->tracefd);
	opfs_filter_free(r->filter);
}

int
cmd_run(int argc, char *argv[])
{
	struct run r;
	int status;

	memset(&r, 0, sizeof(r));
	r.upfd = -1;
	r.ctl = -1;
	r.tracefd = -1;
	status = run_main(&r, argc, argv);
	run_free(&r);
	return status;
}

/*
 * seccomp.c - the calls a user namespace refuses, made through the
 * filesystem instead (see seccomp.h).
 *
 * Three parts, one per process.  C builds a BPF filter that returns
 * SECCOMP_RET_USER_NOTIF for chown, lchown, fchown and fchownat naming an
 * id at or above the map's end, and for mknod and mknodat of a character
 * or block device; everything else runs untouched, so the cost is a few
 * BPF instructions on those calls alone.  I's watcher reads a stopped
 * call's arguments, resolves its path as the caller would (chrooted into
 * /proc/PID/root, from /proc/PID/cwd or the dirfd), and sends P the node
 * number (st_ino of the view) the call is about.  P's server makes the
 * change in the filesystem and sends back an errno.
 *
 * The caller's path is read while it waits in the system call, and could
 * be changed by another of its threads before it is resolved (the usual
 * race of seccomp supervisors).  That only lets a process in the clean
 * room choose another object in the clean room, which it may change
 * anyway: nothing here runs with more than root inside has.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <endian.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opfs.h"
#include "overpack.h"
#include "seccomp.h"
#include "userns.h"

#if defined(__x86_64__)
#define SC_ARCH		AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_ARCH		AUDIT_ARCH_AARCH64
#endif

/* What I asks P, and P's answer: an int, 0 or an errno. */
struct sc_ask {
	uint32_t	 op;		/* SC_CHOWN or SC_MKNOD */
	uint32_t	 uid, gid;	/* new owner; (uint32_t)-1: as is */
	uint32_t	 mode;		/* mknod: type and permissions */
	uint64_t	 ino;		/* chown: the object; mknod: the
					   directory */
	uint64_t	 rdev;		/* mknod */
	char		 name[NAME_MAX + 1];	/* mknod */
};
#define SC_CHOWN	1
#define SC_MKNOD	2

/* ------------------------------------------------------------------ */
/* C: the filter                                                      */
/* ------------------------------------------------------------------ */

#ifdef SC_ARCH
/* The low 32 bits of argument i, where uid_t, gid_t and mode_t live. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define INS(code, k, t, f) \
	((struct sock_filter){ (code), (t), (f), (k) })
#define LD(off)		INS(BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define AND(k)		INS(BPF_ALU | BPF_AND | BPF_K, (k), 0, 0)
#define JEQ(k, t, f)	INS(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f)	INS(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define RET(k)		INS(BPF_RET | BPF_K, (k), 0, 0)

struct prog {
	struct sock_filter f[128];
	unsigned short	 n;
};

static void
emit(struct prog *p, struct sock_filter ins)
{
	p->f[p->n++] = ins;
}

/* nr with owner arguments u and g: stop it if either is >= idmax. */
static void
emit_chown(struct prog *p, long nr, int u, int g, uint32_t idmax)
{
	emit(p, JEQ(nr, 0, 9));
	emit(p, LD(ARG_LO(u)));
	emit(p, JEQ((uint32_t)-1, 2, 0));
	emit(p, JGE(idmax, 0, 1));
	emit(p, RET(SECCOMP_RET_USER_NOTIF));
	emit(p, LD(ARG_LO(g)));
	emit(p, JEQ((uint32_t)-1, 2, 0));
	emit(p, JGE(idmax, 0, 1));
	emit(p, RET(SECCOMP_RET_USER_NOTIF));
	emit(p, RET(SECCOMP_RET_ALLOW));
}

/* nr with mode argument m: stop it for a character or block device. */
static void
emit_mknod(struct prog *p, long nr, int m)
{
	emit(p, JEQ(nr, 0, 6));
	emit(p, LD(ARG_LO(m)));
	emit(p, AND(S_IFMT));
	emit(p, JEQ(S_IFCHR, 2, 0));
	emit(p, JEQ(S_IFBLK, 1, 0));
	emit(p, RET(SECCOMP_RET_ALLOW));
	emit(p, RET(SECCOMP_RET_USER_NOTIF));
}

int
sc_available(void)
{
	char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/sys/kernel/seccomp/actions_avail",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "user_notif") != NULL;
}

int
sc_install(uint32_t idmax)
{
	struct prog p = { .n = 0 };
	struct sock_fprog fprog;

	/* Another ABI's calls (i386, x32) go through: the kernel refuses. */
	emit(&p, LD(offsetof(struct seccomp_data, arch)));
	emit(&p, JEQ(SC_ARCH, 1, 0));
	emit(&p, RET(SECCOMP_RET_ALLOW));
	emit(&p, LD(offsetof(struct seccomp_data, nr)));
#ifdef SYS_chown
	emit_chown(&p, SYS_chown, 1, 2, idmax);
	emit_chown(&p, SYS_lchown, 1, 2, idmax);
#endif
	emit_chown(&p, SYS_fchown, 1, 2, idmax);
	emit_chown(&p, SYS_fchownat, 2, 3, idmax);
#ifdef SYS_mknod
	emit_mknod(&p, SYS_mknod, 1);
#endif
	emit_mknod(&p, SYS_mknodat, 2);
	emit(&p, RET(SECCOMP_RET_ALLOW));

	fprog.len = p.n;
	fprog.filter = p.f;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
}
#else
int
sc_available(void)
{
	return 0;
}

int
sc_install(uint32_t idmax)
{
	(void)idmax;
	errno = ENOSYS;
	return -1;
}
#endif

/* ------------------------------------------------------------------ */
/* I: the watcher                                                     */
/* ------------------------------------------------------------------ */

struct watch {
	int		 sock;		/* C sends the listener on it */
	int		 ctl;		/* to P */
	dev_t		 viewdev;
	int		 lfd;		/* the listener */
	int		 jailfd;	/* I's root, to come back to */
};

/* The credentials of a stopped caller, from /proc/PID/status. */
struct caller {
	pid_t		 pid;
	uint32_t	 fsuid, fsgid;
	gid_t		 groups[NGROUPS_MAX];
	int		 ngroups;
	uint64_t	 capeff;
	mode_t		 umask;
};

static int
read_caller(struct caller *c)
{
	char path[64], line[4096], *p;
	unsigned long u[4];
	FILE *fp;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	if ((fp = fopen(path, "re")) == NULL)
		return errno;
	c->umask = 022;
	c->ngroups = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2],
		    &u[3]) == 4) {
			c->fsuid = u[3];
			got |= 1;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &u[0], &u[1],
		    &u[2], &u[3]) == 4) {
			c->fsgid = u[3];
			got |= 2;
		} else if (sscanf(line, "CapEff: %lx", &u[0]) == 1) {
			c->capeff = u[0];
			got |= 4;
		} else if (sscanf(line, "Umask: %lo", &u[0]) == 1)
			c->umask = u[0];
		else if (strncmp(line, "Groups:", 7) == 0)
			for (p = line + 7; c->ngroups < NGROUPS_MAX; ) {
				char *end;

				u[0] = strtoul(p, &end, 10);
				if (end == p)
					break;
				c->groups[c->ngroups++] = u[0];
				p = end;
			}
	}
	fclose(fp);
	return got == 7 ? 0 : ESRCH;
}

static int
has_cap(const struct caller *c, int cap)
{
	return (c->capeff >> cap) & 1;
}

/* May c create entries in the directory st (ACLs aside)? */
static int
may_create_in(const struct caller *c, const struct stat *st)
{
	mode_t need = S_IWOTH | S_IXOTH;
	int i;

	if (has_cap(c, CAP_DAC_OVERRIDE))
		return 1;
	if (st->st_uid == c->fsuid)
		need <<= 6;
	else {
		for (i = 0; i < c->ngroups; i++)
			if (c->groups[i] == st->st_gid)
				break;
		if (st->st_gid == c->fsgid || i < c->ngroups)
			need <<= 3;
	}
	return (st->st_mode & need) == need;
}

/* The NUL-terminated string at addr in pid, into buf; 0 or an errno. */
static int
read_path(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	char path[64];
	size_t off = 0, chunk;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	while (off < len) {
		/* Never across a page the caller may not have mapped. */
		chunk = 4096 - (addr + off) % 4096;
		if (chunk > len - off)
			chunk = len - off;
		if ((n = pread(fd, buf + off, chunk, addr + off)) <= 0) {
			close(fd);
			return EFAULT;
		}
		if (memchr(buf + off, '\0', n) != NULL) {
			close(fd);
			return 0;
		}
		off += n;
	}
	close(fd);
	return ENAMETOOLONG;
}

/*
 * Open path (O_PATH, flags added) as pid would: in its root, from its
 * working directory or its fd dirfd; with path NULL, dirfd itself.
 * Returns the fd or -errno.  The thread is in I's jail, where /proc is
 * I's, between calls: it goes into pid's root only to open path.
 */
static int
open_as(struct watch *w, pid_t pid, int dirfd, const char *path, int flags)
{
	char p[64];
	int rootfd, dfd, fd = -1, error = 0;

	if (dirfd == AT_FDCWD)
		snprintf(p, sizeof(p), "/proc/%d/cwd", (int)pid);
	else
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)pid, dirfd);
	if ((dfd = open(p, O_PATH | O_CLOEXEC)) == -1)
		return errno == ENOENT ? -EBADF : -errno;
	if (path == NULL)
		return dfd;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	if ((rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error = errno;
		close(dfd);
		return -error;
	}
	if (fchdir(rootfd) == -1 || chroot(".") == -1)
		error = errno;
	else if ((fd = openat(dfd, path, O_PATH | O_CLOEXEC | flags)) == -1)
		error = errno;
	close(rootfd);
	close(dfd);
	if (fchdir(w->jailfd) == -1 || chroot(".") == -1)
		abort();	/* the thread would be left in the clean room */
	return error ? -error : fd;
}

/* Ask P; the answer is an errno. */
static int
ask(struct watch *w, const struct sc_ask *a)
{
	int answer;

	if (send(w->ctl, a, sizeof(*a), MSG_NOSIGNAL) != sizeof(*a) ||
	    recv(w->ctl, &answer, sizeof(answer), 0) != sizeof(answer))
		return EIO;
	return answer;
}

/*
 * The file the chown-family call n is about, or -errno; the owner it
 * asks for into a.
 */
static int
chown_target(struct watch *w, const struct seccomp_notif *n, char *buf,
    size_t len, struct sc_ask *a)
{
	const __u64 *arg = n->data.args;
	int dirfd = AT_FDCWD, i = 0, flags = 0, error;

	/* fchownat has a dirfd first; then all four are alike. */
	if (n->data.nr == SYS_fchownat) {
		if (arg[4] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			return -EINVAL;
		if (arg[4] & AT_SYMLINK_NOFOLLOW)
			flags = O_NOFOLLOW;
		dirfd = (int)arg[0];
		i = 1;
	}
#ifdef SYS_lchown
	if (n->data.nr == SYS_lchown)
		flags = O_NOFOLLOW;
#endif
	a->uid = (uint32_t)arg[i + 1];
	a->gid = (uint32_t)arg[i + 2];
	if (n->data.nr == SYS_fchown)
		return open_as(w, n->pid, (int)arg[0], NULL, 0);
	if ((error = read_path(n->pid, arg[i], buf, len)) != 0)
		return -error;
	if (buf[0] == '\0') {
		if (n->data.nr != SYS_fchownat || !(arg[4] & AT_EMPTY_PATH))
			return -ENOENT;
		return open_as(w, n->pid, dirfd, NULL, 0);
	}
	return open_as(w, n->pid, dirfd, buf, flags);
}

/*
 * The directory the mknod-family call n makes its entry in, or -errno;
 * the entry's name, mode and device into a.
 */
static int
mknod_target(struct watch *w, const struct seccomp_notif *n, char *buf,
    size_t len, struct sc_ask *a)
{
	const __u64 *arg = n->data.args;
	struct stat st;
	const char *dir, *last;
	char *slash;
	size_t l;
	uint32_t dev;
	int dirfd = AT_FDCWD, i = 0, trailing = 0, fd, error;

	if (n->data.nr == SYS_mknodat) {
		dirfd = (int)arg[0];
		i = 1;
	}
	a->mode = (uint32_t)arg[i + 1];
	/* The kernel's encoding of a device number in 32 bits. */
	dev = (uint32_t)arg[i + 2];
	a->rdev = makedev((dev >> 8) & 0xfff, (dev & 0xff) |
	    ((dev >> 12) & 0xfff00));
	if ((error = read_path(n->pid, arg[i], buf, len)) != 0)
		return -error;
	if ((l = strlen(buf)) == 0)
		return -ENOENT;
	while (l > 1 && buf[l - 1] == '/') {
		buf[--l] = '\0';
		trailing = 1;
	}
	if ((slash = strrchr(buf, '/')) == NULL) {
		dir = ".";
		last = buf;
	} else if (slash == buf) {
		dir = "/";
		last = buf + 1;
	} else {
		*slash = '\0';
		dir = buf;
		last = slash + 1;
	}
	if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return -EEXIST;
	if (strlen(last) > NAME_MAX)
		return -ENAMETOOLONG;
	if ((fd = open_as(w, n->pid, dirfd, dir, O_DIRECTORY)) < 0)
		return fd;
	/* As the kernel does: an existing entry first, then the slash. */
	error = fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 ? EEXIST :
	    errno != ENOENT ? errno : trailing ? ENOENT : 0;
	if (error) {
		close(fd);
		return -error;
	}
	snprintf(a->name, sizeof(a->name), "%s", last);
	return fd;
}

static int
is_mknod(int nr)
{
#ifdef SYS_mknod
	if (nr == SYS_mknod)
		return 1;
#endif
	return nr == SYS_mknodat;
}

/*
 * Whether the caller of the stopped call n may make it, on the object fd
 * (mknod: the directory): 0 with the request to P completed in a, or an
 * errno for the call.
 */
static int
decide(struct watch *w, const struct seccomp_notif *n, int fd, int mk,
    struct sc_ask *a)
{
	struct caller c = { .pid = n->pid };
	struct stat st;
	int error;

	if ((error = read_caller(&c)) != 0)
		return error;
	if (fstat(fd, &st) == -1)
		return errno;
	/* Not the view's, so no record: the kernel's own answer. */
	if (st.st_dev != w->viewdev)
		return mk ? EPERM : EINVAL;
	a->ino = st.st_ino;
	if (!mk) {
		a->op = SC_CHOWN;
		return has_cap(&c, CAP_CHOWN) ? 0 : EPERM;
	}
	if (!has_cap(&c, CAP_MKNOD))
		return EPERM;
	if (!may_create_in(&c, &st))
		return EACCES;
	a->op = SC_MKNOD;
	a->mode = (a->mode & S_IFMT) | (a->mode & 07777 & ~c.umask);
	a->uid = c.fsuid;
	a->gid = c.fsgid;
	return 0;
}

/* Make or refuse the stopped call n, and let its caller go on. */
static void
answer(struct watch *w, const struct seccomp_notif *n)
{
	struct seccomp_notif_resp r;
	struct sc_ask a;
	char path[PATH_MAX];
	int fd, mk, error;

	memset(&a, 0, sizeof(a));
	if ((mk = is_mknod(n->data.nr)))
		fd = mknod_target(w, n, path, sizeof(path), &a);
	else
		fd = chown_target(w, n, path, sizeof(path), &a);
	/* What was read is the call's: its pid was not reused meanwhile. */
	if (ioctl(w->lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) == -1) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0)
		error = -fd;
	else {
		if ((error = decide(w, n, fd, mk, &a)) == 0)
			error = ask(w, &a);
		close(fd);
	}
	memset(&r, 0, sizeof(r));
	r.id = n->id;
	r.error = -error;
	/* ENOENT: the caller was killed meanwhile. */
	ioctl(w->lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

static void *
watch_main(void *arg)
{
	struct watch *w = arg;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *n;
	struct pollfd pfd;
	size_t size;

	/* Its own root and working directory, left for each call. */
	if (unshare(CLONE_FS) == -1 ||
	    (w->jailfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("cannot start the watcher of system calls");
		goto out;
	}
	/* Nothing comes when C could not install the filter; it said so. */
	if (recv_fds(w->sock, &w->lfd, 1) == -1)
		goto out;
	size = sizeof(*n);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	    sizes.seccomp_notif > size)
		size = sizes.seccomp_notif;
	n = xmalloc(size);
	pfd.fd = w->lfd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents & POLLIN) {
			memset(n, 0, size);	/* the kernel insists */
			if (ioctl(w->lfd, SECCOMP_IOCTL_NOTIF_RECV, n) == -1) {
				if (errno == EINTR || errno == ENOENT)
					continue;
				warn("cannot read a stopped system call");
				break;
			}
			answer(w, n);
		} else if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;		/* no process left under the filter */
	}
	free(n);
out:
	return NULL;
}

int
sc_watch_start(int sock, int ctl, dev_t viewdev, pthread_t *t)
{
	struct watch *w = xmalloc(sizeof(*w));

	w->sock = sock;
	w->ctl = ctl;
	w->viewdev = viewdev;
	w->lfd = w->jailfd = -1;
	/* I exits without joining it; w lives as long as the process. */
	return pthread_create(t, NULL, watch_main, w);
}

/* ------------------------------------------------------------------ */
/* P: the server                                                      */
/* ------------------------------------------------------------------ */

struct serve {
	int		 ctl;
	struct opfs	*fs;
};

static void *
serve_main(void *arg)
{
	struct serve *s = arg;
	struct sc_ask a;
	ssize_t n;
	int answer;

	for (;;) {
		if ((n = recv(s->ctl, &a, sizeof(a), 0)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* I is gone */
		a.name[NAME_MAX] = '\0';
		if (n != sizeof(a))
			answer = EPROTO;
		else if (a.op == SC_CHOWN)
			answer = opfs_chown(s->fs, a.ino, a.uid, a.gid);
		else if (a.op == SC_MKNOD)
			answer = opfs_mknod(s->fs, a.ino, a.name, a.mode, a.rdev,
			    a.uid, a.gid);
		else
			answer = EPROTO;
		if (send(s->ctl, &answer, sizeof(answer), MSG_NOSIGNAL) !=
		    sizeof(answer))
			break;
	}
	free(s);
	return NULL;
}

int
sc_serve_start(int ctl, struct opfs *fs, pthread_t *t)
{
	struct serve *s = xmalloc(sizeof(*s));
	int error;

	s->ctl = ctl;
	s->fs = fs;
	if ((error = pthread_create(t, NULL, serve_main, s)) != 0)
		free(s);
	return error;
}

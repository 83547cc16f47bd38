/*
 * userns.c - user namespaces for overpack run without root, and overpack
 * doctor, which says what this machine allows.
 *
 * The map follows sbuild's unshare mode and podman: 0 is the caller, and
 * with a range in /etc/subuid and /etc/subgid the setuid newuidmap and
 * newgidmap of Debian's uidmap package map 1..count to it.  Without one
 * the caller may map only itself, as 0; the session still runs, a chown
 * to another id is recorded through seccomp (seccomp.h), and no process
 * can become another user.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "overpack.h"
#include "seccomp.h"
#include "userns.h"

static const char *const newmap_dirs[] = { "/usr/bin", "/bin", "/usr/sbin" };

/* The first range for name or uid in an /etc/sub[ug]id file. */
static int
subid_range(const char *file, const char *name, unsigned long id,
    unsigned long *start, unsigned long *count)
{
	char line[512], *p, *who, *s, *c, *end;
	unsigned long vs, vc;
	FILE *fp;
	int found = 0;

	if ((fp = fopen(file, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strchr(line, '\n')) != NULL)
			*p = '\0';
		who = line;
		if ((s = strchr(who, ':')) == NULL)
			continue;
		*s++ = '\0';
		if ((c = strchr(s, ':')) == NULL)
			continue;
		*c++ = '\0';
		if ((name == NULL || strcmp(who, name) != 0) &&
		    (strtoul(who, &end, 10) != id || *end != '\0' ||
		    *who == '\0'))
			continue;
		errno = 0;
		vs = strtoul(s, &end, 10);
		if (errno || *end != '\0' || *s == '\0')
			continue;
		vc = strtoul(c, &end, 10);
		if (errno || *end != '\0' || *c == '\0' || vc == 0)
			continue;
		*start = vs;
		*count = vc;
		found = 1;
	}
	fclose(fp);
	return found;
}

/* The path of a setuid helper of the uidmap package, or NULL. */
static char *
newmap_path(const char *prog)
{
	struct stat st;
	char *p;
	size_t i;

	for (i = 0; i < sizeof(newmap_dirs) / sizeof(newmap_dirs[0]); i++) {
		xasprintf(&p, "%s/%s", newmap_dirs[i], prog);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

void
userns_plan(struct idmap *m)
{
	struct passwd *pw;
	unsigned long ucount = 0, gcount = 0;
	char *nu, *ng;

	memset(m, 0, sizeof(*m));
	m->uid = getuid();
	m->gid = getgid();
	pw = getpwuid(m->uid);
	if (!subid_range("/etc/subuid", pw ? pw->pw_name : NULL, m->uid,
	    &m->subuid, &ucount) ||
	    !subid_range("/etc/subgid", pw ? pw->pw_name : NULL, m->uid,
	    &m->subgid, &gcount)) {
		snprintf(m->why, sizeof(m->why), "no subordinate ids for "
		    "'%s' in /etc/subuid and /etc/subgid (add them with: "
		    "usermod --add-subuids 100000-165535 --add-subgids "
		    "100000-165535 %s)", pw ? pw->pw_name : "?",
		    pw ? pw->pw_name : "USER");
		return;
	}
	nu = newmap_path("newuidmap");
	ng = newmap_path("newgidmap");
	if (nu == NULL || ng == NULL) {
		snprintf(m->why, sizeof(m->why), "newuidmap and newgidmap "
		    "are missing (Debian: apt-get install uidmap)");
		free(nu);
		free(ng);
		return;
	}
	free(nu);
	free(ng);
	m->count = ucount < gcount ? ucount : gcount;
	if (m->count > USERNS_MAXSUB)
		m->count = USERNS_MAXSUB;
	m->full = 1;
}

uint32_t
userns_idmax(const struct idmap *m)
{
	return m->full ? 1 + m->count : 1;
}

/* Run newuidmap or newgidmap for pid; 0 or -1 after a message. */
static int
newmap(const char *prog, pid_t pid, unsigned long self, unsigned long sub,
    unsigned long count)
{
	char *path, a[5][32];
	pid_t cpid;
	int ws;

	if ((path = newmap_path(prog)) == NULL) {
		warnx("cannot find %s (Debian: apt-get install uidmap)", prog);
		return -1;
	}
	snprintf(a[0], sizeof(a[0]), "%ld", (long)pid);
	snprintf(a[1], sizeof(a[1]), "%lu", self);
	snprintf(a[2], sizeof(a[2]), "%lu", sub);
	snprintf(a[3], sizeof(a[3]), "%lu", count);
	fflush(stdout);
	fflush(stderr);
	if ((cpid = fork()) == -1) {
		warn("fork");
		free(path);
		return -1;
	}
	if (cpid == 0) {
		execl(path, prog, a[0], "0", a[1], "1", "1", a[2], a[3],
		    (char *)NULL);
		warn("cannot execute '%s'", path);
		_exit(127);
	}
	free(path);
	while (waitpid(cpid, &ws, 0) == -1)
		if (errno != EINTR) {
			warn("waitpid");
			return -1;
		}
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		warnx("%s failed for the user namespace; check the ranges in "
		    "/etc/sub%cid", prog, prog[3]);
		return -1;
	}
	return 0;
}

static int
write_file(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		warn("cannot write '%s'", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
userns_write_maps(pid_t pid, const struct idmap *m)
{
	char line[64];

	if (m->full)
		return newmap("newuidmap", pid, m->uid, m->subuid, m->count) ||
		    newmap("newgidmap", pid, m->gid, m->subgid, m->count) ?
		    -1 : 0;
	/* Unprivileged, a gid map needs setgroups(2) off first. */
	if (write_file(pid, "setgroups", "deny") == -1)
		return -1;
	snprintf(line, sizeof(line), "0 %lu 1\n", (unsigned long)m->uid);
	if (write_file(pid, "uid_map", line) == -1)
		return -1;
	snprintf(line, sizeof(line), "0 %lu 1\n", (unsigned long)m->gid);
	return write_file(pid, "gid_map", line);
}

/* A number from a /proc/sys file, or -1 when there is none. */
static long
sysctl_num(const char *path)
{
	FILE *fp;
	long v;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	fclose(fp);
	return v;
}

/* What forbids user namespaces here, or NULL. */
static const char *
userns_forbidden(void)
{
	if (sysctl_num("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		return "unprivileged user namespaces are off; as root: "
		    "sysctl -w kernel.unprivileged_userns_clone=1";
	if (sysctl_num("/proc/sys/user/max_user_namespaces") == 0)
		return "user namespaces are off (user.max_user_namespaces "
		    "is 0); as root: sysctl -w user.max_user_namespaces=10000";
	if (sysctl_num("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
	    == 1)
		return "AppArmor restricts unprivileged user namespaces; as "
		    "root: sysctl -w "
		    "kernel.apparmor_restrict_unprivileged_userns=0, or give "
		    "overpack an AppArmor profile that allows 'userns,'";
	return NULL;
}

int
userns_check_allowed(void)
{
	const char *why;

	if ((why = userns_forbidden()) == NULL)
		return 0;
	warnx("cannot run without root: %s", why);
	return -1;
}

void
userns_explain(int errnum)
{
	const char *why;

	if ((why = userns_forbidden()) != NULL)
		warnx("cannot create a user namespace: %s", why);
	else if (errnum == ENOSPC || errnum == EUSERS)
		warnx("cannot create a user namespace: %s; the limit is "
		    "user.max_user_namespaces", strerror(errnum));
	else
		warnx("cannot create a user namespace: %s; is this a "
		    "container that forbids them (seccomp, or no "
		    "CAP_SYS_ADMIN where it was made)?", strerror(errnum));
}

/* Why /dev/fuse cannot be used, or NULL. */
static const char *
fuse_problem(int *errnum)
{
	int fd;

	if ((fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) != -1) {
		close(fd);
		return NULL;
	}
	*errnum = errno;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return "there is no FUSE device; as root: modprobe fuse";
	if (errno == EACCES || errno == EPERM)
		return "it must be readable and writable by you (Debian's "
		    "fuse3 package makes it mode 0666; as root: "
		    "chmod 0666 /dev/fuse)";
	return "";
}

int
userns_check_fuse(void)
{
	const char *why;
	int errnum = 0;

	if ((why = fuse_problem(&errnum)) == NULL)
		return 0;
	warnx("cannot open '/dev/fuse': %s%s%s", strerror(errnum),
	    *why ? "; " : "", why);
	return -1;
}

int
send_fds(int sock, const int *fds, int n)
{
	char buf[CMSG_SPACE(8 * sizeof(int))], byte = 'f';
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;

	if (n > 8) {
		errno = EINVAL;
		return -1;
	}
	memset(buf, 0, sizeof(buf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = buf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int
recv_fds(int sock, int *fds, int n)
{
	char buf[CMSG_SPACE(8 * sizeof(int))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	ssize_t r;

	if (n > 8) {
		errno = EINVAL;
		return -1;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = buf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	while ((r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (r != 1) {
		if (r == 0)
			errno = ECONNRESET;
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/* ------------------------------------------------------------------ */
/* overpack doctor                                                    */
/* ------------------------------------------------------------------ */

#define FUSE_RING_PARAM	"/sys/module/fuse/parameters/enable_uring"

/* Does the kernel offer FUSE over io_uring?  1, 0 (off), or -1 (none). */
static int
fuse_ring(void)
{
	FILE *fp;
	int c;

	if ((fp = fopen(FUSE_RING_PARAM, "r")) == NULL)
		return -1;
	c = getc(fp);
	fclose(fp);
	return c == 'Y' || c == '1';
}

/* Can this process really make a user namespace?  0, or an errno. */
static int
userns_probe(void)
{
	pid_t pid;
	int ws;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		return errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno & 0x7f);
	if (waitpid(pid, &ws, 0) == -1)
		return errno;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : EINTR;
}

static void
line(const char *what, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line(const char *what, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%-21s%-4s", what, ok ? "yes" : "no");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
cmd_doctor(int argc, char *argv[])
{
	struct utsname u;
	struct idmap m;
	const char *why;
	int root, uerr, ferr = 0, fuseok, nsok, ring;

	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") ==
		    0) {
			printf("usage: overpack doctor\n");
			return 0;
		}
		warnx("doctor: no arguments expected");
		fprintf(stderr, "usage: overpack doctor\n");
		return EXIT_USAGE;
	}
	root = geteuid() == 0;
	if (uname(&u) == 0)
		printf("%-21s%s %s\n", "kernel", u.sysname, u.release);
	printf("%-21s%s (built with %d.%d)\n", "libfuse", fuse_pkgversion(),
	    FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION);
	printf("%-21s%s (uid %lu)\n", "running as", root ? "root" :
	    "an unprivileged user", (unsigned long)getuid());

	why = fuse_problem(&ferr);
	fuseok = why == NULL;
	line("/dev/fuse", fuseok, "%s%s%s", fuseok ? "the overlay can be "
	    "mounted" : strerror(ferr), why && *why ? ": " : "",
	    why ? why : "");

	uerr = userns_probe();
	why = userns_forbidden();
	nsok = uerr == 0 && why == NULL;
	line("user namespaces", nsok, "%s%s", nsok ? "overpack run works "
	    "without root" : uerr ? strerror(uerr) : "", why ? why : "");

	userns_plan(&m);
	if (m.full)
		line("subordinate ids", 1, "uid %lu-%lu, gid %lu-%lu: chown "
		    "to any user, setuid to system users (dpkg, apt)",
		    m.subuid, m.subuid + m.count - 1, m.subgid,
		    m.subgid + m.count - 1);
	else
		line("subordinate ids", 0, "%s; without, only root is mapped: "
		    "chown to other users works, switching to one (su, "
		    "setuid) fails", m.why);
	line("seccomp", sc_available(), "%s", sc_available() ? "chown to ids "
	    "outside the map and device nodes are recorded" : "no user "
	    "notification (kernel 5.0 or later): chown to ids outside the "
	    "map fails with EINVAL, mknod of a device with EPERM");
	ring = fuse_ring();
	line("FUSE over io_uring", ring > 0, "%s", ring > 0 ? "requests are "
	    "served on the CPU that made them" : ring == 0 ? "off: echo Y >"
	    FUSE_RING_PARAM " (as root) serves requests on the CPU that "
	    "made them, much faster on a virtual machine" : "not in this "
	    "kernel (Linux 6.14 or later)");

	printf("%-21s", "overpack run");
	if (!fuseok)
		printf("cannot mount its overlay (see /dev/fuse)\n");
	else if (root)
		printf("runs as root: owners, devices and capabilities are "
		    "real\n");
	else if (!nsok)
		printf("needs root here (see user namespaces)\n");
	else if (m.full)
		printf("runs without root, with %lu ids mapped; owners, "
		    "modes, %scapabilities are kept as records\n",
		    m.count + 1, sc_available() ? "devices and " : "");
	else if (sc_available())
		printf("runs without root, root alone mapped; owners, modes, "
		    "devices and capabilities are kept as records\n");
	else
		printf("runs without root, root alone mapped; owners other "
		    "than root cannot be set\n");
	return fuseok && (root || nsok) ? 0 : 1;
}

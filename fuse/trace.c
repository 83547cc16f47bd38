/*
 * trace.c - the access log of base objects (opfs_trace in opfs.h;
 * overpack run --trace writes one).
 *
 * The handlers call the trace_* hooks below; each hook decides whether
 * the request touched a base (lower) object and, if so, appends one line
 * to an in-memory buffer under trace->lock.  A writer thread takes the
 * buffer whenever it holds 64 KiB or every 100 ms and writes it out with
 * the lock released, so a handler never waits for the disk: at worst the
 * buffer grows.  The line format is documented in overpack(1):
 *
 *	TIME PID OP TYPE EXE PATH	(separated by tabs)
 *
 * Repeats are dropped: a record whose (pid, op, path) equals one kept in a
 * 65536-entry direct-mapped cache of the recent ones is not written
 * again.  The cache is lossy, so a repeat can still appear; it never
 * drops a first occurrence.
 *
 * The executable of a pid is read from PID/exe in a procfs of the pid
 * namespace the requests come from: /proc, or the one opfs_trace_proc
 * gave.  It is cached per pid; an exec by that pid drops the cached name.  Paths of programs
 * inside the merged view start with its mount point, which is stripped.
 *
 * Lock order: a node's lock before trace->lock; nothing is called with
 * trace->lock held but memory allocation and the clock.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "hash.h"
#include "opfs.h"

#define FLUSH_BYTES	65536
#define FLUSH_NSEC	100000000L
#define NSEEN		65536		/* power of two */
#define NPIDS		1024		/* power of two */

/* The kernel's __FMODE_EXEC: an open on behalf of execve(2). */
#define OPEN_FOR_EXEC	040

struct pidexe {
	pid_t		 pid;		/* 0: free */
	char		*exe;		/* owned */
};

struct opfs_trace {
	int		 fd;		/* owned */
	int		 procfd;	/* owned, or -1: /proc */
	char		*strip;		/* owned; prefix dropped from exes */
	size_t		 striplen;
	struct timespec	 t0;

	pthread_mutex_t	 lock;		/* guards everything below */
	pthread_cond_t	 cond;		/* the writer's wake-up */
	char		*buf;		/* lines not yet written; owned */
	size_t		 len, cap;
	uint64_t	*seen;		/* recent record hashes; owned */
	struct pidexe	 pids[NPIDS];
	int		 started, stop;
	int		 error;		/* first write error, or 0 */
	pthread_t	 writer;
};

static const char *const opname[] = {
	[TR_LOOKUP] = "lookup",
	[TR_MISS] = "miss",
	[TR_HIDDEN] = "hidden",
	[TR_OPEN] = "open",
	[TR_EXEC] = "exec",
	[TR_READLINK] = "readlink",
	[TR_READDIR] = "readdir",
};

struct opfs_trace *
opfs_trace_new(int fd, const char *strip)
{
	struct opfs_trace *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->seen = calloc(NSEEN, sizeof(*t->seen))) == NULL ||
	    (strip != NULL && (t->strip = strdup(strip)) == NULL)) {
		free(t->seen);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->striplen = strip != NULL ? strlen(strip) : 0;
	t->fd = fd;
	t->procfd = -1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	return t;
}

/* Write out what is buffered; called by the writer only. */
static void
flush_out(struct opfs_trace *t, char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(t->fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			pthread_mutex_lock(&t->lock);
			if (t->error == 0)
				t->error = errno;
			pthread_mutex_unlock(&t->lock);
			return;
		}
		buf += n;
		len -= n;
	}
}

static void *
writer(void *arg)
{
	struct opfs_trace *t = arg;
	struct timespec ts;
	char *buf;
	size_t len;
	int stop;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		if (!t->stop && t->len < FLUSH_BYTES) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += FLUSH_NSEC;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		}
		buf = t->buf;
		len = t->len;
		stop = t->stop;
		t->buf = NULL;
		t->len = t->cap = 0;
		pthread_mutex_unlock(&t->lock);
		if (buf != NULL)
			flush_out(t, buf, len);
		free(buf);
		if (stop)
			return NULL;
		pthread_mutex_lock(&t->lock);
	}
}

int
opfs_trace_start(struct opfs_trace *t)
{
	int error;

	if ((error = pthread_create(&t->writer, NULL, writer, t)) != 0)
		return error;
	t->started = 1;
	return 0;
}

int
opfs_trace_finish(struct opfs_trace *t)
{
	int error;

	if (t->started) {
		pthread_mutex_lock(&t->lock);
		t->stop = 1;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->writer, NULL);
		t->started = 0;
	}
	if (t->len > 0)
		flush_out(t, t->buf, t->len);
	t->len = 0;
	error = t->error;
	if (close(t->fd) == -1 && error == 0)
		error = errno;
	t->fd = -1;
	return error;
}

void
opfs_trace_free(struct opfs_trace *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	if (t->procfd != -1)
		close(t->procfd);
	for (i = 0; i < NPIDS; i++)
		free(t->pids[i].exe);
	free(t->buf);
	free(t->seen);
	free(t->strip);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}

/* Room for len more bytes in the buffer; with t->lock held. */
static int
reserve(struct opfs_trace *t, size_t len)
{
	char *p;
	size_t cap;

	if (t->len + len <= t->cap)
		return 0;
	for (cap = t->cap ? t->cap : FLUSH_BYTES * 2; cap < t->len + len;
	    cap *= 2)
		;
	if ((p = realloc(t->buf, cap)) == NULL)
		return ENOMEM;
	t->buf = p;
	t->cap = cap;
	return 0;
}

/* Append s, with tab, newline, backslash and control bytes escaped. */
static void
put_field(struct opfs_trace *t, const char *s)
{
	unsigned char c;
	char *o = t->buf + t->len;

	for (; (c = *s) != '\0'; s++) {
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			*o++ = '\\';
			*o++ = c == '\t' ? 't' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : '\\';
		} else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\%03o", c);
		else
			*o++ = c;
	}
	t->len = o - t->buf;
}

static uint64_t
record_hash(pid_t pid, int op, const char *dir, const char *name)
{
	uint64_t h = HASH_INIT ^ (uint64_t)pid ^ ((uint64_t)op << 40);

	h = hash_add_str(h, dir);
	h = hash_add(h, "/", 1);
	h = hash_add_str(h, name);
	return h | 1;			/* 0 marks a free slot */
}

void
opfs_trace_proc(struct opfs_trace *t, int procfd)
{
	t->procfd = procfd;
}

/* The executable of pid, read afresh (the caller frees it), or NULL. */
static char *
read_exe(struct opfs_trace *t, pid_t pid)
{
	char link[64], buf[PATH_MAX], *exe;
	ssize_t n;
	int fd, dirfd = t->procfd != -1 ? t->procfd : AT_FDCWD;
	const char *proc = t->procfd != -1 ? "" : "/proc/";

	snprintf(link, sizeof(link), "%s%d/exe", proc, (int)pid);
	if ((n = readlinkat(dirfd, link, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		exe = buf;
		if (t->striplen > 0 && strncmp(buf, t->strip, t->striplen) ==
		    0 && buf[t->striplen] == '/')
			exe += t->striplen;
		return strdup(exe);
	}
	/* A kernel thread or a process gone: its name, if any. */
	snprintf(link, sizeof(link), "%s%d/comm", proc, (int)pid);
	buf[0] = '[';
	if ((fd = openat(dirfd, link, O_RDONLY | O_CLOEXEC)) == -1)
		return strdup("?");
	n = read(fd, buf + 1, sizeof(buf) - 3);
	close(fd);
	if (n <= 0)
		return strdup("?");
	if (buf[n] == '\n')
		n--;
	buf[n + 1] = ']';
	buf[n + 2] = '\0';
	return strdup(buf);
}

/*
 * Log one access of the base object dir/name: dir is a lower path ("" for
 * the root, else "/a/b"), name "" for dir itself.
 */
static void
trace_log(struct fs *fs, fuse_req_t req, int op, mode_t type,
    const char *dir, const char *name)
{
	static const char types[] = "?pc?d?b?f?l?s???";
	struct opfs_trace *t = fs->trace;
	struct timespec now;
	struct pidexe *pe;
	pid_t pid = fuse_req_ctx(req)->pid;
	uint64_t h = record_hash(pid, op, dir, name);
	char *exe = NULL;
	size_t need;
	long sec, usec;

	pthread_mutex_lock(&t->lock);
	if (t->seen[h & (NSEEN - 1)] == h) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	pe = &t->pids[pid & (NPIDS - 1)];
	if (pe->pid != pid || pe->exe == NULL) {
		/* Read it unlocked: /proc may take a while. */
		pthread_mutex_unlock(&t->lock);
		exe = read_exe(t, pid);
		pthread_mutex_lock(&t->lock);
		if (exe == NULL)
			goto out;
		free(pe->exe);
		pe->exe = exe;
		pe->pid = pid;
		exe = NULL;
	}
	t->seen[h & (NSEEN - 1)] = h;
	/* Escaping at most quadruples a byte. */
	need = 64 + 4 * (strlen(pe->exe) + strlen(dir) + strlen(name)) + 4;
	if (reserve(t, need) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = now.tv_sec - t->t0.tv_sec;
	usec = (now.tv_nsec - t->t0.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	t->len += sprintf(t->buf + t->len, "%ld.%06ld\t%d\t%s\t%c\t", sec,
	    usec, (int)pid, opname[op],
	    type == 0 ? '-' : types[(type & S_IFMT) >> 12]);
	put_field(t, pe->exe);
	t->buf[t->len++] = '\t';
	/* Lower paths are "" for the root, else "/a/b". */
	put_field(t, dir);
	if (*dir == '\0' || *name != '\0')
		t->buf[t->len++] = '/';
	put_field(t, name);
	t->buf[t->len++] = '\n';
	/* The exe changes with the exec: read it again next time. */
	if (op == TR_EXEC) {
		free(pe->exe);
		pe->exe = NULL;
	}
	if (t->len >= FLUSH_BYTES)
		pthread_cond_signal(&t->cond);
out:
	pthread_mutex_unlock(&t->lock);
	free(exe);
}

/*
 * After a lookup of parent/name answered 0: n is the node handed to the
 * kernel, or NULL for a negative entry.  A negative entry is a probe of
 * the base ("miss") when the base has no such name, or a hit on a name
 * the filter hides ("hidden"); otherwise a whiteout hid it, which says
 * nothing about the base.  The caller holds parent busy.
 */
void
trace_lookup(struct fs *fs, fuse_req_t req, struct node *parent,
    const char *name, struct node *n)
{
	struct stat st;
	int pl;

	if (fs->trace == NULL)
		return;
	if (n != NULL) {
		/* Shown from the base: lower only, a merged directory,
		   or a metacopy whose data is the base's. */
		if (n->lowerpath != NULL && (n->type == S_IFDIR ||
		    node_data_layer(n) == LO))
			trace_log(fs, req, TR_LOOKUP, n->type, n->lowerpath,
			    "");
		return;
	}
	if (parent->lowerpath == NULL || (pl = node_fd(fs, parent, LO)) < 0)
		return;
	if (fstatat(pl, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		trace_log(fs, req, TR_MISS, 0, parent->lowerpath, name);
	else if (!filter_admits_at(fs->filter, parent->lowerpath, name))
		trace_log(fs, req, TR_HIDDEN, st.st_mode, parent->lowerpath,
		    name);
}

/* An open of n that reads from the base (layer LO). */
void
trace_open(struct fs *fs, fuse_req_t req, struct node *n, int flags,
    int layer)
{
	if (fs->trace == NULL || layer != LO || n->lowerpath == NULL)
		return;
	trace_log(fs, req, (flags & OPEN_FOR_EXEC) ? TR_EXEC : TR_OPEN,
	    n->type, n->lowerpath, "");
}

/* A readlink or a listing served from the base. */
void
trace_node(struct fs *fs, fuse_req_t req, struct node *n, int op)
{
	if (fs->trace == NULL || n->lowerpath == NULL)
		return;
	if (op == TR_READLINK && node_layer(n) != LO)
		return;
	trace_log(fs, req, op, n->type, n->lowerpath, "");
}

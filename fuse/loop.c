/*
 * loop.c - the session loop: worker threads that read requests from
 * /dev/fuse and hand them to libfuse.
 *
 * It is libfuse's multithreaded loop (a thread is started when the last
 * idle one takes a request, up to LOOP_MAX_THREADS, and a thread with
 * more than LOOP_MAX_IDLE idle beside it ends), written on the public
 * fuse_session_receive_buf/fuse_session_process_buf pair for one reason:
 * libfuse before 3.17 knows no FUSE_TMPFILE and answers it with ENOSYS,
 * which the kernel turns into EOPNOTSUPP for open(O_TMPFILE) and never
 * asks again.  A FUSE_TMPFILE request carries exactly what a FUSE_CREATE
 * does (fuse_create_in and a name, "/" here) and wants the same reply
 * (entry and open), so the loop relabels it FUSE_CREATE and marks the
 * thread; op_create asks loop_tmpfile() which of the two it serves.  A
 * request that small always arrives in memory, never in a splice pipe.
 *
 * The loop returns once every thread has seen the session end: the
 * kernel ends it when the mount goes (every blocked read then fails with
 * ENODEV), and opfs_exit ends it for threads that are not blocked.
 *
 * Every reply goes out through loop_writev, libfuse's custom writev:
 * a reply to a request that came over io_uring goes into its ring entry
 * (ring.c), the rest to /dev/fuse.  It also accepts FUSE_OVER_IO_URING
 * in the INIT reply when the kernel offers it and the rings could be
 * made, since libfuse 3.14 would not.
 */
#include "config.h"

#include <sys/uio.h>
#include <linux/fuse.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs.h"
#include "opfs.h"

#ifndef FUSE_TMPFILE
#define FUSE_TMPFILE	51
#endif
#define INIT_EXT	(1U << 30)	/* FUSE_INIT_EXT: flags2 is there */
#define INIT2_URING	(1U << 9)	/* FUSE_OVER_IO_URING >> 32 */

/* The head of fuse_init_in and fuse_init_out (protocol 7.36 and later). */
struct init_in {
	uint32_t	 major, minor, max_readahead, flags, flags2;
};
struct init_out {
	uint32_t	 major, minor, max_readahead, flags;
	uint16_t	 max_background, congestion_threshold;
	uint32_t	 max_write, time_gran;
	uint16_t	 max_pages, map_alignment;
	uint32_t	 flags2;
};

#define LOOP_MAX_THREADS	64
#define LOOP_MAX_IDLE		10

struct worker {
	struct loop	*loop;
	pthread_t	 thread;
	struct worker	*next;		/* in loop->ended */
};

struct loop {
	struct fs	*fs;
	struct fuse_session *se;
	pthread_mutex_t	 lock;
	pthread_cond_t	 ended;		/* a worker joined the ended list */
	unsigned	 nthreads;	/* lock: started and not ended */
	unsigned	 nidle;		/* lock: threads waiting to read */
	struct worker	*gone;		/* lock: ended, for opfs_loop to join */
	int		 error;		/* lock: first read error, or 0 */
};

static __thread int tmpfile_request;
static __thread int init_offers_ring;	/* this thread serves an INIT
					   that offers io_uring */

int
loop_tmpfile(void)
{
	return tmpfile_request;
}

static void	*work(void *);

static int
ring_offered(const struct init_in *in)
{
	return in->major == 7 && (in->flags & INIT_EXT) &&
	    (in->flags2 & INIT2_URING);
}

/* Hand one request to libfuse, FUSE_TMPFILE relabelled. */
void
loop_process(struct fuse_session *se, struct fuse_buf *buf)
{
	struct fuse_in_header *in = buf->mem;

	tmpfile_request = !(buf->flags & FUSE_BUF_IS_FD) &&
	    in->opcode == FUSE_TMPFILE;
	if (tmpfile_request)
		in->opcode = FUSE_CREATE;
	fuse_session_process_buf(se, buf);
	tmpfile_request = 0;
}

/*
 * The INIT reply about to go out: make the rings, and accept the kernel's
 * offer if that worked.  The payload buffers must hold the largest
 * request or reply the reply allows.
 */
static void
accept_ring(struct fs *fs, struct iovec *iov, int count)
{
	struct fuse_out_header *out = iov[0].iov_base;
	struct init_out *io;
	size_t payload, page = (size_t)sysconf(_SC_PAGESIZE);

	if (count != 2 || out->error != 0 ||
	    iov[1].iov_len < sizeof(struct init_out))
		return;
	io = iov[1].iov_base;
	if (!(io->flags & INIT_EXT))
		return;
	payload = io->max_write;
	if (payload < (size_t)io->max_pages * page)
		payload = (size_t)io->max_pages * page;
	if (payload < 8192)
		payload = 8192;		/* FUSE_MIN_READ_BUFFER */
	if ((fs->rings = rings_new(fs->se, fuse_session_fd(fs->se),
	    payload)) == NULL)
		return;
	io->flags2 |= INIT2_URING;
}

static ssize_t
loop_writev(int fd, struct iovec *iov, int count, void *data)
{
	struct fs *fs = data;
	ssize_t n;
	int i;

	if (ring_reply(iov, count)) {
		for (n = 0, i = 0; i < count; i++)
			n += iov[i].iov_len;
		return n;
	}
	if (!init_offers_ring)
		return writev(fd, iov, count);
	accept_ring(fs, iov, count);
	n = writev(fd, iov, count);
	if (fs->rings != NULL)
		rings_go(fs->rings, n != -1);
	return n;
}

static ssize_t
loop_read(int fd, void *buf, size_t len, void *data)
{
	return read(fd, buf, len);
}

/* Read exactly len bytes: 0, or -1 with errno (EIO at an early end). */
static int
read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	for (; len > 0; len -= n, buf = (char *)buf + n)
		if ((n = read(fd, buf, len)) <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
	return 0;
}

/*
 * A reply spliced from a file: libfuse has put the header and the data
 * in a pipe.  For a ring request, read them out into its entry.
 */
static ssize_t
loop_splice_send(int in, off_t *inoff, int out, off_t *outoff, size_t len,
    unsigned flags, void *data)
{
	struct fuse_out_header oh;
	struct iovec iov[2];
	size_t room;

	if ((iov[1].iov_base = ring_space(&room)) == NULL)
		return splice(in, inoff, out, outoff, len, flags);
	if (len < sizeof(oh) || len - sizeof(oh) > room) {
		errno = EINVAL;
		return -1;
	}
	if (read_full(in, &oh, sizeof(oh)) == -1 ||
	    read_full(in, iov[1].iov_base, len - sizeof(oh)) == -1)
		return -1;
	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof(oh);
	iov[1].iov_len = len - sizeof(oh);
	if (!ring_reply(iov, 2)) {
		errno = EIO;
		return -1;
	}
	return len;
}

static const struct fuse_custom_io loop_io = {
	.writev = loop_writev,
	.read = loop_read,
	.splice_send = loop_splice_send,
};

/* Once mounted: every reply through loop_writev. */
int
loop_attach(struct fs *fs)
{
	int error;

	error = fuse_session_custom_io(fs->se, &loop_io,
	    fuse_session_fd(fs->se));
	return error < 0 ? -error : error;
}

/* Start one more worker, counted as idle.  Called with l->lock held. */
static int
worker_start(struct loop *l)
{
	struct worker *w;
	int error;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ENOMEM;
	w->loop = l;
	/* w->thread is set before w can end: that takes l->lock. */
	if ((error = pthread_create(&w->thread, NULL, work, w)) != 0) {
		free(w);
		return error;
	}
	l->nthreads++;
	l->nidle++;
	return 0;
}

/* Hand w to opfs_loop to join.  Called with l->lock held; releases it. */
static void
worker_end(struct worker *w)
{
	struct loop *l = w->loop;

	l->nthreads--;
	w->next = l->gone;
	l->gone = w;
	pthread_cond_signal(&l->ended);
	pthread_mutex_unlock(&l->lock);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct loop *l = w->loop;
	struct fuse_buf buf = { .mem = NULL };
	struct fuse_in_header *in;
	int res;

	for (;;) {
		res = fuse_session_receive_buf(l->se, &buf);
		pthread_mutex_lock(&l->lock);
		l->nidle--;
		if (res == -EINTR || res == -EAGAIN) {
			l->nidle++;
			pthread_mutex_unlock(&l->lock);
			continue;
		}
		if (res <= 0 || fuse_session_exited(l->se)) {
			if (res < 0 && l->error == 0)
				l->error = -res;
			break;
		}
		/* Nobody left to read the next request: add a reader. */
		if (l->nidle == 0 && l->nthreads < LOOP_MAX_THREADS)
			(void)worker_start(l);
		pthread_mutex_unlock(&l->lock);

		in = buf.mem;
		if (!(buf.flags & FUSE_BUF_IS_FD) && in->opcode == FUSE_INIT &&
		    (size_t)res >= sizeof(*in) + sizeof(struct init_in))
			init_offers_ring = l->fs->ring_ok &&
			    ring_offered((struct init_in *)(in + 1));
		loop_process(l->se, &buf);
		init_offers_ring = 0;

		pthread_mutex_lock(&l->lock);
		if (fuse_session_exited(l->se) || l->nidle >= LOOP_MAX_IDLE)
			break;
		l->nidle++;
		pthread_mutex_unlock(&l->lock);
	}
	free(buf.mem);
	worker_end(w);
	return NULL;
}

int
opfs_loop(struct opfs *o)
{
	struct fs *fs = (struct fs *)o;
	struct loop l = { .fs = fs, .se = fs->se };
	struct worker *w;
	int error;

	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.ended, NULL);
	pthread_mutex_lock(&l.lock);
	if ((error = worker_start(&l)) != 0)
		l.error = error;
	/* Join every worker, so that none is still ending on return. */
	while (l.nthreads > 0 || l.gone != NULL) {
		if ((w = l.gone) == NULL) {
			pthread_cond_wait(&l.ended, &l.lock);
			continue;
		}
		l.gone = w->next;
		pthread_mutex_unlock(&l.lock);
		pthread_join(w->thread, NULL);
		free(w);
		pthread_mutex_lock(&l.lock);
	}
	error = l.error;
	pthread_mutex_unlock(&l.lock);
	pthread_cond_destroy(&l.ended);
	pthread_mutex_destroy(&l.lock);
	/* The mount is gone: every ring entry has ended with ENOTCONN. */
	rings_free(fs->rings);
	fs->rings = NULL;
	fuse_session_reset(fs->se);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/*
 * ring.c - FUSE over io_uring: one request queue per CPU, served by
 * threads bound to that CPU (Linux 6.14 and later).
 *
 * Over /dev/fuse a request wakes a server thread on whichever CPU is
 * idle, and the reply wakes the caller back: two wakeups across CPUs per
 * request.  On a virtual machine each is an exit to the hypervisor, and
 * together they cost more than most requests' work.  Over io_uring the
 * kernel queues a request on the CPU its caller runs on, and a thread
 * bound to that CPU takes it: the caller sleeps, the server runs where it
 * slept, and the reply wakes the caller on the same CPU.
 *
 * The kernel offers the ring in FUSE_INIT when the fuse module's
 * enable_uring parameter is set.  libfuse 3.14 does not know the flag, so
 * loop.c accepts it in the INIT reply, and only once rings_new has made
 * every ring and buffer: from the reply on, the kernel holds each request
 * until every queue has an entry, and a queue nobody registers would hang
 * the mount.  Requests come through /dev/fuse until the last queue is
 * registered; FORGET, INTERRUPT and our own notifications always do.
 *
 * An entry is a header buffer and a payload buffer.  The kernel puts the
 * fuse_in_header and the opcode's own struct in the header and the rest
 * (names, data to write) in the payload; libfuse parses the /dev/fuse
 * form, all of it in one run, so the payload buffer keeps room in front
 * for the two headers to be copied before it, and the payload itself is
 * never copied.  The reply comes back on the same thread through loop.c's
 * writev hook: ring_reply puts it in the entry, and the thread commits
 * it and fetches the next request in one submission.
 */
#include "config.h"

#include <sys/mman.h>
#include <linux/fuse.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "fs.h"

/* The kernel's interface (include/uapi/linux/fuse.h, protocol 7.42). */
#define RING_CMD_REGISTER	1
#define RING_CMD_COMMIT_FETCH	2

struct ring_header {
	char		 in_out[128];	/* fuse_in_header; fuse_out_header */
	char		 op_in[128];	/* the opcode's own struct */
	struct {
		uint64_t flags;
		uint64_t commit_id;	/* to name in the commit */
		uint32_t payload_sz;	/* bytes in the payload, both ways */
		uint32_t padding;
		uint64_t reserved;
	}		 ent;
};

struct ring_cmd {			/* in the 80 bytes of an SQE128 */
	uint64_t	 flags;
	uint64_t	 commit_id;
	uint16_t	 qid;
	uint8_t		 padding[6];
};

#define RING_THREADS	2	/* per CPU: one may block in a copy-up */
#define RING_FRONT	512	/* room for both headers before payload */

struct ring {
	struct rings	*rings;
	unsigned	 qid;		/* the CPU */
	struct io_uring	 uring;
	struct ring_header *hdr;
	char		*buf;		/* RING_FRONT bytes, then payload */
	struct iovec	 iov[2];	/* hdr and payload, as registered */
	uint64_t	 unique;	/* request being served, or 0 */
	int		 replied;
	pthread_t	 thread;
	int		 started;
};

struct rings {
	struct fuse_session *se;
	int		 fd;		/* /dev/fuse */
	size_t		 payload;	/* the kernel's largest payload */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 go;		/* lock: 1 register, -1 end, 0 wait */
	unsigned	 n;
	struct ring	 r[];
};

static __thread struct ring *serving;	/* this thread's ring, or NULL */

static char *
payload(struct ring *r)
{
	return r->buf + RING_FRONT;
}

/* Queue the entry's next command: 0, or -1 if the SQ is full. */
static int
prep(struct ring *r, uint32_t op, uint64_t commit_id)
{
	struct io_uring_sqe *sqe;
	struct ring_cmd *c;

	/* One entry per ring: its SQE is always free here. */
	if ((sqe = io_uring_get_sqe(&r->uring)) == NULL)
		return -1;
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = r->rings->fd;
	sqe->cmd_op = op;
	if (op == RING_CMD_REGISTER) {
		sqe->addr = (uintptr_t)r->iov;
		sqe->len = 2;
	}
	c = (struct ring_cmd *)sqe->cmd;
	c->qid = r->qid;
	c->commit_id = commit_id;
	return 0;
}

/*
 * Put the request in the entry back into the /dev/fuse form in front of
 * its payload and hand it to libfuse.  A request that got no reply from
 * its handler (none of ours does that) is answered EIO, so that the
 * entry is never lost.
 */
static void
serve(struct ring *r)
{
	struct fuse_in_header *in = (struct fuse_in_header *)r->hdr->in_out;
	size_t plen = r->hdr->ent.payload_sz, oplen;
	struct fuse_out_header *out;
	struct fuse_buf buf = { .mem = NULL };
	char *p = payload(r);

	if (in->len < sizeof(*in) + plen ||
	    (oplen = in->len - sizeof(*in) - plen) > sizeof(r->hdr->op_in) ||
	    plen > r->rings->payload) {
		r->replied = 0;
		r->unique = in->unique;
		goto noreply;
	}
	memcpy(p - oplen, r->hdr->op_in, oplen);
	memcpy(p - oplen - sizeof(*in), in, sizeof(*in));
	buf.mem = p - oplen - sizeof(*in);
	buf.size = in->len;
	r->unique = in->unique;
	r->replied = 0;
	loop_process(r->rings->se, &buf);
noreply:
	if (!r->replied) {
		out = (struct fuse_out_header *)r->hdr->in_out;
		out->len = sizeof(*out);
		out->error = -EIO;
		out->unique = r->unique;
		r->hdr->ent.payload_sz = 0;
	}
	r->unique = 0;
}

static void *
ring_main(void *arg)
{
	struct ring *r = arg;
	struct io_uring_cqe *cqe;
	cpu_set_t set;
	uint32_t last = RING_CMD_REGISTER;
	uint64_t commit = 0;
	int res;

	/* Not allowed on that CPU (a cpuset): serve it from anywhere. */
	CPU_ZERO(&set);
	CPU_SET(r->qid, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
	/* Registering before the INIT reply would only get EAGAIN. */
	pthread_mutex_lock(&r->rings->lock);
	while (r->rings->go == 0)
		pthread_cond_wait(&r->rings->cond, &r->rings->lock);
	res = r->rings->go;
	pthread_mutex_unlock(&r->rings->lock);
	if (res < 0)
		return NULL;
	serving = r;
	if (prep(r, last, 0) != 0)
		return NULL;
	for (;;) {
		if ((res = io_uring_submit_and_wait(&r->uring, 1)) < 0) {
			if (res == -EINTR)
				continue;
			break;
		}
		if (io_uring_peek_cqe(&r->uring, &cqe) != 0)
			continue;
		res = cqe->res;
		io_uring_cqe_seen(&r->uring, cqe);
		if (res == -EINTR || res == -EAGAIN) {
			if (prep(r, last, commit) != 0)	/* again, as it was */
				break;
			continue;
		}
		/* ENOTCONN once the mount is gone; anything else, the same. */
		if (res < 0)
			break;
		commit = r->hdr->ent.commit_id;
		serve(r);
		last = RING_CMD_COMMIT_FETCH;
		if (prep(r, last, commit) != 0)
			break;
	}
	serving = NULL;
	return NULL;
}

int
ring_reply(const struct iovec *iov, int count)
{
	struct ring *r = serving;
	const struct fuse_out_header *out = iov[0].iov_base;
	size_t len = 0;
	int i;

	if (r == NULL || r->unique == 0 || out->unique != r->unique)
		return 0;
	for (i = 1; i < count; i++) {
		if (len + iov[i].iov_len > r->rings->payload)
			return 0;	/* cannot be: the kernel sized it */
		if (iov[i].iov_base != payload(r) + len)
			memcpy(payload(r) + len, iov[i].iov_base,
			    iov[i].iov_len);
		len += iov[i].iov_len;
	}
	memcpy(r->hdr->in_out, out, sizeof(*out));
	r->hdr->ent.payload_sz = len;
	r->replied = 1;
	return 1;
}

void *
ring_space(size_t *size)
{
	struct ring *r = serving;

	if (r == NULL || r->unique == 0)
		return NULL;
	*size = r->rings->payload;
	return payload(r);
}

struct rings *
rings_new(struct fuse_session *se, int fd, size_t payload_max)
{
	struct rings *rs;
	struct ring *r;
	long ncpu;
	unsigned i, n;
	int res;

	/* The kernel makes a queue for every possible CPU. */
	if ((ncpu = sysconf(_SC_NPROCESSORS_CONF)) < 1)
		return NULL;
	n = (unsigned)ncpu * RING_THREADS;
	if ((rs = calloc(1, sizeof(*rs) + n * sizeof(rs->r[0]))) == NULL)
		return NULL;
	rs->se = se;
	rs->fd = fd;
	rs->payload = payload_max;
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->cond, NULL);
	for (i = 0; i < n; i++) {
		r = &rs->r[i];
		r->rings = rs;
		r->qid = i % ncpu;
		r->uring.ring_fd = -1;
		r->hdr = mmap(NULL, sizeof(*r->hdr), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		r->buf = mmap(NULL, RING_FRONT + payload_max,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rs->n = i + 1;
		if (r->hdr == MAP_FAILED || r->buf == MAP_FAILED)
			goto fail;
		r->iov[0].iov_base = r->hdr;
		r->iov[0].iov_len = sizeof(*r->hdr);
		r->iov[1].iov_base = payload(r);
		r->iov[1].iov_len = payload_max;
		res = io_uring_queue_init(2, &r->uring, IORING_SETUP_SQE128);
		if (res != 0) {
			r->uring.ring_fd = -1;
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&rs->r[i].thread, NULL, ring_main,
		    &rs->r[i]) != 0)
			goto fail;
		rs->r[i].started = 1;
	}
	return rs;
fail:
	rings_free(rs);
	return NULL;
}

/*
 * The INIT reply is written (ok) or failed: the threads register their
 * entries, or end.
 */
void
rings_go(struct rings *rs, int ok)
{
	pthread_mutex_lock(&rs->lock);
	rs->go = ok ? 1 : -1;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
}

static void
rings_join(struct rings *rs)
{
	unsigned i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].started) {
			pthread_join(rs->r[i].thread, NULL);
			rs->r[i].started = 0;
		}
}

void
rings_free(struct rings *rs)
{
	struct ring *r;
	unsigned i;

	if (rs == NULL)
		return;
	pthread_mutex_lock(&rs->lock);
	if (rs->go == 0)
		rs->go = -1;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
	rings_join(rs);
	for (i = 0; i < rs->n; i++) {
		r = &rs->r[i];
		if (r->uring.ring_fd >= 0)
			io_uring_queue_exit(&r->uring);
		if (r->hdr != NULL && r->hdr != MAP_FAILED)
			munmap(r->hdr, sizeof(*r->hdr));
		if (r->buf != NULL && r->buf != MAP_FAILED)
			munmap(r->buf, RING_FRONT + rs->payload);
	}
	pthread_cond_destroy(&rs->cond);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

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
 */
#include "config.h"

#include <linux/fuse.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fs.h"
#include "opfs.h"

#ifndef FUSE_TMPFILE
#define FUSE_TMPFILE	51
#endif

#define LOOP_MAX_THREADS	64
#define LOOP_MAX_IDLE		10

struct worker {
	struct loop	*loop;
	pthread_t	 thread;
	struct worker	*next;		/* in loop->ended */
};

struct loop {
	struct fuse_session *se;
	pthread_mutex_t	 lock;
	pthread_cond_t	 ended;		/* a worker joined the ended list */
	unsigned	 nthreads;	/* lock: started and not ended */
	unsigned	 nidle;		/* lock: threads waiting to read */
	struct worker	*gone;		/* lock: ended, for opfs_loop to join */
	int		 error;		/* lock: first read error, or 0 */
};

static __thread int tmpfile_request;

int
loop_tmpfile(void)
{
	return tmpfile_request;
}

static void	*work(void *);

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
		tmpfile_request = !(buf.flags & FUSE_BUF_IS_FD) &&
		    in->opcode == FUSE_TMPFILE;
		if (tmpfile_request)
			in->opcode = FUSE_CREATE;
		fuse_session_process_buf(l->se, &buf);
		tmpfile_request = 0;

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
	struct loop l = { .se = fs->se };
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
	fuse_session_reset(fs->se);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

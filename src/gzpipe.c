/*
 * gzpipe.c - gzip in a thread of its own, as tar -czf has gzip in a
 * process of its own, so that reading the files and compressing them
 * overlap.
 *
 * The writer fills blocks of GZ_BLOCK bytes and queues them, at most
 * GZ_NBUF at a time; the thread deflates them in order.  The stream is
 * byte for byte the one a single thread would make with the same level.
 * The first write error is kept and returned by the next gz_write or by
 * gz_close; after it the thread only drops what it is given, so the
 * writer never waits for nothing.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzpipe.h"
#include "overpack.h"

#define GZ_BLOCK	(1 << 20)
#define GZ_NBUF		4

struct gzpipe {
	z_stream	 z;
	int		 fd;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* count or done changed */
	unsigned char	*buf[GZ_NBUF];
	size_t		 len[GZ_NBUF];
	unsigned	 r;		/* thread: next block to deflate */
	unsigned	 w;		/* writer: block being filled */
	unsigned	 count;		/* lock: blocks queued, r's included */
	int		 done;		/* lock: nothing more will come */
	int		 drop;		/* lock: deflate nothing more */
	int		 err;		/* lock: first errno, or 0 */
	unsigned char	 out[65536];
};

/* Deflate what zlib holds until it needs more input (or is done). */
static int
drain(struct gzpipe *g, int flush)
{
	int zr;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		if ((zr = deflate(&g->z, flush)) == Z_STREAM_ERROR) {
			errno = EIO;
			return -1;
		}
		if (writeall(g->fd, g->out, sizeof(g->out) - g->z.avail_out)
		    == -1)
			return -1;
	} while (g->z.avail_out == 0 ||
	    (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static void *
deflater(void *arg)
{
	struct gzpipe *g = arg;
	int err, drop;

	for (;;) {
		pthread_mutex_lock(&g->lock);
		while (g->count == 0 && !g->done)
			pthread_cond_wait(&g->cond, &g->lock);
		if (g->count == 0)
			break;			/* done, all deflated */
		err = g->err;
		drop = g->drop;
		pthread_mutex_unlock(&g->lock);

		if (err == 0 && !drop) {
			g->z.next_in = g->buf[g->r];
			g->z.avail_in = g->len[g->r];
			if (drain(g, Z_NO_FLUSH) == -1)
				err = errno;
		}

		pthread_mutex_lock(&g->lock);
		if (err != 0 && g->err == 0)
			g->err = err;
		g->r = (g->r + 1) % GZ_NBUF;
		g->count--;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	if (g->err == 0 && !g->drop && drain(g, Z_FINISH) == -1)
		g->err = errno;
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static void
gz_free(struct gzpipe *g)
{
	int i;

	deflateEnd(&g->z);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	for (i = 0; i < GZ_NBUF; i++)
		free(g->buf[i]);
	free(g);
}

struct gzpipe *
gz_open(int fd, int level)
{
	struct gzpipe *g;
	int i, e;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->fd = fd;
	for (i = 0; i < GZ_NBUF; i++)
		if ((g->buf[i] = malloc(GZ_BLOCK)) == NULL) {
			while (i-- > 0)
				free(g->buf[i]);
			free(g);
			errno = ENOMEM;
			return NULL;
		}
	/* 31: a gzip header and trailer, as gzip(1) writes. */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		for (i = 0; i < GZ_NBUF; i++)
			free(g->buf[i]);
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	if ((e = pthread_create(&g->thread, NULL, deflater, g)) != 0) {
		gz_free(g);
		errno = e;
		return NULL;
	}
	return g;
}

/* Queue the block being filled; wait for a free one.  0 or -1. */
static int
queue(struct gzpipe *g)
{
	int err;

	pthread_mutex_lock(&g->lock);
	g->count++;
	pthread_cond_broadcast(&g->cond);
	while (g->count == GZ_NBUF)
		pthread_cond_wait(&g->cond, &g->lock);
	err = g->err;
	pthread_mutex_unlock(&g->lock);
	g->w = (g->w + 1) % GZ_NBUF;
	g->len[g->w] = 0;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int
gz_write(struct gzpipe *g, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n;

	while (len > 0) {
		n = GZ_BLOCK - g->len[g->w];
		if (n > len)
			n = len;
		memcpy(g->buf[g->w] + g->len[g->w], p, n);
		g->len[g->w] += n;
		p += n;
		len -= n;
		if (g->len[g->w] == GZ_BLOCK && queue(g) == -1)
			return -1;
	}
	return 0;
}

/* Stop the thread; finish the stream unless drop.  0 or -1. */
static int
stop(struct gzpipe *g, int drop)
{
	int err;

	pthread_mutex_lock(&g->lock);
	if (!drop && g->len[g->w] > 0)
		g->count++;
	g->done = 1;
	g->drop = drop;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	err = g->err;
	gz_free(g);
	if (err != 0 && !drop) {
		errno = err;
		return -1;
	}
	return 0;
}

int
gz_close(struct gzpipe *g)
{
	return stop(g, 0);
}

void
gz_abort(struct gzpipe *g)
{
	if (g != NULL)
		(void)stop(g, 1);
}

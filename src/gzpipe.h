/*
 * gzpipe.h - a gzip stream written by a thread of its own (gzpipe.c).
 *
 * gz_open starts it on fd at level (Z_DEFAULT_COMPRESSION: gzip's
 * default); gz_write queues data; gz_close finishes the stream, waits for
 * it to be written and frees everything; gz_abort drops what is queued.
 * gz_open returns NULL and the others -1, with errno set.
 */
#ifndef OVERPACK_GZPIPE_H
#define OVERPACK_GZPIPE_H

#include <stddef.h>

struct gzpipe;

struct gzpipe	*gz_open(int fd, int level);
int		 gz_write(struct gzpipe *, const void *, size_t);
int		 gz_close(struct gzpipe *);
void		 gz_abort(struct gzpipe *);	/* NULL is fine */

#endif

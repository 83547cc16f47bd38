/*
 * fdcache.c - the O_PATH fds of nodes, opened on demand and closed when
 * too many are open (see "Descriptors" in fs.h).
 *
 * Nodes holding any fd sit in a ring.  When more than fs->maxfds are open,
 * a CLOCK hand walks the ring: a node used since the hand last passed has
 * its bit cleared and is spared; one that was not, and that no handler is
 * using, has its fds closed and leaves the ring.  The sweep holds lru_lock
 * and only trylocks nodes, so it never waits while holding it.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "tree.h"

static void sweep(struct fs *);
static void ring_remove_locked(struct fs *, struct node *);

/*
 * Count fds n opened (delta > 0) or closed (< 0), keeping n in the ring
 * while it has any, and sweep when too many are open.  Called with n->lock
 * held, or while nobody else can reach n; the sweep skips n then, and any
 * node whose lock is taken.
 */
void
fdc_account(struct fs *fs, struct node *n, int delta)
{
	int open = (n->fd[UP] >= 0) + (n->fd[LO] >= 0), over;

	pthread_mutex_lock(&fs->lru_lock);
	fs->nfds += delta;
	if (open > 0 && n->ring_next == NULL) {
		if (fs->hand == NULL) {
			n->ring_next = n->ring_prev = n;
			fs->hand = n;
		} else {
			/* Just behind the hand: the last the sweep reaches. */
			n->ring_next = fs->hand;
			n->ring_prev = fs->hand->ring_prev;
			n->ring_prev->ring_next = n;
			fs->hand->ring_prev = n;
		}
	} else if (open == 0 && n->ring_next != NULL)
		ring_remove_locked(fs, n);
	over = delta > 0 && fs->nfds > fs->maxfds;
	pthread_mutex_unlock(&fs->lru_lock);
	if (over)
		sweep(fs);
}

/* Take n (whose lock the caller holds) out of the ring; lru_lock held. */
static void
ring_remove_locked(struct fs *fs, struct node *n)
{
	if (n->ring_next == n)
		fs->hand = NULL;
	else {
		n->ring_prev->ring_next = n->ring_next;
		n->ring_next->ring_prev = n->ring_prev;
		if (fs->hand == n)
			fs->hand = n->ring_next;
	}
	n->ring_next = n->ring_prev = NULL;
}

/*
 * Close the fds of a node being freed.  Under lru_lock, so that a sweep
 * in progress cannot be looking at the node (it takes the node's lock
 * with a trylock, which a dying node's would not stop).
 */
void
fdc_forget(struct fs *fs, struct node *n)
{
	int l;

	pthread_mutex_lock(&fs->lru_lock);
	if (n->ring_next != NULL)
		ring_remove_locked(fs, n);
	for (l = UP; l <= LO; l++)
		if (n->fd[l] >= 0) {
			close(n->fd[l]);
			n->fd[l] = -1;
			fs->nfds--;
		}
	pthread_mutex_unlock(&fs->lru_lock);
}

/* Close fds of unused nodes until three quarters of maxfds are open. */
static void
sweep(struct fs *fs)
{
	struct node *n;
	size_t steps, target = fs->maxfds / 4 * 3;
	int l;

	pthread_mutex_lock(&fs->lru_lock);
	if (fs->nfds <= fs->maxfds) {
		pthread_mutex_unlock(&fs->lru_lock);
		return;
	}
	for (steps = 2 * fs->nfds + 2; fs->hand != NULL && fs->nfds > target &&
	    steps > 0; steps--) {
		n = fs->hand;
		fs->hand = n->ring_next;
		if (__atomic_exchange_n(&n->clock, 0, __ATOMIC_ACQ_REL) ||
		    n == fs->root || pthread_mutex_trylock(&n->lock) != 0)
			continue;
		if (!n->pinned &&
		    __atomic_load_n(&n->busy, __ATOMIC_ACQUIRE) == 0) {
			for (l = UP; l <= LO; l++)
				if (n->fd[l] >= 0) {
					close(n->fd[l]);
					n->fd[l] = -1;
					fs->nfds--;
				}
			ring_remove_locked(fs, n);
		}
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_unlock(&fs->lru_lock);
}

/*
 * Open a lower object by its path below the base root, no symlink
 * followed: a redirect or a stale path can never leave the base.  Returns
 * an O_PATH fd or -errno.
 */
int
fdc_open_lower(struct fs *fs, const char *path)
{
	int fd;

	fd = tree_open_beneath(fs->lowerfd, path, O_PATH);
	return fd == -1 ? -errno : fd;
}

/*
 * Open n's object in layer afresh: a lower one by its path, an upper one
 * by name in its parent's upper directory.  Returns an fd or -errno.
 */
static int
reopen_layer(struct fs *fs, struct node *n, int layer)
{
	struct node *p;
	char *name;
	int pfd, fd;

	if (layer == LO)
		return n->lowerpath ? fdc_open_lower(fs, n->lowerpath) : -ESTALE;
	if ((name = node_name(fs, n, &p)) == NULL)
		return n->parent == NULL ? -ESTALE : -ENOMEM;
	if ((pfd = node_fd(fs, p, UP)) < 0)
		fd = pfd;
	else if ((fd = openat(pfd, name, O_PATH | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fd = -errno;
	node_put(fs, p);
	free(name);
	return fd;
}

/*
 * An O_PATH fd on n's object in layer, valid until the caller drops its
 * busy reference on n.  Returns the fd, -ENOENT when n has no object in
 * that layer, or -ESTALE when its name no longer leads to it.
 */
int
node_fd(struct fs *fs, struct node *n, int layer)
{
	struct stat st;
	unsigned moves;
	int fd, tries, moved;

	for (tries = 0; tries < 3; tries++) {
		pthread_mutex_lock(&n->lock);
		if (!n->has[layer]) {
			pthread_mutex_unlock(&n->lock);
			return -ENOENT;
		}
		if ((fd = n->fd[layer]) >= 0) {
			pthread_mutex_unlock(&n->lock);
			__atomic_store_n(&n->clock, 1, __ATOMIC_RELAXED);
			return fd;
		}
		moves = n->moves;
		pthread_mutex_unlock(&n->lock);

		if ((fd = reopen_layer(fs, n, layer)) >= 0 &&
		    fstatat(fd, "", &st, AT_EMPTY_PATH) == -1) {
			close(fd);
			fd = -errno;
		}
		pthread_mutex_lock(&n->lock);
		if (fd >= 0 && (st.st_dev != n->key[layer].dev ||
		    st.st_ino != n->key[layer].ino)) {
			close(fd);
			fd = -ESTALE;
		}
		if (fd < 0) {
			/* A rename meanwhile may have moved it: look again. */
			moved = n->moves != moves;
			pthread_mutex_unlock(&n->lock);
			if (moved)
				continue;
			return fd == -ENOENT ? -ESTALE : fd;
		}
		if (n->fd[layer] >= 0) {
			close(fd);		/* another thread was quicker */
			fd = n->fd[layer];
		} else {
			n->fd[layer] = fd;
			fdc_account(fs, n, 1);
		}
		pthread_mutex_unlock(&n->lock);
		__atomic_store_n(&n->clock, 1, __ATOMIC_RELAXED);
		return fd;
	}
	return -ESTALE;
}

int
node_has(struct node *n, int layer)
{
	int has;

	pthread_mutex_lock(&n->lock);
	has = n->has[layer];
	pthread_mutex_unlock(&n->lock);
	return has;
}

int
node_layer(struct node *n)
{
	return node_has(n, UP) ? UP : LO;
}

int
node_data_layer(struct node *n)
{
	int layer;

	pthread_mutex_lock(&n->lock);
	layer = n->has[UP] && !n->metacopy ? UP : LO;
	pthread_mutex_unlock(&n->lock);
	return layer;
}

/*
 * n now has an upper object, open as fd (taken over) and described by st.
 * Called with n->lock held.
 */
void
node_set_upper(struct fs *fs, struct node *n, int fd, const struct stat *st)
{
	n->has[UP] = 1;
	n->key[UP].dev = st->st_dev;
	n->key[UP].ino = st->st_ino;
	n->fd[UP] = fd;
	fdc_account(fs, n, 1);
}

/*
 * n is about to lose its last name while the kernel may still use it:
 * open its fds and keep them.  The caller holds n busy.
 */
void
node_pin(struct fs *fs, struct node *n)
{
	int l;

	for (l = UP; l <= LO; l++)
		if (node_has(n, l))
			(void)node_fd(fs, n, l);
	pthread_mutex_lock(&n->lock);
	n->pinned = 1;
	pthread_mutex_unlock(&n->lock);
}

/*
 * The attributes the kernel sees: the active object's, under the node's
 * number.  A directory that merges two layers reports one link, as kernel
 * overlayfs does, since its true count is not known without a full read.
 * A metacopy reports the blocks its data takes in the lower layer.
 */
int
node_stat(struct fs *fs, struct node *n, struct stat *st)
{
	struct stat lst;
	int fd, merged, meta, layer, error;

	pthread_mutex_lock(&n->lock);
	merged = n->has[UP] && n->has[LO];
	meta = n->metacopy;
	pthread_mutex_unlock(&n->lock);
	layer = merged || node_has(n, UP) ? UP : LO;
	if ((fd = node_fd(fs, n, layer)) < 0)
		return -fd;
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (layer == UP && (error = rec_stat(fs, fd, st)) != 0)
		return error;
	if (layer == UP)
		index_nlink_show(fs, fd, st);
	ids_show(fs, st);
	st->st_ino = n->ino;
	if (merged && S_ISDIR(st->st_mode))
		st->st_nlink = 1;
	if (meta && (fd = node_fd(fs, n, LO)) >= 0 &&
	    fstatat(fd, "", &lst, AT_EMPTY_PATH) == 0)
		st->st_blocks = lst.st_blocks;
	return 0;
}

/*
 * node.c - the node table and the inode map: how nodes are made, found,
 * referenced, moved and freed.  Their fds are fdcache.c's business.
 *
 * Two hash tables under fs->table_lock: live nodes by number, and the
 * inode map from a backing object's (dev, ino) to its number.  The map only
 * grows (about 40 bytes per object ever seen), which is what keeps numbers
 * stable after the kernel forgets a node and looks it up again.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#define FUSE_ROOT_NUM	1

static size_t
hash_num(uint64_t n, size_t size)
{
	n ^= n >> 33;
	n *= 0xff51afd7ed558ccdULL;
	n ^= n >> 33;
	return n & (size - 1);
}

static size_t
hash_key(dev_t dev, ino_t ino, size_t size)
{
	return hash_num((uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ dev, size);
}

int
node_table_init(struct fs *fs)
{
	pthread_mutex_init(&fs->table_lock, NULL);
	pthread_mutex_init(&fs->lru_lock, NULL);
	fs->nodes_size = 1024;
	fs->imap_size = 1024;
	fs->nodes = calloc(fs->nodes_size, sizeof(*fs->nodes));
	fs->imap = calloc(fs->imap_size, sizeof(*fs->imap));
	if (fs->nodes == NULL || fs->imap == NULL)
		return ENOMEM;
	fs->next_num = FUSE_ROOT_NUM + 1;
	return 0;
}

/* Called with table_lock held, or at teardown. */
static void
node_free(struct fs *fs, struct node *n)
{
	fdc_forget(fs, n);
	free(n->name);
	/* Alias parents are released by the caller (release_locked). */
	free(n->lowerpath);
	dirlist_free(n->dl);
	pthread_mutex_destroy(&n->dl_lock);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

void
node_table_free(struct fs *fs)
{
	struct node *n, *nn;
	struct imap_ent *e, *en;
	size_t i;

	for (i = 0; fs->nodes && i < fs->nodes_size; i++)
		for (n = fs->nodes[i]; n; n = nn) {
			struct alias *a, *an;

			nn = n->hnext;
			/* Teardown: every node goes, so no refs to drop. */
			for (a = n->aliases; a != NULL; a = an) {
				an = a->next;
				free(a->name);
				free(a);
			}
			node_free(fs, n);
		}
	for (i = 0; fs->imap && i < fs->imap_size; i++)
		for (e = fs->imap[i]; e; e = en) {
			en = e->next;
			free(e);
		}
	free(fs->nodes);
	free(fs->imap);
	pthread_mutex_destroy(&fs->table_lock);
	pthread_mutex_destroy(&fs->lru_lock);
}

/* Grow a chained table to twice its size.  Called with table_lock held;
 * failure to grow only costs speed. */
static void
nodes_grow(struct fs *fs)
{
	struct node **nt, *n, *nn;
	size_t i, size = fs->nodes_size * 2, h;

	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return;
	for (i = 0; i < fs->nodes_size; i++)
		for (n = fs->nodes[i]; n; n = nn) {
			nn = n->hnext;
			h = hash_num(n->ino, size);
			n->hnext = nt[h];
			nt[h] = n;
		}
	free(fs->nodes);
	fs->nodes = nt;
	fs->nodes_size = size;
}

static void
imap_grow(struct fs *fs)
{
	struct imap_ent **nt, *e, *en;
	size_t i, size = fs->imap_size * 2, h;

	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return;
	for (i = 0; i < fs->imap_size; i++)
		for (e = fs->imap[i]; e; e = en) {
			en = e->next;
			h = hash_key(e->dev, e->ino, size);
			e->next = nt[h];
			nt[h] = e;
		}
	free(fs->imap);
	fs->imap = nt;
	fs->imap_size = size;
}

static struct imap_ent *
imap_find(struct fs *fs, dev_t dev, ino_t ino)
{
	struct imap_ent *e;

	for (e = fs->imap[hash_key(dev, ino, fs->imap_size)]; e; e = e->next)
		if (e->dev == dev && e->ino == ino)
			return e;
	return NULL;
}

/* Record (dev, ino) -> num.  Called with table_lock held. */
static int
imap_add(struct fs *fs, dev_t dev, ino_t ino, uint64_t num)
{
	struct imap_ent *e;
	size_t h;

	if ((e = imap_find(fs, dev, ino)) != NULL) {
		e->num = num;
		return 0;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ENOMEM;
	if (fs->nimap >= fs->imap_size)
		imap_grow(fs);
	h = hash_key(dev, ino, fs->imap_size);
	e->dev = dev;
	e->ino = ino;
	e->num = num;
	e->next = fs->imap[h];
	fs->imap[h] = e;
	fs->nimap++;
	return 0;
}

static struct node *
nodes_find(struct fs *fs, uint64_t num)
{
	struct node *n;

	for (n = fs->nodes[hash_num(num, fs->nodes_size)]; n; n = n->hnext)
		if (n->ino == num)
			return n;
	return NULL;
}

static void
nodes_add(struct fs *fs, struct node *n)
{
	size_t h;

	if (fs->nnodes >= fs->nodes_size)
		nodes_grow(fs);
	h = hash_num(n->ino, fs->nodes_size);
	n->hnext = fs->nodes[h];
	fs->nodes[h] = n;
	fs->nnodes++;
}

static void
nodes_del(struct fs *fs, struct node *n)
{
	struct node **pp;

	for (pp = &fs->nodes[hash_num(n->ino, fs->nodes_size)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			fs->nnodes--;
			return;
		}
}

void
node_insert(struct fs *fs, struct node *n)
{
	pthread_mutex_lock(&fs->table_lock);
	nodes_add(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
}

struct node *
node_get(struct fs *fs, fuse_ino_t ino)
{
	struct node *n;

	if (ino == FUSE_ROOT_ID)
		ino = FUSE_ROOT_NUM;
	pthread_mutex_lock(&fs->table_lock);
	if ((n = nodes_find(fs, ino)) != NULL)
		__atomic_add_fetch(&n->busy, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

/* Another busy reference on a node the caller already holds. */
void
node_hold(struct fs *fs, struct node *n)
{
	__atomic_add_fetch(&n->busy, 1, __ATOMIC_ACQ_REL);
}

static int
node_unused(struct fs *fs, struct node *n)
{
	return n->nlookup == 0 && n->refs == 0 && n != fs->root &&
	    __atomic_load_n(&n->busy, __ATOMIC_ACQUIRE) == 0;
}

/*
 * Free every node that nobody holds any more, walking up the parents whose
 * last child went.  Called with table_lock held.
 */
static void
release_locked(struct fs *fs, struct node *n)
{
	struct node *parent;
	struct alias *a, *an;

	while (n != NULL && node_unused(fs, n)) {
		nodes_del(fs, n);
		parent = n->parent;
		a = n->aliases;
		n->aliases = NULL;
		node_free(fs, n);
		/* Rare: a freed file that still knew other names. */
		for (; a != NULL; a = an) {
			an = a->next;
			a->parent->refs--;
			release_locked(fs, a->parent);
			free(a->name);
			free(a);
		}
		if ((n = parent) != NULL)
			n->refs--;
	}
}

void
node_put(struct fs *fs, struct node *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&fs->table_lock);
	__atomic_sub_fetch(&n->busy, 1, __ATOMIC_ACQ_REL);
	release_locked(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
}

void
node_forget(struct fs *fs, struct node *n, uint64_t nlookup)
{
	pthread_mutex_lock(&fs->table_lock);
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	release_locked(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
}

/* The live node of the object st describes, busy, or NULL. */
struct node *
node_find_live(struct fs *fs, const struct stat *st)
{
	struct imap_ent *ie;
	struct node *n = NULL;

	pthread_mutex_lock(&fs->table_lock);
	if ((ie = imap_find(fs, st->st_dev, st->st_ino)) != NULL &&
	    (n = nodes_find(fs, ie->num)) != NULL)
		__atomic_add_fetch(&n->busy, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

/*
 * n, a lower-only file with other links, was just found as parent/name:
 * remember the name if it is new.  Called with n->lock held.
 */
static void
add_alias(struct fs *fs, struct node *n, struct node *parent,
    const char *name)
{
	struct alias *a;

	if (n->parent == parent && strcmp(n->name, name) == 0)
		return;
	for (a = n->aliases; a != NULL; a = a->next)
		if (a->parent == parent && strcmp(a->name, name) == 0)
			return;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->name = strdup(name)) == NULL) {
		free(a);
		return;		/* only the copy-up of this name is lost */
	}
	a->parent = parent;
	pthread_mutex_lock(&fs->table_lock);
	parent->refs++;
	pthread_mutex_unlock(&fs->table_lock);
	a->next = n->aliases;
	n->aliases = a;
}

/* Take n's alias list (to link or drop).  Called with n->lock held. */
struct alias *
node_take_aliases(struct fs *fs, struct node *n)
{
	struct alias *a = n->aliases;

	n->aliases = NULL;
	return a;
}

void
alias_free(struct fs *fs, struct alias *a)
{
	struct alias *an;

	for (; a != NULL; a = an) {
		an = a->next;
		pthread_mutex_lock(&fs->table_lock);
		a->parent->refs--;
		release_locked(fs, a->parent);
		pthread_mutex_unlock(&fs->table_lock);
		free(a->name);
		free(a);
	}
}

/*
 * The name parent/name of n is gone (unlinked, or renamed over): forget
 * it.  If it was n's own name, another known name takes its place, so
 * that n can still be found (and copied up) by name.
 */
void
node_unname(struct fs *fs, struct node *n, struct node *parent,
    const char *name)
{
	struct alias **ap, *a, *dead = NULL;
	struct node *drop = NULL;

	pthread_mutex_lock(&n->lock);
	if (n->parent == parent && strcmp(n->name, name) == 0) {
		if ((a = n->aliases) != NULL) {
			n->aliases = a->next;
			drop = n->parent;
			free(n->name);
			n->name = a->name;
			n->parent = a->parent;	/* a's ref moves over */
			n->moves++;
			free(a);
		}
	} else
		for (ap = &n->aliases; *ap != NULL; ap = &(*ap)->next)
			if ((*ap)->parent == parent &&
			    strcmp((*ap)->name, name) == 0) {
				dead = *ap;
				*ap = dead->next;
				dead->next = NULL;
				break;
			}
	pthread_mutex_unlock(&n->lock);
	if (drop != NULL) {
		pthread_mutex_lock(&fs->table_lock);
		drop->refs--;
		release_locked(fs, drop);
		pthread_mutex_unlock(&fs->table_lock);
	}
	alias_free(fs, dead);
}

/* Take e's fds into n where n has none cached; close the rest. */
static void
adopt_fds(struct fs *fs, struct node *n, struct entry *e)
{
	int *efd[2] = { &e->upper, &e->lower }, l, added = 0;
	const struct stat *est[2] = { &e->st, &e->lst };

	pthread_mutex_lock(&n->lock);
	for (l = UP; l <= LO; l++) {
		if (*efd[l] < 0)
			continue;
		if (n->fd[l] < 0 && n->has[l] &&
		    n->key[l].dev == est[l]->st_dev &&
		    n->key[l].ino == est[l]->st_ino) {
			n->fd[l] = *efd[l];
			added++;
		} else
			close(*efd[l]);
		*efd[l] = -1;
	}
	if (added)
		fdc_account(fs, n, added);
	pthread_mutex_unlock(&n->lock);
}

/*
 * Give the object found at parent/name its node, counting one kernel
 * lookup (MAKE_LOOKUP) or taking a busy reference (MAKE_BUSY): the live
 * node with its number if there is one, else a new node.  e's fds and
 * lowerpath are taken or released either way.
 */
int
node_make(struct fs *fs, struct node *parent, const char *name,
    struct entry *e, int how, struct node **out)
{
	struct imap_ent *ie;
	struct node *n;
	struct stat *key;
	int error = 0;

	key = e->upper >= 0 ? &e->st : &e->lst;
	pthread_mutex_lock(&fs->table_lock);
	ie = imap_find(fs, key->st_dev, key->st_ino);
	if (ie != NULL && (n = nodes_find(fs, ie->num)) != NULL &&
	    (n->type & S_IFMT) == (e->st.st_mode & S_IFMT)) {
		if (how == MAKE_LOOKUP)
			n->nlookup++;
		else
			__atomic_add_fetch(&n->busy, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&fs->table_lock);
		if (e->upper < 0 && !S_ISDIR(e->st.st_mode) &&
		    e->lst.st_nlink > 1) {
			pthread_mutex_lock(&n->lock);
			if (!n->has[UP])
				add_alias(fs, n, parent, name);
			pthread_mutex_unlock(&n->lock);
		}
		adopt_fds(fs, n, e);
		entry_free(e);
		*out = n;
		return 0;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->name = strdup(name)) == NULL) {
		free(n);
		error = ENOMEM;
		goto fail;
	}
	if (ie == NULL || nodes_find(fs, ie->num) != NULL) {
		/* New object, or (after a type change) a number in use. */
		n->ino = fs->next_num++;
		if ((error = imap_add(fs, key->st_dev, key->st_ino, n->ino))) {
			free(n->name);
			free(n);
			goto fail;
		}
	} else
		n->ino = ie->num;
	pthread_mutex_init(&n->lock, NULL);
	pthread_mutex_init(&n->dl_lock, NULL);
	n->type = e->st.st_mode & S_IFMT;
	if (how == MAKE_LOOKUP)
		n->nlookup = 1;
	else
		n->busy = 1;
	n->parent = parent;
	parent->refs++;
	n->fd[UP] = e->upper;
	n->fd[LO] = e->lower;
	n->has[UP] = e->upper >= 0;
	n->has[LO] = e->lower >= 0;
	if (n->has[UP]) {
		n->key[UP].dev = e->st.st_dev;
		n->key[UP].ino = e->st.st_ino;
	}
	if (n->has[LO]) {
		n->key[LO].dev = e->lst.st_dev;
		n->key[LO].ino = e->lst.st_ino;
	}
	n->lowerpath = e->lowerpath;
	n->metacopy = e->metacopy;
	n->pinned = e->unnamed;
	e->upper = e->lower = -1;
	e->lowerpath = NULL;
	nodes_add(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
	/* Nobody can reach n's fds before this returns. */
	fdc_account(fs, n, n->has[UP] + n->has[LO]);
	*out = n;
	return 0;
fail:
	pthread_mutex_unlock(&fs->table_lock);
	entry_free(e);
	return error;
}

/* After a copy-up: the new upper object keeps the node's number. */
int
node_alias(struct fs *fs, struct node *n, const struct stat *ust)
{
	int error;

	pthread_mutex_lock(&fs->table_lock);
	error = imap_add(fs, ust->st_dev, ust->st_ino, n->ino);
	pthread_mutex_unlock(&fs->table_lock);
	return error;
}

/* The number of the object (dev, ino), assigning one on first sight. */
uint64_t
node_number(struct fs *fs, dev_t dev, ino_t ino)
{
	struct imap_ent *ie;
	uint64_t num;

	pthread_mutex_lock(&fs->table_lock);
	if ((ie = imap_find(fs, dev, ino)) != NULL)
		num = ie->num;
	else {
		num = fs->next_num++;
		if (imap_add(fs, dev, ino, num) != 0)
			num = 0;	/* out of memory: an unknown number */
	}
	pthread_mutex_unlock(&fs->table_lock);
	return num;
}

/*
 * A copy of n's current name and a busy reference to its parent (release
 * with node_put), or NULL for the root or when memory runs out.
 */
char *
node_name(struct fs *fs, struct node *n, struct node **parent)
{
	char *name = NULL;

	*parent = NULL;
	pthread_mutex_lock(&n->lock);
	if (n->parent != NULL && (name = strdup(n->name)) != NULL) {
		*parent = n->parent;
		node_hold(fs, *parent);
	}
	pthread_mutex_unlock(&n->lock);
	return name;
}

/* A rename put n at np/name (name is taken over).  Called with n->lock. */
void
node_moved(struct fs *fs, struct node *n, struct node *np, char *name)
{
	struct node *old = n->parent;

	free(n->name);
	n->name = name;
	n->moves++;
	if (old != np) {
		pthread_mutex_lock(&fs->table_lock);
		np->refs++;
		old->refs--;
		n->parent = np;
		release_locked(fs, old);
		pthread_mutex_unlock(&fs->table_lock);
	}
}

/*
 * fs.h - overpackfs internals: the filesystem state, its nodes, and the
 * helpers the FUSE handlers in ops.c are built from.
 *
 * Return convention in fuse/: helpers return 0 or a positive errno; each
 * handler replies exactly once.  Nothing here exits once the loop runs.
 *
 * Nodes.  A node is one object of the merged view.  Its number (the FUSE
 * nodeid, reported as st_ino) comes from the inode map, keyed by the
 * (st_dev, st_ino) of the object that backs it: the upper object when there
 * is one, else the lower one.  A copy-up records the new upper key as an
 * alias of the old number, and the map is never pruned, so a number stays
 * the same for as long as the mount lives and no two objects share one.
 *
 * A node lives while the kernel holds lookups on it (nlookup) or something
 * inside the filesystem holds a reference (refs: children naming it as
 * parent, handlers in flight).
 *
 * Locks.  fs->table_lock guards both hash tables and every node's nlookup
 * and refs.  node->lock guards the node's upper fd, parent and name: a
 * copy-up and a rename of the same node are serialised by it.  Lock order:
 * a node's lock before its ancestors' locks, any node lock before
 * table_lock.  Fields marked "immutable" are set before the node is
 * published.  Once upper is set it never changes, so it may be read
 * without the lock after a successful copy_up().
 */
#ifndef OVERPACK_FS_H
#define OVERPACK_FS_H

#include <sys/stat.h>
#include <sys/types.h>
#include <pthread.h>
#include <stdint.h>

#include <fuse_lowlevel.h>

struct node {
	uint64_t	 ino;		/* nodeid and st_ino; immutable */
	mode_t		 type;		/* S_IFMT of the object; immutable */
	uint64_t	 nlookup;	/* kernel lookups; table_lock */
	uint64_t	 refs;		/* internal references; table_lock */
	struct node	*hnext;		/* chain in fs->nodes; table_lock */

	pthread_mutex_t	 lock;
	struct node	*parent;	/* lock; holds a ref; NULL for root */
	char		*name;		/* lock; owned */
	int		 upper;		/* lock; O_PATH fd or -1; set once */
	int		 lower;		/* O_PATH fd or -1; immutable */
	char		*lowerpath;	/* dirs with a lower: its path from
					   the base root ("" for the root);
					   immutable; owned */
};

/* The inode map: (dev, ino) of a backing object -> node number. */
struct imap_ent {
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 num;
	struct imap_ent	*next;
};

struct fs {
	int		 lowerfd;	/* base root; read-only mount clone */
	int		 upperfd;
	int		 workfd;
	dev_t		 workdev;	/* upper and work must share it */
	char		*upperdir;	/* for messages; owned */
	int		 debug;
	double		 timeout;	/* entry and attr cache, seconds */
	struct fuse_session *se;
	struct node	*root;

	pthread_mutex_t	 table_lock;
	struct node	**nodes;	/* hash by number; table_lock */
	size_t		 nnodes, nodes_size;
	struct imap_ent	**imap;		/* hash by (dev, ino); table_lock */
	size_t		 nimap, imap_size;
	uint64_t	 next_num;	/* table_lock */
	uint64_t	 tmpseq;	/* work-dir names; table_lock */
};

/* What lookup found at parent/name before a node is made for it. */
struct entry {
	int		 upper;		/* O_PATH or -1; owned by the caller */
	int		 lower;
	struct stat	 st;		/* of the object shown */
	struct stat	 lst;		/* of the lower object, if lower >= 0 */
	char		*lowerpath;	/* dirs with a lower; owned */
	int		 whiteout;	/* upper has a whiteout at name */
};

/* node.c */
int		 node_table_init(struct fs *);
void		 node_table_free(struct fs *);
void		 node_insert(struct fs *, struct node *);
struct node	*node_get(struct fs *, fuse_ino_t);	/* +1 ref, or NULL */
void		 node_put(struct fs *, struct node *);
void		 node_forget(struct fs *, struct node *, uint64_t);
int		 node_make(struct fs *, struct node *, const char *,
		    struct entry *, struct node **);
int		 node_alias(struct fs *, struct node *, const struct stat *);
uint64_t	 node_number(struct fs *, dev_t, ino_t);
int		 node_active(struct node *);	/* upper if any, else lower */
int		 node_stat(struct fs *, struct node *, struct stat *);
char		*node_name(struct fs *, struct node *, struct node **);

/* dir.c */
int		 entry_find(struct fs *, struct node *, const char *,
		    struct entry *);
void		 entry_free(struct entry *);
int		 lower_has(struct node *, const char *);
int		 dir_is_empty(struct fs *, int upper, int lower);
int		 dir_purge(struct fs *, int dirfd, const char *name);
int		 work_name(struct fs *, char *, size_t);
struct dirlist;
int		 dirlist_load(struct fs *, struct node *, struct dirlist **);
void		 dirlist_free(struct dirlist *);
/* Replies to req on success; returns an errno without replying. */
int		 dirlist_fill(struct fs *, fuse_req_t, struct dirlist *,
		    size_t, off_t);

/* copyup.c */
#define COPYUP_NODATA	0x1	/* the caller truncates to zero anyway */
int		 copy_up(struct fs *, struct node *, int flags);
int		 reopen(struct fs *, int fd, int flags);
int		 xattr_path(struct fs *, struct node *, int fd, char *, size_t,
		    int *follow);

/* ops.c */
extern const struct fuse_lowlevel_ops opfs_ops;

#endif

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
 * A node lives while the kernel holds lookups on it (nlookup), children
 * name it as their parent (refs), or a handler is using it (busy).
 *
 * Descriptors.  The kernel may keep hundreds of thousands of inodes
 * cached, far more than the process may hold fds, so a node's O_PATH fds
 * are a cache: node_fd() opens them on demand, and when more than maxfds
 * are open a CLOCK sweep closes those of nodes that no handler is using.
 * A lower object is reopened by its path in the base (lowerpath, which
 * never changes: the base is read-only), an upper one by name in its
 * parent's upper directory; either way its (dev, ino) must match the key
 * recorded when the node was made, or the answer is ESTALE.  An object
 * that lost its last name while the kernel still knows it (unlinked but
 * open, or an anonymous copy-up) is pinned: its fds are never closed.
 * So is an O_TMPFILE file, which has had no name yet: its name is ""
 * until a link gives it one.
 *
 * Locks.  fs->table_lock guards both hash tables and every node's nlookup
 * and refs; busy and clock are atomics.  node->lock guards the node's
 * parent, name, fds, keys and flags: a copy-up and a rename of the same
 * node are serialised by it.  fs->lru_lock guards the CLOCK ring and the
 * fd count.  Lock order: a node's lock before its ancestors' locks, node
 * locks before table_lock, table_lock before lru_lock; two nodes neither
 * of which is the other's ancestor, in the order of their numbers.  The
 * sweep holds lru_lock and only ever trylocks a node.  A handler may use
 * an fd from node_fd() until it releases its busy reference (node_put).
 */
#ifndef OVERPACK_FS_H
#define OVERPACK_FS_H

#include <sys/stat.h>
#include <sys/types.h>
#include <pthread.h>
#include <stdint.h>

#include <fuse_lowlevel.h>

enum { UP = 0, LO = 1 };		/* layer index */

struct dirlist;
struct handle;
struct node;

/*
 * Another name of a lower-only file with hard links, seen by lookup.  A
 * copy-up links every known name to the copy, so a write through one
 * name shows through the others, as on the host.  Holds a ref on parent.
 */
struct alias {
	struct node	*parent;
	char		*name;		/* owned */
	struct alias	*next;
};

struct objkey {
	dev_t		 dev;
	ino_t		 ino;
};

struct node {
	uint64_t	 ino;		/* nodeid and st_ino; immutable */
	mode_t		 type;		/* S_IFMT of the object; immutable */
	uint64_t	 nlookup;	/* kernel lookups; table_lock */
	uint64_t	 refs;		/* children naming it; table_lock */
	unsigned	 busy;		/* handlers using it; atomic */
	struct node	*hnext;		/* chain in fs->nodes; table_lock */

	pthread_mutex_t	 lock;
	struct node	*parent;	/* lock; holds a ref; NULL for root */
	char		*name;		/* lock; owned */
	int		 fd[2];		/* lock; cached O_PATH fds or -1 */
	struct objkey	 key[2];	/* lock; identity of each object */
	unsigned char	 has[2];	/* lock; has[UP] is set once */
	unsigned char	 pinned;	/* lock; no name to reopen it by */
	unsigned char	 metacopy;	/* lock; upper holds metadata only,
					   the data is the lower file's */
	unsigned char	 nocap;		/* atomic; known to have no
					   security.capability */
	struct alias	*aliases;	/* lock; other names while lower-only */
	unsigned	 moves;		/* lock; bumped by every rename */
	char		*lowerpath;	/* the lower object's path from the
					   base root ("" for the root), or
					   NULL; immutable; owned */

	pthread_mutex_t	 dl_lock;	/* before lock; guards dl */
	struct dirlist	*dl;		/* listing being read, or NULL */

	unsigned char	 clock;		/* used since the last sweep; atomic */
	struct node	*ring_prev;	/* lru_lock; in fs's ring while any */
	struct node	*ring_next;	/*   fd is open */
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
	int		 indexfd;	/* work/index (see copyup.c) */
	dev_t		 workdev;	/* upper and work must share it */
	double		 timeout;	/* entry and attr cache, seconds */
	int		 no_opendir;	/* the kernel can skip OPENDIR */
	int		 nosync;	/* volatile: no copy-up and no
					   fsync(2) waits for the disk */
	int		 noclone;	/* the upper filesystem cannot reflink;
					   atomic */
	int		 noflush;	/* closing an upper file reports
					   nothing: the kernel need not send
					   FLUSH */
	int		 records;	/* owners=xattr: owner, mode and type
					   kept as records (see layer.h) */
	uid_t		 diskuid;	/* records: the upper root's owner */
	gid_t		 diskgid;	/*   on disk, shown as 0 where an
					     object has no record */
	uint32_t	 idmax;		/* ids the kernel can map are below
					   this; others show as 0; 0: all */
	int		 strict;	/* no kernel caching; see opfs.h */
	struct opfs_trace *trace;	/* or NULL; immutable */
	struct opfs_filter *filter;	/* or NULL; immutable */
	struct fuse_session *se;
	int		 ring_ok;	/* may take io_uring if offered */
	struct rings	*rings;		/* io_uring queues, or NULL */
	struct node	*root;

	pthread_mutex_t	 table_lock;
	struct node	**nodes;	/* hash by number; table_lock */
	size_t		 nnodes, nodes_size;
	struct imap_ent	**imap;		/* hash by (dev, ino); table_lock */
	size_t		 nimap, imap_size;
	uint64_t	 next_num;	/* table_lock */
	uint64_t	 tmpseq;	/* work-dir names; table_lock */

	pthread_mutex_t	 index_lock;	/* taken last: a link or rename of
					   an indexed copy and its nlink
					   xattr's update, or a read of
					   both, happen under it */

	pthread_mutex_t	 handle_lock;	/* taken alone */
	struct handle	*handles;	/* open files; handle_lock */

	pthread_mutex_t	 lru_lock;
	struct node	*hand;		/* CLOCK hand; lru_lock */
	size_t		 nfds;		/* node fds open; lru_lock */
	size_t		 maxfds;	/* sweep above this; immutable */
};

/* What lookup found at parent/name before a node is made for it. */
struct entry {
	int		 upper;		/* O_PATH or -1; owned by the caller */
	int		 lower;
	struct stat	 st;		/* of the object shown */
	struct stat	 lst;		/* of the lower object, if lower >= 0 */
	char		*lowerpath;	/* if lower >= 0; owned */
	int		 whiteout;	/* upper has a whiteout at name */
	int		 metacopy;	/* upper is metadata, lower the data */
	int		 unnamed;	/* an O_TMPFILE file, never named yet:
					   its node is made pinned */
};

/* node.c */
#define MAKE_LOOKUP	0	/* node_make counts a kernel lookup */
#define MAKE_BUSY	1	/* node_make takes a busy reference */
int		 node_table_init(struct fs *);
void		 node_table_free(struct fs *);
void		 node_insert(struct fs *, struct node *);
struct node	*node_get(struct fs *, fuse_ino_t);	/* busy, or NULL */
void		 node_hold(struct fs *, struct node *);	/* busy */
void		 node_put(struct fs *, struct node *);
void		 node_forget(struct fs *, struct node *, uint64_t);
int		 node_make(struct fs *, struct node *, const char *,
		    struct entry *, int, struct node **);
int		 node_alias(struct fs *, struct node *, const struct stat *);
uint64_t	 node_number(struct fs *, dev_t, ino_t);
struct node	*node_find_live(struct fs *, const struct stat *);
/* fdcache.c */
void		 fdc_account(struct fs *, struct node *, int);
void		 fdc_forget(struct fs *, struct node *);
int		 fdc_open_lower(struct fs *, const char *);
int		 node_fd(struct fs *, struct node *, int);
int		 node_has(struct node *, int);
int		 node_layer(struct node *);	/* UP if it has one, else LO */
int		 node_data_layer(struct node *);	/* where its bytes are */
void		 node_set_upper(struct fs *, struct node *, int,
		    const struct stat *);
void		 node_pin(struct fs *, struct node *);
int		 node_stat(struct fs *, struct node *, struct stat *);
char		*node_name(struct fs *, struct node *, struct node **);
void		 node_moved(struct fs *, struct node *, struct node *, char *);
void		 node_unname(struct fs *, struct node *, struct node *,
		    const char *);
struct alias	*node_take_aliases(struct fs *, struct node *);
void		 alias_free(struct fs *, struct alias *);

/* dir.c */
int		 entry_find(struct fs *, struct node *, const char *,
		    struct entry *);
void		 entry_free(struct entry *);
int		 lower_has(struct fs *, struct node *, const char *);
int		 dir_is_empty(struct fs *, int upper, int lower);
int		 dir_purge(struct fs *, int dirfd, const char *name);
int		 work_name(struct fs *, char *, size_t);
void		 dirlist_free(struct dirlist *);
int		 dir_read(struct fs *, struct node *, off_t,
		    int (*)(void *, const char *, uint64_t, unsigned char,
		    off_t), void *);

/* copyup.c */
#define COPYUP_NODATA	0x1	/* the caller truncates to zero anyway */
#define COPYUP_META	0x2	/* metadata is all the caller changes */
int		 copy_up(struct fs *, struct node *, int flags);
int		 reopen(struct fs *, int fd, int flags);
int		 link_fd(int fd, int dirfd, const char *);
int		 link_up(struct fs *, int fd, struct node *p, const char *);
int		 index_link_up(struct fs *, struct node *p, const char *,
		    int lfd);
void		 index_nlink_show(struct fs *, int fd, struct stat *);
int		 index_init(struct fs *);
/* A path by which the xattrs of a node's object can be reached. */
struct xpath {
	char		 path[64 + 256];
	int		 follow;	/* getxattr, else lgetxattr */
	int		 closefd;	/* to close after use, or -1 */
	struct node	*hold;		/* to node_put after use, or NULL */
};
int		 xpath_get(struct fs *, struct node *, int layer,
		    struct xpath *);
void		 xpath_put(struct fs *, struct xpath *);

/* owners.c */
int		 rec_stat(struct fs *, int fd, struct stat *);
void		 ids_show(struct fs *, struct stat *);
int		 rec_init(struct fs *, int want);
int		 rec_chattr(struct fs *, int fd, const struct stat *attr,
		    int to_set);
int		 rec_make(struct fs *, int dirfd, const char *name,
		    mode_t mode, dev_t rdev, const char *target, uid_t uid,
		    gid_t gid);
ssize_t		 rec_readlink(int fd, char *buf, size_t len);
const char	*rec_xname(struct fs *, int layer, const char *name,
		    char *buf, size_t len);
/* filter.c: does the filter (NULL: none) show this base path? */
int		 filter_admits(const struct opfs_filter *, const char *);
int		 filter_admits_at(const struct opfs_filter *, const char *dir,
		    const char *name);

/* trace.c: the hooks handlers call; each is a no-op without a trace. */
enum { TR_LOOKUP, TR_MISS, TR_HIDDEN, TR_OPEN, TR_EXEC, TR_READLINK,
    TR_READDIR };
void		 trace_lookup(struct fs *, fuse_req_t, struct node *parent,
		    const char *, struct node *);
void		 trace_open(struct fs *, fuse_req_t, struct node *, int flags,
		    int layer);
void		 trace_node(struct fs *, fuse_req_t, struct node *, int op);

/* loop.c: is this thread serving a FUSE_TMPFILE relabelled FUSE_CREATE? */
int		 loop_tmpfile(void);
int		 loop_attach(struct fs *);
void		 loop_process(struct fuse_session *, struct fuse_buf *);

/* ring.c */
struct rings	*rings_new(struct fuse_session *, int fd, size_t payload);
void		 rings_go(struct rings *, int ok);
void		 rings_free(struct rings *);
int		 ring_reply(const struct iovec *, int);
void		*ring_space(size_t *);

/* ops.c */
extern const struct fuse_lowlevel_ops opfs_ops;
void		 handles_free(struct fs *);
/* What a new object is to be. */
struct newobj {
	mode_t			 mode;	/* type and permissions */
	dev_t			 rdev;
	const char		*target;	/* symlinks */
	struct fuse_file_info	*fi;		/* create: open flags in */
	int			 tmpfile;	/* create: O_TMPFILE, no name */
	int			 fd;		/* create: open fd out */
	int			 made;		/* make_obj created it */
};
int		 do_create(struct fs *, struct node *, const char *,
		    struct newobj *, uid_t, gid_t, struct node **);
int		 do_setattr(struct fs *, struct node *, struct stat *, int,
		    struct fuse_file_info *);
int		 do_removexattr(struct fs *, struct node *, const char *);

#endif

/*
 * ops.c - the FUSE low-level handlers.
 *
 * Each handler takes its nodes, calls do_* helpers that return 0 or an
 * errno, and replies exactly once at the end.  Names are always used
 * relative to a directory fd of the right layer; lower objects are only
 * read.  See fs.h for nodes and locks, dir.c for the merge rules and
 * copyup.c for copy-up.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"

#define FS(req)	((struct fs *)fuse_req_userdata(req))

/*
 * An open file.  A handle opened on a lower file moves to the upper copy
 * at its first read after a copy-up, so that it sees what was written
 * since; the lower fd stays open until release, for reads in flight.
 */
struct handle {
	pthread_mutex_t	 lock;
	struct node	*node;		/* the kernel keeps it alive */
	int		 fd;		/* lock while lower is set */
	int		 oldfd;		/* the lower fd after a move, or -1 */
	int		 flags;		/* open(2) flags */
	unsigned char	 lower;		/* lock; fd is on the lower file */
	struct handle	*prev, *next;	/* fs->handles; fs->handle_lock */
};

#define HANDLE(fi)	((struct handle *)(uintptr_t)(fi)->fh)

static struct handle *
handle_new(struct fs *fs, struct node *n, int fd, int flags, int lower)
{
	struct handle *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->node = n;
	h->fd = fd;
	h->oldfd = -1;
	h->flags = flags;
	h->lower = lower;
	pthread_mutex_lock(&fs->handle_lock);
	if ((h->next = fs->handles) != NULL)
		h->next->prev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->handle_lock);
	return h;
}

static void
handle_free(struct fs *fs, struct handle *h)
{
	pthread_mutex_lock(&fs->handle_lock);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&fs->handle_lock);
	close(h->fd);
	if (h->oldfd >= 0)
		close(h->oldfd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/*
 * The files the kernel never released.  When the session ends with files
 * still open, the kernel drops the RELEASE requests it has not yet
 * handed over; the loop has returned, so nothing else uses them.
 */
void
handles_free(struct fs *fs)
{
	while (fs->handles != NULL)
		handle_free(fs, fs->handles);
}

/* The fd to read through: the upper copy's, once there is one. */
static int
handle_read_fd(struct fs *fs, struct handle *h)
{
	int fd, ufd;

	if (!__atomic_load_n(&h->lower, __ATOMIC_ACQUIRE) ||
	    !__atomic_load_n(&h->node->has[UP], __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&h->node->metacopy, __ATOMIC_ACQUIRE))
		return h->fd;
	pthread_mutex_lock(&h->lock);
	if (h->lower && node_data_layer(h->node) == UP) {
		node_hold(fs, h->node);
		if ((ufd = node_fd(fs, h->node, UP)) >= 0 &&
		    (fd = reopen(fs, ufd, h->flags & ~(O_TRUNC | O_CREAT |
		    O_EXCL))) >= 0) {
			h->oldfd = h->fd;
			h->fd = fd;
			__atomic_store_n(&h->lower, 0, __ATOMIC_RELEASE);
		}
		node_put(fs, h->node);
	}
	fd = h->fd;
	pthread_mutex_unlock(&h->lock);
	return fd;
}

static void
fill_entry(struct fs *fs, struct fuse_entry_param *ep, struct node *n,
    const struct stat *st)
{
	memset(ep, 0, sizeof(*ep));
	ep->ino = n->ino;
	ep->attr = *st;
	ep->attr_timeout = fs->timeout;
	ep->entry_timeout = fs->timeout;
}

/* Reply with n's entry; n carries the lookup being handed to the kernel. */
static void
reply_entry(fuse_req_t req, struct fs *fs, struct node *n)
{
	struct fuse_entry_param ep;
	struct stat st;
	int error;

	if ((error = node_stat(fs, n, &st)) != 0) {
		node_forget(fs, n, 1);
		fuse_reply_err(req, error);
		return;
	}
	fill_entry(fs, &ep, n, &st);
	if (fuse_reply_entry(req, &ep) != 0)
		node_forget(fs, n, 1);	/* the kernel never got it */
}

static void
op_init(void *data, struct fuse_conn_info *conn)
{
	struct fs *fs = data;

	fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/*
	 * Splice without SPLICE_MOVE: moving pages into the page cache
	 * makes the kernel log "fuse: trying to steal weird page".
	 */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	conn->want &= ~FUSE_CAP_SPLICE_MOVE;
	/* Locks stay local to the kernel: one machine, one clean room. */
	conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
	/*
	 * Every chunk of a listing with its attributes.  Left to choose, the
	 * kernel asks for plain chunks after the first unless something was
	 * looked up in between, and a find or make that then stats each
	 * entry costs a LOOKUP apiece: twice the requests of a cold find.
	 */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* Strict: nothing the kernel could answer without asking us. */
	if (fs->strict)
		conn->want &= ~(FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_READDIRPLUS |
		    FUSE_CAP_READDIRPLUS_AUTO);
}

/*
 * A lower file with hard links was copied up under another name while
 * the kernel knew this one: it becomes a link to the copy, so that it
 * shows what was written through the other (as on the host).  Names
 * found after the kernel forgot the file come through the index.
 */
static int
link_name(struct fs *fs, struct node *n, struct node *p, const char *name)
{
	int nu;

	if ((nu = node_fd(fs, n, UP)) < 0)
		return -nu;
	return link_up(fs, nu, p, name);
}

/*
 * Look up parent/name for the kernel: fill ep (ino 0 for a negative entry,
 * cached like a positive one) and count the lookup.  The attributes come
 * from the stat entry_find took.
 */
static int
do_lookup(struct fs *fs, struct node *p, const char *name,
    struct fuse_entry_param *ep, struct node **np)
{
	struct entry e;
	struct stat st;
	struct node *n;
	int error, merged, linked;

	*np = NULL;
	error = entry_find(fs, p, name, &e);
	if (error == ENOENT) {
		memset(ep, 0, sizeof(*ep));
		ep->entry_timeout = fs->timeout;
		return 0;
	}
	if (error != 0)
		return error;
	linked = e.upper < 0 && !S_ISDIR(e.st.st_mode) && e.lst.st_nlink > 1;
	if (linked) {
		error = index_link_up(fs, p, name, e.lower);
		if (error != 0 && error != ENOENT && error != EEXIST) {
			entry_free(&e);
			return error;
		}
		if (error != ENOENT) {
			/* Now a link to the copy (ours or a racer's). */
			entry_free(&e);
			if ((error = entry_find(fs, p, name, &e)) != 0)
				return error;
			linked = 0;
		}
	}
	st = e.st;
	merged = e.upper >= 0 && e.lower >= 0;
	if ((error = node_make(fs, p, name, &e, MAKE_LOOKUP, &n)) != 0)
		return error;
	if (linked && node_has(n, UP) && link_name(fs, n, p, name) == 0)
		(void)node_stat(fs, n, &st);	/* the copy's, now */
	st.st_ino = n->ino;
	if (merged && S_ISDIR(st.st_mode))
		st.st_nlink = 1;
	ids_show(fs, &st);
	fill_entry(fs, ep, n, &st);
	*np = n;
	return 0;
}

static void
op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = FS(req);
	struct fuse_entry_param ep;
	struct node *p, *n;
	int error;

	if ((p = node_get(fs, parent)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((error = do_lookup(fs, p, name, &ep, &n)) != 0)
		fuse_reply_err(req, error);
	else {
		trace_lookup(fs, req, p, name, n);
		if (fuse_reply_entry(req, &ep) != 0 && n != NULL)
			node_forget(fs, n, 1);	/* the kernel never got it */
	}
	node_put(fs, p);
}

/* The kernel drops nlookup of its lookups of ino. */
static void
forget(struct fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n;

	if ((n = node_get(fs, ino)) != NULL) {
		node_forget(fs, n, nlookup);
		node_put(fs, n);
	}
}

static void
op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget(FS(req), ino, nlookup);
	fuse_reply_none(req);
}

static void
op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *fd)
{
	size_t i;

	for (i = 0; i < count; i++)
		forget(FS(req), fd[i].ino, fd[i].nlookup);
	fuse_reply_none(req);
}

static void
op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct node *n;
	struct stat st;
	int error;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((error = node_stat(fs, n, &st)) != 0)
		fuse_reply_err(req, error);
	else
		fuse_reply_attr(req, &st, fs->timeout);
	node_put(fs, n);
}

#define SETATTR_ANY	(FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | \
	FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | \
	FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)

/* The changes of setattr on the upper object fd (also reachable as xp). */
static int
do_setattr_upper(struct fs *fs, int fd, struct xpath *xp, struct stat *attr,
    int to_set, struct fuse_file_info *fi)
{
	struct timespec ts[2];
	int error, tfd;

	/*
	 * The handle may be on the lower file: only its own upper fd is
	 * used, and only to truncate; the rest goes through the upper path.
	 */
	if (fi != NULL && HANDLE(fi)->lower)
		fi = NULL;
	/*
	 * Nothing to set: a chown(2) to -1, -1, or set-id bits the kernel's
	 * FUSE client chose to keep.  Either sets the change time on the
	 * host, and a no-op chown sets it here.
	 */
	if (!(to_set & SETATTR_ANY) && fchownat(fd, "", (uid_t)-1, (gid_t)-1,
	    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (fs->records) {
		if ((to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
		    FUSE_SET_ATTR_GID)) &&
		    (error = rec_chattr(fs, fd, attr, to_set)) != 0)
			return error;
		to_set &= ~(FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
		    FUSE_SET_ATTR_GID);
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		if (fchmodat(AT_FDCWD, xp->path, attr->st_mode,
		    xp->follow ? 0 : AT_SYMLINK_NOFOLLOW) == -1)
			return errno;
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		if (fchownat(fd, "",
		    (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
		    (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1,
		    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
			return errno;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (fi != NULL)
			tfd = HANDLE(fi)->fd;
		else if ((tfd = reopen(fs, fd, O_WRONLY)) < 0)
			return -tfd;
		error = ftruncate(tfd, attr->st_size) == -1 ? errno : 0;
		if (fi == NULL)
			close(tfd);
		if (error)
			return error;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (utimensat(AT_FDCWD, xp->path, ts,
		    xp->follow ? 0 : AT_SYMLINK_NOFOLLOW) == -1)
			return errno;
	}
	return 0;
}

int
do_setattr(struct fs *fs, struct node *n, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct xpath xp;
	int error, fd;

	/* Only a new size needs the data; zero needs none of it. */
	if (!(to_set & FUSE_SET_ATTR_SIZE))
		error = copy_up(fs, n, COPYUP_META);
	else
		error = copy_up(fs, n, attr->st_size == 0 && fi == NULL ?
		    COPYUP_NODATA : 0);
	if (error)
		return error;
	if ((fd = node_fd(fs, n, UP)) < 0)
		return -fd;
	if ((error = xpath_get(fs, n, UP, &xp)) != 0)
		return error;
	error = do_setattr_upper(fs, fd, &xp, attr, to_set, fi);
	xpath_put(fs, &xp);
	return error;
}

static void
op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct node *n;
	struct stat st;
	int error;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((error = do_setattr(fs, n, attr, to_set, fi)) == 0 &&
	    (error = node_stat(fs, n, &st)) == 0)
		fuse_reply_attr(req, &st, fs->timeout);
	else
		fuse_reply_err(req, error);
	node_put(fs, n);
}

static void
op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = FS(req);
	char buf[PATH_MAX + 1];
	struct node *n;
	ssize_t len;
	int fd, layer;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((fd = node_fd(fs, n, layer = node_layer(n))) < 0)
		len = -1, errno = -fd;
	else if (layer == UP && fs->records)
		len = rec_readlink(fd, buf, sizeof(buf));
	else
		len = readlinkat(fd, "", buf, sizeof(buf));
	if (len == -1)
		fuse_reply_err(req, errno);
	else if (len == sizeof(buf))
		fuse_reply_err(req, ENAMETOOLONG);
	else {
		buf[len] = '\0';
		trace_node(fs, req, n, TR_READLINK);
		fuse_reply_readlink(req, buf);
	}
	node_put(fs, n);
}

/*
 * Make the object o at dirfd/nm, owned as the caller asks: on disk, or
 * in a record (fs->records), the object on disk then being the layer
 * owner's.
 */
static int
make_obj(struct fs *fs, int dirfd, const char *nm, struct newobj *o,
    uid_t uid, gid_t gid)
{
	mode_t perm = o->mode & 07777;
	int flags;

	if (fs->records) {
		perm = layer_rec_diskmode(o->mode);
		if (!S_ISREG(o->mode) && !S_ISDIR(o->mode)) {
			o->made = 1;	/* rec_make makes it */
			return rec_make(fs, dirfd, nm, o->mode, o->rdev,
			    o->target, uid, gid);
		}
	}
	switch (o->mode & S_IFMT) {
	case S_IFREG:
		if (o->fi == NULL) {
			if (mknodat(dirfd, nm, S_IFREG | perm, 0) == -1)
				return errno;
			break;
		}
		flags = (o->fi->flags | O_CREAT | O_EXCL | O_CLOEXEC) &
		    ~O_NOFOLLOW;
		if ((o->fd = openat(dirfd, nm, flags, perm)) == -1)
			return errno;
		break;
	case S_IFDIR:
		if (mkdirat(dirfd, nm, perm) == -1)
			return errno;
		break;
	case S_IFLNK:
		if (symlinkat(o->target, dirfd, nm) == -1)
			return errno;
		break;
	default:
		if (mknodat(dirfd, nm, o->mode, o->rdev) == -1)
			return errno;
		break;
	}
	o->made = 1;
	if (fs->records)
		return rec_make(fs, dirfd, nm, o->mode, o->rdev, NULL, uid,
		    gid);
	if ((uid != 0 || gid != 0) &&
	    fchownat(dirfd, nm, uid, gid, AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	/* chown cleared setuid/setgid; a new directory may need setgid. */
	if (!S_ISLNK(o->mode) && (o->mode & 07000) &&
	    fchmodat(dirfd, nm, o->mode & 07777, 0) == -1)
		return errno;
	return 0;
}

static void
unmake_obj(int dirfd, const char *nm, struct newobj *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
	/* Only what this call made: an EEXIST is somebody else's. */
	if (o->made)
		unlinkat(dirfd, nm, S_ISDIR(o->mode) ? AT_REMOVEDIR : 0);
	o->made = 0;
}

/*
 * A file this mount just made has no file capability: the kernel's first
 * question before a write needs no getxattr.  Passes on node_make's
 * result; *n is read only once node_make has set it.
 */
static int
made_file(int error, struct node **n)
{
	if (error == 0 && S_ISREG((*n)->type))
		__atomic_store_n(&(*n)->nocap, 1, __ATOMIC_RELEASE);
	return error;
}

/*
 * Ready p's upper directory for a new object o: copied up and open as *pu
 * (node_fd's: not to be closed), and *gid and o->mode as a setgid
 * directory passes them on.  0 or an errno.
 */
static int
new_in(struct fs *fs, struct node *p, struct newobj *o, int *pu, gid_t *gid)
{
	struct stat pst;
	int error;

	if ((error = copy_up(fs, p, 0)) != 0)
		return error;
	if ((*pu = node_fd(fs, p, UP)) < 0)
		return -*pu;
	if (fstatat(*pu, "", &pst, AT_EMPTY_PATH) == -1 ||
	    (error = rec_stat(fs, *pu, &pst)) != 0)
		return error ? error : errno;
	if (pst.st_mode & S_ISGID) {
		*gid = pst.st_gid;
		if (S_ISDIR(o->mode))
			o->mode |= S_ISGID;
	}
	return 0;
}

/*
 * Create o as p/name for uid:gid.  Over a whiteout the object is built in
 * the work directory and swapped in, a directory becoming opaque, so the
 * lower entry never shows through.  *out counts a kernel lookup.
 */
int
do_create(struct fs *fs, struct node *p, const char *name, struct newobj *o,
    uid_t uid, gid_t gid, struct node **out)
{
	struct stat st;
	struct entry e;
	char tmp[64];
	int error, whiteout = 0, pu;

	if (strlen(name) > NAME_MAX)
		return ENAMETOOLONG;
	if ((error = new_in(fs, p, o, &pu, &gid)) != 0)
		return error;
	if (fstatat(pu, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!layer_is_whiteout(&st))
			return EEXIST;
		whiteout = 1;
	} else if (errno != ENOENT)
		return errno;
	else if (lower_has(fs, p, name))
		return EEXIST;
	if (!whiteout) {
		if ((error = make_obj(fs, pu, name, o, uid, gid)) != 0) {
			unmake_obj(pu, name, o);
			return error;
		}
	} else {
		if ((error = work_name(fs, tmp, sizeof(tmp))) != 0)
			return error;
		if ((error = make_obj(fs, fs->workfd, tmp, o, uid, gid)) ||
		    (S_ISDIR(o->mode) &&
		    layer_set_opaque(fs->workfd, tmp) == -1 && (error = errno)) ||
		    (renameat2(fs->workfd, tmp, pu, name, S_ISDIR(o->mode) ?
		    RENAME_EXCHANGE : 0) == -1 && (error = errno))) {
			unmake_obj(fs->workfd, tmp, o);
			return error;
		}
		if (S_ISDIR(o->mode))
			unlinkat(fs->workfd, tmp, 0);	/* the old whiteout */
	}
	memset(&e, 0, sizeof(e));
	e.lower = -1;
	if ((e.upper = openat(pu, name, O_PATH | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 ||
	    fstatat(e.upper, "", &e.st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
	    == -1) {
		error = errno;
		entry_free(&e);
		return error;
	}
	return made_file(node_make(fs, p, name, &e, MAKE_LOOKUP, out), out);
}

/*
 * Make an O_TMPFILE file for p, as o asks: unnamed in p's upper
 * directory, so that a link can publish it there or anywhere else in the
 * upper layer, and the kernel frees it with its last fd if none does.
 * The node's name is "" and it is pinned, its fds being the only way to
 * the file.  o->fd is the file, open as the kernel asked, never O_EXCL:
 * whether it may be linked is the kernel's to say.  *out counts a kernel
 * lookup.
 */
static int
do_tmpfile(struct fs *fs, struct node *p, struct newobj *o, uid_t uid,
    gid_t gid, struct node **out)
{
	struct entry e;
	mode_t perm;
	int error, flags, pu;

	if ((error = new_in(fs, p, o, &pu, &gid)) != 0)
		return error;
	perm = fs->records ? layer_rec_diskmode(o->mode) : o->mode & 07777;
	flags = (o->fi->flags & ~(O_TMPFILE | O_CREAT | O_EXCL | O_NOFOLLOW)) |
	    O_TMPFILE | O_CLOEXEC;
	if ((o->fd = openat(pu, ".", flags, perm)) == -1)
		return errno;
	if (fs->records)
		error = rec_make(fs, o->fd, "", o->mode, 0, NULL, uid, gid);
	else if ((uid != 0 || gid != 0) && fchown(o->fd, uid, gid) == -1)
		error = errno;
	/* chown cleared setuid and setgid. */
	else if ((o->mode & 07000) && fchmod(o->fd, o->mode & 07777) == -1)
		error = errno;
	if (error != 0)
		return error;
	memset(&e, 0, sizeof(e));
	e.lower = -1;
	e.unnamed = 1;
	if ((e.upper = reopen(fs, o->fd, O_PATH)) < 0)
		return -e.upper;
	if (fstatat(e.upper, "", &e.st, AT_EMPTY_PATH) == -1) {
		error = errno;
		entry_free(&e);
		return error;
	}
	return made_file(node_make(fs, p, "", &e, MAKE_LOOKUP, out), out);
}

static void
create_common(fuse_req_t req, fuse_ino_t parent, const char *name,
    struct newobj *o)
{
	struct fs *fs = FS(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fuse_entry_param ep;
	struct node *p, *n;
	struct stat st;
	int error;

	o->fd = -1;
	if ((p = node_get(fs, parent)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (o->tmpfile)
		error = do_tmpfile(fs, p, o, ctx->uid, ctx->gid, &n);
	else
		error = do_create(fs, p, name, o, ctx->uid, ctx->gid, &n);
	if (error != 0) {
		if (o->fd >= 0)
			close(o->fd);
		fuse_reply_err(req, error);
	} else if (o->fi == NULL)
		reply_entry(req, fs, n);
	else if ((error = node_stat(fs, n, &st)) != 0) {
		close(o->fd);
		node_forget(fs, n, 1);
		fuse_reply_err(req, error);
	} else {
		struct handle *h;

		fill_entry(fs, &ep, n, &st);
		if ((h = handle_new(fs, n, o->fd, o->fi->flags, 0)) == NULL) {
			close(o->fd);
			node_forget(fs, n, 1);
			fuse_reply_err(req, ENOMEM);
		} else {
			o->fi->fh = (uintptr_t)h;
			o->fi->keep_cache = 1;
			o->fi->noflush = fs->noflush;
			if (fuse_reply_create(req, &ep, o->fi) != 0) {
				handle_free(fs, h);
				node_forget(fs, n, 1);
			}
		}
	}
	node_put(fs, p);
}

static void
op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    dev_t rdev)
{
	struct newobj o = { .mode = mode, .rdev = rdev };

	/* A 0/0 character device would read back as a whiteout. */
	if (S_ISCHR(mode) && rdev == 0)
		fuse_reply_err(req, EPERM);
	else
		create_common(req, parent, name, &o);
}

static void
op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct newobj o = { .mode = S_IFDIR | (mode & 07777) };

	create_common(req, parent, name, &o);
}

static void
op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
    const char *name)
{
	struct newobj o = { .mode = S_IFLNK | 0777, .target = target };

	create_common(req, parent, name, &o);
}

static void
op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct newobj o = { .mode = S_IFREG | (mode & 07777), .fi = fi,
	    .tmpfile = loop_tmpfile() };

	create_common(req, parent, name, &o);
}

/*
 * Take pu/name out of the upper layer, leaving a whiteout there when the
 * lower layer has the name too.  Moving it into the work directory first
 * makes the swap atomic and lets a directory's whiteouts go with it.
 */
static int
upper_remove(struct fs *fs, int pu, const char *name, int isdir,
    int whiteout)
{
	char tmp[64];
	int error;

	if (!whiteout && unlinkat(pu, name, isdir ? AT_REMOVEDIR : 0) == 0)
		return 0;
	if (!whiteout && errno != ENOTEMPTY && errno != EEXIST)
		return errno;
	if ((error = work_name(fs, tmp, sizeof(tmp))) != 0)
		return error;
	if (renameat2(pu, name, fs->workfd, tmp,
	    whiteout ? RENAME_WHITEOUT : 0) == -1) {
		if (errno != EINVAL || !whiteout)
			return errno;
		/* No RENAME_WHITEOUT here: rename, then make one. */
		if (renameat(pu, name, fs->workfd, tmp) == -1)
			return errno;
		if (layer_mkwhiteout(pu, name) == -1) {
			error = errno;
			renameat(fs->workfd, tmp, pu, name);
			return error;
		}
	}
	return isdir ? dir_purge(fs, fs->workfd, tmp) :
	    (unlinkat(fs->workfd, tmp, 0) == -1 ? errno : 0);
}

/*
 * e, found at p/name, is a name in the base of a file with hard links
 * that is about to be whited out or replaced: make it a link of the
 * file's upper copy first (copying the file up, metadata only, if it has
 * no copy yet), so that the copy's link count loses the name with it and
 * the other names show one link fewer, as on the host.  e is found again.
 */
static int
cover_name(struct fs *fs, struct node *p, const char *name, struct entry *e)
{
	struct node *n;
	int error, ufd;

	if ((error = node_make(fs, p, name, e, MAKE_BUSY, &n)) != 0)
		return error;
	if ((error = copy_up(fs, n, COPYUP_META)) == 0) {
		if ((ufd = node_fd(fs, n, UP)) < 0)
			error = -ufd;
		else if ((error = link_up(fs, ufd, p, name)) == EEXIST)
			error = 0;	/* linked as one of its aliases */
	}
	node_put(fs, n);
	return error ? error : entry_find(fs, p, name, e);
}

/* Is e a name in the base of a non-directory with hard links? */
static int
base_link(const struct entry *e)
{
	return e->upper < 0 && !S_ISDIR(e->st.st_mode) &&
	    !S_ISLNK(e->st.st_mode) && e->lst.st_nlink > 1;
}

static int
do_remove(struct fs *fs, struct node *p, const char *name, int isdir)
{
	struct entry e;
	struct node *victim;
	int error, low, pu;

	if ((error = entry_find(fs, p, name, &e)) != 0)
		return error;
	if (!isdir && base_link(&e) && (error = cover_name(fs, p, name, &e)))
		return error;
	if (isdir && !S_ISDIR(e.st.st_mode))
		error = ENOTDIR;
	else if (!isdir && S_ISDIR(e.st.st_mode))
		error = EISDIR;
	else if (isdir)
		error = dir_is_empty(fs, e.upper, e.lower);
	if (error == 0)
		error = copy_up(fs, p, 0);
	if (error == 0 && (pu = node_fd(fs, p, UP)) < 0)
		error = -pu;
	if (error == 0) {
		low = lower_has(fs, p, name);
		victim = node_find_live(fs, &e.st);
		if (e.upper >= 0) {
			/* The kernel may still use it: keep it reachable. */
			if (victim != NULL)
				node_pin(fs, victim);
			error = upper_remove(fs, pu, name, isdir, low);
		} else if (layer_mkwhiteout(pu, name) == -1)
			error = errno;
		if (victim != NULL) {
			if (error == 0)
				node_unname(fs, victim, p, name);
			node_put(fs, victim);
		}
	}
	entry_free(&e);
	return error;
}

static void
remove_common(fuse_req_t req, fuse_ino_t parent, const char *name,
    int isdir)
{
	struct fs *fs = FS(req);
	struct node *p;

	if ((p = node_get(fs, parent)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	fuse_reply_err(req, do_remove(fs, p, name, isdir));
	node_put(fs, p);
}

static void
op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, 0);
}

static void
op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, 1);
}

/*
 * A directory n, still at pu/name, is about to move to a place whose base
 * has an entry of that name or not (lowhas).  Mark it for the new place
 * before the rename makes the move visible, so that a failure to write
 * the mark (no xattrs, ENOSPC) leaves no half-done rename: a redirect to
 * its base part if it has one, else opaque if the new place has a base
 * entry.  Either mark changes nothing at the old place: the redirect
 * names the base directory n merges with already, and a directory with no
 * base part hides nothing there that is not hidden anyway.  *undo says
 * which mark is new, for unmark_dir if the rename fails.  Called with
 * n->lock held.
 */
#define MARK_NONE	0
#define MARK_REDIRECT	1
#define MARK_OPAQUE	2

static int
mark_dir(struct node *n, int pu, const char *name, int lowhas, int *undo)
{
	char old[LAYER_REDIRECT_MAX];
	ssize_t len;
	int k;

	*undo = MARK_NONE;
	if (!S_ISDIR(n->type))
		return 0;
	if (n->has[LO] && n->lowerpath != NULL) {
		if ((len = layer_get_redirect(pu, name, old, sizeof(old))) == -1)
			return errno;
		if (layer_set_redirect(pu, name, n->lowerpath) == -1)
			return errno;
		/* One it had stays replaced: both name the same place. */
		if (len == 0)
			*undo = MARK_REDIRECT;
		return 0;
	}
	if (!lowhas)
		return 0;
	if ((k = layer_is_opaque(pu, name)) == -1 ||
	    (k == 0 && layer_set_opaque(pu, name) == -1))
		return errno;
	if (k == 0)
		*undo = MARK_OPAQUE;
	return 0;
}

/* The rename did not happen: take off the mark mark_dir added. */
static void
unmark_dir(int pu, const char *name, int undo)
{
	if (undo == MARK_REDIRECT)
		(void)layer_clear_redirect(pu, name);
	else if (undo == MARK_OPAQUE)
		(void)layer_clear_opaque(pu, name);
}

struct rename_args {
	struct node	*op, *np;	/* old and new parent */
	const char	*name, *newname;
	unsigned int	 flags;
	int		 opu, npu;	/* their upper fds, once copied up */
	int		 slow, tlow;	/* lower has name, newname */
};

static int
do_exchange(struct fs *fs, struct rename_args *a, struct node *s,
    struct node *t)
{
	struct node *first;
	char *sname, *tname;
	int error, sundo = MARK_NONE, tundo = MARK_NONE;

	if ((error = copy_up(fs, t, 0)) != 0)
		return error;
	if ((sname = strdup(a->newname)) == NULL ||
	    (tname = strdup(a->name)) == NULL) {
		free(sname);
		return ENOMEM;
	}
	/* Two unrelated nodes: lock them in number order (see fs.h). */
	first = s->ino < t->ino ? s : t;
	pthread_mutex_lock(&first->lock);
	if (s != t)
		pthread_mutex_lock(&(first == s ? t : s)->lock);
	if ((error = mark_dir(s, a->opu, a->name, a->tlow, &sundo)) == 0 &&
	    (error = mark_dir(t, a->npu, a->newname, a->slow, &tundo)) == 0 &&
	    renameat2(a->opu, a->name, a->npu, a->newname,
	    RENAME_EXCHANGE) == -1)
		error = errno;
	if (error != 0) {
		unmark_dir(a->opu, a->name, sundo);
		unmark_dir(a->npu, a->newname, tundo);
	} else {
		node_moved(fs, s, a->np, sname);
		node_moved(fs, t, a->op, tname);
		sname = tname = NULL;
	}
	if (s != t)
		pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&s->lock);
	free(sname);
	free(tname);
	return error;
}

/*
 * Plain rename of s over whatever te shows at the new name.  A target
 * directory (merged-empty, but perhaps holding whiteouts) is first moved
 * aside into the work directory and purged once the rename has succeeded.
 * Every step that can fail after the first change undoes what came
 * before it, so a failed rename changes nothing.
 */
static int
do_move(struct fs *fs, struct rename_args *a, struct node *s,
    struct entry *te, int texists)
{
	char aside[64], *sname;
	int error = 0, moved = 0, flags, undo = MARK_NONE;
	struct node *victim = NULL;
	struct stat st;

	if ((sname = strdup(a->newname)) == NULL)
		return ENOMEM;
	/* The replaced object may still be used by the kernel. */
	if (texists && (victim = node_find_live(fs, &te->st)) != NULL &&
	    te->upper >= 0)
		node_pin(fs, victim);
	pthread_mutex_lock(&s->lock);
	if ((error = mark_dir(s, a->opu, a->name, a->tlow, &undo)) != 0)
		goto out;
	if (texists && S_ISDIR(te->st.st_mode) && te->upper >= 0) {
		if ((error = work_name(fs, aside, sizeof(aside))) != 0)
			goto out;
		if (renameat(a->npu, a->newname, fs->workfd, aside) == -1) {
			error = errno;
			goto out;
		}
		moved = 1;
	}
	flags = a->slow ? RENAME_WHITEOUT : 0;
	if (S_ISDIR(s->type) && fstatat(a->npu, a->newname, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && layer_is_whiteout(&st)) {
		/* A directory cannot replace a whiteout: swap them. */
		if (renameat2(a->opu, a->name, a->npu, a->newname,
		    RENAME_EXCHANGE) == -1)
			error = errno;
		else if (!a->slow && unlinkat(a->opu, a->name, 0) == -1) {
			error = errno;
			renameat2(a->opu, a->name, a->npu, a->newname,
			    RENAME_EXCHANGE);
		}
	} else if (renameat2(a->opu, a->name, a->npu, a->newname,
	    flags) == -1) {
		error = errno;
		/* No RENAME_WHITEOUT here: rename, then make one. */
		if (error == EINVAL && a->slow &&
		    renameat(a->opu, a->name, a->npu, a->newname) == 0 &&
		    (error = layer_mkwhiteout(a->opu, a->name) == -1 ?
		    errno : 0) != 0)
			renameat(a->npu, a->newname, a->opu, a->name);
	}
	if (error != 0) {
		if (moved)
			renameat(fs->workfd, aside, a->npu, a->newname);
		goto out;
	}
	if (moved)
		dir_purge(fs, fs->workfd, aside);
	node_moved(fs, s, a->np, sname);
	sname = NULL;
out:
	if (error != 0)
		unmark_dir(a->opu, a->name, undo);
	pthread_mutex_unlock(&s->lock);
	if (victim != NULL) {
		if (error == 0)
			node_unname(fs, victim, a->np, a->newname);
		node_put(fs, victim);
	}
	free(sname);
	return error;
}

static int
do_rename(struct fs *fs, struct rename_args *a)
{
	struct entry se, te;
	struct node *s = NULL, *t = NULL;
	int error, texists;

	if (a->flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return EINVAL;
	if (strlen(a->newname) > NAME_MAX)
		return ENAMETOOLONG;
	if ((error = entry_find(fs, a->op, a->name, &se)) != 0)
		return error;
	if ((error = node_make(fs, a->op, a->name, &se, MAKE_BUSY, &s)) != 0)
		return error;
	error = entry_find(fs, a->np, a->newname, &te);
	texists = error == 0;
	if (error != 0 && error != ENOENT)
		goto out;
	error = 0;
	if ((a->flags & RENAME_NOREPLACE) && texists)
		error = EEXIST;
	else if ((a->flags & RENAME_EXCHANGE) && !texists)
		error = ENOENT;
	else if (texists && !(a->flags & RENAME_EXCHANGE) &&
	    S_ISDIR(te.st.st_mode) != S_ISDIR(s->type))
		error = S_ISDIR(te.st.st_mode) ? EISDIR : ENOTDIR;
	else if (texists && !(a->flags & RENAME_EXCHANGE) &&
	    S_ISDIR(te.st.st_mode))
		error = dir_is_empty(fs, te.upper, te.lower);
	else if (texists && !(a->flags & RENAME_EXCHANGE) && base_link(&te) &&
	    (error = cover_name(fs, a->np, a->newname, &te)) != 0)
		texists = 0;	/* te is gone */
	if (error == 0 && (error = copy_up(fs, a->op, 0)) == 0 &&
	    (error = copy_up(fs, a->np, 0)) == 0)
		error = copy_up(fs, s, 0);
	if (error != 0)
		goto out;
	if ((a->opu = node_fd(fs, a->op, UP)) < 0 ||
	    (a->npu = node_fd(fs, a->np, UP)) < 0) {
		error = a->opu < 0 ? -a->opu : -a->npu;
		goto out;
	}
	a->slow = lower_has(fs, a->op, a->name);
	a->tlow = lower_has(fs, a->np, a->newname);
	if (a->flags & RENAME_EXCHANGE) {
		if ((error = node_make(fs, a->np, a->newname, &te, MAKE_BUSY,
		    &t)) == 0) {
			error = do_exchange(fs, a, s, t);
			node_put(fs, t);
		}
	} else
		error = do_move(fs, a, s, &te, texists);
out:
	if (texists)
		entry_free(&te);
	node_put(fs, s);
	return error;
}

static void
op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct fs *fs = FS(req);
	struct rename_args a = { .name = name, .newname = newname,
	    .flags = flags };
	int error;

	a.op = node_get(fs, parent);
	a.np = node_get(fs, newparent);
	if (a.op == NULL || a.np == NULL)
		error = ESTALE;
	else
		error = do_rename(fs, &a);
	fuse_reply_err(req, error);
	node_put(fs, a.op);
	node_put(fs, a.np);
}

/*
 * A name no object had before: the node of an O_TMPFILE file takes its
 * first, and with it a way to be reopened, so it need not stay pinned.
 */
static void
name_unnamed(struct fs *fs, struct node *n, struct node *p,
    const char *name)
{
	char *nm;

	pthread_mutex_lock(&n->lock);
	if (n->parent != NULL && n->name[0] == '\0' &&
	    (nm = strdup(name)) != NULL) {
		node_moved(fs, n, p, nm);
		n->pinned = 0;
	}
	pthread_mutex_unlock(&n->lock);
}

static int
do_link(struct fs *fs, struct node *n, struct node *p, const char *name)
{
	struct stat st;
	char tmp[64];
	int error, whiteout = 0, nu, pu;

	if (strlen(name) > NAME_MAX)
		return ENAMETOOLONG;
	if ((error = copy_up(fs, n, 0)) != 0 ||
	    (error = copy_up(fs, p, 0)) != 0)
		return error;
	if ((nu = node_fd(fs, n, UP)) < 0 || (pu = node_fd(fs, p, UP)) < 0)
		return nu < 0 ? -nu : -pu;
	if (fstatat(pu, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!layer_is_whiteout(&st))
			return EEXIST;
		whiteout = 1;
	} else if (lower_has(fs, p, name))
		return EEXIST;
	if (!whiteout)
		error = link_fd(nu, pu, name);
	else if ((error = work_name(fs, tmp, sizeof(tmp))) == 0 &&
	    (error = link_fd(nu, fs->workfd, tmp)) == 0 &&
	    renameat(fs->workfd, tmp, pu, name) == -1) {
		error = errno;
		unlinkat(fs->workfd, tmp, 0);
	}
	if (error == 0)
		name_unnamed(fs, n, p, name);
	return error;
}

static void
op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *newname)
{
	struct fs *fs = FS(req);
	struct node *n, *p;
	int error;

	n = node_get(fs, ino);
	p = node_get(fs, newparent);
	if (n == NULL || p == NULL)
		error = ESTALE;
	else
		error = do_link(fs, n, p, newname);
	if (error != 0)
		fuse_reply_err(req, error);
	else {
		pthread_mutex_lock(&fs->table_lock);
		n->nlookup++;
		pthread_mutex_unlock(&fs->table_lock);
		reply_entry(req, fs, n);
	}
	node_put(fs, n);
	node_put(fs, p);
}

/*
 * An open with O_TRUNC by a caller without CAP_FSETID clears setuid, and
 * setgid with group execute, as a truncate does: the kernel clears them
 * with the truncate it sends, and with atomic O_TRUNC it sends none.
 */
static int
open_drop_setid(fuse_req_t req, struct fs *fs, struct node *n)
{
	struct stat st, attr;
	int error;

	if (fuse_req_ctx(req)->uid == 0 || !S_ISREG(n->type))
		return 0;
	if ((error = node_stat(fs, n, &st)) != 0)
		return error;
	memset(&attr, 0, sizeof(attr));
	attr.st_mode = st.st_mode & 07777 & ~S_ISUID;
	if (attr.st_mode & S_IXGRP)
		attr.st_mode &= ~S_ISGID;
	if (attr.st_mode == (st.st_mode & 07777))
		return 0;
	return do_setattr(fs, n, &attr, FUSE_SET_ATTR_MODE, NULL);
}

static void
op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct handle *h = NULL;
	struct node *n;
	int error = 0, fd, write, layer = UP;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	write = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	if (write)
		error = copy_up(fs, n, (fi->flags & O_TRUNC) ?
		    COPYUP_NODATA : 0);
	if (error == 0) {
		/* The base is only ever opened for reading. */
		layer = write ? UP : node_data_layer(n);
		if ((fd = node_fd(fs, n, layer)) < 0 ||
		    (fd = reopen(fs, fd, fi->flags)) < 0)
			error = -fd;
		else if ((fi->flags & O_TRUNC) &&
		    (error = open_drop_setid(req, fs, n)) != 0)
			close(fd);
		else if ((h = handle_new(fs, n, fd, fi->flags, layer == LO)) ==
		    NULL) {
			close(fd);
			error = ENOMEM;
		}
	}
	if (error != 0)
		fuse_reply_err(req, error);
	else {
		trace_open(fs, req, n, fi->flags, layer);
		fi->fh = (uintptr_t)h;
		/* Only this mount changes the file: its cached pages hold. */
		fi->keep_cache = 1;
		/* A FLUSH would close a dup of the fd, which tells nothing. */
		fi->noflush = layer == LO || fs->noflush;
		if (fuse_reply_open(req, fi) != 0)
			handle_free(fs, h);
	}
	node_put(fs, n);
}

static void
op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	int fd = handle_read_fd(FS(req), HANDLE(fi));
	size_t room;
	ssize_t n;
	char *p;

	/* Over io_uring: straight into the reply's own buffer. */
	if ((p = ring_space(&room)) != NULL && size <= room) {
		if ((n = pread(fd, p, size, off)) == -1)
			fuse_reply_err(req, errno);
		else
			fuse_reply_buf(req, p, n);
		return;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, 0);
}

static void
op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in,
    off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	ssize_t n;

	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = HANDLE(fi)->fd;
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in, 0);
	if (n < 0)
		fuse_reply_err(req, -n);
	else
		fuse_reply_write(req, n);
}

static void
op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int fd;

	/* close() of a dup reports what close of the file would. */
	if ((fd = dup(HANDLE(fi)->fd)) == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, close(fd) == -1 ? errno : 0);
}

static void
op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	handle_free(FS(req), HANDLE(fi));
	fuse_reply_err(req, 0);
}

static void
op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	int fd = HANDLE(fi)->fd, r;

	/* Volatile: opfs_finish syncs the whole layer at the end. */
	if (FS(req)->nosync) {
		fuse_reply_err(req, 0);
		return;
	}
	r = datasync ? fdatasync(fd) : fsync(fd);
	fuse_reply_err(req, r == -1 ? errno : 0);
}

static void
op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
    off_t len, struct fuse_file_info *fi)
{
	fuse_reply_err(req, fallocate(HANDLE(fi)->fd, mode, off, len) == -1 ?
	    errno : 0);
}

static void
op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
    struct fuse_file_info *fi)
{
	off_t r;

	if ((r = lseek(handle_read_fd(FS(req), HANDLE(fi)), off, whence)) == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, r);
}

/*
 * No per-open state for directories: the first OPENDIR is answered ENOSYS,
 * after which the kernel sends none (nor RELEASEDIR) and keeps listings in
 * its page cache, dropping them when it changes the directory itself.  A
 * warm traversal then costs no round trip per directory.  See dir_read.
 */
static void
op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (FS(req)->no_opendir && !FS(req)->strict) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (FS(req)->strict) {
		/* Every listing is read afresh, and traced. */
		fi->fh = 0;
		fuse_reply_open(req, fi);
		return;
	}
	/* An older kernel: an empty handle, and the same caching. */
	fi->fh = 0;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

struct rdbuf {
	fuse_req_t	 req;
	struct fs	*fs;
	struct node	*dir;
	char		*buf, *p;
	size_t		 rem;
	int		 plus;
};

/*
 * Add one entry to a readdir reply; non-zero when it is full.  For
 * readdirplus the entry is looked up as op_lookup would, and forgotten
 * again if it does not fit.
 */
static int
rd_add(void *arg, const char *name, uint64_t num, unsigned char type,
    off_t next)
{
	struct rdbuf *rb = arg;
	struct fuse_entry_param ep;
	struct node *n = NULL;
	size_t len;

	memset(&ep, 0, sizeof(ep));
	ep.attr.st_ino = num;
	ep.attr.st_mode = (mode_t)type << 12;
	if (!rb->plus)
		len = fuse_add_direntry(rb->req, rb->p, rb->rem, name,
		    &ep.attr, next);
	else {
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
		    (do_lookup(rb->fs, rb->dir, name, &ep, &n) != 0 ||
		    n == NULL))
			return 0;	/* gone meanwhile: leave it out */
		len = fuse_add_direntry_plus(rb->req, rb->p, rb->rem, name,
		    &ep, next);
	}
	if (len > rb->rem) {
		if (n != NULL)
			node_forget(rb->fs, n, 1);
		return 1;
	}
	rb->p += len;
	rb->rem -= len;
	return 0;
}

static void
readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    int plus)
{
	struct rdbuf rb = { .req = req, .fs = FS(req), .plus = plus };
	int error;

	if ((rb.dir = node_get(rb.fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((rb.buf = rb.p = malloc(size)) == NULL)
		error = ENOMEM;
	else {
		rb.rem = size;
		error = dir_read(rb.fs, rb.dir, off, rd_add, &rb);
		if (error == 0 && off == 0)
			trace_node(rb.fs, req, rb.dir, TR_READDIR);
	}
	if (error != 0)
		fuse_reply_err(req, error);
	else
		fuse_reply_buf(req, rb.buf, size - rb.rem);
	free(rb.buf);
	node_put(rb.fs, rb.dir);
}

static void
op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, 0);
}

static void
op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, 1);
}

static void
op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct node *n;
	int fd, error = 0;

	if (fs->nosync) {
		fuse_reply_err(req, 0);
		return;
	}
	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((fd = node_fd(fs, n, UP)) >= 0) {
		/* A lower-only directory has nothing to sync. */
		if ((fd = reopen(fs, fd, O_RDONLY | O_DIRECTORY)) < 0)
			error = -fd;
		else {
			if (fsync(fd) == -1)
				error = errno;
			close(fd);
		}
	}
	fuse_reply_err(req, error);
	node_put(fs, n);
}

static void
op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(FS(req)->upperfd, &sv) == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* xattrs.  The layer format's own (trusted.overlay.*) are never shown. */

static void
op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs *fs = FS(req);
	struct xpath xp;
	struct node *n;
	char *buf = NULL, xbuf[XATTR_NAME_MAX + 1];
	const char *xn;
	ssize_t len;
	int error, iscap, layer;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	/*
	 * The kernel asks for security.capability before every write; only
	 * this filesystem changes xattrs, so a "none" is remembered.
	 */
	iscap = strcmp(name, "security.capability") == 0;
	if (layer_is_private_xattr(name) ||
	    (iscap && __atomic_load_n(&n->nocap, __ATOMIC_ACQUIRE)))
		error = ENODATA;
	else if (size != 0 && (buf = malloc(size)) == NULL)
		error = ENOMEM;
	else if ((error = xpath_get(fs, n, layer = node_layer(n), &xp)) == 0) {
		xn = rec_xname(fs, layer, name, xbuf, sizeof(xbuf));
		len = xp.follow ? getxattr(xp.path, xn, buf, size) :
		    lgetxattr(xp.path, xn, buf, size);
		xpath_put(fs, &xp);
		if (len == -1) {
			error = errno;
			if (iscap && error == ENODATA)
				__atomic_store_n(&n->nocap, 1,
				    __ATOMIC_RELEASE);
		} else if (size == 0)
			fuse_reply_xattr(req, len);
		else
			fuse_reply_buf(req, buf, len);
	}
	if (error != 0)
		fuse_reply_err(req, error);
	free(buf);
	node_put(fs, n);
}

/*
 * The object's xattr names, the layer format's left out, and those kept
 * under another name (rec_xname) given under their own.
 */
static ssize_t
list_names(struct xpath *xp, char **out)
{
	const size_t xplen = strlen(LAYER_XATTR_XPREFIX);
	char *buf, *p, *q;
	ssize_t len;

	*out = NULL;
	len = xp->follow ? listxattr(xp->path, NULL, 0) :
	    llistxattr(xp->path, NULL, 0);
	if (len == -1)
		return -errno;
	if ((buf = malloc(len + 1)) == NULL)
		return -ENOMEM;
	len = xp->follow ? listxattr(xp->path, buf, len) :
	    llistxattr(xp->path, buf, len);
	if (len == -1) {
		free(buf);
		return -errno;
	}
	for (p = q = buf; p < buf + len; p += strlen(p) + 1)
		if (strncmp(p, LAYER_XATTR_XPREFIX, xplen) == 0) {
			memmove(q, p + xplen, strlen(p + xplen) + 1);
			q += strlen(q) + 1;
		} else if (!layer_is_private_xattr(p)) {
			memmove(q, p, strlen(p) + 1);
			q += strlen(q) + 1;
		}
	*out = buf;
	return q - buf;
}

static void
op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs *fs = FS(req);
	struct xpath xp;
	struct node *n;
	char *buf = NULL;
	ssize_t len = 0;
	int error;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((error = xpath_get(fs, n, node_layer(n), &xp)) == 0) {
		len = list_names(&xp, &buf);
		xpath_put(fs, &xp);
		if (len < 0)
			error = -len;
	}
	if (error != 0)
		fuse_reply_err(req, error);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if ((size_t)len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
	node_put(fs, n);
}

static void
op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags)
{
	struct fs *fs = FS(req);
	struct xpath xp;
	struct node *n;
	char xbuf[XATTR_NAME_MAX + 1];
	const char *xn;
	int error;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (layer_is_private_xattr(name))
		error = EPERM;
	else if ((error = copy_up(fs, n, COPYUP_META)) == 0 &&
	    (error = xpath_get(fs, n, UP, &xp)) == 0) {
		if (strcmp(name, "security.capability") == 0)
			__atomic_store_n(&n->nocap, 0, __ATOMIC_RELEASE);
		xn = rec_xname(fs, UP, name, xbuf, sizeof(xbuf));
		if ((xp.follow ? setxattr(xp.path, xn, value, size, flags) :
		    lsetxattr(xp.path, xn, value, size, flags)) == -1)
			error = errno;
		xpath_put(fs, &xp);
	}
	fuse_reply_err(req, error);
	node_put(fs, n);
}

/* Remove xattr name of n; removing what is not there copies nothing up. */
int
do_removexattr(struct fs *fs, struct node *n, const char *name)
{
	struct xpath xp;
	char xbuf[XATTR_NAME_MAX + 1];
	const char *xn;
	int error, layer;

	if (layer_is_private_xattr(name))
		return ENODATA;
	if ((error = xpath_get(fs, n, layer = node_layer(n), &xp)) != 0)
		return error;
	xn = rec_xname(fs, layer, name, xbuf, sizeof(xbuf));
	if ((xp.follow ? getxattr(xp.path, xn, NULL, 0) :
	    lgetxattr(xp.path, xn, NULL, 0)) == -1)
		error = errno;
	xpath_put(fs, &xp);
	if (error != 0 || (error = copy_up(fs, n, COPYUP_META)) != 0 ||
	    (error = xpath_get(fs, n, UP, &xp)) != 0)
		return error;
	xn = rec_xname(fs, UP, name, xbuf, sizeof(xbuf));
	if ((xp.follow ? removexattr(xp.path, xn) :
	    lremovexattr(xp.path, xn)) == -1)
		error = errno;
	xpath_put(fs, &xp);
	return error;
}

static void
op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs *fs = FS(req);
	struct node *n;

	if ((n = node_get(fs, ino)) == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	fuse_reply_err(req, do_removexattr(fs, n, name));
	node_put(fs, n);
}

const struct fuse_lowlevel_ops opfs_ops = {
	.init		= op_init,
	.lookup		= op_lookup,
	.forget		= op_forget,
	.forget_multi	= op_forget_multi,
	.getattr	= op_getattr,
	.setattr	= op_setattr,
	.readlink	= op_readlink,
	.mknod		= op_mknod,
	.mkdir		= op_mkdir,
	.symlink	= op_symlink,
	.unlink		= op_unlink,
	.rmdir		= op_rmdir,
	.rename		= op_rename,
	.link		= op_link,
	.open		= op_open,
	.create		= op_create,
	.read		= op_read,
	.write_buf	= op_write_buf,
	.flush		= op_flush,
	.release	= op_release,
	.fsync		= op_fsync,
	.fallocate	= op_fallocate,
	.lseek		= op_lseek,
	.opendir	= op_opendir,
	.readdir	= op_readdir,
	.readdirplus	= op_readdirplus,
	.fsyncdir	= op_fsyncdir,
	.statfs		= op_statfs,
	.getxattr	= op_getxattr,
	.listxattr	= op_listxattr,
	.setxattr	= op_setxattr,
	.removexattr	= op_removexattr,
};

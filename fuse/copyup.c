/*
 * copyup.c - copying a lower object into the upper layer.
 *
 * A copy-up is built under a fresh name in the work directory: data (holes
 * kept, reflinked where the filesystem can), owner, mode, xattrs (file
 * capabilities included, after the chown that would clear them) and times,
 * then fsync'd and renamed into place.  A crash at any point leaves either
 * no upper object or a complete one; scratch names in the work directory
 * are cleared at the next mount.  A volatile mount (fs->nosync) skips the
 * fsync: its mark in the work directory stands in for it (see fs.c).
 *
 * The lower object is only ever opened O_RDONLY (or O_PATH), through
 * reopen(); that, and the read-only mount of the lower tree, is what keeps
 * the base unwritten.
 *
 * The index keeps hard links of the base whole across mounts, as kernel
 * overlayfs's index=on does.  The copy of a lower file with more than one
 * name is also linked as work/index/KEY, KEY naming the lower file
 * (layer_index_key); any other name of that file found later, in this
 * mount or a later one, is linked to the copy (link_up) instead of
 * showing the old contents.  The copy's link count on disk has the
 * index's link and lacks the names still only in the base, so the copy
 * carries the difference to the count shown (trusted.overlay.nlink).
 * Linking a base name to the copy moves one name from the base's count
 * to the disk's, so it lowers the difference by one; link(2), unlink(2)
 * and rename(2) of upper names change both counts alike and leave it.
 * A base name is never whited out while its file has no copy: it is
 * linked to a copy first (see do_remove), so the count follows.
 *
 * Order, so that a crash loses no link: the copy is complete, with the
 * difference for "no name linked yet", before it enters the index; it is
 * in the index before it is renamed into place; only then is the
 * difference lowered.  A crash between those last two steps shows a link
 * count one too high, never one too low.  Symbolic links are not
 * indexed: their contents cannot change, and their xattrs cannot be
 * reached through an fd.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <linux/fs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"

/*
 * Open the object behind an O_PATH fd with real access flags.  Returns the
 * new fd or a negative errno.  Opening a lower object for writing is a bug
 * and is refused here, whatever the caller asks.
 */
int
reopen(struct fs *fs, int fd, int flags)
{
	char path[32];
	int nfd;

	/* By name, not via a saved /proc/self fd: daemonizing changes pid. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) |
	    O_CLOEXEC);
	return nfd == -1 ? -errno : nfd;
}

/*
 * Give the object behind fd (any kind of fd) the name dirfd/name: 0 or an
 * errno.  Kernels before 6.10 allow AT_EMPTY_PATH only with
 * CAP_DAC_READ_SEARCH, which a daemon serving an unprivileged run lacks;
 * the same link through /proc/self/fd needs none.
 */
int
link_fd(int fd, int dirfd, const char *name)
{
	char path[32];

	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT)
		return errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW) == -1 ?
	    errno : 0;
}

/*
 * A path through which the xattrs of n's object behind fd can be reached,
 * and whether the call must follow it (getxattr) or not (lgetxattr).  A
 * symlink cannot be reached through its own /proc/self/fd link, so it is
 * named through its parent's directory in the same layer.
 */
/* The directory part of a lower path, opened; -errno on failure. */
static int
open_lower_dir(struct fs *fs, const char *path, const char **base)
{
	char *dir;
	const char *slash;
	int fd;

	if ((slash = strrchr(path, '/')) == NULL) {
		*base = path;
		return fdc_open_lower(fs, "");
	}
	*base = slash + 1;
	if ((dir = strndup(path, slash - path)) == NULL)
		return -ENOMEM;
	fd = fdc_open_lower(fs, dir);
	free(dir);
	return fd;
}

/*
 * A path through which the xattrs of n's object in layer can be reached.
 * A symlink cannot be reached through its own /proc/self/fd link, so it is
 * named through its directory: the parent's upper directory, or the
 * directory of its path in the base.  The caller holds n busy and calls
 * xpath_put() when done with the path.
 */
int
xpath_get(struct fs *fs, struct node *n, int layer, struct xpath *xp)
{
	const char *base;
	char *name;
	int fd, r;

	xp->closefd = -1;
	xp->hold = NULL;
	xp->follow = !S_ISLNK(n->type);
	if (xp->follow) {
		if ((fd = node_fd(fs, n, layer)) < 0)
			return -fd;
		r = snprintf(xp->path, sizeof(xp->path), "/proc/self/fd/%d", fd);
	} else if (layer == LO) {
		if (n->lowerpath == NULL)
			return ESTALE;
		if ((fd = open_lower_dir(fs, n->lowerpath, &base)) < 0)
			return -fd;
		xp->closefd = fd;
		r = snprintf(xp->path, sizeof(xp->path), "/proc/self/fd/%d/%s",
		    fd, base);
	} else {
		if ((name = node_name(fs, n, &xp->hold)) == NULL)
			return ENOMEM;
		if ((fd = node_fd(fs, xp->hold, UP)) < 0) {
			free(name);
			xpath_put(fs, xp);
			return -fd;
		}
		r = snprintf(xp->path, sizeof(xp->path), "/proc/self/fd/%d/%s",
		    fd, name);
		free(name);
	}
	if (r < 0 || (size_t)r >= sizeof(xp->path)) {
		xpath_put(fs, xp);
		return ENAMETOOLONG;
	}
	return 0;
}

void
xpath_put(struct fs *fs, struct xpath *xp)
{
	if (xp->closefd >= 0)
		close(xp->closefd);
	node_put(fs, xp->hold);
	xp->closefd = -1;
	xp->hold = NULL;
}

/*
 * Copy [0, size) of src to dst, keeping holes.  A reflink first, until
 * the upper filesystem has said it cannot; holes are looked for only in a
 * file with fewer blocks than bytes.
 */
static int
copy_data(struct fs *fs, int src, int dst, off_t size)
{
	struct stat st;
	char *buf = NULL;
	off_t data, hole, in, out = 0;
	ssize_t n, w;
	int error = 0, sparse = 1, cfr = 1;

	if (size == 0)
		return 0;
	if (!__atomic_load_n(&fs->noclone, __ATOMIC_RELAXED)) {
		if (ioctl(dst, FICLONE, src) == 0)
			return 0;
		if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EINVAL)
			__atomic_store_n(&fs->noclone, 1, __ATOMIC_RELAXED);
	}
	if (fstat(src, &st) == 0 && st.st_blocks * 512 >= size)
		sparse = 0;
	for (data = 0; data < size; data = hole) {
		if (sparse && (data = lseek(src, data, SEEK_DATA)) == -1) {
			if (errno == ENXIO)
				break;		/* only a hole remains */
			if (errno != EINVAL)
				return errno;
			sparse = 0;		/* no SEEK_DATA here */
			data = 0;
		}
		hole = sparse ? lseek(src, data, SEEK_HOLE) : size;
		if (hole == -1)
			return errno;
		in = out = data;
		while (in < hole) {
			if (cfr) {
				n = copy_file_range(src, &in, dst, &out,
				    hole - in, 0);
				if (n > 0)
					continue;
				if (n == 0)
					break;	/* file shrank under us */
				if (errno != EXDEV && errno != EINVAL &&
				    errno != ENOSYS && errno != EOPNOTSUPP) {
					error = errno;
					goto out;
				}
				cfr = 0;
			}
			if (buf == NULL && (buf = malloc(1 << 20)) == NULL) {
				error = ENOMEM;
				goto out;
			}
			n = pread(src, buf, hole - in < (1 << 20) ?
			    (size_t)(hole - in) : (1 << 20), in);
			if (n <= 0) {
				error = n == 0 ? 0 : errno;
				if (n == 0)
					break;
				goto out;
			}
			for (w = 0; w < n; ) {
				ssize_t k = pwrite(dst, buf + w, n - w, out);
				if (k == -1) {
					error = errno;
					goto out;
				}
				w += k;
				out += k;
			}
			in += n;
		}
	}
	/* A hole at the end, or a source that shrank under us. */
	if (out != size && ftruncate(dst, size) == -1)
		error = errno;
out:
	free(buf);
	return error;
}

/*
 * Copy every xattr but the layer format's from src to dst (lxattr path),
 * each under the name the upper layer keeps it by (rec_xname).
 */
static int
copy_xattrs(struct fs *fs, const char *src, int follow, const char *dst)
{
	char *names = NULL, *val = NULL, *name, xbuf[XATTR_NAME_MAX + 1];
	ssize_t nlen, vlen;
	size_t vsize = 0;
	int error = 0;

	nlen = follow ? listxattr(src, NULL, 0) : llistxattr(src, NULL, 0);
	if (nlen <= 0)
		return nlen == 0 || errno == ENOTSUP ? 0 : errno;
	if ((names = malloc(nlen)) == NULL)
		return ENOMEM;
	nlen = follow ? listxattr(src, names, nlen) :
	    llistxattr(src, names, nlen);
	if (nlen == -1) {
		error = errno;	/* ERANGE: changed under us; caller retries */
		goto out;
	}
	for (name = names; name < names + nlen; name += strlen(name) + 1) {
		if (layer_is_private_xattr(name))
			continue;
		vlen = follow ? getxattr(src, name, NULL, 0) :
		    lgetxattr(src, name, NULL, 0);
		if (vlen == -1) {
			if (errno == ENODATA)
				continue;
			error = errno;
			goto out;
		}
		if ((size_t)vlen > vsize) {
			free(val);
			vsize = vlen;
			if ((val = malloc(vsize)) == NULL) {
				error = ENOMEM;
				goto out;
			}
		}
		vlen = follow ? getxattr(src, name, val, vsize) :
		    lgetxattr(src, name, val, vsize);
		if (vlen == -1) {
			error = errno;
			goto out;
		}
		if (lsetxattr(dst, rec_xname(fs, UP, name, xbuf, sizeof(xbuf)),
		    val, vlen, 0) == -1 &&
		    errno != ENOTSUP) {
			error = errno;
			goto out;
		}
	}
out:
	free(names);
	free(val);
	return error;
}

/* Put back the access and modification times pst of directory pu. */
static void
keep_times(int pu, const struct stat *pst)
{
	struct timespec ts[2];
	char ppath[32];

	ts[0] = pst->st_atim;
	ts[1] = pst->st_mtim;
	snprintf(ppath, sizeof(ppath), "/proc/self/fd/%d", pu);
	(void)utimensat(AT_FDCWD, ppath, ts, 0);
}

/* Does a copy of the lower object lst go into the index? */
static int
index_wants(struct fs *fs, const struct stat *lst)
{
	return fs->indexfd >= 0 && lst->st_nlink > 1 &&
	    !S_ISDIR(lst->st_mode) && !S_ISLNK(lst->st_mode);
}

/*
 * Add delta to the link count difference of the copy at fd, if it has
 * one.  Called with index_lock held, together with the link that calls
 * for it, so that nobody reads the count between the two.
 */
static int
index_nlink_add(int fd, int delta)
{
	int diff, k;

	if ((k = layer_get_nlink(fd, "", &diff)) == -1)
		return errno;
	if (k == 1 && layer_set_nlink(fd, "", diff + delta) == -1)
		return errno;
	return 0;
}

/*
 * Show st, the stat of the upper object fd, with the link count shown:
 * the count on disk and the difference read together, under index_lock.
 */
void
index_nlink_show(struct fs *fs, int fd, struct stat *st)
{
	struct stat now;
	int diff;

	if (st->st_nlink < 2 || S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode) ||
	    layer_get_nlink(fd, "", &diff) != 1)
		return;		/* not an indexed copy */
	pthread_mutex_lock(&fs->index_lock);
	if (fstatat(fd, "", &now, AT_EMPTY_PATH) == 0 &&
	    layer_get_nlink(fd, "", &diff) == 1 &&
	    (long long)now.st_nlink + diff >= 0)
		st->st_nlink = now.st_nlink + diff;
	pthread_mutex_unlock(&fs->index_lock);
}

/*
 * Link the upper object fd in as pu/name, keeping pu's times as a
 * copy-up does; fd's object gets one name of the base, so its link count
 * difference goes down by one.  EEXIST when the name is taken.
 */
static int
link_at(struct fs *fs, int fd, int pu, const char *name)
{
	struct stat st, pst;
	int error;

	if (fstatat(pu, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return EEXIST;
	if (errno != ENOENT)
		return errno;
	if (fstatat(pu, "", &pst, AT_EMPTY_PATH) == -1)
		return errno;
	pthread_mutex_lock(&fs->index_lock);
	if ((error = link_fd(fd, pu, name)) == 0 &&
	    (error = index_nlink_add(fd, -1)) != 0)
		unlinkat(pu, name, 0);	/* as it was: one name in the base */
	pthread_mutex_unlock(&fs->index_lock);
	if (error == 0)
		keep_times(pu, &pst);
	return error;
}

/*
 * A name of a lower file with hard links, found as p/name, becomes a link
 * of the file's upper copy (open as fd), p copied up first.
 */
int
link_up(struct fs *fs, int fd, struct node *p, const char *name)
{
	int error, pu;

	if ((error = copy_up(fs, p, 0)) != 0)
		return error;
	if ((pu = node_fd(fs, p, UP)) < 0)
		return -pu;
	return link_at(fs, fd, pu, name);
}

/*
 * The index entry of the lower object lfd (described by lst), open
 * O_PATH, its key in key.  -ENOENT (key set) when there is none,
 * or it is stale: of another type, or with no name left (which only a
 * base grown behind the mount's back can still reach).
 */
static int
index_open(struct fs *fs, int lfd, const struct stat *lst, char *key,
    size_t len)
{
	struct stat ist;
	int fd, diff, error = 0;

	if (layer_index_key(lfd, key, len) == -1)
		return -errno;
	if ((fd = openat(fs->indexfd, key, O_PATH | O_NOFOLLOW | O_CLOEXEC))
	    == -1)
		return -errno;
	if (fstatat(fd, "", &ist, AT_EMPTY_PATH) == -1 ||
	    (error = rec_stat(fs, fd, &ist)) != 0) {
		error = error ? error : errno;
		close(fd);
		return -error;
	}
	if ((ist.st_mode & S_IFMT) != (lst->st_mode & S_IFMT) ||
	    (ist.st_nlink == 1 && layer_get_nlink(fd, "", &diff) == 1 &&
	    diff < 0)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/*
 * p/name is a name of the lower file lfd, which has hard links: if the
 * file has a copy in the index, link the name to it.  0 when linked,
 * ENOENT when there is no copy, or another errno.
 */
int
index_link_up(struct fs *fs, struct node *p, const char *name, int lfd)
{
	char key[LAYER_INDEX_KEYLEN];
	struct stat lst;
	int fd, error;

	if (fstatat(lfd, "", &lst, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (!index_wants(fs, &lst))
		return ENOENT;
	if ((fd = index_open(fs, lfd, &lst, key, sizeof(key))) < 0)
		return -fd;
	error = link_up(fs, fd, p, name);
	close(fd);
	return error;
}

/*
 * Put the finished copy work/tmp of a lower file with lst->st_nlink names
 * into the index as key, replacing a stale entry, with the link count
 * difference of a copy none of whose names is linked yet.  ENOTSUP when
 * the upper filesystem keeps no xattrs: then there is no index.
 */
static int
index_add(struct fs *fs, const char *tmp, const char *key,
    const struct stat *lst)
{
	char tmp2[64];
	int error;

	if (lst->st_nlink > INT_MAX / 4)
		return EMLINK;
	if (layer_set_nlink(fs->workfd, tmp, (int)lst->st_nlink - 1) == -1)
		return errno;
	if ((error = work_name(fs, tmp2, sizeof(tmp2))) != 0)
		return error;
	if (linkat(fs->workfd, tmp, fs->workfd, tmp2, 0) == -1)
		return errno;
	if (renameat(fs->workfd, tmp2, fs->indexfd, key) == -1) {
		error = errno;
		unlinkat(fs->workfd, tmp2, 0);
		return error;
	}
	return 0;
}

/* The identity of the upper layer an index belongs to, into buf. */
static int
index_owner(struct fs *fs, char *buf, size_t len)
{
	struct statfs sfs;
	struct stat st;
	int fsid[2];

	if (fstatfs(fs->upperfd, &sfs) == -1 || fstat(fs->upperfd, &st) == -1)
		return errno;
	memcpy(fsid, &sfs.f_fsid, sizeof(fsid));
	snprintf(buf, len, "%08x%08x-%jx\n", (unsigned)fsid[0],
	    (unsigned)fsid[1], (uintmax_t)st.st_ino);
	return 0;
}

#define INDEX_OWNER	"#upper"	/* no key starts with '#' */

/* Is the index's owner want?  1, 0, or -errno. */
static int
index_owned(struct fs *fs, const char *want)
{
	char got[64];
	ssize_t n;
	int fd;

	if ((fd = openat(fs->indexfd, INDEX_OWNER, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, got, sizeof(got));
	close(fd);
	if (n == -1)
		return -errno;
	return (size_t)n == strlen(want) && memcmp(got, want, n) == 0;
}

static int
index_set_owner(struct fs *fs, const char *owner)
{
	char tmp[64];
	size_t len = strlen(owner);
	int fd, error = 0;

	if ((error = work_name(fs, tmp, sizeof(tmp))) != 0)
		return error;
	if ((fd = openat(fs->workfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1)
		return errno;
	if (write(fd, owner, len) != (ssize_t)len || fsync(fd) == -1)
		error = errno ? errno : EIO;
	close(fd);
	if (error == 0 && renameat(fs->workfd, tmp, fs->indexfd, INDEX_OWNER)
	    == -1)
		error = errno;
	if (error != 0)
		unlinkat(fs->workfd, tmp, 0);
	return error;
}

/*
 * Open the index at mount time (the work directory's other contents are
 * gone by now).  An index made for another upper layer is emptied: its
 * copies are not this layer's.  Entries whose copy has no name left, in
 * either layer, are removed.
 */
int
index_init(struct fs *fs)
{
	char owner[64];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, diff, own, error = 0;

	if (mkdirat(fs->workfd, LAYER_INDEX_DIR, 0700) == -1 &&
	    errno != EEXIST)
		return errno;
	if ((fs->indexfd = openat(fs->workfd, LAYER_INDEX_DIR, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno;
	if ((error = index_owner(fs, owner, sizeof(owner))) != 0)
		return error;
	if ((own = index_owned(fs, owner)) < 0)
		return -own;
	if ((fd = openat(fs->indexfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return errno;
	}
	while (error == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, INDEX_OWNER) == 0)
			continue;
		if (!own)
			error = dir_purge(fs, fs->indexfd, de->d_name);
		else if (fstatat(fs->indexfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			error = errno;
		else if (!S_ISDIR(st.st_mode) && st.st_nlink == 1 &&
		    layer_get_nlink(fs->indexfd, de->d_name, &diff) == 1 &&
		    diff < 0 && unlinkat(fs->indexfd, de->d_name, 0) == -1)
			error = errno;
	}
	if (error == 0 && errno != 0)
		error = errno;
	closedir(d);
	if (error == 0 && !own)
		error = index_set_owner(fs, owner);
	return error;
}

/*
 * Build the copy of n's lower object (open as lfd, described by st) in the
 * work directory as tmp.  Called with n->lock held.  On failure the caller
 * removes tmp.
 */
static int
build_copy(struct fs *fs, struct node *n, int lfd, const struct stat *st,
    const char *tmp, int flags)
{
	char src[64 + NAME_MAX], dst[64 + NAME_MAX], target[PATH_MAX];
	struct layer_rec rec;
	struct timespec ts[2];
	const char *base;
	ssize_t len;
	int in = -1, out = -1, dirfd = -1, error = 0;

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		if ((out = openat(fs->workfd, tmp, O_WRONLY | O_CREAT |
		    O_EXCL | O_CLOEXEC, 0600)) == -1)
			return errno;
		if (flags & COPYUP_META) {
			/* Metadata only: the size, as a hole, and the mark. */
			if (ftruncate(out, st->st_size) == -1 ||
			    layer_set_metacopy(fs->workfd, tmp) == -1) {
				error = errno;
				goto out;
			}
		} else if (!(flags & COPYUP_NODATA)) {
			if ((in = reopen(fs, lfd, O_RDONLY)) < 0) {
				error = -in;
				goto out;
			}
			if ((error = copy_data(fs, in, out, st->st_size)) != 0)
				goto out;
		}
		break;
	case S_IFDIR:
		if (mkdirat(fs->workfd, tmp, 0700) == -1)
			return errno;
		break;
	case S_IFLNK:
		len = readlinkat(lfd, "", target, sizeof(target) - 1);
		if (len == -1)
			return errno;
		target[len] = '\0';
		if (fs->records) {
			/* A file holding the target, and a record. */
			if ((error = rec_make(fs, fs->workfd, tmp,
			    st->st_mode, 0, target, st->st_uid, st->st_gid)))
				return error;
			break;
		}
		if (symlinkat(target, fs->workfd, tmp) == -1)
			return errno;
		break;
	default:
		/* A record stands for the special file (owners.c). */
		if (mknodat(fs->workfd, tmp, fs->records ? S_IFREG | 0600 :
		    (st->st_mode & S_IFMT) | 0600, st->st_rdev) == -1)
			return errno;
		break;
	}
	if (fs->records) {
		rec.uid = st->st_uid;
		rec.gid = st->st_gid;
		rec.mode = st->st_mode;
		rec.rdev = st->st_rdev;
		if (!S_ISLNK(st->st_mode) &&
		    (layer_set_rec(fs->workfd, tmp, &rec) == -1 ||
		    fchmodat(fs->workfd, tmp, layer_rec_diskmode(st->st_mode),
		    0) == -1)) {
			error = errno;
			goto out;
		}
	/* Owner before mode and xattrs: chown clears setuid and caps. */
	} else if (fchownat(fs->workfd, tmp, st->st_uid, st->st_gid,
	    AT_SYMLINK_NOFOLLOW) == -1 ||
	    (!S_ISLNK(st->st_mode) &&
	    fchmodat(fs->workfd, tmp, st->st_mode & 07777, 0) == -1)) {
		error = errno;
		goto out;
	}
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d/%s", fs->workfd, tmp);
	if (!S_ISLNK(st->st_mode))
		snprintf(src, sizeof(src), "/proc/self/fd/%d", lfd);
	else if (n->lowerpath == NULL) {
		error = ESTALE;
		goto out;
	} else if ((dirfd = open_lower_dir(fs, n->lowerpath, &base)) < 0) {
		error = -dirfd;
		goto out;
	} else
		snprintf(src, sizeof(src), "/proc/self/fd/%d/%s", dirfd, base);
	if ((error = copy_xattrs(fs, src, !S_ISLNK(st->st_mode), dst)) != 0)
		goto out;
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (utimensat(fs->workfd, tmp, ts, AT_SYMLINK_NOFOLLOW) == -1) {
		error = errno;
		goto out;
	}
	if (out >= 0 && st->st_size > 0 &&
	    !(flags & (COPYUP_NODATA | COPYUP_META)) && !fs->nosync &&
	    fsync(out) == -1)
		error = errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (dirfd >= 0)
		close(dirfd);
	return error;
}

/*
 * n's lower file has a copy in the index (open as fd, taken over): link
 * it in as pu/name instead of copying again.  Called as copy_up_locked.
 */
static int
adopt_copy(struct fs *fs, struct node *n, int fd, int pu, const char *name)
{
	struct stat ust;
	int error, meta = 0;

	if (fstatat(fd, "", &ust, AT_EMPTY_PATH) == -1 ||
	    (S_ISREG(ust.st_mode) && (meta = layer_is_metacopy(fd, "")) == -1))
		error = errno;
	else if ((error = node_alias(fs, n, &ust)) == 0)
		error = link_at(fs, fd, pu, name);
	if (error != 0) {
		close(fd);
		return error;
	}
	node_set_upper(fs, n, fd, &ust);
	n->metacopy = meta;	/* copy_up gives it data if it must */
	return 0;
}

/*
 * Copy n (lower object open as lfd) into the upper layer as pu/name.
 * Called with n->lock held and the parent already copied up.  If the name
 * has been taken meanwhile (the object was unlinked while open), the copy
 * stays anonymous: it is unlinked from the work directory, lives on
 * through n's pinned upper fd alone, and is lost with it.  A lower file
 * with hard links goes through the index (see the top of this file).
 */
static int
copy_up_locked(struct fs *fs, struct node *n, int lfd, int pu,
    const char *name, int flags)
{
	char tmp[64], key[LAYER_INDEX_KEYLEN];
	struct stat st, ust, pst;
	int error, fd, anon = 0, indexed;

	if (fstatat(lfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if ((indexed = index_wants(fs, &st))) {
		if ((fd = index_open(fs, lfd, &st, key, sizeof(key))) >= 0)
			return adopt_copy(fs, n, fd, pu, name);
		if (fd != -ENOENT)
			return -fd;
	}
	if ((error = work_name(fs, tmp, sizeof(tmp))))
		return error;
	if ((error = build_copy(fs, n, lfd, &st, tmp, flags)))
		goto fail;
	/* Everything that can fail comes before the copy becomes visible. */
	if ((fd = openat(fs->workfd, tmp, O_PATH | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstatat(fd, "", &ust, AT_EMPTY_PATH) == -1 ||
	    (error = node_alias(fs, n, &ust)) != 0) {
		error = error ? error : errno;
		if (fd != -1)
			close(fd);
		goto fail;
	}
	/* A copy-up is no change to the directory: keep its times. */
	if (fstatat(pu, "", &pst, AT_EMPTY_PATH) == -1) {
		error = errno;
		close(fd);
		goto fail;
	}
	if (indexed && (error = index_add(fs, tmp, key, &st)) != 0) {
		indexed = 0;
		if (error != ENOTSUP) {
			close(fd);
			goto fail;
		}
		error = 0;	/* no xattrs: no index, as before it */
	}
	if (indexed)
		pthread_mutex_lock(&fs->index_lock);
	if (renameat2(fs->workfd, tmp, pu, name, RENAME_NOREPLACE) == -1) {
		if (errno != EEXIST || S_ISDIR(st.st_mode)) {
			error = errno;
			if (indexed)
				pthread_mutex_unlock(&fs->index_lock);
			close(fd);
			goto fail;
		}
		unlinkat(fs->workfd, tmp, 0);
		anon = 1;
	} else
		keep_times(pu, &pst);
	if (indexed && anon)
		unlinkat(fs->indexfd, key, 0);	/* nothing to link to */
	else if (indexed && (error = index_nlink_add(fd, -1)) != 0)
		/* Back to the copy in the index alone, which is right. */
		unlinkat(pu, name, 0);
	if (indexed)
		pthread_mutex_unlock(&fs->index_lock);
	if (error != 0) {
		close(fd);
		return error;
	}
	node_set_upper(fs, n, fd, &ust);
	n->metacopy = S_ISREG(st.st_mode) && (flags & COPYUP_META);
	if (anon)
		n->pinned = 1;
	return 0;
fail:
	if (indexed)
		unlinkat(fs->indexfd, key, 0);
	if (S_ISDIR(st.st_mode))
		unlinkat(fs->workfd, tmp, AT_REMOVEDIR);
	else
		unlinkat(fs->workfd, tmp, 0);
	return error;
}

/*
 * Give a metacopy its data: copy the lower file's bytes into the upper
 * file in place (unless the caller truncates it anyway), flush them, put
 * back the times the copy disturbed, and only then drop the mark.  Until
 * the mark goes the lower file is the data, so a crash part way leaves a
 * metacopy that is still right.  Called with n->lock held.
 */
static int
data_copy_up(struct fs *fs, int lfd, int ufd, int flags)
{
	struct timespec ts[2];
	struct stat ust;
	int in = -1, out, error = 0;

	if (fstatat(ufd, "", &ust, AT_EMPTY_PATH) == -1)
		return errno;
	if ((out = reopen(fs, ufd, O_WRONLY)) < 0)
		return -out;
	if (flags & COPYUP_NODATA) {
		if (ftruncate(out, 0) == -1)
			error = errno;
	} else if ((in = reopen(fs, lfd, O_RDONLY)) < 0)
		error = -in;
	else if ((error = copy_data(fs, in, out, ust.st_size)) == 0 &&
	    ust.st_size > 0 && !fs->nosync && fsync(out) == -1)
		error = errno;
	ts[0] = ust.st_atim;
	ts[1] = ust.st_mtim;
	if (error == 0 && futimens(out, ts) == -1)
		error = errno;
	if (error == 0 && layer_clear_metacopy(ufd, "") == -1)
		error = errno;
	if (in >= 0)
		close(in);
	close(out);
	return error;
}

/*
 * n was copied up under one of its names: give the copy its other known
 * names too, as hard links, so that what is written through any of them
 * shows through all, as on the host.  A name that was deleted or taken
 * meanwhile is left alone.  The caller holds n busy.
 */
static void
link_aliases(struct fs *fs, struct node *n, struct alias *a)
{
	int ufd;

	for (; a != NULL; a = a->next) {
		node_hold(fs, a->parent);
		if ((ufd = node_fd(fs, n, UP)) >= 0)
			(void)link_up(fs, ufd, a->parent, a->name);
		node_put(fs, a->parent);
	}
}

/*
 * n's object was copied (a new inode) or got its data: the attributes the
 * kernel keeps for it, its change time at least, are stale.  Only the
 * attributes are dropped (offset -1), which takes no lock a handler may
 * hold, so this is safe from within one.
 */
static void
copied(struct fs *fs, struct node *n)
{
	if (fs->se != NULL)
		(void)fuse_lowlevel_notify_inval_inode(fs->se, n->ino, -1, 0);
}

/*
 * Make sure n has an upper object, copying its ancestors first: with
 * COPYUP_META a regular file may get a metadata-only copy; otherwise a
 * metacopy gets its data.  Returns 0 or an errno.  The caller holds n busy.
 */
int
copy_up(struct fs *fs, struct node *n, int flags)
{
	struct alias *aliases;
	struct node *p;
	char *name;
	int error = 0, lfd, pu, ufd;

	pthread_mutex_lock(&n->lock);
	if (n->has[UP] && (!n->metacopy || (flags & COPYUP_META))) {
		pthread_mutex_unlock(&n->lock);
		return 0;
	}
	if (n->has[UP]) {
		/* A metacopy that now needs its data. */
		pthread_mutex_unlock(&n->lock);
		if ((lfd = node_fd(fs, n, LO)) < 0 ||
		    (ufd = node_fd(fs, n, UP)) < 0)
			return lfd < 0 ? -lfd : -ufd;
		pthread_mutex_lock(&n->lock);
		if (n->metacopy &&
		    (error = data_copy_up(fs, lfd, ufd, flags)) == 0) {
			n->metacopy = 0;
			copied(fs, n);
		}
		pthread_mutex_unlock(&n->lock);
		return error;
	}
	pthread_mutex_unlock(&n->lock);
	if ((name = node_name(fs, n, &p)) == NULL)
		return n->parent == NULL ? EIO : ENOMEM;
	free(name);
	if ((error = copy_up(fs, p, 0)) != 0)
		goto out;
	if ((lfd = node_fd(fs, n, LO)) < 0 || (pu = node_fd(fs, p, UP)) < 0) {
		error = lfd < 0 ? -lfd : -pu;
		goto out;
	}
	pthread_mutex_lock(&n->lock);
	/* Only a rename moves a node, and a rename copies it up first. */
	if (!n->has[UP] &&
	    (error = copy_up_locked(fs, n, lfd, pu, n->name, flags)) == 0)
		copied(fs, n);
	aliases = error == 0 ? node_take_aliases(fs, n) : NULL;
	pthread_mutex_unlock(&n->lock);
	if (aliases != NULL) {
		link_aliases(fs, n, aliases);
		alias_free(fs, aliases);
	}
	/* A racing metadata-only copy-up may have won: finish the job. */
	if (error == 0 && !(flags & COPYUP_META) && node_data_layer(n) == LO)
		error = copy_up(fs, n, flags);
out:
	node_put(fs, p);
	return error;
}

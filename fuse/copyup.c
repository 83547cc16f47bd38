/*
 * copyup.c - copying a lower object into the upper layer.
 *
 * A copy-up is built under a fresh name in the work directory: data (holes
 * kept, reflinked where the filesystem can), owner, mode, xattrs (file
 * capabilities included, after the chown that would clear them) and times,
 * then fsync'd and renamed into place.  A crash at any point leaves either
 * no upper object or a complete one; scratch names in the work directory
 * are cleared at the next mount.
 *
 * The lower object is only ever opened O_RDONLY (or O_PATH), through
 * reopen(); that, and the read-only mount of the lower tree, is what keeps
 * the base unwritten.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <linux/fs.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Copy [0, size) of src to dst, keeping holes. */
static int
copy_data(int src, int dst, off_t size)
{
	char *buf = NULL;
	off_t data, hole, in, out;
	ssize_t n, w;
	int error = 0, sparse = 1, cfr = 1;

	if (size == 0 || ioctl(dst, FICLONE, src) == 0)
		return 0;
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
	if (ftruncate(dst, size) == -1)
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
			if ((error = copy_data(in, out, st->st_size)) != 0)
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
	    !(flags & (COPYUP_NODATA | COPYUP_META)) && fsync(out) == -1)
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
 * Copy n (lower object open as lfd) into the upper layer as pu/name.
 * Called with n->lock held and the parent already copied up.  If the name
 * has been taken meanwhile (the object was unlinked while open), the copy
 * stays anonymous: it is unlinked from the work directory, lives on
 * through n's pinned upper fd alone, and is lost with it.
 */
static int
copy_up_locked(struct fs *fs, struct node *n, int lfd, int pu,
    const char *name, int flags)
{
	char tmp[64], ppath[32];
	struct stat st, ust, pst;
	struct timespec ts[2];
	int error, fd, anon = 0;

	if (fstatat(lfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
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
	if (renameat2(fs->workfd, tmp, pu, name, RENAME_NOREPLACE) == -1) {
		if (errno != EEXIST || S_ISDIR(st.st_mode)) {
			error = errno;
			close(fd);
			goto fail;
		}
		unlinkat(fs->workfd, tmp, 0);
		anon = 1;
	} else {
		ts[0] = pst.st_atim;
		ts[1] = pst.st_mtim;
		snprintf(ppath, sizeof(ppath), "/proc/self/fd/%d", pu);
		(void)utimensat(AT_FDCWD, ppath, ts, 0);
	}
	node_set_upper(fs, n, fd, &ust);
	n->metacopy = S_ISREG(st.st_mode) && (flags & COPYUP_META);
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
		node_record_copy(fs, &n->key[LO], fd);
	if (anon)
		n->pinned = 1;
	return 0;
fail:
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
	else if ((error = copy_data(in, out, ust.st_size)) == 0 &&
	    ust.st_size > 0 && fsync(out) == -1)
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
	struct stat st;
	int ufd, apu;

	for (; a != NULL; a = a->next) {
		node_hold(fs, a->parent);
		if (copy_up(fs, a->parent, 0) == 0 &&
		    (ufd = node_fd(fs, n, UP)) >= 0 &&
		    (apu = node_fd(fs, a->parent, UP)) >= 0 &&
		    fstatat(apu, a->name, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT)
			(void)linkat(ufd, "", apu, a->name, AT_EMPTY_PATH);
		node_put(fs, a->parent);
	}
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
		    (error = data_copy_up(fs, lfd, ufd, flags)) == 0)
			n->metacopy = 0;
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
	if (!n->has[UP])
		error = copy_up_locked(fs, n, lfd, pu, n->name, flags);
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

/*
 * run.h - overpack run: the state its three processes share.
 *
 * P, the overpack process, stays in the host's namespaces; it makes the
 * session directories, starts I, forwards signals to it and packs the upper
 * layer afterwards.  I is pid 1 of a new pid namespace with its own mount
 * (and, unless --network, network) namespace; it serves the overlay
 * filesystem in threads and supervises C.  C mounts /proc, /dev, /sys,
 * /tmp, the working directory and the --bind mounts into the merged view,
 * chroots into it and executes the command.  I dies with P
 * (PR_SET_PDEATHSIG) and everything in the pid namespace dies with I, so no
 * mount of the session outlives it however it ends.
 *
 * Without root (user), P makes I in a new user namespace as well, where
 * the caller is root, and writes its ID map (userns.h).  I mounts the
 * overlay and hands the /dev/fuse fd and the lower layer's tree to P over
 * ctl, and P serves the filesystem: from the host's user namespace it
 * sees the base's true owners, which inside would all be the overflow
 * id.  The filesystem keeps owners as records (owners=xattr).
 *
 * Everything is set up before the fork of C and of the filesystem's threads
 * and is read-only afterwards, so nothing here needs a lock.
 */
#ifndef OVERPACK_RUN_H
#define OVERPACK_RUN_H

#include <sys/resource.h>
#include <signal.h>
#include <sys/types.h>

#include "userns.h"
struct opfs_filter;

struct bind {
	char		*src;		/* absolute host path */
	char		*dst;		/* absolute path in the merged view */
};

struct run {
	/* From the command line, checked and made absolute by P. */
	const char	*output;	/* -o, or NULL */
	const char	*format;	/* -f, or NULL */
	char		*root;		/* base root, resolved */
	char		*upper;		/* upper layer, resolved */
	char		*work;		/* work dir, resolved */
	char		*session;	/* session dir we made, or NULL (-u) */
	char		*cwd;		/* caller's working directory */
	struct bind	*binds;
	size_t		 nbinds;
	int		 network;	/* share the host's network */
	int		 keep;		/* keep the session dir after packing */
	char		**argv;		/* the command */
	mode_t		 umask;		/* the caller's, for the command */
	sigset_t	 ignored;	/* signals the caller ignores */
	sigset_t	 mask;		/* the caller's signal mask */
	struct rlimit	 nofile;	/* the caller's RLIMIT_NOFILE */
	int		 user;		/* without root: a user namespace */
	struct idmap	 idmap;		/* user: its map */
	int		 ctl;		/* user: I's end of the socket to P */
	const char	*trace;		/* --trace FILE, or NULL */
	int		 tracefd;	/* opened by P, written by I, or -1 */
	int		 strict;	/* --trace-strict */
	const char	*only;		/* --only PKG,..., or NULL */
	const char	*onlylist;	/* --only-list FILE, or NULL */
	const char	*onlycore;	/* --only-core SPEC, or NULL */
	struct opfs_filter *filter;	/* from the --only options, or NULL */

	/* Set up by I before it forks C. */
	char		*hide;		/* where the merged view's tmpfs sits */
	char		*mnt;		/* mount point of the merged view */
	int		 upfd;		/* upper layer, I's own (cleanup) */
};

/*
 * Records C sends I over a pipe, one per entry it created in the upper
 * layer while making mount points: a type byte, the path relative to the
 * merged root, a NUL.  I undoes them, last first, after the command ends.
 */
#define RUN_REC_DIR		'd'	/* a directory made for a mount point */
#define RUN_REC_DIRWH		'D'	/* the same, replacing a whiteout */
#define RUN_REC_FILE		'f'	/* an empty file made for a mount point */
#define RUN_REC_FILEWH		'F'	/* the same, replacing a whiteout */
#define RUN_REC_COPYUP		'u'	/* a parent copied up by one of these */

#endif

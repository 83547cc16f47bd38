/*
 * op-syscall - perform one system call and print its result, for tests.
 *
 * Each filesystem test case is one line of shell: the call named by argv[1]
 * runs once on the arguments that follow, and the program prints "ok"
 * (followed by the result, when the call has one) or the errno's symbolic
 * name ("ENOENT").  Exit status: 0 for ok, 1 for an errno result, 2 for a
 * usage error.  Nothing here follows a symlink unless the call itself does;
 * the "l" variants (lstat, lchown, lsetxattr, ...) do not follow.
 *
 * The output format is fixed so that tests can compare it with a literal:
 *
 *	stat P [FIELD...]   ok type=reg mode=0644 uid=0 gid=0 size=3 nlink=1
 *	                       ino=12 rdev=0,0     (or just the named fields)
 *	readlink P          ok TARGET
 *	getxattr P NAME     ok VALUE
 *	listxattr P         ok NAME NAME ...      (sorted)
 *	fd P FLAGS MODE ... ok FIELD=VALUE ...    (what its fstat steps saw)
 *
 * Calls that take DATA write it as given (no newline added).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT		(1 << 2)
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

struct name {
	const char	*name;
	long		 value;
};

#define N(x)	{ #x, x }
static const struct name errnos[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG),
	N(ENOEXEC), N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES),
	N(EFAULT), N(EBUSY), N(EEXIST), N(EXDEV), N(ENODEV), N(ENOTDIR),
	N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY), N(ETXTBSY),
	N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE),
	N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK), N(ENOSYS),
	N(ENOTEMPTY), N(ELOOP), N(ENODATA), N(EOVERFLOW), N(EOPNOTSUPP),
	N(EDQUOT), N(ESTALE), N(ENOTCONN),
	{ NULL, 0 }
};

static const struct name oflags[] = {
	N(O_RDONLY), N(O_WRONLY), N(O_RDWR), N(O_CREAT), N(O_EXCL),
	N(O_TRUNC), N(O_APPEND), N(O_DIRECTORY), N(O_NOFOLLOW), N(O_PATH),
	N(O_TMPFILE), N(O_NONBLOCK), N(O_SYNC), N(O_NOATIME),
	{ NULL, 0 }
};

static const struct name renameflags[] = {
	N(RENAME_NOREPLACE), N(RENAME_EXCHANGE), N(RENAME_WHITEOUT),
	{ "NOREPLACE", RENAME_NOREPLACE }, { "EXCHANGE", RENAME_EXCHANGE },
	{ "WHITEOUT", RENAME_WHITEOUT },
	{ NULL, 0 }
};

static const struct name fallocflags[] = {
	N(FALLOC_FL_KEEP_SIZE), N(FALLOC_FL_PUNCH_HOLE),
	{ "KEEP_SIZE", FALLOC_FL_KEEP_SIZE },
	{ "PUNCH_HOLE", FALLOC_FL_PUNCH_HOLE },
	{ NULL, 0 }
};

static const struct name xattrflags[] = {
	N(XATTR_CREATE), N(XATTR_REPLACE),
	{ "CREATE", XATTR_CREATE }, { "REPLACE", XATTR_REPLACE },
	{ NULL, 0 }
};

static const struct name accessmodes[] = {
	N(F_OK), N(R_OK), N(W_OK), N(X_OK),
	{ NULL, 0 }
};
#undef N

static const char *prog = "op-syscall";

static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s CALL ARGS...  (see the top of "
	    "t/op-syscall.c)\n", prog);
	exit(2);
}

/* Print the result of a call that returned -1 with errno set. */
static int
fail(void)
{
	int e = errno;
	int i;

	for (i = 0; errnos[i].name != NULL; i++)
		if (errnos[i].value == e) {
			printf("%s\n", errnos[i].name);
			return 1;
		}
	printf("E%d\n", e);
	return 1;
}

static int
result(int rc)
{
	if (rc == -1)
		return fail();
	printf("ok\n");
	return 0;
}

/* Write all of s to fd; on failure print the result, close fd, -1. */
static int
write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	if ((n = write(fd, s, len)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		fail();
		return -1;
	}
	if ((size_t)n != len) {
		close(fd);
		printf("short write %zd of %zu\n", n, len);
		return -1;
	}
	return 0;
}

/* "A,B,C" (or "0") to the OR of the named flags in table. */
static long
parse_flags(const char *s, const struct name *table, const char *what)
{
	char buf[256], *tok, *save;
	long v = 0;
	int i;

	if (strcmp(s, "0") == 0 || *s == '\0')
		return 0;
	if (strlen(s) >= sizeof(buf))
		usage("%s flags too long: '%s'", what, s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",|", &save); tok != NULL;
	    tok = strtok_r(NULL, ",|", &save)) {
		for (i = 0; table[i].name != NULL; i++)
			if (strcmp(table[i].name, tok) == 0)
				break;
		if (table[i].name == NULL)
			usage("unknown %s flag '%s'", what, tok);
		v |= table[i].value;
	}
	return v;
}

static long long
parse_num(const char *s, int base, long long min, long long max,
    const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage("bad %s '%s'", what, s);
	return v;
}

static mode_t
parse_mode(const char *s)
{
	return (mode_t)parse_num(s, 8, 0, 07777, "mode");
}

/* A uid or gid; -1 means "leave unchanged". */
static long long
parse_id(const char *s)
{
	return parse_num(s, 10, -1, UINT_MAX - 1, "id");
}

/* now, omit, or SEC[.NSEC] */
static void
parse_time(const char *s, struct timespec *ts)
{
	char buf[64], *dot;

	if (strcmp(s, "now") == 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_NOW;
		return;
	}
	if (strcmp(s, "omit") == 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
		return;
	}
	if (strlen(s) >= sizeof(buf))
		usage("bad time '%s'", s);
	strcpy(buf, s);
	ts->tv_nsec = 0;
	if ((dot = strchr(buf, '.')) != NULL) {
		size_t i, n;

		*dot++ = '\0';
		/* A decimal fraction: ".5" is 500000000 ns. */
		n = strlen(dot);
		if (n == 0 || n > 9 || strspn(dot, "0123456789") != n)
			usage("bad time '%s'", s);
		ts->tv_nsec = (long)parse_num(dot, 10, 0, 999999999,
		    "nanoseconds");
		for (i = n; i < 9; i++)
			ts->tv_nsec *= 10;
	}
	ts->tv_sec = (time_t)parse_num(buf, 10, 0, LLONG_MAX, "seconds");
}

static const char *
ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:	return "reg";
	case S_IFDIR:	return "dir";
	case S_IFLNK:	return "lnk";
	case S_IFCHR:	return "chr";
	case S_IFBLK:	return "blk";
	case S_IFIFO:	return "fifo";
	case S_IFSOCK:	return "sock";
	}
	return "unknown";
}

static int
print_field(const struct stat *st, const char *f, int first)
{
	const char *sep = first ? "" : " ";

	if (strcmp(f, "type") == 0)
		printf("%stype=%s", sep, ftype(st->st_mode));
	else if (strcmp(f, "mode") == 0)
		printf("%smode=%04o", sep, (unsigned)(st->st_mode & 07777));
	else if (strcmp(f, "uid") == 0)
		printf("%suid=%u", sep, (unsigned)st->st_uid);
	else if (strcmp(f, "gid") == 0)
		printf("%sgid=%u", sep, (unsigned)st->st_gid);
	else if (strcmp(f, "size") == 0)
		printf("%ssize=%lld", sep, (long long)st->st_size);
	else if (strcmp(f, "nlink") == 0)
		printf("%snlink=%lu", sep, (unsigned long)st->st_nlink);
	else if (strcmp(f, "ino") == 0)
		printf("%sino=%llu", sep, (unsigned long long)st->st_ino);
	else if (strcmp(f, "dev") == 0)
		printf("%sdev=%u,%u", sep, major(st->st_dev),
		    minor(st->st_dev));
	else if (strcmp(f, "rdev") == 0)
		printf("%srdev=%u,%u", sep, major(st->st_rdev),
		    minor(st->st_rdev));
	else if (strcmp(f, "blocks") == 0)
		printf("%sblocks=%lld", sep, (long long)st->st_blocks);
	else if (strcmp(f, "atime") == 0)
		printf("%satime=%lld.%09ld", sep, (long long)st->st_atim.tv_sec,
		    st->st_atim.tv_nsec);
	else if (strcmp(f, "mtime") == 0)
		printf("%smtime=%lld.%09ld", sep, (long long)st->st_mtim.tv_sec,
		    st->st_mtim.tv_nsec);
	else if (strcmp(f, "ctime") == 0)
		printf("%sctime=%lld.%09ld", sep, (long long)st->st_ctim.tv_sec,
		    st->st_ctim.tv_nsec);
	else
		return -1;
	return 0;
}

static int
is_field(const char *f)
{
	static const char *fields[] = { "type", "mode", "uid", "gid", "size",
	    "nlink", "ino", "dev", "rdev", "blocks", "atime", "mtime", "ctime",
	    NULL };
	int i;

	for (i = 0; fields[i] != NULL; i++)
		if (strcmp(fields[i], f) == 0)
			return 1;
	return 0;
}

static int
do_stat(int argc, char **argv, int follow)
{
	static const char *deflt[] = { "type", "mode", "uid", "gid", "size",
	    "nlink", "ino", "rdev", NULL };
	struct stat st;
	int i;

	if (argc < 1)
		usage("stat P [FIELD...]");
	if ((follow ? stat(argv[0], &st) : lstat(argv[0], &st)) == -1)
		return fail();
	/* Check the field names before printing anything. */
	for (i = 1; i < argc; i++)
		if (!is_field(argv[i]))
			usage("unknown stat field '%s'", argv[i]);
	printf("ok ");
	if (argc == 1)
		for (i = 0; deflt[i] != NULL; i++)
			print_field(&st, deflt[i], i == 0);
	else
		for (i = 1; i < argc; i++)
			print_field(&st, argv[i], i == 1);
	printf("\n");
	return 0;
}

static int
cmd_stat(int argc, char **argv)
{
	return do_stat(argc, argv, 1);
}

static int
cmd_lstat(int argc, char **argv)
{
	return do_stat(argc, argv, 0);
}

/* open P FLAGS [MODE [DATA]]: open, write DATA if given, close. */
static int
cmd_open(int argc, char **argv)
{
	mode_t mode = 0;
	size_t len;
	ssize_t n;
	int fd, flags;

	if (argc < 2 || argc > 4)
		usage("open P FLAGS [MODE [DATA]]");
	flags = (int)parse_flags(argv[1], oflags, "open");
	if (argc >= 3)
		mode = parse_mode(argv[2]);
	if ((fd = open(argv[0], flags, mode)) == -1)
		return fail();
	if (argc == 4) {
		len = strlen(argv[3]);
		if ((n = write(fd, argv[3], len)) == -1) {
			int e = errno;

			close(fd);
			errno = e;
			return fail();
		}
		if ((size_t)n != len) {
			close(fd);
			printf("short write %zd of %zu\n", n, len);
			return 1;
		}
	}
	return result(close(fd));
}

/* creat P MODE [DATA]: creat(2), write DATA if given, close. */
static int
cmd_creat(int argc, char **argv)
{
	int fd;

	if (argc < 2 || argc > 3)
		usage("creat P MODE [DATA]");
	if ((fd = creat(argv[0], parse_mode(argv[1]))) == -1)
		return fail();
	if (argc == 3 && write_all(fd, argv[2]) == -1)
		return 1;
	return result(close(fd));
}

/*
 * tmpfile [-x] DIR MODE DATA [P]: an O_TMPFILE file in DIR (-x: with
 * O_EXCL, never to be linked), DATA written to it, then linked in as P if
 * given (the way installers publish a file).  Prints the link count the
 * open file had before the link: "ok nlink=0".
 */
static int
cmd_tmpfile(int argc, char **argv)
{
	struct stat st;
	char proc[64];
	int fd, e, flags = O_TMPFILE | O_RDWR;

	if (argc > 0 && strcmp(argv[0], "-x") == 0) {
		flags |= O_EXCL;
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 4)
		usage("tmpfile [-x] DIR MODE DATA [P]");
	if ((fd = open(argv[0], flags, parse_mode(argv[1]))) == -1)
		return fail();
	if (write_all(fd, argv[2]) == -1)
		return 1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (argc == 4) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, argv[3],
		    AT_SYMLINK_FOLLOW) == -1)
			goto fail;
	}
	if (close(fd) == -1)
		return fail();
	printf("ok nlink=%lu\n", (unsigned long)st.st_nlink);
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return fail();
}

/* pwrite P OFF DATA: write DATA at OFF without truncating. */
static int
cmd_pwrite(int argc, char **argv)
{
	size_t len;
	ssize_t n;
	int fd, e;

	if (argc != 3)
		usage("pwrite P OFF DATA");
	if ((fd = open(argv[0], O_WRONLY)) == -1)
		return fail();
	len = strlen(argv[2]);
	n = pwrite(fd, argv[2], len,
	    (off_t)parse_num(argv[1], 10, 0, LLONG_MAX, "offset"));
	e = errno;
	if (n == -1) {
		close(fd);
		errno = e;
		return fail();
	}
	if ((size_t)n != len) {
		close(fd);
		printf("short write %zd of %zu\n", n, len);
		return 1;
	}
	return result(close(fd));
}

/*
 * mmapwrite P OFF DATA: open P read-write, map it MAP_SHARED, copy DATA in
 * at OFF (inside the file), msync and unmap: a write no write(2) carries.
 */
static int
cmd_mmapwrite(int argc, char **argv)
{
	struct stat st;
	size_t len;
	off_t off, base;
	char *p;
	long pg;
	int fd, e;

	if (argc != 3)
		usage("mmapwrite P OFF DATA");
	off = (off_t)parse_num(argv[1], 10, 0, LLONG_MAX, "offset");
	len = strlen(argv[2]);
	if ((fd = open(argv[0], O_RDWR)) == -1)
		return fail();
	if (fstat(fd, &st) == -1)
		goto fail;
	if (len == 0 || off + (off_t)len > st.st_size) {
		close(fd);
		printf("write past the end (size %lld)\n",
		    (long long)st.st_size);
		return 1;
	}
	pg = sysconf(_SC_PAGESIZE);
	base = off - off % pg;
	p = mmap(NULL, (size_t)(off - base) + len, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, base);
	if (p == MAP_FAILED)
		goto fail;
	memcpy(p + (off - base), argv[2], len);
	if (msync(p, (size_t)(off - base) + len, MS_SYNC) == -1) {
		e = errno;
		munmap(p, (size_t)(off - base) + len);
		errno = e;
		goto fail;
	}
	if (munmap(p, (size_t)(off - base) + len) == -1)
		goto fail;
	return result(close(fd));
fail:
	e = errno;
	close(fd);
	errno = e;
	return fail();
}

/* read P: print the whole file after "ok " (for small text files). */
static int
cmd_read(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;
	size_t len = 0;
	int fd;

	if (argc != 1)
		usage("read P");
	if ((fd = open(argv[0], O_RDONLY)) == -1)
		return fail();
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	if (n == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return fail();
	}
	close(fd);
	buf[len] = '\0';
	printf("ok %s\n", buf);
	return 0;
}

static int
cmd_rename(int argc, char **argv)
{
	unsigned flags = 0;

	if (argc < 2 || argc > 3)
		usage("rename A B [NOREPLACE|EXCHANGE|WHITEOUT]");
	if (argc == 3)
		flags = (unsigned)parse_flags(argv[2], renameflags, "rename");
	return result(renameat2(AT_FDCWD, argv[0], AT_FDCWD, argv[1], flags));
}

static int
cmd_mkdir(int argc, char **argv)
{
	if (argc != 2)
		usage("mkdir P MODE");
	return result(mkdir(argv[0], parse_mode(argv[1])));
}

/* mknod P fifo|chr|blk|reg|sock MAJ MIN MODE */
static int
cmd_mknod(int argc, char **argv)
{
	mode_t type;
	unsigned maj, min;

	if (argc != 5)
		usage("mknod P fifo|chr|blk|reg|sock MAJ MIN MODE");
	if (strcmp(argv[1], "fifo") == 0)
		type = S_IFIFO;
	else if (strcmp(argv[1], "chr") == 0)
		type = S_IFCHR;
	else if (strcmp(argv[1], "blk") == 0)
		type = S_IFBLK;
	else if (strcmp(argv[1], "reg") == 0)
		type = S_IFREG;
	else if (strcmp(argv[1], "sock") == 0)
		type = S_IFSOCK;
	else
		usage("unknown node type '%s'", argv[1]);
	maj = (unsigned)parse_num(argv[2], 10, 0, 4095, "major");
	min = (unsigned)parse_num(argv[3], 10, 0, 1048575, "minor");
	return result(mknod(argv[0], type | parse_mode(argv[4]),
	    makedev(maj, min)));
}

static int
cmd_link(int argc, char **argv)
{
	if (argc != 2)
		usage("link OLD NEW");
	return result(link(argv[0], argv[1]));
}

static int
cmd_symlink(int argc, char **argv)
{
	if (argc != 2)
		usage("symlink TARGET P");
	return result(symlink(argv[0], argv[1]));
}

static int
cmd_readlink(int argc, char **argv)
{
	char buf[PATH_MAX + 1];
	ssize_t n;

	if (argc != 1)
		usage("readlink P");
	if ((n = readlink(argv[0], buf, sizeof(buf) - 1)) == -1)
		return fail();
	buf[n] = '\0';
	printf("ok %s\n", buf);
	return 0;
}

static int
cmd_unlink(int argc, char **argv)
{
	if (argc != 1)
		usage("unlink P");
	return result(unlink(argv[0]));
}

static int
cmd_rmdir(int argc, char **argv)
{
	if (argc != 1)
		usage("rmdir P");
	return result(rmdir(argv[0]));
}

static int
cmd_chmod(int argc, char **argv)
{
	if (argc != 2)
		usage("chmod P MODE");
	return result(chmod(argv[0], parse_mode(argv[1])));
}

static int
cmd_chown(int argc, char **argv)
{
	if (argc != 3)
		usage("chown P UID GID");
	return result(chown(argv[0], (uid_t)parse_id(argv[1]),
	    (gid_t)parse_id(argv[2])));
}

static int
cmd_lchown(int argc, char **argv)
{
	if (argc != 3)
		usage("lchown P UID GID");
	return result(lchown(argv[0], (uid_t)parse_id(argv[1]),
	    (gid_t)parse_id(argv[2])));
}

static int
cmd_truncate(int argc, char **argv)
{
	if (argc != 2)
		usage("truncate P LEN");
	return result(truncate(argv[0],
	    (off_t)parse_num(argv[1], 10, 0, LLONG_MAX, "length")));
}

/* open P O_RDWR, then ftruncate: the path through a file handle. */
static int
cmd_ftruncate(int argc, char **argv)
{
	int fd, rc, e;

	if (argc != 2)
		usage("ftruncate P LEN");
	if ((fd = open(argv[0], O_RDWR)) == -1)
		return fail();
	rc = ftruncate(fd, (off_t)parse_num(argv[1], 10, 0, LLONG_MAX,
	    "length"));
	e = errno;
	close(fd);
	errno = e;
	return result(rc);
}

static int
do_utimens(int argc, char **argv, int atflags)
{
	struct timespec ts[2];

	if (argc != 3)
		usage("utimens P ATIME MTIME  (now, omit or SEC[.NSEC])");
	parse_time(argv[1], &ts[0]);
	parse_time(argv[2], &ts[1]);
	return result(utimensat(AT_FDCWD, argv[0], ts, atflags));
}

static int
cmd_utimens(int argc, char **argv)
{
	return do_utimens(argc, argv, 0);
}

static int
cmd_lutimens(int argc, char **argv)
{
	return do_utimens(argc, argv, AT_SYMLINK_NOFOLLOW);
}

/*
 * fd P FLAGS MODE STEP...: open P once and run each STEP on that one
 * descriptor, in order, as a program holding a file open does:
 *	write=DATA  ftruncate=LEN  fallocate=OFF,LEN (posix_fallocate)
 *	unlink (P, by its name)  fstat=FIELD[,FIELD...]
 * Prints "ok" and the fields fstat steps asked for, as stat prints them,
 * or the errno of the first step that failed (the rest do not run).
 */
/* Every name in "F,F,..." must be a stat field. */
static void
check_fields(const char *list)
{
	char buf[256], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		usage("too many fields '%s'", list);
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if (!is_field(tok))
			usage("unknown stat field '%s'", tok);
}

static int
do_fd_step(int fd, const char *path, char *step, struct stat *st)
{
	char *v = strchr(step, '='), *comma;
	ssize_t n;
	int rc;

	v = v != NULL ? v + 1 : step + strlen(step);
	if (strncmp(step, "write=", 6) == 0) {
		if ((n = write(fd, v, strlen(v))) == -1)
			return -1;
		if ((size_t)n != strlen(v))
			usage("short write %zd of %zu", n, strlen(v));
		return 0;
	}
	if (strncmp(step, "ftruncate=", 10) == 0)
		return ftruncate(fd, (off_t)parse_num(v, 10, 0, LLONG_MAX,
		    "length"));
	if (strncmp(step, "fallocate=", 10) == 0) {
		if ((comma = strchr(v, ',')) == NULL)
			usage("fallocate=OFF,LEN");
		*comma++ = '\0';
		rc = posix_fallocate(fd, (off_t)parse_num(v, 10, 0, LLONG_MAX,
		    "offset"), (off_t)parse_num(comma, 10, 0, LLONG_MAX,
		    "length"));
		if (rc != 0)
			errno = rc;
		return rc != 0 ? -1 : 0;
	}
	if (strcmp(step, "unlink") == 0)
		return unlink(path);
	if (strncmp(step, "fstat=", 6) == 0)
		return fstat(fd, st);
	usage("unknown fd step '%s'", step);
}

static int
cmd_fd(int argc, char **argv)
{
	struct stat *st;
	char *tok, *save;
	int fd, i, e;

	if (argc < 3)
		usage("fd P FLAGS MODE STEP...");
	/* What each fstat step saw, printed once every step has run. */
	if ((st = calloc((size_t)argc, sizeof(*st))) == NULL)
		return fail();
	for (i = 3; i < argc; i++)
		if (strncmp(argv[i], "fstat=", 6) == 0)
			check_fields(argv[i] + 6);
	fd = open(argv[0], (int)parse_flags(argv[1], oflags, "open"),
	    parse_mode(argv[2]));
	if (fd == -1)
		goto fail;
	for (i = 3; i < argc; i++)
		if (do_fd_step(fd, argv[0], argv[i], &st[i]) == -1) {
			e = errno;
			close(fd);
			errno = e;
			goto fail;
		}
	if (close(fd) == -1)
		goto fail;
	printf("ok");
	for (i = 3; i < argc; i++) {
		if (strncmp(argv[i], "fstat=", 6) != 0)
			continue;
		for (tok = strtok_r(argv[i] + 6, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (print_field(&st[i], tok, 0) == -1)
				usage("unknown stat field '%s'", tok);
	}
	printf("\n");
	free(st);
	return 0;
fail:
	free(st);
	return fail();
}

/* fallocate P OFF LEN [KEEP_SIZE,PUNCH_HOLE] */
static int
cmd_fallocate(int argc, char **argv)
{
	int fd, rc, e, mode = 0;

	if (argc < 3 || argc > 4)
		usage("fallocate P OFF LEN [KEEP_SIZE,PUNCH_HOLE]");
	if (argc == 4)
		mode = (int)parse_flags(argv[3], fallocflags, "fallocate");
	if ((fd = open(argv[0], O_RDWR)) == -1)
		return fail();
	rc = fallocate(fd, mode,
	    (off_t)parse_num(argv[1], 10, 0, LLONG_MAX, "offset"),
	    (off_t)parse_num(argv[2], 10, 1, LLONG_MAX, "length"));
	e = errno;
	close(fd);
	errno = e;
	return result(rc);
}

static int
do_setxattr(int argc, char **argv, int follow)
{
	int flags = 0;

	if (argc < 3 || argc > 4)
		usage("setxattr P NAME VALUE [CREATE|REPLACE]");
	if (argc == 4)
		flags = (int)parse_flags(argv[3], xattrflags, "setxattr");
	if (follow)
		return result(setxattr(argv[0], argv[1], argv[2],
		    strlen(argv[2]), flags));
	return result(lsetxattr(argv[0], argv[1], argv[2], strlen(argv[2]),
	    flags));
}

static int
cmd_setxattr(int argc, char **argv)
{
	return do_setxattr(argc, argv, 1);
}

static int
cmd_lsetxattr(int argc, char **argv)
{
	return do_setxattr(argc, argv, 0);
}

static int
do_getxattr(int argc, char **argv, int follow)
{
	char buf[65536 + 1];
	ssize_t n;

	if (argc != 2)
		usage("getxattr P NAME");
	n = follow ? getxattr(argv[0], argv[1], buf, sizeof(buf) - 1) :
	    lgetxattr(argv[0], argv[1], buf, sizeof(buf) - 1);
	if (n == -1)
		return fail();
	buf[n] = '\0';
	printf("ok %s\n", buf);
	return 0;
}

static int
cmd_getxattr(int argc, char **argv)
{
	return do_getxattr(argc, argv, 1);
}

static int
cmd_lgetxattr(int argc, char **argv)
{
	return do_getxattr(argc, argv, 0);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
do_listxattr(int argc, char **argv, int follow)
{
	char buf[65536], *names[4096], *p;
	size_t i, k = 0;
	ssize_t n;

	if (argc != 1)
		usage("listxattr P");
	n = follow ? listxattr(argv[0], buf, sizeof(buf)) :
	    llistxattr(argv[0], buf, sizeof(buf));
	if (n == -1)
		return fail();
	for (p = buf; p < buf + n && k < 4096; p += strlen(p) + 1)
		names[k++] = p;
	qsort(names, k, sizeof(names[0]), cmpstr);
	printf("ok");
	for (i = 0; i < k; i++)
		printf(" %s", names[i]);
	printf("\n");
	return 0;
}

static int
cmd_listxattr(int argc, char **argv)
{
	return do_listxattr(argc, argv, 1);
}

static int
cmd_llistxattr(int argc, char **argv)
{
	return do_listxattr(argc, argv, 0);
}

static int
do_removexattr(int argc, char **argv, int follow)
{
	if (argc != 2)
		usage("removexattr P NAME");
	return result(follow ? removexattr(argv[0], argv[1]) :
	    lremovexattr(argv[0], argv[1]));
}

static int
cmd_removexattr(int argc, char **argv)
{
	return do_removexattr(argc, argv, 1);
}

static int
cmd_lremovexattr(int argc, char **argv)
{
	return do_removexattr(argc, argv, 0);
}

static int
cmd_statfs(int argc, char **argv)
{
	struct statfs sf;

	if (argc != 1)
		usage("statfs P");
	if (statfs(argv[0], &sf) == -1)
		return fail();
	printf("ok bsize=%ld blocks=%llu bfree=%llu bavail=%llu files=%llu "
	    "ffree=%llu namelen=%ld\n", (long)sf.f_bsize,
	    (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_bfree,
	    (unsigned long long)sf.f_bavail, (unsigned long long)sf.f_files,
	    (unsigned long long)sf.f_ffree, (long)sf.f_namelen);
	return 0;
}

/* access P MODE, where MODE is F_OK or a combination of R_OK,W_OK,X_OK. */
static int
cmd_access(int argc, char **argv)
{
	if (argc != 2)
		usage("access P F_OK|R_OK,W_OK,X_OK");
	return result(access(argv[0],
	    (int)parse_flags(argv[1], accessmodes, "access")));
}

static const struct cmd {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
	{ "access",	cmd_access },
	{ "chmod",	cmd_chmod },
	{ "chown",	cmd_chown },
	{ "creat",	cmd_creat },
	{ "fallocate",	cmd_fallocate },
	{ "fd",		cmd_fd },
	{ "ftruncate",	cmd_ftruncate },
	{ "getxattr",	cmd_getxattr },
	{ "lchown",	cmd_lchown },
	{ "lgetxattr",	cmd_lgetxattr },
	{ "link",	cmd_link },
	{ "listxattr",	cmd_listxattr },
	{ "llistxattr",	cmd_llistxattr },
	{ "lremovexattr", cmd_lremovexattr },
	{ "lsetxattr",	cmd_lsetxattr },
	{ "lstat",	cmd_lstat },
	{ "lutimens",	cmd_lutimens },
	{ "mkdir",	cmd_mkdir },
	{ "mknod",	cmd_mknod },
	{ "mmapwrite",	cmd_mmapwrite },
	{ "open",	cmd_open },
	{ "pwrite",	cmd_pwrite },
	{ "read",	cmd_read },
	{ "readlink",	cmd_readlink },
	{ "removexattr", cmd_removexattr },
	{ "rename",	cmd_rename },
	{ "rmdir",	cmd_rmdir },
	{ "setxattr",	cmd_setxattr },
	{ "stat",	cmd_stat },
	{ "statfs",	cmd_statfs },
	{ "symlink",	cmd_symlink },
	{ "tmpfile",	cmd_tmpfile },
	{ "truncate",	cmd_truncate },
	{ "unlink",	cmd_unlink },
	{ "utimens",	cmd_utimens },
	{ NULL,		NULL }
};

int
main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2)
		usage("no call named");
	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			break;
	if (c->name == NULL)
		usage("unknown call '%s'", argv[1]);
	/* Results go to stdout; flush so that a test's pipe sees them. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return c->fn(argc - 2, argv + 2);
}

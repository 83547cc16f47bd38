/*
 * fmt.h - package formats beyond plain tar: deb, pkgsrc, oci, mtree.
 *
 * pack.c walks the upper layer once and writes a "payload" archive with
 * libarchive, shaped by the format's flags and its setup(): for deb the
 * data.tar.xz member, for pkgsrc the files before the prefix is taken
 * off, for oci the layer tar with whiteouts, for mtree the manifest.  The
 * payload goes to an unlinked temporary file; finish() then reads it back
 * and writes the real output (a temporary file that pack.c renames into
 * place).  So a format never walks a layer itself, and every format gets
 * the walk's exclusions, pending directories and ordering for free.
 *
 * Return convention: setup() 0 or -1 (message printed); check() and
 * finish() return an exit status (0, or EXIT_* after printing why), and
 * on non-zero no package is published.
 */
#ifndef OVERPACK_FMT_H
#define OVERPACK_FMT_H

#include <sys/types.h>
#include <time.h>

struct archive;

/* Package metadata, from options and --meta FILE; strings owned. */
struct fmt_meta {
	char	*name;
	char	*version;
	char	*arch;
	char	*maintainer;
	char	*description;	/* first line: the summary */
	char	*depends;	/* comma-separated */
	char	*prefix;	/* pkgsrc */

	/* How to compress, from pack's options; 0 for the defaults. */
	int	 level;		/* gzip 1-9, xz 0-9, zstd 1-19 */
	int	 threads;	/* xz and zstd only */
};

/* Fill the fields still NULL from "key: value" lines in file. */
int	meta_load(struct fmt_meta *, const char *file);
/* Set a field by its key ("name", "version", ...); -1 unknown key. */
int	meta_set(struct fmt_meta *, const char *key, const char *value);
void	meta_free(struct fmt_meta *);
/* A required field that is missing: "overpack: FORMAT needs --KEY ..." */
int	meta_require(const char *format, const char *key, const char *value);

/* What the payload must look like. */
#define FMTF_ROOTDIR	0x01	/* a "./" directory entry first */
#define FMTF_WHITEOUTS	0x02	/* deletions as OCI whiteouts, in line */
#define FMTF_WHOLE	0x04	/* no sparse maps: holes as zeros */
#define FMTF_NOXATTR	0x08	/* no extended attributes */
#define FMTF_NOLINKS	0x10	/* hard links as separate whole files */
#define FMTF_NOOUTPUT	0x20	/* prints to stdout, writes no file */
#define FMTF_XATTRLOSS	0x40	/* with NOXATTR: a package that installs
				 * without them; name each entry that has
				 * some, exit status 1 */

/* One run of a format; pack.c fills the first part. */
struct fmt_job {
	const struct fmt_meta *meta;
	const char	*output;	/* as given; NULL with FMTF_NOOUTPUT */
	int		 payload;	/* the payload, rewound */
	int		 out;		/* the output's temporary file */
	int		 clamp;		/* SOURCE_DATE_EPOCH is set */
	time_t		 epoch;

	/* Set by finish(), owned by the job: a file written next to the
	 * output as OUTPUT+side_suffix, and a line printed on success. */
	const char	*side_suffix;
	char		*side_data;
	char		*report;
};

struct fmt_ops {
	const char	*name;
	unsigned	 flags;
	int		(*check)(const struct fmt_meta *);
	int		(*setup)(struct archive *);
	int		(*finish)(struct fmt_job *);
};

extern const struct fmt_ops fmt_deb, fmt_pkgsrc, fmt_plist, fmt_oci,
	    fmt_oci_gzip, fmt_mtree;

/* Read a payload back with libarchive (message printed on failure). */
struct archive *fmt_read_open(int fd);
/* Copy the payload to the output (if any), passing each chunk to fn
 * (if any); 0, or -1 with a message printed. */
struct archive;
/* The MD5 of the current entry's data, as 32 hex digits; 0 or -1. */
int	fmt_md5_data(struct archive *, char hex[33]);

int	fmt_copy(struct fmt_job *, void (*fn)(void *, const void *, size_t),
	    void *);
/* The time stamp of what a format makes up: SOURCE_DATE_EPOCH or 0. */
#define FMT_MTIME(job)	((job)->clamp ? (job)->epoch : (time_t)0)

/* fmt-oci.c: the whiteout entry for a deleted path ("a/.wh.b"), or
 * with opaque, the opaque marker inside directory path; malloc'd. */
char	*oci_whiteout(const char *path, int opaque);

#endif

/*
 * pack.h - turning an upper layer into a package.
 */
#ifndef OVERPACK_PACK_H
#define OVERPACK_PACK_H

/*
 * Pack the upper layer at upper (base root at root, normally "/", used to
 * resolve renamed directories) into output, in format (NULL: guessed from
 * output's suffix, else tar.gz), with the default exclusions.  Messages go
 * to stderr prefixed "overpack: ".  Returns an exit status: 0, 1 when some
 * entries could not be packed (the package is still written), 125 on a
 * failure that left no package.  Metadata for the deb and pkgsrc formats
 * comes from the file named by $OVERPACK_META.
 */
int	pack_layer(const char *upper, const char *root, const char *output,
	    const char *format);

/*
 * Check what pack_layer would refuse before there is a layer: format,
 * SOURCE_DATE_EPOCH, metadata, the output's directory.  0 or an exit
 * status (2), with a message.
 */
int	pack_check(const char *output, const char *format);

struct excl;
struct fmt_meta;
struct fmt_ops;

/*
 * Pack with one of fmt.h's formats and the given metadata and exclusions;
 * output may be NULL for a format that only prints (FMTF_NOOUTPUT).
 * Returns an exit status as pack_layer does, 2 for missing metadata.
 */
int	pack_fmt(const char *upper, const char *root, const char *output,
	    const struct fmt_ops *, const struct fmt_meta *, struct excl *);

#endif

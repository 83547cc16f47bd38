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
 * failure that left no package.
 */
int	pack_layer(const char *upper, const char *root, const char *output,
	    const char *format);

#endif

/*
 * userns.h - what overpack run needs to work without root: the ID map of
 * its user namespace, the checks that say why a machine refuses one, and
 * passing fds between the session's processes.
 */
#ifndef OVERPACK_USERNS_H
#define OVERPACK_USERNS_H

#include <sys/types.h>
#include <stdint.h>

/*
 * The map of a session's user namespace.  The caller is always root
 * inside.  With subordinate ids (/etc/subuid, /etc/subgid) and the
 * setuid newuidmap/newgidmap of Debian's uidmap package, ids 1 to count
 * map to the caller's first range too, so that chown, setuid and
 * dpkg's system users work; without, only 0 is mapped.
 */
struct idmap {
	uid_t		 uid;		/* the caller's */
	gid_t		 gid;
	int		 full;		/* subordinate ids are mapped */
	unsigned long	 subuid, subgid;	/* first subordinate ids */
	unsigned long	 count;		/* ids mapped after 0 (full) */
	char		 why[256];	/* when not full: what is missing */
};

#define USERNS_MAXSUB	65536UL		/* at most this many after 0 */

void	 userns_plan(struct idmap *);
int	 userns_write_maps(pid_t, const struct idmap *);
uint32_t userns_idmax(const struct idmap *);

/*
 * Checks run before anything is created: 0, or -1 after a message that
 * says what to change.
 */
int	 userns_check_fuse(void);
int	 userns_check_allowed(void);
/* After clone(CLONE_NEWUSER) failed with errnum: what to change. */
void	 userns_explain(int errnum);

int	 send_fds(int sock, const int *fds, int n);
int	 recv_fds(int sock, int *fds, int n);

/* overpack doctor */
int	 cmd_doctor(int, char *[]);

#endif

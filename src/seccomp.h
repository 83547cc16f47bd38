/*
 * seccomp.h - the calls a user namespace refuses, made through the
 * filesystem instead (overpack run without root).
 *
 * In a user namespace the kernel refuses a chown to an id the namespace
 * does not map (EINVAL) and mknod of a device (EPERM, for want of
 * CAP_MKNOD in the host's namespace), before the filesystem sees either.
 * C installs a seccomp filter that stops exactly those calls and hands
 * its listener to I (sc_install).  I's watcher thread (sc_watch_start)
 * reads each stopped call, resolves its path in the caller's root and
 * working directory, checks that the caller may make it (CAP_CHOWN,
 * CAP_MKNOD, and for mknod write access to the directory), and asks P
 * over the control socket; P makes it with opfs_chown or opfs_mknod
 * (sc_serve_start), which keep it as a record.  The answer is the
 * call's result: success only once the record is on disk.  An object
 * outside the view (/tmp, the working directory, --bind) cannot carry a
 * record, and gets the kernel's own answer.
 */
#ifndef OVERPACK_SECCOMP_H
#define OVERPACK_SECCOMP_H

#include <sys/types.h>
#include <pthread.h>
#include <stdint.h>

struct opfs;

/* Whether this machine can stop the calls: the kernel and the ABI. */
int	 sc_available(void);

/*
 * C: stop chown-family calls to ids >= idmax and mknod of devices.
 * Returns the listener fd, or -1 with errno set (ENOSYS on a machine
 * this does not know the system calls of).
 */
int	 sc_install(uint32_t idmax);

/*
 * I: a thread that takes the listener from sock (C sends it), answers
 * what it stops by asking P over ctl, and ends when the listener has no
 * process left.  viewdev is the st_dev of the merged view.  Start it in
 * the jail: the thread leaves it for each call and comes back.
 */
int	 sc_watch_start(int sock, int ctl, dev_t viewdev, pthread_t *);

/* P: a thread answering I's requests on ctl with fs, until I is gone. */
int	 sc_serve_start(int ctl, struct opfs *fs, pthread_t *);

#endif

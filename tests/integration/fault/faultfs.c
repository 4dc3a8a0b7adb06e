/*
 * faultfs.c: an LD_PRELOAD shim that makes file writes and syncs fail, so a
 * real broker process sees a full or failing disk without root or mounts.
 *
 *   cc -shared -fPIC -O1 -o faultfs.so faultfs.c -ldl
 *   FAULTFS_DIR=/path/to/data FAULTFS_CTL=/path/to/ctl LD_PRELOAD=./faultfs.so tidemarkd ...
 *
 * While the control file FAULTFS_CTL exists, calls on descriptors whose path
 * (readlink of /proc/self/fd/N) is FAULTFS_DIR or lies under it fail as the
 * file says. It holds words, e.g. "write=ENOSPC" or "fsync=EIO write=EIO":
 *   write=ERR   write(), pwrite(), pwrite64(), writev(), pwritev() fail
 *   fsync=ERR   fsync(), fdatasync(), sync_file_range(), syncfs() fail
 * ERR is ENOSPC, EIO or EDQUOT. Removing the file ends the fault. Every
 * other descriptor (sockets, stderr, files elsewhere) is never touched.
 * The control file is checked on every call (one stat), so a test flips
 * the fault on and off at run time. Thread-safe: no state but the
 * resolved libc symbols, set once by the constructor.
 *
 * Works with the ASan broker built by gcc (dynamic libasan) when
 * ASAN_OPTIONS has verify_asan_link_order=0; a statically linked
 * sanitizer runtime (clang) shadows these symbols, and the shim then does
 * nothing (tests check that the fault fired).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t pwrite_fn(int, const void *, size_t, off_t);
typedef ssize_t writev_fn(int, const struct iovec *, int);
typedef ssize_t pwritev_fn(int, const struct iovec *, int, off_t);
typedef int sync_fn(int);
typedef int sfr_fn(int, off64_t, off64_t, unsigned int);

static write_fn *real_write;
static pwrite_fn *real_pwrite, *real_pwrite64;
static writev_fn *real_writev;
static pwritev_fn *real_pwritev;
static sync_fn *real_fsync, *real_fdatasync, *real_syncfs;
static sfr_fn *real_sync_file_range;

__attribute__((constructor)) static void faultfs_init(void)
{
	real_write = (write_fn *)dlsym(RTLD_NEXT, "write");
	real_pwrite = (pwrite_fn *)dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = (pwrite_fn *)dlsym(RTLD_NEXT, "pwrite64");
	real_writev = (writev_fn *)dlsym(RTLD_NEXT, "writev");
	real_pwritev = (pwritev_fn *)dlsym(RTLD_NEXT, "pwritev");
	real_fsync = (sync_fn *)dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (sync_fn *)dlsym(RTLD_NEXT, "fdatasync");
	real_syncfs = (sync_fn *)dlsym(RTLD_NEXT, "syncfs");
	real_sync_file_range = (sfr_fn *)dlsym(RTLD_NEXT, "sync_file_range");
}

static int parse_err(const char *s)
{
	if (!strncmp(s, "ENOSPC", 6))
		return ENOSPC;
	if (!strncmp(s, "EDQUOT", 6))
		return EDQUOT;
	if (!strncmp(s, "EIO", 3))
		return EIO;
	return 0;
}

/* The errno to fail op ("write" or "fsync") on fd with, or 0. */
static int fault_for(int fd, const char *op)
{
	const char *ctl = getenv("FAULTFS_CTL"), *dir = getenv("FAULTFS_DIR");
	char buf[256], link[64], path[4096];
	struct stat st;
	size_t dlen, oplen = strlen(op);
	ssize_t n;
	int cfd, err = 0;

	if (!ctl || !dir || fd < 0 || stat(ctl, &st) < 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (strncmp(path, dir, dlen) != 0 || (path[dlen] != '\0' && path[dlen] != '/'))
		return 0;
	cfd = open(ctl, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		return 0;
	n = read(cfd, buf, sizeof(buf) - 1);
	close(cfd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *sp, *w = strtok_r(buf, " \t\r\n", &sp); w && !err;
	     w = strtok_r(NULL, " \t\r\n", &sp))
		if (!strncmp(w, op, oplen) && w[oplen] == '=')
			err = parse_err(w + oplen + 1);
	return err;
}

#define FAIL_IF(fd, op)                                 \
	do {                                            \
		int e_ = fault_for((fd), (op));         \
		if (e_) {                               \
			errno = e_;                     \
			return -1;                      \
		}                                       \
	} while (0)

ssize_t write(int fd, const void *p, size_t n)
{
	FAIL_IF(fd, "write");
	return real_write(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t pos)
{
	FAIL_IF(fd, "write");
	return real_pwrite(fd, p, n, pos);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t pos)
{
	FAIL_IF(fd, "write");
	return real_pwrite64(fd, p, n, pos);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	FAIL_IF(fd, "write");
	return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t pos)
{
	FAIL_IF(fd, "write");
	return real_pwritev(fd, iov, cnt, pos);
}

int fsync(int fd)
{
	FAIL_IF(fd, "fsync");
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	FAIL_IF(fd, "fsync");
	return real_fdatasync(fd);
}

int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
	FAIL_IF(fd, "fsync");
	return real_sync_file_range(fd, off, n, flags);
}

/* The broker syncs big rounds with syncfs() on a descriptor in the data
 * directory; failing it makes the broker fall back to per-file syncs, which
 * fail as the rules say. */
int syncfs(int fd)
{
	FAIL_IF(fd, "fsync");
	return real_syncfs(fd);
}

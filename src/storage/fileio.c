/*
 * fileio.c: the storage I/O vtable, its retrying helpers and the fault hook.
 * See fileio.h.
 *
 * The hook state (one countdown per op) is global on purpose (tests only)
 * and guarded by a mutex; an atomic counter of armed hooks keeps the common
 * path, with nothing armed, free of locking.
 */
#include "storage/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/xalloc.h"

static int sys_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static int sys_fsync(int fd, bool data_only)
{
	return data_only ? fdatasync(fd) : fsync(fd);
}

static const fileio_ops libc_ops = {
    .open = sys_open,
    .write = write,
    .pwrite = pwrite,
    .pread = pread,
    .fsync = sys_fsync,
    .ftruncate = ftruncate,
    .rename = rename,
    .unlink = unlink,
    .syncfs = syncfs,
};

static const fileio_ops *ops = &libc_ops;

struct fault {
	int countdown; /* 0: disarmed; 1: the next call fails */
	int err;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault faults[FILEIO_NOPS];
static atomic_int faults_armed;

void fileio_set_ops(const fileio_ops *new_ops)
{
	ops = new_ops ? new_ops : &libc_ops;
}

void fileio_fail_after(enum fileio_op op, int n, int errno_value)
{
	if ((unsigned)op >= FILEIO_NOPS || n < 1)
		return;
	pthread_mutex_lock(&fault_lock);
	if (!faults[op].countdown)
		atomic_fetch_add(&faults_armed, 1);
	faults[op].countdown = n;
	faults[op].err = errno_value;
	pthread_mutex_unlock(&fault_lock);
}

void fileio_reset(void)
{
	pthread_mutex_lock(&fault_lock);
	memset(faults, 0, sizeof(faults));
	atomic_store(&faults_armed, 0);
	pthread_mutex_unlock(&fault_lock);
}

/* Returns 0 when this call of op proceeds, else the errno (or FILEIO_SHORT)
 * to fake. */
static int fault_check(enum fileio_op op)
{
	int err = 0;

	if (!atomic_load_explicit(&faults_armed, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&fault_lock);
	if (faults[op].countdown && --faults[op].countdown == 0) {
		err = faults[op].err;
		atomic_fetch_sub(&faults_armed, 1);
		if (err == FILEIO_SHORT) {
			/* a disk that took half a write is full for the next one */
			faults[op].countdown = 1;
			faults[op].err = ENOSPC;
			atomic_fetch_add(&faults_armed, 1);
		}
	}
	pthread_mutex_unlock(&fault_lock);
	return err;
}

int fileio_open(const char *path, int flags, mode_t mode)
{
	int err = fault_check(FILEIO_OPEN);
	int fd;

	if (err)
		return err > 0 ? -err : -EIO;
	do {
		fd = ops->open(path, flags | O_CLOEXEC, mode);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* One write or pwrite (pos < 0: write), with the fault hook applied. */
static ssize_t write_once(int fd, const uint8_t *p, size_t n, off_t pos)
{
	int err = fault_check(FILEIO_WRITE);

	if (err == FILEIO_SHORT && n > 1)
		n /= 2;
	else if (err == FILEIO_SHORT)
		err = ENOSPC;
	if (err > 0) {
		errno = err;
		return -1;
	}
	return pos < 0 ? ops->write(fd, p, n) : ops->pwrite(fd, p, n, pos);
}

static int write_loop(int fd, const void *data, size_t n, off_t pos)
{
	const uint8_t *p = data;

	while (n > 0) {
		ssize_t w = write_once(fd, p, n, pos);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		if (pos >= 0)
			pos += w;
	}
	return 0;
}

int fileio_write_all(int fd, const void *p, size_t n)
{
	return write_loop(fd, p, n, -1);
}

int fileio_pwrite_all(int fd, const void *p, size_t n, off_t pos)
{
	if (pos < 0)
		return -EINVAL;
	return write_loop(fd, p, n, pos);
}

ssize_t fileio_pread_full(int fd, void *data, size_t n, off_t pos)
{
	uint8_t *p = data;
	size_t got = 0;
	int err = fault_check(FILEIO_PREAD);

	if (err)
		return err > 0 ? -err : -EIO;
	while (got < n) {
		ssize_t r = ops->pread(fd, p + got, n - got, pos + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int fileio_fsync(int fd, bool data_only)
{
	int err = fault_check(FILEIO_FSYNC);

	if (err)
		return err > 0 ? -err : -EIO;
	/* No EINTR loop: fsync does not return EINTR on Linux, and retrying
	 * a failed sync is exactly what we must not do. */
	return ops->fsync(fd, data_only) < 0 ? -errno : 0;
}

int fileio_syncfs(int fd)
{
	int err = fault_check(FILEIO_SYNCFS);

	if (err)
		return err > 0 ? -err : -EIO;
	return (ops->syncfs ? ops->syncfs(fd) : syncfs(fd)) < 0 ? -errno : 0;
}

bool fileio_syncfs_reports_errors(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 8);
}

int fileio_ftruncate(int fd, off_t len)
{
	int err = fault_check(FILEIO_FTRUNCATE);
	int rc;

	if (err)
		return err > 0 ? -err : -EIO;
	do {
		rc = ops->ftruncate(fd, len);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

int fileio_rename(const char *from, const char *to)
{
	int err = fault_check(FILEIO_RENAME);

	if (err)
		return err > 0 ? -err : -EIO;
	return ops->rename(from, to) < 0 ? -errno : 0;
}

int fileio_unlink(const char *path)
{
	int err = fault_check(FILEIO_UNLINK);

	if (err)
		return err > 0 ? -err : -EIO;
	return ops->unlink(path) < 0 ? -errno : 0;
}

int fileio_fsync_dir(const char *path)
{
	int fd = fileio_open(path, O_RDONLY | O_DIRECTORY, 0);
	int rc;

	if (fd < 0)
		return fd;
	rc = fileio_fsync(fd, false);
	close(fd);
	return rc;
}

/* Copies the directory part of path into out (size cap); "." if none. */
static void dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(out, cap, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

int fileio_replace_file(const char *path, const void *p, size_t n)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(st_add(plen, sizeof(".tmp")));
	char dir[4096];
	int fd, rc;

	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", sizeof(".tmp"));
	fd = fileio_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		rc = fd;
		goto out_free;
	}
	rc = fileio_write_all(fd, p, n);
	if (!rc)
		rc = fileio_fsync(fd, false);
	close(fd);
	if (!rc)
		rc = fileio_rename(tmp, path);
	if (rc) {
		(void)fileio_unlink(tmp);
		goto out_free;
	}
	dir_of(path, dir, sizeof(dir));
	rc = fileio_fsync_dir(dir);
out_free:
	free(tmp);
	return rc;
}

char *fileio_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *s = xmalloc(st_add(st_add(dl, nl), 2));

	memcpy(s, dir, dl);
	s[dl] = '/';
	memcpy(s + dl + 1, name, nl + 1);
	return s;
}

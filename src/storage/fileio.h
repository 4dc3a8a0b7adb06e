/*
 * fileio.h: the file I/O seam of the storage layer, with fault injection.
 *
 * Every open, write, read, sync, truncate, rename and unlink the storage code
 * does goes through here (sqlite's os_unix.c vtable idea), so that tests can
 * make the n-th next call of an operation fail with EIO, ENOSPC or a short
 * write, and check that the log is marked failed and recovers on reopen.
 *
 * The helpers retry EINTR and loop over partial transfers; they return 0 (or
 * a byte count) on success and a negative errno on failure, never -1 with
 * errno set, so callers cannot mix the two conventions up.
 *
 * Global state: the active vtable and the fault hook are process-wide. That is
 * the one exception to "no global mutable state" in storage, and it exists
 * only for tests; in the broker neither is ever changed. The hook is
 * thread-safe (the flusher thread fsyncs while the loop writes).
 */
#ifndef TM_FILEIO_H
#define TM_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The operations a test can fail. FILEIO_WRITE covers write() and pwrite(),
 * FILEIO_FSYNC covers fsync() and fdatasync(), FILEIO_SYNCFS syncfs(). */
enum fileio_op {
	FILEIO_OPEN,
	FILEIO_WRITE,
	FILEIO_PREAD,
	FILEIO_FSYNC,
	FILEIO_FTRUNCATE,
	FILEIO_RENAME,
	FILEIO_UNLINK,
	FILEIO_SYNCFS,
	FILEIO_NOPS
};

/* errno_value for fileio_fail_after(FILEIO_WRITE, ...): the call writes only
 * half of the bytes (at least one, if more than one was asked) and reports
 * that, and the next write call fails with ENOSPC, which is what a filling
 * disk does. */
#define FILEIO_SHORT (-1)

/* The raw system calls behind the helpers. Return what the libc call
 * returns (-1 and errno on failure). */
typedef struct fileio_ops {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *p, size_t n);
	ssize_t (*pwrite)(int fd, const void *p, size_t n, off_t pos);
	ssize_t (*pread)(int fd, void *p, size_t n, off_t pos);
	int (*fsync)(int fd, bool data_only);
	int (*ftruncate)(int fd, off_t len);
	int (*rename)(const char *from, const char *to);
	int (*unlink)(const char *path);
	int (*syncfs)(int fd); /* NULL: the libc one */
} fileio_ops;

/* Replaces the vtable (NULL: back to the libc one). Tests only; not
 * thread-safe with respect to I/O in flight. */
void fileio_set_ops(const fileio_ops *ops);

/*
 * Test hook: makes the n-th next call (n >= 1; 1 = the very next) of op fail
 * with errno_value (or, for FILEIO_WRITE, FILEIO_SHORT: see above). One-shot:
 * the hook disarms after firing. Arming an op again replaces its hook.
 * Any thread.
 */
void fileio_fail_after(enum fileio_op op, int n, int errno_value);
/* Disarms every hook. Any thread. */
void fileio_reset(void);

/* open(2). Returns an fd >= 0, or -errno. O_CLOEXEC is always added. */
int fileio_open(const char *path, int flags, mode_t mode);
/* Writes all n bytes at the file offset (or the end with O_APPEND).
 * Returns 0, or -errno (-EIO when the kernel writes nothing without an error);
 * on failure some prefix of the bytes may have been written. */
int fileio_write_all(int fd, const void *p, size_t n);
/* Writes all n bytes at pos. Same returns as fileio_write_all. */
int fileio_pwrite_all(int fd, const void *p, size_t n, off_t pos);
/* Reads up to n bytes at pos, stopping early only at end of file. Returns
 * the number of bytes read (< n at EOF), or -errno. */
ssize_t fileio_pread_full(int fd, void *p, size_t n, off_t pos);
/* fdatasync(2) (data_only) or fsync(2). Returns 0 or -errno. Never retry a
 * failed sync: the kernel may have dropped the dirty pages. */
int fileio_fsync(int fd, bool data_only);
/* ftruncate(2). Returns 0 or -errno. */
int fileio_ftruncate(int fd, off_t len);
/* rename(2). Returns 0 or -errno. */
int fileio_rename(const char *from, const char *to);
/* unlink(2). Returns 0 or -errno (-ENOENT included; callers decide). */
int fileio_unlink(const char *path);

/* syncfs(2): writes and syncs everything of the filesystem holding fd,
 * data and metadata of every file. Returns 0 or -errno. */
int fileio_syncfs(int fd);
/* True when the running kernel's syncfs() reports writeback errors (Linux
 * 5.8 and later); before that it returned 0 even when data was lost, so it
 * must not stand in for fdatasync(). */
bool fileio_syncfs_reports_errors(void);

/* Opens the directory path and fsync()s it, making created, renamed and
 * removed names in it durable. Returns 0 or -errno. */
int fileio_fsync_dir(const char *path);
/*
 * Replaces the file at path with n bytes atomically: writes path.tmp,
 * fsyncs it, renames it over path, fsyncs the directory. On failure the old
 * file is untouched (and path.tmp removed if possible). Returns 0 or -errno.
 */
int fileio_replace_file(const char *path, const void *p, size_t n);

/* Returns a new "dir/name" string (xmalloc'ed; the caller frees it). */
char *fileio_join(const char *dir, const char *name);

#endif

/*
 * checkpoint.h: Kafka's offset checkpoint files.
 *
 * <log.dirs>/recovery-point-offset-checkpoint and
 * <log.dirs>/log-start-offset-checkpoint hold one offset per partition, in
 * Kafka's text format (OffsetCheckpointFile / CheckpointFile.scala):
 *
 *   line   content                     meaning
 *   1      "0"                         format version (only 0 exists)
 *   2      N (decimal)                 number of entry lines that follow
 *   3..N+2 "<topic> <partition> <offset>"  one per partition, single spaces
 *
 * Lines end with "\n". Topic names use [a-zA-Z0-9._-] (1-249 chars), so a
 * space never occurs in one; partition is 0..INT32_MAX and offset
 * 0..INT64_MAX, both plain decimal without sign or leading zeros (a single
 * "0" is fine). Nothing may follow the N-th entry line.
 *
 * A partition directory also holds a one-offset file, log-start-offset
 * (plog.c), in the same spirit:
 *
 *   line 1  "0"       version
 *   line 2  offset    the partition's log start offset, decimal
 *
 * All writes are atomic: write <path>.tmp, fsync, rename over <path>, fsync
 * the directory; a crash leaves the old or the new file, never a mix.
 * Files are untrusted on read: every number is range-checked, the size is
 * capped (CHECKPOINT_MAX_BYTES) and the count must match the lines.
 *
 * Threads: any; no shared state.
 */
#ifndef TM_CHECKPOINT_H
#define TM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Larger checkpoint files are rejected as malformed. */
#define CHECKPOINT_MAX_BYTES (64u << 20)

typedef struct checkpoint_entry {
	char *topic;
	int32_t partition;
	int64_t offset;
} checkpoint_entry;

/* Writes n entries to path atomically (see above). Topic names are written
 * as given (the caller passes valid ones). Returns 0 or -errno. */
int checkpoint_write(const char *path, const checkpoint_entry *e, size_t n);
/*
 * Reads path into *out (an xmalloc'ed array of *n entries, free with
 * checkpoint_free). A missing file gives 0 entries and returns 0. A
 * malformed file returns -1 after a warning naming the path and the line;
 * a read error returns -1 after a warning too. *out is NULL on failure.
 */
int checkpoint_read(const char *path, checkpoint_entry **out, size_t *n);
/* Frees what checkpoint_read returned. */
void checkpoint_free(checkpoint_entry *e, size_t n);

/* Writes the one-offset file (version line, offset line) atomically.
 * Returns 0 or -errno. */
int checkpoint_write_offset(const char *path, int64_t offset);
/* Reads the one-offset file: 0 and *offset, 1 when missing, -1 when
 * malformed or unreadable (warning logged). */
int checkpoint_read_offset(const char *path, int64_t *offset);

#endif

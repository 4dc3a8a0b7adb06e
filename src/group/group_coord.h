/*
 * group_coord.h: the group coordinator (classic protocol) and committed
 * offsets, behind plain C operations.
 *
 * The coordinator keeps every group (members, generation, state, committed
 * offsets) in memory and writes each change that must survive a restart to
 * the __consumer_offsets topic in Kafka's record formats (offsets_log.h).
 * Live state always equals a replay of that log: group_coord_load() feeds it
 * back at start-up.
 *
 * It sees no sockets, requests or generated request structs. Its
 * environment comes through group_host (clock, timers, appends, topic
 * lookups) so unit tests drive it with a fake host. Operations take plain
 * arguments; those that complete later (join, sync, commit, deletes) take a
 * completion callback that is called exactly once, possibly before the
 * operation returns. Strings in a result are views valid only during the
 * callback. Everything a caller passes in is copied if kept, so request
 * buffers may die as soon as the call returns.
 *
 * Files: group_coord.c (table, host glue, timers, describe/list/delete),
 * group_coord_join.c (join/sync/heartbeat/leave, expiry),
 * group_coord_offsets.c (commit/fetch/offset delete, retention),
 * group_coord_load.c (replay); private definitions in group_coord_int.h.
 * Formats and rules: docs/groups.md.
 *
 * Thread: all on the loop thread.
 */
#ifndef TM_GROUP_COORD_H
#define TM_GROUP_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/kmsg.h"

typedef struct group_coord group_coord;

/*
 * A timer the coordinator owns (embedded in its objects). The host arms it
 * with timer_add and, when it is due, calls group_timer_fire(t). Hosts must
 * not touch the fields.
 */
typedef struct group_timer group_timer;
struct group_timer {
	void (*fn)(group_timer *t);
	void *ud;
	uint64_t id; /* host id, 0 when not armed */
};
/* Host: runs a due timer (clears its id first). */
void group_timer_fire(group_timer *t);

/* err: 0 once the batch is durable, non-zero when the write failed. */
typedef void group_append_cb(void *ud, int err);

typedef struct group_host {
	void *ctx;
	/* Wall-clock ms (commit timestamps, state timestamps). */
	int64_t (*now_ms)(void *ctx);
	/* Monotonic ms (not used for deadlines stored in the log). */
	int64_t (*mono_ms)(void *ctx);
	/* Arms t to fire after delay_ms (>= 0); returns a non-zero id. */
	uint64_t (*timer_add)(void *ctx, int64_t delay_ms, group_timer *t);
	/* Disarms a timer by id (ignored if it already fired). */
	void (*timer_cancel)(void *ctx, uint64_t id);
	/*
	 * Appends one RecordBatch (len bytes; the host may patch it in place
	 * and must not keep the pointer) to partition `partition` of
	 * __consumer_offsets, then calls cb(ud, 0) once it is durable or
	 * cb(ud, err) if the append or the sync failed. cb may run before
	 * append returns.
	 */
	void (*append)(void *ctx, int32_t partition, uint8_t *batch, size_t len, group_append_cb *cb,
		       void *ud);
	/* Does partition p of topic exist? (commit validation). */
	bool (*partition_exists)(void *ctx, kstr topic, int32_t partition);
} group_host;

typedef struct group_coord_config {
	int32_t offsets_topic_num_partitions;        /* 50 */
	int64_t offsets_retention_ms;                /* offsets.retention.minutes * 60000 */
	int64_t offsets_retention_check_interval_ms; /* 600000 */
	int32_t offset_metadata_max_bytes;           /* 4096 */
	int32_t group_min_session_timeout_ms;        /* 6000 */
	int32_t group_max_session_timeout_ms;        /* 1800000 */
	int32_t group_initial_rebalance_delay_ms;    /* tidemark: 50 */
	int32_t group_max_size;                      /* INT32_MAX */
	int64_t new_member_join_timeout_ms;          /* 300000 (Kafka's NewMemberJoinTimeoutMs) */
} group_coord_config;

/* Fills cfg with Kafka's defaults (and tidemark's rebalance delay of 0). */
void group_coord_config_defaults(group_coord_config *cfg);

/* Creates a coordinator with no groups. host and cfg are copied. The
 * retention timer starts at once. */
group_coord *group_coord_new(const group_host *host, const group_coord_config *cfg);
/*
 * Frees the coordinator. Parked joins and syncs are answered
 * COORDINATOR_NOT_AVAILABLE first (NOT_COORDINATOR is for another broker).
 * Appends still in flight keep a small record that is freed when their
 * callback runs; call this after the host stopped calling back (after the
 * purgatory is flushed and freed) to avoid leaking them.
 */
void group_coord_free(group_coord *gc);

/*
 * Stops serving (broker shutdown, before waiting for requests in flight):
 * parked joins and syncs are answered NOT_COORDINATOR at once, so clients
 * go looking for a coordinator instead of holding the shutdown up; timers
 * stop (no member expires because we went away); later requests get
 * COORDINATOR_NOT_AVAILABLE. Commits already being written still complete.
 */
void group_coord_shutdown(group_coord *gc);

/*
 * Start-up replay. Feeds the RecordBatches of __consumer_offsets partition
 * `partition`, in log order, `len` bytes of whole batches at `p` (any
 * number). Records are applied in order: offset commits (null value:
 * deletes), group metadata (null value: deletes the group). Control batches
 * and unknown key versions are skipped (with a warning); compressed batches
 * are skipped with a warning (NEEDSWORK: decompress). Transactional batches:
 * NEEDSWORK (skipped until TxnOffsetCommit lands). Returns the number of
 * bytes consumed (whole batches), or -1 when a batch is corrupt (logged;
 * the caller stops reading that partition). A partial batch at the end is
 * left unconsumed.
 */
int64_t group_coord_load(group_coord *gc, int32_t partition, const uint8_t *p, size_t len);
/* Ends the replay: groups with members come back Stable with their session
 * timers running, groups without members Empty. */
void group_coord_load_finish(group_coord *gc);

/* __consumer_offsets partition of a group (Java hash, see offsets_log.h). */
int32_t group_coord_partition_for(const group_coord *gc, kstr group_id);

/* ---------------------------------------------------------------- join */

typedef struct group_protocol {
	kstr name;
	kbytes metadata;
} group_protocol;

typedef struct join_args {
	int16_t version;            /* JoinGroup version: v0 rebalance = session,
				       v4+ KIP-394, v9+ skip_assignment */
	kstr group_id;
	kstr member_id;             /* "" for a new member */
	kstr group_instance_id;     /* null for dynamic members */
	kstr client_id;
	kstr client_host;
	kstr protocol_type;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms; /* ignored for v0 */
	const group_protocol *protocols;
	int32_t protocols_count;
	kstr reason;                /* v8+, for logs; may be null */
} join_args;

typedef struct join_member {
	kstr member_id;
	kstr group_instance_id;     /* null for dynamic members */
	kbytes metadata;
} join_member;

typedef struct join_result {
	int16_t error;
	int32_t generation_id;
	kstr protocol_type;         /* null when none */
	kstr protocol_name;         /* null when none */
	kstr leader;
	bool skip_assignment;
	kstr member_id;
	const join_member *members; /* only for the leader */
	int32_t members_count;
} join_result;

typedef void join_done_cb(void *ud, const join_result *res);

/* JoinGroup. cb is called once: at once for errors, MEMBER_ID_REQUIRED and
 * no-rebalance answers, else when the join phase ends. */
void group_coord_join(group_coord *gc, const join_args *a, join_done_cb *cb, void *ud);

/* ---------------------------------------------------------------- sync */

typedef struct sync_assignment {
	kstr member_id;
	kbytes assignment;
} sync_assignment;

typedef struct sync_args {
	int16_t version;
	kstr group_id;
	int32_t generation_id;
	kstr member_id;
	kstr group_instance_id;     /* null when none */
	kstr protocol_type;         /* v5+, null when absent */
	kstr protocol_name;         /* v5+, null when absent */
	const sync_assignment *assignments; /* leader only */
	int32_t assignments_count;
} sync_args;

typedef struct sync_result {
	int16_t error;
	kstr protocol_type;
	kstr protocol_name;
	kbytes assignment;
} sync_result;

typedef void sync_done_cb(void *ud, const sync_result *res);

/* SyncGroup. cb is called once: at once in Stable or on error, else once
 * the leader's assignment is durable. */
void group_coord_sync(group_coord *gc, const sync_args *a, sync_done_cb *cb, void *ud);

/* ------------------------------------------------------ heartbeat, leave */

/* Heartbeat: returns the error code (NONE, REBALANCE_IN_PROGRESS,
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID, ...). */
int16_t group_coord_heartbeat(group_coord *gc, kstr group_id, kstr member_id,
			      kstr group_instance_id, int32_t generation_id);

typedef struct leave_member {
	kstr member_id;             /* may be "" when group_instance_id is set (v3+) */
	kstr group_instance_id;     /* null for dynamic members */
	kstr reason;                /* may be null */
} leave_member;

/* LeaveGroup: sets errors[i] for each member and returns the group-level
 * error (v0-v2 callers pass one member and answer with errors[0] when the
 * group-level error is NONE). */
int16_t group_coord_leave(group_coord *gc, kstr group_id, const leave_member *members, int32_t n,
			  int16_t *errors);

/* ------------------------------------------------------------- offsets */

typedef struct commit_partition {
	kstr topic;
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch;       /* -1 when absent (v5-) */
	kstr metadata;              /* null means "" */
} commit_partition;

typedef struct commit_args {
	int16_t version;            /* OffsetCommit version (v9+: GROUP_ID_NOT_FOUND) */
	kstr group_id;
	int32_t generation_id;      /* -1 for simple / admin commits */
	kstr member_id;
	kstr group_instance_id;     /* null when none */
	int64_t retention_time_ms;  /* v2-v4; -1 = broker default */
	const commit_partition *parts;
	int32_t count;
} commit_args;

/* errors[i] belongs to parts[i]. */
typedef void commit_done_cb(void *ud, const int16_t *errors, int32_t count);

/* OffsetCommit: validates (README order), writes every accepted partition
 * in one batch and calls cb once it is durable (or at once when nothing is
 * written). Values become visible to fetches only once durable. */
void group_coord_commit(group_coord *gc, const commit_args *a, commit_done_cb *cb, void *ud);

typedef struct fetched_offset {
	int64_t offset;             /* -1 when none */
	int32_t leader_epoch;       /* -1 when none */
	kstr metadata;              /* "" when none; valid until the next change */
	int16_t error;
} fetched_offset;

/* OffsetFetch of one partition. An unknown group or partition gives -1/""/
 * NONE; with require_stable, a commit in flight gives UNSTABLE_OFFSET_COMMIT
 * and -1. */
void group_coord_fetch(group_coord *gc, kstr group_id, kstr topic, int32_t partition,
		       bool require_stable, fetched_offset *out);

/* OffsetFetch with null topics: calls fn for every committed partition of
 * the group (plus, under require_stable, partitions with a commit in flight,
 * answered UNSTABLE_OFFSET_COMMIT), sorted by topic then partition. */
typedef void fetch_each_fn(void *ud, kstr topic, int32_t partition, const fetched_offset *o);
void group_coord_fetch_all(group_coord *gc, kstr group_id, bool require_stable, fetch_each_fn *fn,
			   void *ud);

typedef struct group_tp {
	kstr topic;
	int32_t partition;
} group_tp;

/* group_error is the group-level error; errors[i] belongs to parts[i]. */
typedef void offset_delete_cb(void *ud, int16_t group_error, const int16_t *errors, int32_t count);

/* OffsetDelete (KIP-496): tombstones for the partitions given. */
void group_coord_offset_delete(group_coord *gc, kstr group_id, const group_tp *parts,
			       int32_t count, offset_delete_cb *cb, void *ud);

/* ------------------------------------------------------ admin operations */

typedef void delete_groups_cb(void *ud, const int16_t *errors, int32_t count);

/* DeleteGroups: errors[i] for group_ids[i]; called once the tombstones are
 * durable. */
void group_coord_delete_groups(group_coord *gc, const kstr *group_ids, int32_t count,
			       delete_groups_cb *cb, void *ud);

typedef struct group_member_desc {
	kstr member_id;
	kstr group_instance_id;
	kstr client_id;
	kstr client_host;
	kbytes metadata;            /* Stable only, else empty */
	kbytes assignment;          /* Stable only, else empty */
} group_member_desc;

typedef struct group_desc {
	int16_t error;
	const char *state;          /* "Empty", "Stable", ..., "Dead" */
	kstr protocol_type;         /* "" when none */
	kstr protocol;              /* Stable only, else "" */
	const group_member_desc *members;
	int32_t members_count;
} group_desc;

/* DescribeGroups of one group: fills d; the views are valid until the next
 * coordinator call. An unknown group is "Dead" with error NONE. Returns 0
 * when the group exists, -1 otherwise. */
int group_coord_describe(group_coord *gc, kstr group_id, group_desc *d);

/* ListGroups: fn for each live group with its protocol type ("" none) and
 * state name. */
typedef void list_groups_fn(void *ud, kstr group_id, kstr protocol_type, const char *state);
void group_coord_list(group_coord *gc, list_groups_fn *fn, void *ud);

/* Runs the retention check now (also run by its timer). Returns the
 * number of offsets expired. */
int group_coord_expire_offsets(group_coord *gc);

/* A topic was deleted: drops every group's committed offsets for it, with
 * tombstones in __consumer_offsets (Kafka's onPartitionsDeleted), so a
 * topic created again under the name starts with no committed offsets; an
 * Empty group left without offsets is removed. Commits still in flight are
 * left alone. Returns the number of offsets dropped. */
int group_coord_topic_deleted(group_coord *gc, kstr topic);

/* Group state names as DescribeGroups writes them. */
const char *group_coord_state_name(int state);

#endif

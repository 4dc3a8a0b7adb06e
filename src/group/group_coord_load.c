/*
 * group_coord_load.c: start-up replay of __consumer_offsets.
 *
 * Batches are applied in log order, record by record, the way Kafka's
 * GroupMetadataManager.doLoadGroupsAndOffsets does: an offset commit sets
 * (a tombstone deletes) one committed offset; a group metadata record
 * replaces the group's members and generation (a tombstone resets the
 * group, which disappears unless it still holds offsets). Offsets whose
 * group never wrote metadata come back as simple groups.
 *
 * The replay is linear in the log size: every record still in the log is
 * read once. The cleaner compacts __consumer_offsets (storage/cleaner.c), so
 * that is about one record per live offset plus the not yet cleaned tail,
 * however many commits were made.
 *
 * Data read from disk is untrusted: each batch is checked (CRC included)
 * by riter_init() and each record parsed through bounded slices; a corrupt
 * batch stops the replay of that partition with an error line.
 */
#include "group/group_coord_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/kerr.h"
#include "proto/riter.h"

static void load_commit(group_coord *gc, const offsets_log_record *rec)
{
	group *g = gc_group_get(gc, rec->group);
	if (rec->tombstone) {
		if (g)
			offsets_del(g->offs, rec->topic, rec->partition);
		return;
	}
	if (!g)
		g = gc_group_create(gc, rec->group);
	offset_value v;
	v.offset = rec->commit.offset;
	v.leader_epoch = rec->commit.leaderEpoch;      /* -1 before value v3 */
	v.metadata = kstr_is_null(rec->commit.metadata) ? KSTR_EMPTY : rec->commit.metadata;
	v.commit_ts = rec->commit.commitTimestamp;
	v.expire_ts = rec->commit.expireTimestamp;     /* -1 except value v1 */
	offsets_put(g->offs, rec->topic, rec->partition, &v);
}

/* Forgets members, generation and protocol (the offsets stay). */
static void load_reset_group(group *g)
{
	while (g->members)
		group_remove_member(g, g->members);
	g->generation = 0;
	free(g->protocol_type);
	free(g->protocol_name);
	g->protocol_type = NULL;
	g->protocol_name = NULL;
	g->leader = NULL;
	g->state = GROUP_EMPTY;
	g->state_ts = -1;
}

static void load_member(group *g, const kmsg_GroupMetadataValue *v,
			const kmsg_GroupMetadataValue_MemberMetadata *mm)
{
	group_protocol proto = { v->protocol, mm->subscription };
	join_args a;
	memset(&a, 0, sizeof(a));
	a.version = 1;
	a.group_instance_id = mm->groupInstanceId;
	a.client_id = mm->clientId;
	a.client_host = mm->clientHost;
	a.protocol_type = v->protocolType;
	a.session_timeout_ms = mm->sessionTimeout;
	/* Value v0 has no rebalance timeout: it equals the session timeout. */
	a.rebalance_timeout_ms = mm->rebalanceTimeout >= 0 ? mm->rebalanceTimeout : mm->sessionTimeout;
	a.protocols = &proto;
	a.protocols_count = kstr_is_null(v->protocol) ? 0 : 1;
	gmember *m = group_add_member(g, mm->memberId, &a);
	free(m->assignment);
	kbytes as = mm->assignment;
	m->assignment_len = as.len > 0 ? as.len : 0;
	m->assignment = xmalloc(m->assignment_len ? (size_t)m->assignment_len : 1);
	if (m->assignment_len)
		memcpy(m->assignment, as.p, (size_t)m->assignment_len);
}

static void load_group(group_coord *gc, const offsets_log_record *rec)
{
	group *g = gc_group_get(gc, rec->group);
	if (rec->tombstone) {
		if (!g)
			return;
		load_reset_group(g);
		if (offsets_count(g->offs) == 0)
			gc_group_remove(gc, g, KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	if (!g)
		g = gc_group_create(gc, rec->group);
	load_reset_group(g);
	const kmsg_GroupMetadataValue *v = &rec->meta;
	for (int32_t i = 0; i < v->members_count; i++)
		load_member(g, v, &v->members[i]);
	g->generation = v->generation;
	free(g->protocol_type); /* set by the first group_add_member() */
	g->protocol_type = v->protocolType.len > 0 ? xstrndup(v->protocolType.p,
							      (size_t)v->protocolType.len)
						   : NULL;
	g->protocol_name = kstr_is_null(v->protocol) ? NULL
						     : xstrndup(v->protocol.p ? v->protocol.p : "",
								(size_t)v->protocol.len);
	g->leader = group_find(g, v->leader);
	if (!g->leader)
		g->leader = g->members;
	g->state = g->nmembers > 0 ? GROUP_STABLE : GROUP_EMPTY;
	g->state_ts = v->currentStateTimestamp;
}

/* Applies the records of one checked batch. Returns 0 or a riter status. */
static int load_batch(group_coord *gc, riter *it, arena *a, int32_t partition)
{
	riter_record r;
	int rc;
	while ((rc = riter_next(it, &r)) == 1) {
		offsets_log_record rec;
		arena_reset(a);
		if (offsets_log_decode(r.key, r.value, a, &rec) != 0) {
			log_warn("skipping a malformed record at offset %lld of __consumer_offsets-%d",
				 (long long)r.offset, partition);
			continue;
		}
		if (rec.kind == OLOG_COMMIT)
			load_commit(gc, &rec);
		else if (rec.kind == OLOG_GROUP)
			load_group(gc, &rec);
		else
			log_warn("skipping a record with unknown key version %d at offset %lld of "
				 "__consumer_offsets-%d", rec.key_version, (long long)r.offset,
				 partition);
	}
	return rc;
}

int64_t group_coord_load(group_coord *gc, int32_t partition, const uint8_t *p, size_t len)
{
	size_t off = 0;
	arena *a = arena_new();
	int64_t ret = -1;
	while (off < len) {
		rb_header h;
		int rc = rb_parse_header(p + off, len - off, &h);
		if (rc == RB_NEED_MORE || (rc == RB_OK && rb_total_size(&h) > len - off))
			break; /* the caller reads more */
		if (rc != RB_OK) {
			log_error("corrupt batch at byte %zu of __consumer_offsets-%d: %s", off,
				  partition, rb_strerror(rc));
			goto out;
		}
		size_t total = rb_total_size(&h);
		riter it;
		rc = riter_init(&it, p + off, total);
		if (rc == RITER_COMPRESSED) {
			log_warn("skipping a compressed batch at offset %lld of __consumer_offsets-%d",
				 (long long)h.base_offset, partition);
		} else if (rc != RB_OK) {
			log_error("corrupt batch at offset %lld of __consumer_offsets-%d: %s",
				  (long long)h.base_offset, partition, riter_strerror(rc));
			goto out;
		} else if (h.attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL)) {
			/* NEEDSWORK: transactional offset commits stay pending until
			 * their producer's COMMIT marker (README section 5); until
			 * TxnOffsetCommit lands nothing writes them. */
			log_warn("skipping a transactional batch at offset %lld of "
				 "__consumer_offsets-%d", (long long)h.base_offset, partition);
		} else if ((rc = load_batch(gc, &it, a, partition)) < 0) {
			log_error("corrupt record in batch at offset %lld of __consumer_offsets-%d: %s",
				  (long long)h.base_offset, partition, riter_strerror(rc));
			goto out;
		}
		off += total;
	}
	ret = (int64_t)off;
out:
	arena_free(a);
	return ret;
}

void group_coord_load_finish(group_coord *gc)
{
	gmap_iter it;
	void *v;
	size_t groups = 0, members = 0;
	/* Offsets deleted without a group record (a simple group deleted by
	 * DeleteGroups or emptied by expiry) leave nothing behind, as in
	 * Kafka's load. Collect first: removal changes the table. */
	size_t n = gmap_count(gc->groups), k = 0;
	group **drop;
	XALLOC_ARRAY(drop, n ? n : 1);
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v) && k < n) {
		group *g = v;
		if (g->nmembers == 0 && g->generation == 0 && offsets_count(g->offs) == 0)
			drop[k++] = g;
	}
	for (size_t i = 0; i < k; i++)
		gc_group_remove(gc, drop[i], KERR_COORDINATOR_NOT_AVAILABLE);
	free(drop);
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v)) {
		group *g = v;
		groups++;
		/* Loaded members must heartbeat within their session timeout. */
		for (gmember *m = g->members; m; m = m->next, members++)
			gc_member_session_start(gc, m, m->session_timeout_ms);
	}
	log_info("loaded %zu groups with %zu members from __consumer_offsets", groups, members);
}

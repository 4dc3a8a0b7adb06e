/*
 * group_coord_offsets.c: OffsetCommit, OffsetFetch, OffsetDelete and
 * offset retention (KIP-211).
 *
 * The commit guarantee: an OffsetCommit is answered only after the batch
 * holding all its partitions is durable (the host's append waits for the
 * fsync), and a committed value enters the in-memory store only then, so a
 * fetch never returns a commit that a crash could take back. While a commit
 * is in flight its partitions count as pending: OffsetFetch with
 * require_stable answers UNSTABLE_OFFSET_COMMIT for them (the old
 * coordinator's rule, README section 7).
 *
 * Deletions (expiry, OffsetDelete) remove the value from memory at once and
 * write tombstones behind it, as Kafka does.
 */
#include "group/group_coord_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/kerr.h"

/* The length Kafka checks offset.metadata.max.bytes against: the metadata as
 * a Java String, in UTF-16 units (a 4-byte UTF-8 sequence is two, every
 * other character one; a stray continuation byte counts nothing). */
static int64_t java_length(kstr s)
{
	int64_t n = 0;
	for (int32_t i = 0; i < s.len; i++) {
		uint8_t b = s.p[i];
		if ((b & 0xc0) != 0x80)
			n += b >= 0xf0 ? 2 : 1;
	}
	return n;
}

/* --------------------------------------------------------------- commit */

typedef struct commit_item {
	int32_t index;              /* into the request's parts */
	char *topic;
	int32_t topic_len;
	int32_t partition;
	offset_value v;             /* metadata points to meta */
	char *meta;
} commit_item;

typedef struct commit_op {
	commit_done_cb *cb;
	void *ud;
	int16_t *errors;
	int32_t count;
	commit_item *items;
	int32_t nitems;
} commit_op;

static void commit_op_free(commit_op *op)
{
	for (int32_t i = 0; i < op->nitems; i++) {
		free(op->items[i].topic);
		free(op->items[i].meta);
	}
	free(op->items);
	free(op->errors);
	free(op);
}

static void commit_op_free_ap(gc_append *ap)
{
	commit_op_free(ap->data);
}

static void commit_stored(gc_append *ap, int err)
{
	commit_op *op = ap->data;
	group *g = ap->g;
	for (int32_t i = 0; i < op->nitems; i++) {
		commit_item *it = &op->items[i];
		kstr topic = { it->topic, it->topic_len };
		offsets_pending_add(g->offs, topic, it->partition, -1);
		if (err)
			op->errors[it->index] = KERR_COORDINATOR_NOT_AVAILABLE;
		else if (!g->removed)
			offsets_put(g->offs, topic, it->partition, &it->v);
	}
	if (err && !ap->gc->closing)
		log_warn("offset commit of group '%.*s' failed to write (%d)",
			 KSTR_FMT(group_name(g)), err);
	/* A simple group left without offsets by a failed write is dropped
	 * by the next retention check. */
	op->cb(op->ud, op->errors, op->count);
}

/* validateOffsetCommit (README section 7, steps 1-6). *gp may be created. */
static int16_t gc_commit_check(group_coord *gc, const commit_args *a, group **gp)
{
	group *g = gc_group_get(gc, a->group_id);
	*gp = g;
	if (!g) {
		if (a->generation_id < 0) {
			*gp = gc_group_create(gc, a->group_id); /* a simple group */
			return KERR_NONE;
		}
		return a->version >= 9 ? KERR_GROUP_ID_NOT_FOUND : KERR_ILLEGAL_GENERATION;
	}
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (a->generation_id < 0 && g->state == GROUP_EMPTY)
		return KERR_NONE; /* admin clients and assign() consumers */
	if (a->generation_id >= 0 || a->member_id.len > 0 || !kstr_is_null(a->group_instance_id)) {
		if (!kstr_is_null(a->group_instance_id)) {
			gmember *m = group_find_instance(g, a->group_instance_id);
			if (!m)
				return KERR_UNKNOWN_MEMBER_ID;
			if (!kstr_eq(kstr_c(m->member_id), a->member_id))
				return KERR_FENCED_INSTANCE_ID;
		} else if (!group_find(g, a->member_id)) {
			return KERR_UNKNOWN_MEMBER_ID;
		}
		if (a->generation_id != g->generation)
			return KERR_ILLEGAL_GENERATION;
	} else if (g->state != GROUP_EMPTY) {
		return KERR_UNKNOWN_MEMBER_ID;
	}
	if (g->state == GROUP_COMPLETING_REBALANCE)
		return KERR_REBALANCE_IN_PROGRESS;
	return KERR_NONE;
}

static void commit_item_fill(commit_item *it, int32_t index, const commit_partition *p,
			     int64_t now, int64_t retention_time_ms)
{
	it->index = index;
	it->topic_len = p->topic.len > 0 ? p->topic.len : 0;
	it->topic = xstrndup(it->topic_len ? p->topic.p : "", (size_t)it->topic_len);
	it->partition = p->partition;
	int32_t ml = p->metadata.len > 0 ? p->metadata.len : 0;
	it->meta = xstrndup(ml ? p->metadata.p : "", (size_t)ml);
	it->v.offset = p->offset;
	it->v.leader_epoch = p->leader_epoch;
	it->v.metadata = (kstr){ it->meta, ml };
	it->v.commit_ts = now;
	/* OffsetCommit v2-v4 retention_time: the old per-offset expiry. The
	 * value comes from the wire: saturate instead of overflowing. */
	if (retention_time_ms == -1)
		it->v.expire_ts = -1;
	else if (retention_time_ms > 0 && now > INT64_MAX - retention_time_ms)
		it->v.expire_ts = INT64_MAX;
	else if (retention_time_ms < 0)
		it->v.expire_ts = now; /* already past: gone at the next check */
	else
		it->v.expire_ts = now + retention_time_ms;
}

void group_coord_commit(group_coord *gc, const commit_args *a, commit_done_cb *cb, void *ud)
{
	commit_op *op = xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->ud = ud;
	op->count = a->count > 0 ? a->count : 0;
	XCALLOC_ARRAY(op->errors, op->count ? (size_t)op->count : 1);
	XCALLOC_ARRAY(op->items, op->count ? (size_t)op->count : 1);
	/* KafkaApis drops unknown topics before the coordinator sees them. */
	for (int32_t i = 0; i < op->count; i++)
		if (!gc->host.partition_exists(gc->host.ctx, a->parts[i].topic, a->parts[i].partition))
			op->errors[i] = KERR_UNKNOWN_TOPIC_OR_PARTITION;
	group *g = NULL;
	int16_t gerr = gc->closing ? KERR_COORDINATOR_NOT_AVAILABLE : gc_commit_check(gc, a, &g);
	if (!gerr) {
		gmember *m = group_find(g, a->member_id);
		/* A commit from a current member counts as a heartbeat. */
		if (m && (g->state == GROUP_STABLE || g->state == GROUP_PREPARING_REBALANCE))
			gc_member_session_start(gc, m, m->session_timeout_ms);
	}
	int64_t now = gc_now(gc);
	offsets_log_batch recs;
	offsets_log_batch_init(&recs);
	for (int32_t i = 0; i < op->count; i++) {
		if (op->errors[i])
			continue;
		if (gerr) {
			op->errors[i] = gerr;
			continue;
		}
		const commit_partition *p = &a->parts[i];
		if (java_length(p->metadata) > gc->cfg.offset_metadata_max_bytes) {
			op->errors[i] = KERR_OFFSET_METADATA_TOO_LARGE;
			continue;
		}
		commit_item *it = &op->items[op->nitems++];
		commit_item_fill(it, i, p, now, a->retention_time_ms);
		offsets_log_add_commit(&recs, group_name(g), (kstr){ it->topic, it->topic_len },
				       it->partition, &it->v);
		offsets_pending_add(g->offs, (kstr){ it->topic, it->topic_len }, it->partition, 1);
	}
	if (op->nitems == 0) {
		offsets_log_batch_release(&recs);
		cb(ud, op->errors, op->count);
		commit_op_free(op);
		if (g)
			gc_group_maybe_drop(gc, g); /* a simple group created for nothing */
		return;
	}
	gc_append *ap = gc_append_new(gc, g);
	ap->done = commit_stored;
	ap->data = op;
	ap->free_data = commit_op_free_ap;
	gc_append_submit(ap, g->partition, &recs);
	offsets_log_batch_release(&recs);
}

/* ---------------------------------------------------------------- fetch */

static void fetched_none(fetched_offset *out, int16_t err)
{
	out->offset = -1;
	out->leader_epoch = -1;
	out->metadata = KSTR_EMPTY;
	out->error = err;
}

void group_coord_fetch(group_coord *gc, kstr group_id, kstr topic, int32_t partition,
		       bool require_stable, fetched_offset *out)
{
	fetched_none(out, KERR_NONE);
	group *g = gc_group_get(gc, group_id);
	if (!g)
		return;
	if (require_stable && offsets_pending(g->offs, topic, partition) > 0) {
		out->error = KERR_UNSTABLE_OFFSET_COMMIT;
		return;
	}
	const offset_value *v = offsets_get(g->offs, topic, partition);
	if (!v)
		return;
	out->offset = v->offset;
	out->leader_epoch = v->leader_epoch;
	out->metadata = v->metadata;
}

void group_coord_fetch_all(group_coord *gc, kstr group_id, bool require_stable, fetch_each_fn *fn,
			   void *ud)
{
	group *g = gc_group_get(gc, group_id);
	if (!g)
		return;
	int32_t n;
	offset_entry *es = offsets_sorted(g->offs, require_stable, &n);
	for (int32_t i = 0; i < n; i++) {
		fetched_offset o;
		fetched_none(&o, KERR_NONE);
		if (require_stable && es[i].pending > 0) {
			o.error = KERR_UNSTABLE_OFFSET_COMMIT;
		} else if (es[i].has_value) {
			o.offset = es[i].v.offset;
			o.leader_epoch = es[i].v.leader_epoch;
			o.metadata = es[i].v.metadata;
		} else {
			continue;
		}
		fn(ud, es[i].topic, es[i].partition, &o);
	}
	free(es);
}

/* -------------------------------------------------------- offset delete */

typedef struct odel_op {
	offset_delete_cb *cb;
	void *ud;
	int16_t *errors;
	int32_t count;
} odel_op;

static void odel_stored(gc_append *ap, int err)
{
	odel_op *op = ap->data;
	if (err && !ap->gc->closing)
		log_warn("offset delete tombstones failed to write (%d)", err);
	op->cb(op->ud, KERR_NONE, op->errors, op->count);
}

static void odel_free(gc_append *ap)
{
	odel_op *op = ap->data;
	free(op->errors);
	free(op);
}

static int16_t gc_odel_group_check(group_coord *gc, group *g)
{
	if (gc->closing)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (!g || g->state == GROUP_DEAD)
		return KERR_GROUP_ID_NOT_FOUND;
	if (g->state == GROUP_EMPTY)
		return KERR_NONE;
	if (g->protocol_type && strcmp(g->protocol_type, "consumer") == 0)
		return KERR_NONE;
	return KERR_NON_EMPTY_GROUP;
}

void group_coord_offset_delete(group_coord *gc, kstr group_id, const group_tp *parts,
			       int32_t count, offset_delete_cb *cb, void *ud)
{
	group *g = gc->closing ? NULL : gc_group_get(gc, group_id);
	int16_t gerr = gc_odel_group_check(gc, g);
	odel_op *op = xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->ud = ud;
	op->count = count > 0 ? count : 0;
	XCALLOC_ARRAY(op->errors, op->count ? (size_t)op->count : 1);
	offsets_log_batch recs;
	offsets_log_batch_init(&recs);
	for (int32_t i = 0; i < op->count && !gerr; i++) {
		const group_tp *p = &parts[i];
		if (!gc->host.partition_exists(gc->host.ctx, p->topic, p->partition))
			op->errors[i] = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		else if (g->state != GROUP_EMPTY && group_subscribes_to(g, p->topic))
			op->errors[i] = KERR_GROUP_SUBSCRIBED_TO_TOPIC;
		else if (offsets_del(g->offs, p->topic, p->partition) ||
			 offsets_pending(g->offs, p->topic, p->partition) > 0)
			offsets_log_add_commit(&recs, group_name(g), p->topic, p->partition, NULL);
	}
	if (gerr || recs.n == 0) {
		offsets_log_batch_release(&recs);
		cb(ud, gerr, op->errors, op->count);
		free(op->errors);
		free(op);
		return;
	}
	gc_append *ap = gc_append_new(gc, g);
	ap->done = odel_stored;
	ap->data = op;
	ap->free_data = odel_free;
	gc_append_submit(ap, g->partition, &recs);
	offsets_log_batch_release(&recs);
}

/* ------------------------------------------------------------ retention */

typedef struct subs_set {
	gmap *topics;
} subs_set;

static void subs_add(void *ud, kstr topic)
{
	subs_set *s = ud;
	if (topic.len >= 0)
		gmap_put(s->topics, topic.p, (size_t)topic.len, s);
}

/*
 * removeExpiredOffsets (KIP-211): which rule applies to g, by its state:
 *   Empty with a protocol type: everything, counted from the time it became
 *     Empty (or the commit time when that is unknown);
 *   Stable consumer group with known subscriptions: unsubscribed topics, by
 *     commit time;
 *   no protocol type (simple group): everything, by commit time;
 *   otherwise nothing. Value-v1 offsets expire at their own timestamp
 *   within the same selection; commits in flight never expire.
 * Offsets of deleted topics go at once: group_coord_topic_deleted().
 * Returns the number expired; tombstones go into recs.
 */
static int gc_expire_group(group_coord *gc, group *g, int64_t now, offsets_log_batch *recs)
{
	int mode; /* 0 none, 1 empty, 2 stable consumer, 3 simple */
	subs_set subs = { NULL };
	if (g->protocol_type && g->state == GROUP_EMPTY) {
		mode = 1;
	} else if (!g->protocol_type) {
		mode = 3;
	} else if (g->state == GROUP_STABLE && strcmp(g->protocol_type, "consumer") == 0) {
		subs.topics = gmap_new();
		mode = group_subscriptions(g, subs_add, &subs) ? 2 : 0;
	} else {
		mode = 0;
	}
	int n_expired = 0;
	int32_t n;
	offset_entry *es = mode ? offsets_sorted(g->offs, false, &n) : NULL;
	for (int32_t i = 0; mode && i < n; i++) {
		offset_entry *e = &es[i];
		if (e->pending > 0)
			continue;
		if (mode == 2 && gmap_get(subs.topics, e->topic.p, (size_t)e->topic.len))
			continue;
		int64_t base = mode == 1 && g->state_ts >= 0 ? g->state_ts : e->v.commit_ts;
		bool expired = e->v.expire_ts != -1 ? now >= e->v.expire_ts
						    : now - base >= gc->cfg.offsets_retention_ms;
		if (!expired)
			continue;
		offsets_log_add_commit(recs, group_name(g), e->topic, e->partition, NULL);
		/* Safe while iterating: the lookup copies the key before the
		 * entry (and e->topic with it) is freed; other entries stay. */
		offsets_del(g->offs, e->topic, e->partition);
		n_expired++;
	}
	free(es);
	gmap_free(subs.topics);
	return n_expired;
}

static void gc_expire_done(gc_append *ap, int err)
{
	if (err && ap->gc && !ap->gc->closing)
		log_warn("expired offsets' tombstones failed to write (%d)", err);
}

/* Writes the tombstones of one group's expired offsets; an Empty group left
 * with nothing goes Dead in the same batch (cleanupGroupMetadata). */
static void gc_expire_submit(group_coord *gc, group *g, offsets_log_batch *recs)
{
	int32_t partition = g->partition;
	if (g->state == GROUP_EMPTY && g->nmembers == 0 && g->npending == 0 && g->refs == 0 &&
	    offsets_count(g->offs) == 0 && !offsets_any_pending(g->offs)) {
		if (g->generation > 0)
			offsets_log_add_group(recs, group_name(g), NULL);
		log_info("group '%.*s' has no offsets left and is removed", KSTR_FMT(group_name(g)));
		gc_group_remove(gc, g, KERR_COORDINATOR_NOT_AVAILABLE);
	}
	gc_append *ap = gc_append_new(gc, NULL);
	ap->done = gc_expire_done;
	gc_append_submit(ap, partition, recs);
}

/* The groups as an array (free() it): expiry may take groups out of the
 * table while the caller walks them. */
static group **gc_groups_snapshot(group_coord *gc, size_t *count)
{
	size_t ng = gmap_count(gc->groups), k = 0;
	group **gs;
	XALLOC_ARRAY(gs, ng ? ng : 1);
	gmap_iter it;
	void *v;
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v) && k < ng)
		gs[k++] = v;
	*count = k;
	return gs;
}

/* Tombstones for g's settled offsets of topic; returns how many. */
static int gc_drop_topic(group *g, kstr topic, offsets_log_batch *recs)
{
	int32_t n;
	int dropped = 0;
	offset_entry *es = offsets_sorted(g->offs, false, &n);
	for (int32_t i = 0; i < n; i++) {
		offset_entry *e = &es[i];
		if (e->pending > 0 || !kstr_eq(e->topic, topic))
			continue;
		offsets_log_add_commit(recs, group_name(g), e->topic, e->partition, NULL);
		offsets_del(g->offs, e->topic, e->partition); /* see gc_expire_group */
		dropped++;
	}
	free(es);
	return dropped;
}

int group_coord_topic_deleted(group_coord *gc, kstr topic)
{
	if (gc->closing)
		return 0;
	size_t k;
	group **gs = gc_groups_snapshot(gc, &k);
	int total = 0;
	for (size_t i = 0; i < k; i++) {
		offsets_log_batch recs;
		offsets_log_batch_init(&recs);
		int n = gc_drop_topic(gs[i], topic, &recs);
		if (n > 0) {
			log_info("dropped %d offsets of deleted topic '%.*s' from group '%.*s'", n,
				 KSTR_FMT(topic), KSTR_FMT(group_name(gs[i])));
			gc_expire_submit(gc, gs[i], &recs);
			total += n;
		}
		offsets_log_batch_release(&recs);
	}
	free(gs);
	return total;
}

int group_coord_expire_offsets(group_coord *gc)
{
	if (gc->closing)
		return 0;
	int64_t now = gc_now(gc);
	int total = 0;
	size_t k;
	group **gs = gc_groups_snapshot(gc, &k);
	for (size_t i = 0; i < k; i++) {
		group *g = gs[i];
		offsets_log_batch recs;
		offsets_log_batch_init(&recs);
		int n = gc_expire_group(gc, g, now, &recs);
		if (n > 0) {
			log_info("expired %d offsets of group '%.*s'", n, KSTR_FMT(group_name(g)));
			gc_expire_submit(gc, g, &recs);
			total += n;
		} else {
			gc_group_maybe_drop(gc, g);
		}
		offsets_log_batch_release(&recs);
	}
	free(gs);
	return total;
}

void gc_retention_fire(group_timer *t)
{
	group_coord *gc = t->ud;
	group_coord_expire_offsets(gc);
	gc_timer_arm(gc, &gc->retention_timer, gc->cfg.offsets_retention_check_interval_ms,
		     gc_retention_fire, gc);
}

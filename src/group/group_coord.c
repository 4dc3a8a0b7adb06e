/*
 * group_coord.c: the coordinator's table of groups, its host glue (timers,
 * appends to __consumer_offsets), and the admin operations (DescribeGroups,
 * ListGroups, DeleteGroups).
 *
 * Lifetime rules: a group lives in the table until it goes Dead (deleted,
 * or emptied by retention). Operations that wait for an append hold a ref,
 * so a group taken out of the table meanwhile is freed only when the last
 * of them completes; their completions check g->removed before touching
 * state. Every timer belongs to a group or member and is cancelled before
 * its owner is freed, so a firing timer always finds its owner alive.
 */
#include "group/group_coord_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/kerr.h"

void group_coord_config_defaults(group_coord_config *cfg)
{
	cfg->offsets_topic_num_partitions = 50;
	cfg->offsets_retention_ms = 10080LL * 60 * 1000;
	cfg->offsets_retention_check_interval_ms = 600000;
	cfg->offset_metadata_max_bytes = 4096;
	cfg->group_min_session_timeout_ms = 6000;
	cfg->group_max_session_timeout_ms = 1800000;
	cfg->group_initial_rebalance_delay_ms = 50;
	cfg->group_max_size = INT32_MAX;
	cfg->new_member_join_timeout_ms = 300000;
}

const char *group_coord_state_name(int state)
{
	return group_state_name((enum group_state)state);
}

/* ------------------------------------------------------------- timers */

void group_timer_fire(group_timer *t)
{
	t->id = 0;
	if (t->fn)
		t->fn(t);
}

void gc_timer_arm(group_coord *gc, group_timer *t, int64_t delay_ms, void (*fn)(group_timer *),
		  void *ud)
{
	gc_timer_cancel(gc, t);
	t->fn = fn;
	t->ud = ud;
	t->id = gc->host.timer_add(gc->host.ctx, delay_ms < 0 ? 0 : delay_ms, t);
}

void gc_timer_cancel(group_coord *gc, group_timer *t)
{
	if (t->id) {
		gc->host.timer_cancel(gc->host.ctx, t->id);
		t->id = 0;
	}
}

/* ------------------------------------------------------------- groups */

group *gc_group_get(group_coord *gc, kstr id)
{
	if (kstr_is_null(id))
		return NULL;
	return gmap_get(gc->groups, id.p, (size_t)id.len);
}

group *gc_group_create(group_coord *gc, kstr id)
{
	if (kstr_is_null(id))
		id = KSTR_EMPTY;
	group *g = group_new(gc, id, group_coord_partition_for(gc, id));
	gmap_put(gc->groups, id.p, (size_t)id.len, g);
	return g;
}

void gc_group_ref(group *g)
{
	g->refs++;
}

void gc_group_unref(group *g)
{
	if (--g->refs <= 0 && g->removed)
		group_free(g);
}

void gc_group_remove(group_coord *gc, group *g, int16_t err)
{
	if (g->removed)
		return;
	gc_group_cancel_timers(gc, g);
	gc_group_fail_parked(gc, g, err);
	group_set_state(g, GROUP_DEAD, gc_now(gc));
	gmap_del(gc->groups, g->id, (size_t)g->id_len);
	g->removed = true;
	if (g->refs <= 0)
		group_free(g);
}

int32_t group_coord_partition_for(const group_coord *gc, kstr group_id)
{
	return offsets_log_partition_for(group_id, gc->cfg.offsets_topic_num_partitions);
}

/* ------------------------------------------------------------ appends */

static void gc_append_unlink(group_coord *gc, gc_append *ap)
{
	if (ap->prev)
		ap->prev->next = ap->next;
	else if (gc->appends == ap)
		gc->appends = ap->next;
	if (ap->next)
		ap->next->prev = ap->prev;
	ap->prev = ap->next = NULL;
}

static void gc_append_finish(void *ud, int err)
{
	gc_append *ap = ud;
	group_coord *gc = ap->gc;
	if (gc) {
		gc_append_unlink(gc, ap);
		if (ap->done)
			ap->done(ap, err);
		if (ap->g)
			gc_group_unref(ap->g);
	}
	if (ap->free_data)
		ap->free_data(ap);
	free(ap);
}

gc_append *gc_append_new(group_coord *gc, group *g)
{
	gc_append *ap = xcalloc(1, sizeof(*ap));
	ap->gc = gc;
	ap->g = g;
	if (g)
		gc_group_ref(g);
	return ap;
}

void gc_append_submit(gc_append *ap, int32_t partition, const offsets_log_batch *recs)
{
	group_coord *gc = ap->gc;
	ap->next = gc->appends;
	if (gc->appends)
		gc->appends->prev = ap;
	gc->appends = ap;
	buf b;
	buf_init(&b, (size_t)1 << 30);
	if (offsets_log_build(recs, gc_now(gc), &b) != 0) {
		log_error("cannot build a __consumer_offsets batch of %d records", recs->n);
		buf_release(&b);
		gc_append_finish(ap, -1);
		return;
	}
	/* The host may call back before returning: ap is not touched after. */
	gc->host.append(gc->host.ctx, partition, b.data, b.len, gc_append_finish, ap);
	buf_release(&b);
}

void gc_group_record(group *g, kmsg_GroupMetadataValue *v,
		     kmsg_GroupMetadataValue_MemberMetadata *members, const kbytes *override)
{
	kmsg_GroupMetadataValue_init(v);
	v->protocolType = g->protocol_type ? kstr_c(g->protocol_type) : KSTR_EMPTY;
	v->generation = g->generation;
	v->protocol = cstr_k(g->protocol_name);
	v->leader = g->leader ? kstr_c(g->leader->member_id) : KSTR_NULL;
	v->currentStateTimestamp = g->state_ts;
	v->members = members;
	v->members_count = g->nmembers;
	int32_t i = 0;
	for (gmember *m = g->members; m; m = m->next, i++) {
		kmsg_GroupMetadataValue_MemberMetadata *mm = &members[i];
		kmsg_GroupMetadataValue_MemberMetadata_init(mm);
		mm->memberId = kstr_c(m->member_id);
		mm->groupInstanceId = cstr_k(m->instance_id);
		mm->clientId = kstr_c(m->client_id);
		mm->clientHost = kstr_c(m->client_host);
		mm->rebalanceTimeout = m->rebalance_timeout_ms;
		mm->sessionTimeout = m->session_timeout_ms;
		mm->subscription = member_metadata(m, g->protocol_name);
		mm->assignment = override ? override[i]
					  : (kbytes){ m->assignment, m->assignment_len };
	}
}

void gc_group_store(group_coord *gc, group *g, const kbytes *override,
		    void (*done)(gc_append *ap, int err), void *data, void (*free_data)(gc_append *))
{
	kmsg_GroupMetadataValue v;
	kmsg_GroupMetadataValue_MemberMetadata *mm;
	XCALLOC_ARRAY(mm, g->nmembers > 0 ? (size_t)g->nmembers : 1);
	gc_group_record(g, &v, mm, override);
	offsets_log_batch recs;
	offsets_log_batch_init(&recs);
	offsets_log_add_group(&recs, group_name(g), &v);
	free(mm);
	gc_append *ap = gc_append_new(gc, g);
	ap->done = done;
	ap->data = data;
	ap->free_data = free_data;
	gc_append_submit(ap, g->partition, &recs);
	offsets_log_batch_release(&recs);
}

static void gc_log_append_err(gc_append *ap, int err)
{
	if (err && ap->gc && !ap->gc->closing)
		log_warn("writing tombstones to __consumer_offsets failed (%d)", err);
}

void gc_group_maybe_drop(group_coord *gc, group *g)
{
	if (g->removed || g->state != GROUP_EMPTY || g->nmembers > 0 || g->npending > 0 ||
	    offsets_count(g->offs) > 0 || offsets_any_pending(g->offs) || g->refs > 0)
		return;
	int32_t gen = g->generation, partition = g->partition;
	char *id = xstrndup(g->id, (size_t)g->id_len);
	kstr gid = { id, g->id_len };
	gc_group_remove(gc, g, KERR_COORDINATOR_NOT_AVAILABLE);
	/* A group used only for offset storage (generation 0) never wrote a
	 * metadata record: no tombstone (cleanupGroupMetadata). */
	if (gen > 0) {
		offsets_log_batch recs;
		offsets_log_batch_init(&recs);
		offsets_log_add_group(&recs, gid, NULL);
		gc_append *ap = gc_append_new(gc, NULL);
		ap->done = gc_log_append_err;
		gc_append_submit(ap, partition, &recs);
		offsets_log_batch_release(&recs);
	}
	free(id);
}

/* ------------------------------------------------------------ lifecycle */

group_coord *group_coord_new(const group_host *host, const group_coord_config *cfg)
{
	group_coord *gc = xcalloc(1, sizeof(*gc));
	gc->host = *host;
	gc->cfg = *cfg;
	if (gc->cfg.offsets_topic_num_partitions <= 0)
		gc->cfg.offsets_topic_num_partitions = 1;
	gc->groups = gmap_new();
	if (gc->cfg.offsets_retention_check_interval_ms > 0)
		gc_timer_arm(gc, &gc->retention_timer, gc->cfg.offsets_retention_check_interval_ms,
			     gc_retention_fire, gc);
	return gc;
}

static void gc_stop(group_coord *gc, int16_t err)
{
	gc->closing = true;
	gc_timer_cancel(gc, &gc->retention_timer);
	gmap_iter it;
	void *v;
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v)) {
		group *g = v;
		gc_group_cancel_timers(gc, g);
		gc_group_fail_parked(gc, g, err);
	}
}

void group_coord_shutdown(group_coord *gc)
{
	if (gc && !gc->closing)
		gc_stop(gc, KERR_NOT_COORDINATOR);
}

void group_coord_free(group_coord *gc)
{
	if (!gc)
		return;
	/* Answer every parked request, then every write in flight. */
	gc_stop(gc, KERR_COORDINATOR_NOT_AVAILABLE);
	gmap_iter it;
	void *v;
	while (gc->appends) {
		gc_append *ap = gc->appends;
		gc_append_unlink(gc, ap);
		if (ap->done)
			ap->done(ap, -1);
		ap->gc = NULL; /* detached: freed when the host calls back */
		if (ap->g)
			gc_group_unref(ap->g); /* frees groups already out of the table */
		ap->g = NULL;
	}
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v))
		group_free(v);
	gmap_free(gc->groups);
	free(gc->desc);
	free(gc);
}

/* ------------------------------------------------------------ describe */

int group_coord_describe(group_coord *gc, kstr group_id, group_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->protocol_type = KSTR_EMPTY;
	d->protocol = KSTR_EMPTY;
	group *g = gc_group_get(gc, group_id);
	if (!g) {
		d->state = "Dead";
		return -1;
	}
	d->state = group_state_name(g->state);
	if (g->protocol_type)
		d->protocol_type = kstr_c(g->protocol_type);
	/* GroupMetadata.summary: metadata and assignments only when Stable. */
	bool stable = g->state == GROUP_STABLE && g->protocol_name;
	if (stable)
		d->protocol = kstr_c(g->protocol_name);
	if (g->nmembers > gc->desc_cap) {
		gc->desc_cap = g->nmembers;
		gc->desc = xrealloc(gc->desc, st_mult(sizeof(*gc->desc), (size_t)gc->desc_cap));
	}
	int32_t i = 0;
	for (gmember *m = g->members; m; m = m->next, i++) {
		group_member_desc *md = &gc->desc[i];
		md->member_id = kstr_c(m->member_id);
		md->group_instance_id = cstr_k(m->instance_id);
		md->client_id = kstr_c(m->client_id);
		md->client_host = kstr_c(m->client_host);
		md->metadata = stable ? member_metadata(m, g->protocol_name) : (kbytes){ NULL, 0 };
		md->assignment = stable ? (kbytes){ m->assignment, m->assignment_len }
					: (kbytes){ NULL, 0 };
	}
	d->members = gc->desc;
	d->members_count = i;
	return 0;
}

void group_coord_list(group_coord *gc, list_groups_fn *fn, void *ud)
{
	gmap_iter it;
	void *v;
	gmap_iter_init(&it);
	while (gmap_next(gc->groups, &it, NULL, NULL, &v)) {
		group *g = v;
		fn(ud, group_name(g), g->protocol_type ? kstr_c(g->protocol_type) : KSTR_EMPTY,
		   group_state_name(g->state));
	}
}

/* ---------------------------------------------------------- delete groups */

typedef struct gc_delete_op {
	delete_groups_cb *cb;
	void *ud;
	int16_t *errors;
	int32_t count;
	int32_t waiting;            /* appends in flight + 1 while submitting */
} gc_delete_op;

static void gc_delete_op_step(gc_delete_op *op)
{
	if (--op->waiting > 0)
		return;
	op->cb(op->ud, op->errors, op->count);
	free(op->errors);
	free(op);
}

static void gc_delete_done(gc_append *ap, int err)
{
	gc_log_append_err(ap, err);
	gc_delete_op_step(ap->data);
}

/* Takes g out and writes its tombstones (offsets, and the group unless
 * generation 0), all in one batch. */
static void gc_delete_one(group_coord *gc, group *g, gc_delete_op *op)
{
	offsets_log_batch recs;
	offsets_log_batch_init(&recs);
	int32_t n;
	offset_entry *es = offsets_sorted(g->offs, true, &n);
	for (int32_t i = 0; i < n; i++)
		offsets_log_add_commit(&recs, group_name(g), es[i].topic, es[i].partition, NULL);
	free(es);
	if (g->generation > 0)
		offsets_log_add_group(&recs, group_name(g), NULL);
	int32_t partition = g->partition;
	if (recs.n > 0) {
		gc_append *ap = gc_append_new(gc, NULL);
		ap->done = gc_delete_done;
		ap->data = op;
		op->waiting++;
		/* Submit before removal: the records hold views into g. */
		gc_append_submit(ap, partition, &recs);
	}
	offsets_log_batch_release(&recs);
	log_info("deleted group '%.*s'", KSTR_FMT(group_name(g)));
	gc_group_remove(gc, g, KERR_COORDINATOR_NOT_AVAILABLE);
}

void group_coord_delete_groups(group_coord *gc, const kstr *group_ids, int32_t count,
			       delete_groups_cb *cb, void *ud)
{
	gc_delete_op *op = xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->ud = ud;
	op->count = count > 0 ? count : 0;
	XCALLOC_ARRAY(op->errors, op->count ? (size_t)op->count : 1);
	op->waiting = 1;
	for (int32_t i = 0; i < op->count; i++) {
		group *g = gc_group_get(gc, group_ids[i]);
		if (!g || g->state == GROUP_DEAD)
			op->errors[i] = KERR_GROUP_ID_NOT_FOUND;
		else if (g->state != GROUP_EMPTY)
			op->errors[i] = KERR_NON_EMPTY_GROUP;
		else
			gc_delete_one(gc, g, op);
	}
	gc_delete_op_step(op);
}

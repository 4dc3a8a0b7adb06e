/*
 * group_coord_int.h: private definitions shared by group_coord.c,
 * group_coord_join.c and group_coord_offsets.c. Not for use outside
 * src/group/.
 */
#ifndef TM_GROUP_COORD_INT_H
#define TM_GROUP_COORD_INT_H

#include "group/gmap.h"
#include "group/group.h"
#include "group/group_coord.h"
#include "group/offsets_log.h"

/* One write to __consumer_offsets in flight. The coordinator keeps a list
 * so group_coord_free() can detach them; done runs only while attached. */
typedef struct gc_append gc_append;
struct gc_append {
	gc_append *prev, *next;
	group_coord *gc;            /* NULL once detached */
	group *g;                   /* holds a ref, may be NULL */
	void (*done)(gc_append *ap, int err);
	void (*free_data)(gc_append *ap); /* frees the op-specific part; may be NULL */
	void *data;                 /* op-specific */
};

struct group_coord {
	group_host host;
	group_coord_config cfg;
	gmap *groups;               /* group id -> group */
	gc_append *appends;         /* in flight */
	group_timer retention_timer;
	bool closing;
	group_member_desc *desc;    /* group_coord_describe() output */
	int32_t desc_cap;
	uint64_t id_seq;            /* member ids when getrandom() has nothing */
};

static inline int64_t gc_now(group_coord *gc) { return gc->host.now_ms(gc->host.ctx); }

/* group_coord.c */
group *gc_group_get(group_coord *gc, kstr id);
group *gc_group_create(group_coord *gc, kstr id);
/* Takes the group out of the table and marks it Dead (freed once no op
 * holds it). Timers are cancelled, parked requests answered with err. */
void gc_group_remove(group_coord *gc, group *g, int16_t err);
void gc_group_ref(group *g);
void gc_group_unref(group *g);
void gc_timer_arm(group_coord *gc, group_timer *t, int64_t delay_ms, void (*fn)(group_timer *),
		  void *ud);
void gc_timer_cancel(group_coord *gc, group_timer *t);
/*
 * Builds the batch of recs and hands it to the host for partition p. On
 * completion (attached) ap->done(ap, err) runs, then ap (and its data via
 * free_data) is freed and the group unref'd. ap must come from
 * gc_append_new(). A batch that does not build completes with err -1.
 */
gc_append *gc_append_new(group_coord *gc, group *g);
void gc_append_submit(gc_append *ap, int32_t partition, const offsets_log_batch *recs);
/* Fills v (arena-free: views into g) with g's metadata record; assignments
 * come from the members unless override (parallel to members) is given. */
void gc_group_record(group *g, kmsg_GroupMetadataValue *v,
		     kmsg_GroupMetadataValue_MemberMetadata *members, const kbytes *override);
/* The group value record, as a batch of one, written for g. */
void gc_group_store(group_coord *gc, group *g, const kbytes *override,
		    void (*done)(gc_append *ap, int err), void *data, void (*free_data)(gc_append *));
/* Drops an Empty group with no offsets and nothing in flight (goes Dead;
 * group tombstone unless generation 0). */
void gc_group_maybe_drop(group_coord *gc, group *g);

/* group_coord_join.c */
void gc_member_session_start(group_coord *gc, gmember *m, int64_t delay_ms);
/* Answers every parked request of g with err (shutdown, deletion). */
void gc_group_fail_parked(group_coord *gc, group *g, int16_t err);
void gc_group_cancel_timers(group_coord *gc, group *g);

/* group_coord_offsets.c */
void gc_retention_fire(group_timer *t);

#endif

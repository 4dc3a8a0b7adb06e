/*
 * group_coord_join.c: the classic group protocol: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, session expiry and the rebalance timers.
 *
 * Follows Kafka's GroupCoordinator.scala (handleJoinGroup,
 * doNewMemberJoinGroup, doCurrentMemberJoinGroup, onCompleteJoin,
 * doSyncGroup, handleHeartbeat, handleLeaveGroup) and README section 7:
 *
 *   Empty --join--> PreparingRebalance --join phase done--> CompletingRebalance
 *     --leader's SyncGroup durable--> Stable
 *   Stable/CompletingRebalance --leader or changed member joins, leave,
 *     expiry, sync timeout--> PreparingRebalance
 *   PreparingRebalance --everyone gone--> Empty (generation still bumped)
 *
 * Invariant: every parked JoinGroup/SyncGroup callback is called exactly
 * once: by the phase that completes it, by an error, by the removal or
 * fencing of its member, or at shutdown. Members with a parked request
 * do not expire (hasSatisfiedHeartbeat), except new members, whose first
 * join gives up after new_member_join_timeout_ms.
 */
#include "group/group_coord_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/kerr.h"

static void gc_prepare_rebalance(group_coord *gc, group *g, const char *reason);
static void gc_try_complete_join(group_coord *gc, group *g);

/* ------------------------------------------------------------- answers */

static void join_reply_error(join_done_cb *cb, void *ud, int16_t err, kstr member_id)
{
	join_result r;
	memset(&r, 0, sizeof(r));
	r.error = err;
	r.generation_id = -1;
	r.protocol_type = KSTR_NULL;
	r.protocol_name = KSTR_NULL;
	r.leader = KSTR_EMPTY;
	r.member_id = kstr_is_null(member_id) ? KSTR_EMPTY : member_id;
	cb(ud, &r);
}

static void sync_reply(sync_done_cb *cb, void *ud, int16_t err, const group *g, kbytes assignment)
{
	sync_result r;
	memset(&r, 0, sizeof(r));
	r.error = err;
	r.protocol_type = g && !err ? cstr_k(g->protocol_type) : KSTR_NULL;
	r.protocol_name = g && !err ? cstr_k(g->protocol_name) : KSTR_NULL;
	r.assignment = err ? (kbytes){ (const uint8_t *)"", 0 } : assignment;
	cb(ud, &r);
}

/* Takes m's parked join callback, if any. */
static join_done_cb *member_take_join(gmember *m, void **ud)
{
	join_done_cb *cb = m->join_cb;
	*ud = m->join_ud;
	if (cb) {
		m->join_cb = NULL;
		m->join_ud = NULL;
		m->g->nawaiting_join--;
	}
	return cb;
}

static void member_set_join(gmember *m, join_done_cb *cb, void *ud)
{
	void *old_ud;
	join_done_cb *old = member_take_join(m, &old_ud);
	/* A client that joins again has given up on its earlier request. */
	if (old)
		join_reply_error(old, old_ud, KERR_REBALANCE_IN_PROGRESS, kstr_c(m->member_id));
	m->join_cb = cb;
	m->join_ud = ud;
	m->g->nawaiting_join++;
}

static void member_fail_parked(gmember *m, int16_t err)
{
	void *ud;
	join_done_cb *jcb = member_take_join(m, &ud);
	if (jcb)
		join_reply_error(jcb, ud, err, kstr_c(m->member_id));
	if (m->sync_cb) {
		sync_done_cb *scb = m->sync_cb;
		m->sync_cb = NULL;
		sync_reply(scb, m->sync_ud, err, NULL, (kbytes){ NULL, 0 });
	}
}

/* The member list the leader gets (currentMemberMetadata); free() it. */
static join_member *group_member_list(const group *g)
{
	join_member *ms;
	XCALLOC_ARRAY(ms, g->nmembers > 0 ? (size_t)g->nmembers : 1);
	int32_t i = 0;
	for (const gmember *m = g->members; m; m = m->next, i++) {
		ms[i].member_id = kstr_c(m->member_id);
		ms[i].group_instance_id = cstr_k(m->instance_id);
		ms[i].metadata = member_metadata(m, g->protocol_name);
	}
	return ms;
}

/* Answers a join with the group's current generation. */
static void join_reply_current(group *g, join_done_cb *cb, void *ud, kstr member_id,
			       bool with_members, kstr leader, bool skip)
{
	join_result r;
	memset(&r, 0, sizeof(r));
	join_member *ms = with_members ? group_member_list(g) : NULL;
	r.error = KERR_NONE;
	r.generation_id = g->generation;
	r.protocol_type = cstr_k(g->protocol_type);
	r.protocol_name = cstr_k(g->protocol_name);
	r.leader = leader;
	r.skip_assignment = skip;
	r.member_id = member_id;
	r.members = ms;
	r.members_count = with_members ? g->nmembers : 0;
	cb(ud, &r);
	free(ms);
}

static kstr group_leader_id(const group *g)
{
	return g->leader ? kstr_c(g->leader->member_id) : KSTR_EMPTY;
}

/* -------------------------------------------------------------- members */

static void member_session_fire(group_timer *t);

void gc_member_session_start(group_coord *gc, gmember *m, int64_t delay_ms)
{
	gc_timer_arm(gc, &m->session_timer, delay_ms, member_session_fire, m);
}

void gc_group_cancel_timers(group_coord *gc, group *g)
{
	gc_timer_cancel(gc, &g->join_timer);
	gc_timer_cancel(gc, &g->sync_timer);
	for (gmember *m = g->members; m; m = m->next)
		gc_timer_cancel(gc, &m->session_timer);
	for (gpending *p = g->pending; p; p = p->next)
		gc_timer_cancel(gc, &p->timer);
}

void gc_group_fail_parked(group_coord *gc, group *g, int16_t err)
{
	(void)gc;
	for (gmember *m = g->members; m; m = m->next)
		member_fail_parked(m, err);
}

/* Removes m without touching the group state (onCompleteJoin, sync expiry). */
static void gc_member_drop(group_coord *gc, group *g, gmember *m)
{
	gc_timer_cancel(gc, &m->session_timer);
	member_fail_parked(m, KERR_UNKNOWN_MEMBER_ID);
	group_remove_member(g, m);
}

/* removeMemberAndUpdateGroup: drop m, then rebalance or finish the join. */
static void gc_member_remove(group_coord *gc, group *g, gmember *m, const char *reason)
{
	gc_member_drop(gc, g, m);
	switch (g->state) {
	case GROUP_STABLE:
	case GROUP_COMPLETING_REBALANCE:
		gc_prepare_rebalance(gc, g, reason);
		break;
	case GROUP_PREPARING_REBALANCE:
		gc_try_complete_join(gc, g);
		break;
	default:
		break;
	}
}

static void member_session_fire(group_timer *t)
{
	gmember *m = t->ud;
	group *g = m->g;
	group_coord *gc = g->gc;
	/* Members parked in Join or Sync cannot heartbeat; only a new member's
	 * first join gives up (NewMemberJoinTimeoutMs). */
	if (!m->is_new && (m->join_cb || m->sync_cb)) {
		gc_member_session_start(gc, m, m->session_timeout_ms);
		return;
	}
	log_info("member '%s' in group '%.*s' has failed, removing it from the group",
		 m->member_id, KSTR_FMT(group_name(g)));
	gc_member_remove(gc, g, m, "session timeout");
}

static void pending_fire(group_timer *t)
{
	gpending *p = t->ud;
	group *g = p->g;
	group_remove_pending(g, p);
	if (g->state == GROUP_PREPARING_REBALANCE)
		gc_try_complete_join(g->gc, g);
	gc_group_maybe_drop(g->gc, g); /* an id handed out to nobody */
}

/* "<prefix>-<uuid>" (Kafka: clientId or groupInstanceId, then a random UUID). */
static char *gc_new_member_id(group_coord *gc, kstr prefix)
{
	uint8_t u[16];
	if (getrandom(u, sizeof(u), GRND_NONBLOCK) != (ssize_t)sizeof(u)) {
		/* No entropy yet (early boot): unique is all we need. */
		uint64_t x = ++gc->id_seq, t = (uint64_t)clock_mono_us();
		memcpy(u, &x, 8);
		memcpy(u + 8, &t, 8);
	}
	u[6] = (u[6] & 0x0F) | 0x40;
	u[8] = (u[8] & 0x3F) | 0x80;
	char uuid[37];
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			uuid[k++] = '-';
		uuid[k++] = hex[u[i] >> 4];
		uuid[k++] = hex[u[i] & 15];
	}
	uuid[k] = 0;
	size_t pl = prefix.len > 0 ? (size_t)prefix.len : 0;
	char *id = xmalloc(st_add(pl, 38));
	if (pl)
		memcpy(id, prefix.p, pl);
	id[pl] = '-';
	memcpy(id + pl + 1, uuid, 37);
	return id;
}

/* ------------------------------------------------------------ rebalance */

static void join_timer_fire(group_timer *t);
static void sync_timer_fire(group_timer *t);

/* resetAndPropagateAssignmentError */
static void gc_propagate_error(group_coord *gc, group *g, int16_t err)
{
	for (gmember *m = g->members; m; m = m->next) {
		free(m->assignment);
		m->assignment = xmalloc(1);
		m->assignment_len = 0;
		if (m->sync_cb) {
			sync_done_cb *cb = m->sync_cb;
			m->sync_cb = NULL;
			sync_reply(cb, m->sync_ud, err, g, (kbytes){ NULL, 0 });
		}
		gc_member_session_start(gc, m, m->session_timeout_ms);
	}
}

static void gc_clear_pending_sync(group_coord *gc, group *g)
{
	gc_timer_cancel(gc, &g->sync_timer);
	for (gmember *m = g->members; m; m = m->next)
		m->pending_sync = false;
}

static void gc_prepare_rebalance(group_coord *gc, group *g, const char *reason)
{
	if (g->state == GROUP_COMPLETING_REBALANCE)
		gc_propagate_error(gc, g, KERR_REBALANCE_IN_PROGRESS);
	gc_clear_pending_sync(gc, g);
	bool initial = g->state == GROUP_EMPTY;
	log_info("preparing to rebalance group '%.*s' in state %s with old generation %d (%s)",
		 KSTR_FMT(group_name(g)), group_state_name(g->state), g->generation,
		 reason ? reason : "");
	group_set_state(g, GROUP_PREPARING_REBALANCE, gc_now(gc));
	int32_t rebalance = group_rebalance_timeout(g);
	if (initial) {
		/* InitialDelayedJoin: wait for more members to show up. */
		int32_t delay = gc->cfg.group_initial_rebalance_delay_ms;
		if (delay > rebalance)
			delay = rebalance;
		g->join_initial = true;
		g->join_remaining_ms = rebalance - delay;
		gc_timer_arm(gc, &g->join_timer, delay, join_timer_fire, g);
		return;
	}
	g->join_initial = false;
	gc_timer_arm(gc, &g->join_timer, rebalance, join_timer_fire, g);
	gc_try_complete_join(gc, g);
}

static void gc_maybe_prepare_rebalance(group_coord *gc, group *g, const char *reason)
{
	if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE ||
	    g->state == GROUP_EMPTY)
		gc_prepare_rebalance(gc, g, reason);
}

static void gc_empty_stored(gc_append *ap, int err)
{
	if (err && ap->gc && !ap->gc->closing)
		log_warn("failed to write the metadata of empty group '%.*s' (%d)",
			 KSTR_FMT(group_name(ap->g)), err);
}

/* Sends the join responses of a finished join phase (onCompleteJoin). */
static void gc_answer_joins(group_coord *gc, group *g)
{
	join_member *ms = group_member_list(g);
	kstr leader = group_leader_id(g);
	for (gmember *m = g->members; m; m = m->next) {
		void *ud;
		join_done_cb *cb = member_take_join(m, &ud);
		bool is_leader = group_is_leader(g, m);
		if (cb) {
			join_result r;
			memset(&r, 0, sizeof(r));
			r.generation_id = g->generation;
			r.protocol_type = cstr_k(g->protocol_type);
			r.protocol_name = cstr_k(g->protocol_name);
			r.leader = leader;
			r.member_id = kstr_c(m->member_id);
			r.members = is_leader ? ms : NULL;
			r.members_count = is_leader ? g->nmembers : 0;
			cb(ud, &r);
		}
		m->is_new = false;
		m->pending_sync = true;
		gc_member_session_start(gc, m, m->session_timeout_ms);
	}
	free(ms);
	gc_timer_arm(gc, &g->sync_timer, group_rebalance_timeout(g), sync_timer_fire, g);
}

static void gc_complete_join(group_coord *gc, group *g)
{
	gc_timer_cancel(gc, &g->join_timer);
	g->join_initial = false;
	/* Dynamic members that did not rejoin in time are out. */
	for (gmember *m = g->members, *next; m; m = next) {
		next = m->next;
		if (!m->join_cb && !m->instance_id) {
			log_info("member '%s' of group '%.*s' did not rejoin, removing it",
				 m->member_id, KSTR_FMT(group_name(g)));
			gc_member_drop(gc, g, m);
		}
	}
	if (!group_elect_joined_leader(g) && g->nmembers > 0) {
		/* Only static members that have not rejoined are left: wait for
		 * them (or their session expiry) another rebalance timeout. */
		log_warn("group '%.*s' has no rejoined member; waiting another rebalance timeout",
			 KSTR_FMT(group_name(g)));
		gc_timer_arm(gc, &g->join_timer, group_rebalance_timeout(g), join_timer_fire, g);
		return;
	}
	/* initNextGeneration */
	g->generation++;
	free(g->protocol_name);
	g->protocol_name = NULL;
	if (g->nmembers > 0) {
		const char *p = group_select_protocol(g);
		g->protocol_name = p ? xstrdup(p) : NULL;
		group_set_state(g, GROUP_COMPLETING_REBALANCE, gc_now(gc));
	} else {
		group_set_state(g, GROUP_EMPTY, gc_now(gc));
	}
	log_info("stabilized group '%.*s' generation %d with %d members",
		 KSTR_FMT(group_name(g)), g->generation, g->nmembers);
	if (g->state == GROUP_EMPTY) {
		gc_group_store(gc, g, NULL, gc_empty_stored, NULL, NULL);
		return;
	}
	gc_answer_joins(gc, g);
}

static void gc_try_complete_join(group_coord *gc, group *g)
{
	if (g->state == GROUP_PREPARING_REBALANCE && !g->join_initial && group_all_joined(g))
		gc_complete_join(gc, g);
}

static void join_timer_fire(group_timer *t)
{
	group *g = t->ud;
	group_coord *gc = g->gc;
	if (g->state != GROUP_PREPARING_REBALANCE)
		return;
	/* Members arrived during the window: wait until none has arrived for
	 * a whole delay (Kafka waits a whole new delay instead; a quiet window
	 * after the last arrival lands the same fleet in one generation, and 4
	 * consumers started together are assigned in ~60 ms, not ~105). No
	 * arrival since the timer was armed leaves delay <= 0. */
	if (g->join_initial && g->join_remaining_ms > 0) {
		int64_t delay = g->last_added_ms + gc->cfg.group_initial_rebalance_delay_ms -
				gc_now(gc);
		if (delay > g->join_remaining_ms)
			delay = g->join_remaining_ms;
		if (delay > 0) {
			g->join_remaining_ms -= delay;
			gc_timer_arm(gc, &g->join_timer, delay, join_timer_fire, g);
			return;
		}
	}
	gc_complete_join(gc, g);
}

/* DelayedSync expired: members that never sent SyncGroup are removed. */
static void sync_timer_fire(group_timer *t)
{
	group *g = t->ud;
	group_coord *gc = g->gc;
	if (g->state != GROUP_COMPLETING_REBALANCE && g->state != GROUP_STABLE)
		return;
	int32_t n = 0;
	for (gmember *m = g->members, *next; m; m = next) {
		next = m->next;
		if (m->pending_sync) {
			log_info("member '%s' of group '%.*s' did not sync in time, removing it",
				 m->member_id, KSTR_FMT(group_name(g)));
			gc_member_drop(gc, g, m);
			n++;
		}
	}
	if (n > 0)
		gc_prepare_rebalance(gc, g, "pending sync expired");
}

static void member_synced(group_coord *gc, group *g, gmember *m)
{
	if (!m->pending_sync)
		return;
	m->pending_sync = false;
	for (gmember *o = g->members; o; o = o->next)
		if (o->pending_sync)
			return;
	gc_timer_cancel(gc, &g->sync_timer);
}

/* ----------------------------------------------------------------- join */

/* addMemberAndRebalance */
static void gc_add_member_and_rebalance(group_coord *gc, group *g, kstr member_id,
					const join_args *a, join_done_cb *cb, void *ud)
{
	if (g->state == GROUP_PREPARING_REBALANCE && g->generation == 0)
		g->last_added_ms = gc_now(gc);
	gmember *m = group_add_member(g, member_id, a);
	m->is_new = true;
	member_set_join(m, cb, ud);
	/* Sockets of parked joins are not read, so a vanished new member is
	 * noticed only by this timer. */
	gc_member_session_start(gc, m, gc->cfg.new_member_join_timeout_ms);
	gc_maybe_prepare_rebalance(gc, g, "adding new member");
}

static void gc_update_member_and_rebalance(group_coord *gc, group *g, gmember *m,
					   const join_args *a, join_done_cb *cb, void *ud)
{
	group_member_update(m, a);
	member_set_join(m, cb, ud);
	gc_maybe_prepare_rebalance(gc, g, "updating metadata of a member");
}

typedef struct static_join_op {
	char *member_id;
	char *leader;               /* leader id before the replacement */
	bool skip_support;          /* JoinGroup v9+ */
} static_join_op;

static void static_join_free(gc_append *ap)
{
	static_join_op *op = ap->data;
	free(op->member_id);
	free(op->leader);
	free(op);
}

static void static_join_stored(gc_append *ap, int err)
{
	static_join_op *op = ap->data;
	group *g = ap->g;
	if (g->removed)
		return;
	gmember *m = group_find(g, kstr_c(op->member_id));
	if (!m || !m->join_cb)
		return; /* answered meanwhile (rebalance, removal, shutdown) */
	void *ud;
	join_done_cb *cb = member_take_join(m, &ud);
	if (err) {
		/* NEEDSWORK: Kafka also reverts the replacement here. */
		join_reply_error(cb, ud, KERR_COORDINATOR_NOT_AVAILABLE, kstr_c(m->member_id));
		return;
	}
	/* KIP-814 (v9+): a replaced leader is told to skip the assignment. */
	if (op->skip_support && group_is_leader(g, m))
		join_reply_current(g, cb, ud, kstr_c(m->member_id), true, kstr_c(m->member_id), true);
	else
		join_reply_current(g, cb, ud, kstr_c(m->member_id), false,
				   op->leader ? kstr_c(op->leader) : KSTR_EMPTY, false);
}

/* updateStaticMemberAndRebalance: a known instance id with a new member id. */
static void gc_replace_static_member(group_coord *gc, group *g, gmember *m, char *new_id,
				     const join_args *a, join_done_cb *cb, void *ud)
{
	char *old_leader = g->leader ? xstrdup(g->leader->member_id) : NULL;
	log_info("static member '%s' of group '%.*s' rejoined as '%s'", m->instance_id,
		 KSTR_FMT(group_name(g)), new_id);
	member_fail_parked(m, KERR_FENCED_INSTANCE_ID);
	free(m->member_id);
	m->member_id = new_id;
	gc_member_session_start(gc, m, m->session_timeout_ms);
	group_member_update(m, a);
	member_set_join(m, cb, ud);
	if (g->state == GROUP_STABLE) {
		const char *sel = group_select_protocol(g);
		if (sel && g->protocol_name && strcmp(sel, g->protocol_name) == 0) {
			/* Same protocol: persist the new member id, no rebalance. */
			static_join_op *op = xcalloc(1, sizeof(*op));
			op->member_id = xstrdup(new_id);
			op->leader = old_leader;
			op->skip_support = a->version >= 9;
			gc_group_store(gc, g, NULL, static_join_stored, op, static_join_free);
			return;
		}
		gc_maybe_prepare_rebalance(gc, g, "static member changed protocol");
	} else if (g->state == GROUP_COMPLETING_REBALANCE) {
		gc_maybe_prepare_rebalance(gc, g, "static member rejoined during sync");
	}
	free(old_leader);
}

/* doNewMemberJoinGroup: member_id is "". */
static void gc_join_new(group_coord *gc, group *g, const join_args *a, join_done_cb *cb, void *ud)
{
	if (!group_supports_protocols(g, a->protocol_type, a->protocols, a->protocols_count)) {
		join_reply_error(cb, ud, KERR_INCONSISTENT_GROUP_PROTOCOL, a->member_id);
		return;
	}
	bool is_static = !kstr_is_null(a->group_instance_id);
	char *id = gc_new_member_id(gc, is_static ? a->group_instance_id : a->client_id);
	if (is_static) {
		gmember *old = group_find_instance(g, a->group_instance_id);
		if (old) {
			gc_replace_static_member(gc, g, old, id, a, cb, ud);
			return;
		}
		gc_add_member_and_rebalance(gc, g, kstr_c(id), a, cb, ud);
	} else if (a->version >= 4) {
		/* KIP-394: hand out an id and make the client come back with it. */
		gpending *p = group_add_pending(g, kstr_c(id));
		gc_timer_arm(gc, &p->timer, a->session_timeout_ms, pending_fire, p);
		join_reply_error(cb, ud, KERR_MEMBER_ID_REQUIRED, kstr_c(id));
	} else {
		gc_add_member_and_rebalance(gc, g, kstr_c(id), a, cb, ud);
	}
	free(id);
}

static int16_t gc_validate_member(const group *g, kstr member_id, kstr instance_id)
{
	if (!kstr_is_null(instance_id)) {
		gmember *m = group_find_instance(g, instance_id);
		if (!m)
			return KERR_UNKNOWN_MEMBER_ID;
		if (!kstr_eq(kstr_c(m->member_id), member_id))
			return KERR_FENCED_INSTANCE_ID;
		return KERR_NONE;
	}
	return group_find(g, member_id) ? KERR_NONE : KERR_UNKNOWN_MEMBER_ID;
}

/* doCurrentMemberJoinGroup: member_id is set. */
static void gc_join_current(group_coord *gc, group *g, const join_args *a, join_done_cb *cb,
			    void *ud)
{
	if (!group_supports_protocols(g, a->protocol_type, a->protocols, a->protocols_count)) {
		join_reply_error(cb, ud, KERR_INCONSISTENT_GROUP_PROTOCOL, a->member_id);
		return;
	}
	gpending *p = kstr_is_null(a->group_instance_id) ? group_find_pending(g, a->member_id) : NULL;
	if (p) {
		gc_timer_cancel(gc, &p->timer);
		group_remove_pending(g, p);
		gc_add_member_and_rebalance(gc, g, a->member_id, a, cb, ud);
		return;
	}
	int16_t err = gc_validate_member(g, a->member_id, a->group_instance_id);
	gmember *m = group_find(g, a->member_id);
	if (err || !m) {
		join_reply_error(cb, ud, err ? err : KERR_UNKNOWN_MEMBER_ID, a->member_id);
		return;
	}
	bool matches = member_matches(m, a->protocols, a->protocols_count);
	switch (g->state) {
	case GROUP_PREPARING_REBALANCE:
		gc_update_member_and_rebalance(gc, g, m, a, cb, ud);
		break;
	case GROUP_COMPLETING_REBALANCE:
		/* Same metadata: it missed the join response; resend it. */
		if (matches)
			join_reply_current(g, cb, ud, a->member_id, group_is_leader(g, m),
					   group_leader_id(g), false);
		else
			gc_update_member_and_rebalance(gc, g, m, a, cb, ud);
		break;
	case GROUP_STABLE:
		/* A follower with unchanged metadata gets the current generation
		 * (cooperative clients rejoin like this); the leader rebalances. */
		if (group_is_leader(g, m) || !matches)
			gc_update_member_and_rebalance(gc, g, m, a, cb, ud);
		else
			join_reply_current(g, cb, ud, a->member_id, false, group_leader_id(g), false);
		break;
	default:
		join_reply_error(cb, ud, KERR_UNKNOWN_MEMBER_ID, a->member_id);
		break;
	}
}

/* acceptJoiningMember (group.max.size). */
static bool gc_accept_member(const group_coord *gc, const group *g, kstr member_id)
{
	const gmember *m = group_find(g, member_id);
	switch (g->state) {
	case GROUP_PREPARING_REBALANCE:
		return (m && m->join_cb) || g->nawaiting_join < gc->cfg.group_max_size;
	case GROUP_COMPLETING_REBALANCE:
	case GROUP_STABLE:
		return m || g->nmembers < gc->cfg.group_max_size;
	default:
		return true;
	}
}

void group_coord_join(group_coord *gc, const join_args *a, join_done_cb *cb, void *ud)
{
	if (gc->closing) {
		join_reply_error(cb, ud, KERR_COORDINATOR_NOT_AVAILABLE, a->member_id);
		return;
	}
	if (a->group_id.len <= 0) {
		join_reply_error(cb, ud, KERR_INVALID_GROUP_ID, a->member_id);
		return;
	}
	if (a->session_timeout_ms < gc->cfg.group_min_session_timeout_ms ||
	    a->session_timeout_ms > gc->cfg.group_max_session_timeout_ms) {
		join_reply_error(cb, ud, KERR_INVALID_SESSION_TIMEOUT, a->member_id);
		return;
	}
	bool new_member = a->member_id.len <= 0;
	group *g = gc_group_get(gc, a->group_id);
	if (!g) {
		if (!new_member) {
			join_reply_error(cb, ud, KERR_UNKNOWN_MEMBER_ID, a->member_id);
			return;
		}
		g = gc_group_create(gc, a->group_id);
	}
	if (!gc_accept_member(gc, g, a->member_id)) {
		gmember *m = group_find(g, a->member_id);
		if (m)
			gc_member_remove(gc, g, m, "group is full");
		join_reply_error(cb, ud, KERR_GROUP_MAX_SIZE_REACHED, KSTR_EMPTY);
		return;
	}
	if (new_member)
		gc_join_new(gc, g, a, cb, ud);
	else
		gc_join_current(gc, g, a, cb, ud);
	if (g->state == GROUP_PREPARING_REBALANCE)
		gc_try_complete_join(gc, g);
	gc_group_maybe_drop(gc, g); /* a failed first join leaves nothing */
}

/* ----------------------------------------------------------------- sync */

typedef struct sync_op {
	int32_t generation;
	int32_t n;
	char **member_ids;
	kbytes *assign;             /* points into blob */
	uint8_t *blob;
} sync_op;

static void sync_op_free(gc_append *ap)
{
	sync_op *op = ap->data;
	for (int32_t i = 0; i < op->n; i++)
		free(op->member_ids[i]);
	free(op->member_ids);
	free(op->assign);
	free(op->blob);
	free(op);
}

/* setAndPropagateAssignment, then Stable. */
static void sync_stored(gc_append *ap, int err)
{
	sync_op *op = ap->data;
	group *g = ap->g;
	group_coord *gc = ap->gc;
	/* Another member may have joined meanwhile: then the parked syncs
	 * were already answered REBALANCE_IN_PROGRESS. */
	if (g->removed || gc->closing || g->state != GROUP_COMPLETING_REBALANCE ||
	    g->generation != op->generation)
		return;
	if (err) {
		log_warn("storing the assignment of group '%.*s' failed (%d)",
			 KSTR_FMT(group_name(g)), err);
		gc_propagate_error(gc, g, KERR_COORDINATOR_NOT_AVAILABLE);
		gc_maybe_prepare_rebalance(gc, g, "storing the assignment failed");
		return;
	}
	for (int32_t i = 0; i < op->n; i++) {
		gmember *m = group_find(g, kstr_c(op->member_ids[i]));
		if (!m)
			continue;
		free(m->assignment);
		m->assignment = xmalloc(op->assign[i].len ? (size_t)op->assign[i].len : 1);
		if (op->assign[i].len)
			memcpy(m->assignment, op->assign[i].p, (size_t)op->assign[i].len);
		m->assignment_len = op->assign[i].len;
	}
	group_set_state(g, GROUP_STABLE, gc_now(gc));
	for (gmember *m = g->members; m; m = m->next) {
		if (m->sync_cb) {
			sync_done_cb *cb = m->sync_cb;
			m->sync_cb = NULL;
			sync_reply(cb, m->sync_ud, KERR_NONE, g,
				   (kbytes){ m->assignment, m->assignment_len });
		}
		gc_member_session_start(gc, m, m->session_timeout_ms);
	}
}

/* The leader's SyncGroup: copy the assignment (missing members get empty
 * bytes) and write it; followers stay parked until it is durable. */
static void gc_sync_leader(group_coord *gc, group *g, const sync_args *a)
{
	sync_op *op = xcalloc(1, sizeof(*op));
	op->generation = g->generation;
	op->n = g->nmembers;
	XCALLOC_ARRAY(op->member_ids, op->n ? (size_t)op->n : 1);
	XCALLOC_ARRAY(op->assign, op->n ? (size_t)op->n : 1);
	size_t total = 0;
	kbytes *found;
	XCALLOC_ARRAY(found, op->n ? (size_t)op->n : 1);
	int32_t i = 0, missing = 0;
	for (gmember *m = g->members; m; m = m->next, i++) {
		op->member_ids[i] = xstrdup(m->member_id);
		kbytes *f = &found[i];
		*f = (kbytes){ NULL, 0 };
		bool have = false;
		for (int32_t k = 0; k < a->assignments_count; k++) {
			if (kstr_eq(a->assignments[k].member_id, kstr_c(m->member_id))) {
				kbytes b = a->assignments[k].assignment;
				*f = (kbytes){ b.p, b.len > 0 ? b.len : 0 }; /* last wins */
				have = true;
			}
		}
		missing += !have;
		total = st_add(total, (size_t)f->len);
	}
	if (missing)
		log_warn("leader of group '%.*s' gave no assignment for %d members",
			 KSTR_FMT(group_name(g)), missing);
	op->blob = xmalloc(total ? total : 1);
	size_t at = 0;
	for (i = 0; i < op->n; i++) {
		if (found[i].len)
			memcpy(op->blob + at, found[i].p, (size_t)found[i].len);
		op->assign[i] = (kbytes){ op->blob + at, found[i].len };
		at += (size_t)found[i].len;
	}
	free(found);
	gc_group_store(gc, g, op->assign, sync_stored, op, sync_op_free);
}

/* Checks a SyncGroup against the group; NONE when it may go on. */
static int16_t gc_sync_check(group_coord *gc, group *g, const sync_args *a)
{
	if (gc->closing)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (a->group_id.len <= 0)
		return KERR_INVALID_GROUP_ID;
	if (!g)
		return KERR_UNKNOWN_MEMBER_ID;
	int16_t err = gc_validate_member(g, a->member_id, a->group_instance_id);
	if (err)
		return err;
	if (a->generation_id != g->generation)
		return KERR_ILLEGAL_GENERATION;
	if (!kstr_is_null(a->protocol_type) &&
	    (!g->protocol_type || !kstr_eq(a->protocol_type, kstr_c(g->protocol_type))))
		return KERR_INCONSISTENT_GROUP_PROTOCOL;
	if (!kstr_is_null(a->protocol_name) &&
	    (!g->protocol_name || !kstr_eq(a->protocol_name, kstr_c(g->protocol_name))))
		return KERR_INCONSISTENT_GROUP_PROTOCOL;
	if (g->state == GROUP_PREPARING_REBALANCE)
		return KERR_REBALANCE_IN_PROGRESS;
	if (g->state != GROUP_COMPLETING_REBALANCE && g->state != GROUP_STABLE)
		return KERR_UNKNOWN_MEMBER_ID;
	return KERR_NONE;
}

void group_coord_sync(group_coord *gc, const sync_args *a, sync_done_cb *cb, void *ud)
{
	kbytes none = { (const uint8_t *)"", 0 };
	group *g = gc->closing ? NULL : gc_group_get(gc, a->group_id);
	int16_t err = gc_sync_check(gc, g, a);
	if (err) {
		sync_reply(cb, ud, err, NULL, none);
		return;
	}
	gmember *m = group_find(g, a->member_id);
	gc_member_session_start(gc, m, m->session_timeout_ms);
	member_synced(gc, g, m);
	if (g->state == GROUP_STABLE) {
		sync_reply(cb, ud, KERR_NONE, g, (kbytes){ m->assignment, m->assignment_len });
		return;
	}
	/* CompletingRebalance: park until the leader's assignment is durable. */
	if (m->sync_cb) /* a retry replaces the request it gave up on */
		sync_reply(m->sync_cb, m->sync_ud, KERR_REBALANCE_IN_PROGRESS, NULL, none);
	m->sync_cb = cb;
	m->sync_ud = ud;
	if (group_is_leader(g, m))
		gc_sync_leader(gc, g, a);
}

/* ------------------------------------------------------ heartbeat, leave */

int16_t group_coord_heartbeat(group_coord *gc, kstr group_id, kstr member_id,
			      kstr group_instance_id, int32_t generation_id)
{
	if (gc->closing)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (group_id.len <= 0)
		return KERR_INVALID_GROUP_ID;
	group *g = gc_group_get(gc, group_id);
	if (!g)
		return KERR_UNKNOWN_MEMBER_ID;
	int16_t err = gc_validate_member(g, member_id, group_instance_id);
	if (err)
		return err;
	if (generation_id != g->generation)
		return KERR_ILLEGAL_GENERATION;
	gmember *m = group_find(g, member_id);
	switch (g->state) {
	case GROUP_COMPLETING_REBALANCE:
	case GROUP_STABLE:
		gc_member_session_start(gc, m, m->session_timeout_ms);
		return KERR_NONE;
	case GROUP_PREPARING_REBALANCE:
		gc_member_session_start(gc, m, m->session_timeout_ms);
		return KERR_REBALANCE_IN_PROGRESS;
	default:
		return KERR_UNKNOWN_MEMBER_ID;
	}
}

static int16_t gc_leave_one(group_coord *gc, group *g, const leave_member *lm)
{
	if (kstr_is_null(lm->group_instance_id)) {
		gpending *p = group_find_pending(g, lm->member_id);
		if (p) {
			gc_timer_cancel(gc, &p->timer);
			group_remove_pending(g, p);
			if (g->state == GROUP_PREPARING_REBALANCE)
				gc_try_complete_join(gc, g);
			return KERR_NONE;
		}
	}
	gmember *m;
	if (!kstr_is_null(lm->group_instance_id) && lm->member_id.len <= 0) {
		/* KIP-345: an admin removes a static member by instance id. */
		m = group_find_instance(g, lm->group_instance_id);
	} else {
		int16_t err = gc_validate_member(g, lm->member_id, lm->group_instance_id);
		if (err)
			return err;
		m = group_find(g, lm->member_id);
	}
	if (!m)
		return KERR_UNKNOWN_MEMBER_ID;
	log_info("member '%s' is leaving group '%.*s' (%.*s)", m->member_id,
		 KSTR_FMT(group_name(g)), KSTR_FMT(lm->reason));
	gc_member_remove(gc, g, m, "member left the group");
	return KERR_NONE;
}

int16_t group_coord_leave(group_coord *gc, kstr group_id, const leave_member *members, int32_t n,
			  int16_t *errors)
{
	if (gc->closing)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (group_id.len <= 0)
		return KERR_INVALID_GROUP_ID;
	group *g = gc_group_get(gc, group_id);
	for (int32_t i = 0; i < n; i++)
		errors[i] = g ? gc_leave_one(gc, g, &members[i]) : KERR_UNKNOWN_MEMBER_ID;
	return KERR_NONE;
}

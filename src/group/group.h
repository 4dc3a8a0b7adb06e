/*
 * group.h: one classic group: its members, state and chosen protocol.
 *
 * This module holds the data and the pure rules (protocol support and
 * selection, leader choice, member lookup, subscriptions). The transitions
 * that involve timers, parked requests and the log live in the coordinator
 * (group_coord_join.c), which owns the group objects.
 *
 * Invariants:
 *  - members are kept in join order; the leader, when set, is a member;
 *  - nawaiting_join counts members with a parked JoinGroup (join_cb set);
 *  - a static member's instance id is unique within the group;
 *  - protocol_type is NULL for a group that never had members (simple
 *    group) and stays set after the group empties (KIP-211 needs it).
 *
 * Member lookups are linear: groups have at most a few hundred members and
 * each lookup is dwarfed by the request decode.
 * Thread: loop thread only.
 */
#ifndef TM_GROUP_H
#define TM_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "group/group_coord.h"
#include "group/offsets.h"

enum group_state {
	GROUP_EMPTY = 0,
	GROUP_PREPARING_REBALANCE,
	GROUP_COMPLETING_REBALANCE,
	GROUP_STABLE,
	GROUP_DEAD,
};

typedef struct group group;

/* An owned copy of one (name, metadata) protocol. */
typedef struct gprotocol {
	char *name;
	int32_t name_len;
	uint8_t *meta;
	int32_t meta_len;
} gprotocol;

typedef struct gmember {
	struct gmember *next;       /* join order */
	group *g;
	char *member_id;
	char *instance_id;          /* NULL for dynamic members */
	char *client_id;
	char *client_host;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	gprotocol *protocols;
	int32_t nprotocols;
	uint8_t *assignment;
	int32_t assignment_len;
	join_done_cb *join_cb;      /* parked JoinGroup, or NULL */
	void *join_ud;
	sync_done_cb *sync_cb;      /* parked SyncGroup, or NULL */
	void *sync_ud;
	bool is_new;                /* joined, no join response yet (5-minute expiry) */
	bool pending_sync;          /* join answered, SyncGroup not yet seen */
	group_timer session_timer;
} gmember;

/* A member id handed out with MEMBER_ID_REQUIRED and not yet used (KIP-394). */
typedef struct gpending {
	struct gpending *next;
	group *g;
	char *member_id;
	group_timer timer;
} gpending;

struct group {
	group_coord *gc;
	char *id;
	int32_t id_len;
	int32_t partition;          /* __consumer_offsets partition */
	enum group_state state;
	int64_t state_ts;           /* wall ms when the state last changed; -1 unknown */
	int32_t generation;
	char *protocol_type;        /* NULL: none */
	char *protocol_name;        /* NULL: none */
	gmember *leader;            /* NULL: none */
	gmember *members;
	int32_t nmembers;
	int32_t nawaiting_join;
	gpending *pending;
	int32_t npending;
	offsets *offs;
	/* join phase */
	group_timer join_timer;
	bool join_initial;          /* the running join timer is an InitialDelayedJoin */
	int64_t join_remaining_ms;  /* InitialDelayedJoin: rebalance time left */
	int64_t last_added_ms;      /* InitialDelayedJoin: when the newest member arrived
				     * (generation 0 only, as Kafka's newMemberAdded) */
	/* DelayedSync */
	group_timer sync_timer;
	int refs;                   /* operations in flight holding the group */
	bool removed;               /* no longer in the coordinator's table */
};

/* A new Empty group (generation 0, no protocol type), owning a copy of id. */
group *group_new(group_coord *gc, kstr id, int32_t partition);
/* Frees the group, its members, pending ids and offsets. Timers must be
 * cancelled and callbacks answered by the caller first. */
void group_free(group *g);

static inline kstr group_name(const group *g) { return (kstr){ g->id, g->id_len }; }
const char *group_state_name(enum group_state s);

gmember *group_find(const group *g, kstr member_id);
gmember *group_find_instance(const group *g, kstr instance_id);
gpending *group_find_pending(const group *g, kstr member_id);
static inline bool group_is_leader(const group *g, const gmember *m) { return g->leader == m; }

/* Creates a member (copying everything) and appends it in join order; the
 * first member sets the group's protocol type, the first member with no
 * leader around becomes leader. */
gmember *group_add_member(group *g, kstr member_id, const join_args *a);
/* Unlinks and frees m (re-electing the leader if needed). The caller has
 * answered its parked requests and cancelled its timer. */
void group_remove_member(group *g, gmember *m);
/* Replaces m's protocols and timeouts with those of a. */
void group_member_update(gmember *m, const join_args *a);
/* Adds / removes a KIP-394 pending member id. */
gpending *group_add_pending(group *g, kstr member_id);
void group_remove_pending(group *g, gpending *p);

/* Can a member with this protocol type and protocols join (supportsProtocols)? */
bool group_supports_protocols(const group *g, kstr protocol_type, const group_protocol *ps,
			      int32_t n);
/* Same protocol names and metadata, in the same order? */
bool member_matches(const gmember *m, const group_protocol *ps, int32_t n);
/* Metadata of m for protocol name (empty when m does not support it). */
kbytes member_metadata(const gmember *m, const char *protocol);
/* Picks the protocol every member supports by vote over each member's
 * preference order; NULL when there is none. The result points into a
 * member's protocol (copy it). */
const char *group_select_protocol(const group *g);
/* The group's rebalance timeout: the maximum over members. */
int32_t group_rebalance_timeout(const group *g);
/* Every member has a parked JoinGroup and no pending member ids remain. */
bool group_all_joined(const group *g);
/* If the leader has no parked JoinGroup, picks the first member that has
 * one. Returns false when no joined member is left. */
bool group_elect_joined_leader(group *g);
void group_set_state(group *g, enum group_state s, int64_t now_ms);

/*
 * The topics the members subscribe to, from their "consumer" protocol
 * metadata (ConsumerProtocolSubscription, INT16 version first). Returns
 * false when the group is not a consumer group or a member's metadata does
 * not parse (Kafka then treats the subscription as unknown). On true,
 * calls fn for each topic of each member (duplicates possible).
 */
bool group_subscriptions(const group *g, void (*fn)(void *ud, kstr topic), void *ud);
/* Is topic among the group's subscriptions (false when unknown)? */
bool group_subscribes_to(const group *g, kstr topic);

static inline kstr cstr_k(const char *s) { return s ? kstr_c(s) : KSTR_NULL; }

#endif

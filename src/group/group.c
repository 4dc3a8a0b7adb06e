/*
 * group.c: one classic group's data and pure rules (see group.h).
 *
 * Rules follow Kafka's GroupMetadata.scala / ClassicGroup.java:
 * supportsProtocols, selectProtocol (vote), maybeElectNewJoinedLeader,
 * hasAllMembersJoined and computeSubscribedTopics.
 */
#include "group/group.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/slice.h"
#include "core/xalloc.h"
#include "proto/gen/msg_consumer_protocol_subscription.h"

static const char *const group_state_names[] = {
	[GROUP_EMPTY] = "Empty",
	[GROUP_PREPARING_REBALANCE] = "PreparingRebalance",
	[GROUP_COMPLETING_REBALANCE] = "CompletingRebalance",
	[GROUP_STABLE] = "Stable",
	[GROUP_DEAD] = "Dead",
};

const char *group_state_name(enum group_state s)
{
	if ((unsigned)s > GROUP_DEAD)
		return "Dead";
	return group_state_names[s];
}

static char *kdup(kstr s)
{
	return xstrndup(s.len > 0 ? s.p : "", s.len > 0 ? (size_t)s.len : 0);
}

static char *kdup_nullable(kstr s)
{
	return kstr_is_null(s) ? NULL : kdup(s);
}

static uint8_t *bdup(kbytes b, int32_t *len)
{
	*len = b.len > 0 ? b.len : 0;
	uint8_t *p = xmalloc(*len ? (size_t)*len : 1);
	if (*len)
		memcpy(p, b.p, (size_t)*len);
	return p;
}

static bool kstr_eq_cstr(kstr a, const char *s)
{
	if (!s)
		return kstr_is_null(a);
	return !kstr_is_null(a) && kstr_eq(a, kstr_c(s));
}

group *group_new(group_coord *gc, kstr id, int32_t partition)
{
	group *g = xcalloc(1, sizeof(*g));
	g->gc = gc;
	g->id_len = id.len > 0 ? id.len : 0;
	g->id = kdup(id);
	g->partition = partition;
	g->state = GROUP_EMPTY;
	g->state_ts = -1;
	g->offs = offsets_new();
	return g;
}

static void gprotocols_free(gprotocol *ps, int32_t n)
{
	for (int32_t i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].meta);
	}
	free(ps);
}

static void gmember_free(gmember *m)
{
	free(m->member_id);
	free(m->instance_id);
	free(m->client_id);
	free(m->client_host);
	gprotocols_free(m->protocols, m->nprotocols);
	free(m->assignment);
	free(m);
}

void group_free(group *g)
{
	if (!g)
		return;
	while (g->members) {
		gmember *m = g->members;
		g->members = m->next;
		gmember_free(m);
	}
	while (g->pending) {
		gpending *p = g->pending;
		g->pending = p->next;
		free(p->member_id);
		free(p);
	}
	offsets_free(g->offs);
	free(g->protocol_type);
	free(g->protocol_name);
	free(g->id);
	free(g);
}

gmember *group_find(const group *g, kstr member_id)
{
	if (kstr_is_null(member_id))
		return NULL;
	for (gmember *m = g->members; m; m = m->next)
		if (kstr_eq_cstr(member_id, m->member_id))
			return m;
	return NULL;
}

gmember *group_find_instance(const group *g, kstr instance_id)
{
	if (kstr_is_null(instance_id))
		return NULL;
	for (gmember *m = g->members; m; m = m->next)
		if (m->instance_id && kstr_eq_cstr(instance_id, m->instance_id))
			return m;
	return NULL;
}

gpending *group_find_pending(const group *g, kstr member_id)
{
	for (gpending *p = g->pending; p; p = p->next)
		if (kstr_eq_cstr(member_id, p->member_id))
			return p;
	return NULL;
}

static void member_set_protocols(gmember *m, const join_args *a)
{
	gprotocols_free(m->protocols, m->nprotocols);
	m->nprotocols = a->protocols_count > 0 ? a->protocols_count : 0;
	XCALLOC_ARRAY(m->protocols, m->nprotocols ? (size_t)m->nprotocols : 1);
	for (int32_t i = 0; i < m->nprotocols; i++) {
		const group_protocol *p = &a->protocols[i];
		m->protocols[i].name_len = p->name.len > 0 ? p->name.len : 0;
		m->protocols[i].name = kdup(p->name);
		m->protocols[i].meta = bdup(p->metadata, &m->protocols[i].meta_len);
	}
}

void group_member_update(gmember *m, const join_args *a)
{
	member_set_protocols(m, a);
	m->session_timeout_ms = a->session_timeout_ms;
	/* v0 has no rebalance timeout; a nonsensical one means the same. */
	m->rebalance_timeout_ms = a->version == 0 || a->rebalance_timeout_ms <= 0
					  ? a->session_timeout_ms
					  : a->rebalance_timeout_ms;
}

gmember *group_add_member(group *g, kstr member_id, const join_args *a)
{
	gmember *m = xcalloc(1, sizeof(*m));
	m->g = g;
	m->member_id = kdup(member_id);
	m->instance_id = kdup_nullable(a->group_instance_id);
	m->client_id = kdup(a->client_id);
	m->client_host = kdup(a->client_host);
	m->assignment = xmalloc(1);
	group_member_update(m, a);
	if (!g->members) {
		free(g->protocol_type);
		g->protocol_type = kdup(a->protocol_type);
	}
	gmember **pp = &g->members;
	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
	g->nmembers++;
	if (!g->leader)
		g->leader = m;
	return m;
}

void group_remove_member(group *g, gmember *m)
{
	gmember **pp = &g->members;
	while (*pp && *pp != m)
		pp = &(*pp)->next;
	if (!*pp)
		return; /* NEVER: not a member */
	*pp = m->next;
	g->nmembers--;
	if (m->join_cb)
		g->nawaiting_join--;
	if (g->leader == m)
		g->leader = g->members; /* Kafka: the first remaining member */
	gmember_free(m);
}

gpending *group_add_pending(group *g, kstr member_id)
{
	gpending *p = xcalloc(1, sizeof(*p));
	p->g = g;
	p->member_id = kdup(member_id);
	p->next = g->pending;
	g->pending = p;
	g->npending++;
	return p;
}

void group_remove_pending(group *g, gpending *p)
{
	gpending **pp = &g->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = p->next;
	g->npending--;
	free(p->member_id);
	free(p);
}

static int32_t group_protocol_support(const group *g, kstr name)
{
	int32_t n = 0;
	for (const gmember *m = g->members; m; m = m->next) {
		for (int32_t i = 0; i < m->nprotocols; i++) {
			if (kstr_eq(name, (kstr){ m->protocols[i].name, m->protocols[i].name_len })) {
				n++;
				break;
			}
		}
	}
	return n;
}

bool group_supports_protocols(const group *g, kstr protocol_type, const group_protocol *ps,
			      int32_t n)
{
	if (g->state == GROUP_EMPTY)
		return protocol_type.len > 0 && n > 0;
	if (!g->protocol_type || !kstr_eq_cstr(protocol_type, g->protocol_type))
		return false;
	for (int32_t i = 0; i < n; i++)
		if (group_protocol_support(g, ps[i].name) == g->nmembers)
			return true;
	return false;
}

bool member_matches(const gmember *m, const group_protocol *ps, int32_t n)
{
	if (n != m->nprotocols)
		return false;
	for (int32_t i = 0; i < n; i++) {
		const gprotocol *q = &m->protocols[i];
		int32_t ml = ps[i].metadata.len > 0 ? ps[i].metadata.len : 0;
		if (!kstr_eq(ps[i].name, (kstr){ q->name, q->name_len }) || ml != q->meta_len)
			return false;
		if (ml && memcmp(ps[i].metadata.p, q->meta, (size_t)ml) != 0)
			return false;
	}
	return true;
}

kbytes member_metadata(const gmember *m, const char *protocol)
{
	if (protocol) {
		for (int32_t i = 0; i < m->nprotocols; i++)
			if (strcmp(m->protocols[i].name, protocol) == 0)
				return (kbytes){ m->protocols[i].meta, m->protocols[i].meta_len };
	}
	return (kbytes){ (const uint8_t *)"", 0 };
}

/* The first protocol in m's preference order that every member supports. */
static const char *member_vote(const group *g, const gmember *m)
{
	for (int32_t i = 0; i < m->nprotocols; i++) {
		kstr name = { m->protocols[i].name, m->protocols[i].name_len };
		if (group_protocol_support(g, name) == g->nmembers)
			return m->protocols[i].name;
	}
	return NULL;
}

const char *group_select_protocol(const group *g)
{
	const char *best = NULL;
	int32_t best_votes = 0;
	/* Candidates in order of first vote; ties go to the earliest. */
	for (const gmember *c = g->members; c; c = c->next) {
		const char *cand = member_vote(g, c);
		if (!cand)
			return NULL;
		int32_t votes = 0;
		for (const gmember *m = g->members; m; m = m->next) {
			const char *v = member_vote(g, m);
			if (v && strcmp(v, cand) == 0)
				votes++;
		}
		if (votes > best_votes) {
			best = cand;
			best_votes = votes;
		}
	}
	return best;
}

int32_t group_rebalance_timeout(const group *g)
{
	int32_t t = 0;
	for (const gmember *m = g->members; m; m = m->next)
		if (m->rebalance_timeout_ms > t)
			t = m->rebalance_timeout_ms;
	return t;
}

bool group_all_joined(const group *g)
{
	return g->nawaiting_join == g->nmembers && g->npending == 0;
}

bool group_elect_joined_leader(group *g)
{
	if (g->leader && g->leader->join_cb)
		return true;
	for (gmember *m = g->members; m; m = m->next) {
		if (m->join_cb) {
			g->leader = m;
			return true;
		}
	}
	g->leader = NULL;
	return false;
}

void group_set_state(group *g, enum group_state s, int64_t now_ms)
{
	g->state = s;
	g->state_ts = now_ms;
}

/* Calls fn for each topic of one ConsumerProtocolSubscription; false when
 * the bytes do not parse. */
static bool subscription_topics(kbytes meta, arena *a, void (*fn)(void *ud, kstr topic), void *ud)
{
	slice s;
	slice_init(&s, meta.p ? meta.p : (const uint8_t *)"", meta.len > 0 ? (size_t)meta.len : 0);
	int16_t version = slice_i16(&s);
	if (s.err || version < 0)
		return false;
	/* Newer versions only append ignorable fields: read them as the newest
	 * we know, like Kafka's ConsumerProtocol. */
	if (version > KMSG_ConsumerProtocolSubscription_MAX_VERSION)
		version = KMSG_ConsumerProtocolSubscription_MAX_VERSION;
	kmsg_ConsumerProtocolSubscription sub;
	kmsg_ConsumerProtocolSubscription_init(&sub);
	if (kmsg_ConsumerProtocolSubscription_decode(&sub, &s, version, a) != 0 || s.err)
		return false;
	for (int32_t i = 0; i < sub.Topics_count; i++)
		fn(ud, sub.Topics[i]);
	return true;
}

bool group_subscriptions(const group *g, void (*fn)(void *ud, kstr topic), void *ud)
{
	if (!g->protocol_type || strcmp(g->protocol_type, "consumer") != 0)
		return false;
	if (!g->members)
		return true;
	if (!g->protocol_name)
		return false;
	arena *a = arena_new();
	bool ok = true;
	for (const gmember *m = g->members; m && ok; m = m->next)
		ok = subscription_topics(member_metadata(m, g->protocol_name), a, fn, ud);
	arena_free(a);
	return ok;
}

typedef struct sub_find {
	kstr topic;
	bool found;
} sub_find;

static void sub_find_fn(void *ud, kstr topic)
{
	sub_find *f = ud;
	if (kstr_eq(f->topic, topic))
		f->found = true;
}

bool group_subscribes_to(const group *g, kstr topic)
{
	sub_find f = { topic, false };
	if (!group_subscriptions(g, sub_find_fn, &f))
		return false;
	return f.found;
}

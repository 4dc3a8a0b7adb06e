/*
 * h_alterconfigs.c: run-time config changes: AlterConfigs (key 33, v0-v2)
 * and IncrementalAlterConfigs (key 44, v0-v1).
 *
 * AlterConfigs replaces the whole set of overrides of a resource: a config
 * the request leaves out goes back to its default. IncrementalAlterConfigs
 * (KIP-339) edits them one by one: SET 0, DELETE 1 (back to the default),
 * and for list configs (cleanup.policy, *.replication.throttled.replicas)
 * APPEND 2 / SUBTRACT 3 of items, starting from the effective value when
 * the topic has no override; APPEND keeps the old items first, then the new
 * ones not already there (delete + compact gives delete,compact). Either
 * way the resulting set goes to topics_replace_configs(), which validates
 * all of it before changing anything, writes it atomically and applies it
 * to the partition logs; DescribeConfigs then reports the overrides with
 * source DYNAMIC_TOPIC_CONFIG. ValidateOnly checks without changing.
 *
 * Errors per resource, as Kafka's ConfigAdminManager gives them:
 *   topic unknown                         UNKNOWN_TOPIC_OR_PARTITION
 *   unknown config name, bad value,
 *   APPEND/SUBTRACT on a non-list config  INVALID_CONFIG (with a message)
 *   resource twice in the request, a config name twice in a resource,
 *   a null value (other than DELETE), an unknown operation,
 *   an unknown resource type              INVALID_REQUEST
 *   broker (4) resources: we have no dynamic broker configs; an empty
 *   change is accepted (nothing to do), any other INVALID_REQUEST; broker
 *   loggers (8): INVALID_REQUEST.
 * Everything runs inline on the loop thread (a change costs one small
 * atomic file write).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/handlers.h"
#include "broker/hutil.h"
#include "broker/topics.h"
#include "broker/topics_config.h"
#include "core/xalloc.h"
#include "proto/gen/messages.h"

enum { RES_TOPIC = 2, RES_BROKER = 4, RES_BROKER_LOGGER = 8 };
enum { OP_SET = 0, OP_DELETE = 1, OP_APPEND = 2, OP_SUBTRACT = 3 };

/* The outcome of one resource. */
typedef struct ac_result {
	int16_t err;
	kstr msg; /* null when err == 0 */
} ac_result;

/* One config change, the common shape of both requests' entries. */
typedef struct ac_change {
	kstr name;
	kstr value;
	int8_t op;
} ac_change;

static ac_result fail(int16_t err, kstr msg)
{
	return (ac_result){err, msg};
}

/* ---- the override set of one topic ----------------------------------- */

/* The overrides being built: one slot per known topic config. */
typedef struct ac_set {
	topic_config_info info[TC_NCONFIGS];
	bool set[TC_NCONFIGS];
	kstr value[TC_NCONFIGS];
} ac_set;

/* Fills s from t; with keep, the current overrides are the starting set. */
static void set_load(ac_set *s, arena *a, const topic *t, bool keep)
{
	for (int i = 0; i < TC_NCONFIGS; i++) {
		topic_config_info *ci = &s->info[i];

		topic_config_get_info(t, i, ci);
		s->set[i] = keep && ci->is_override;
		s->value[i] = s->set[i] ? (kstr){arena_strndup(a, ci->value, strlen(ci->value)),
						 (int32_t)strlen(ci->value)}
					: KSTR_NULL;
	}
}

/* Next item of a comma list at *pos (trimmed); false at the end. */
static bool list_next(kstr l, int32_t *pos, kstr *item)
{
	int32_t i = *pos, j, b, e;

	if (i > l.len)
		return false;
	for (j = i; j < l.len && l.p[j] != ','; j++)
		;
	for (b = i; b < j && (l.p[b] == ' ' || l.p[b] == '\t'); b++)
		;
	for (e = j; e > b && (l.p[e - 1] == ' ' || l.p[e - 1] == '\t'); e--)
		;
	*item = (kstr){l.p + b, e - b};
	*pos = j + 1;
	return true;
}

static bool list_has(kstr l, kstr item)
{
	int32_t pos = 0;
	kstr x;

	while (list_next(l, &pos, &x))
		if (kstr_eq(x, item))
			return true;
	return false;
}

/* out = cur with the items of arg added (APPEND) or removed (SUBTRACT),
 * order kept, no item twice, empty items dropped. In the arena. */
static kstr list_edit(arena *a, kstr cur, kstr arg, bool append)
{
	size_t cap = st_add(st_add((size_t)cur.len, (size_t)arg.len), 2);
	char *out = arena_alloc(a, cap);
	kstr res = {out, 0}, x;
	int32_t pos = 0;

	for (int pass = 0; pass < 2; pass++) {
		kstr src = pass == 0 ? cur : arg;

		if (pass == 1 && !append)
			break;
		pos = 0;
		while (list_next(src, &pos, &x)) {
			if (x.len == 0 || list_has(res, x) || (!append && list_has(arg, x)))
				continue;
			if (res.len)
				out[res.len++] = ',';
			memcpy(out + res.len, x.p, (size_t)x.len);
			res.len += x.len;
		}
	}
	return res;
}

/* Applies one incremental change to s. */
static ac_result set_apply(ac_set *s, arena *a, const ac_change *c)
{
	int i = tc_find(c->name); /* s->info[] is in tc_defs order */
	kstr cur;

	if (c->op < OP_SET || c->op > OP_SUBTRACT)
		return fail(KERR_INVALID_REQUEST, hutil_msgf(a, "unknown config operation %d", c->op));
	if (c->op != OP_DELETE && kstr_is_null(c->value))
		return fail(KERR_INVALID_REQUEST,
			    hutil_msgf(a, "null value for config '%.*s'", (int)c->name.len, c->name.p));
	if (i < 0)
		return fail(KERR_INVALID_CONFIG, hutil_msgf(a, "Unknown topic config name: %.*s",
						      KSTR_FMT(c->name)));
	if (c->op == OP_SET || c->op == OP_DELETE) {
		s->set[i] = c->op == OP_SET;
		s->value[i] = c->op == OP_SET ? c->value : KSTR_NULL;
		return fail(KERR_NONE, KSTR_NULL);
	}
	if (s->info[i].type != CT_LIST)
		return fail(KERR_INVALID_CONFIG,
			    hutil_msgf(a, "config '%s' is not a list: APPEND and SUBTRACT need one",
				 s->info[i].name));
	cur = s->set[i] ? s->value[i] : kstr_c(s->info[i].value);
	s->value[i] = list_edit(a, cur, c->value, c->op == OP_APPEND);
	s->set[i] = true;
	return fail(KERR_NONE, KSTR_NULL);
}

/* Hands the set to the registry. */
static ac_result set_commit(ac_set *s, arena *a, topics *ts, topic *t, bool validate_only)
{
	kstr names[TC_NCONFIGS], values[TC_NCONFIGS];
	const char *why = NULL;
	enum kerr err;
	int n = 0;

	for (int i = 0; i < TC_NCONFIGS; i++) {
		if (!s->set[i])
			continue;
		names[n] = kstr_c(s->info[i].name);
		values[n++] = s->value[i];
	}
	err = topics_replace_configs(ts, t, names, values, n, validate_only, &why);
	if (err == KERR_NONE)
		return fail(KERR_NONE, KSTR_NULL);
	return fail((int16_t)err, hutil_msgf(a, "%s", why ? why : "invalid config"));
}

/* ---- one resource --------------------------------------------------- */

/*
 * Changes the configs of one resource: cs[0..n) with incremental
 * semantics, or (replace) as AlterConfigs' complete new set.
 */
static ac_result alter_resource(broker *b, arena *a, int8_t type, kstr name, const ac_change *cs,
				int n, bool replace, bool validate_only)
{
	kstr *names;
	bool *dup;
	ac_set *s;
	topic *t;

	if (type == RES_BROKER)
		return n == 0 ? fail(KERR_NONE, KSTR_NULL)
			      : fail(KERR_INVALID_REQUEST,
				     hutil_msgf(a, "dynamic broker configs are not supported"));
	if (type != RES_TOPIC)
		return fail(KERR_INVALID_REQUEST,
			    hutil_msgf(a, "unsupported config resource type %d", (int)type));
	t = topics_find(broker_topics(b), name);
	if (!t)
		return fail(KERR_UNKNOWN_TOPIC_OR_PARTITION,
			    hutil_msgf(a, "unknown topic '%.*s'", (int)name.len, name.p));
	names = arena_calloc(a, (size_t)n + 1, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = cs[i].name;
	dup = hutil_mark_duplicates(a, NULL, names, n);
	for (int i = 0; i < n; i++)
		if (dup[i])
			return fail(KERR_INVALID_REQUEST, hutil_msgf(a, "config '%.*s' appears twice",
							       (int)names[i].len, names[i].p));
	s = arena_calloc(a, 1, sizeof(*s));
	set_load(s, a, t, !replace);
	for (int i = 0; i < n; i++) {
		ac_result res = set_apply(s, a, &cs[i]);

		if (res.err)
			return res;
	}
	return set_commit(s, a, broker_topics(b), t, validate_only);
}

/* ---- handlers --------------------------------------------------------- */

int handle_AlterConfigs(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_AlterConfigsRequest m;
	kmsg_AlterConfigsResponse resp;
	int32_t *types;
	kstr *rnames;
	bool *dup;
	int nr;

	kmsg_AlterConfigsRequest_init(&m);
	if (kmsg_AlterConfigsRequest_decode(&m, body, version, a) < 0)
		return -1;
	nr = m.Resources_count > 0 ? m.Resources_count : 0;
	types = arena_calloc(a, (size_t)nr + 1, sizeof(*types));
	rnames = arena_calloc(a, (size_t)nr + 1, sizeof(*rnames));
	for (int i = 0; i < nr; i++) {
		types[i] = m.Resources[i].ResourceType;
		rnames[i] = m.Resources[i].ResourceName;
	}
	dup = hutil_mark_duplicates(a, types, rnames, nr);
	kmsg_AlterConfigsResponse_init(&resp);
	resp.Responses_count = nr;
	resp.Responses = arena_calloc(a, (size_t)nr + 1, sizeof(*resp.Responses));
	for (int i = 0; i < nr; i++) {
		kmsg_AlterConfigsRequest_AlterConfigsResource *rr = &m.Resources[i];
		kmsg_AlterConfigsResponse_AlterConfigsResourceResponse *out = &resp.Responses[i];
		int nc = rr->Configs_count > 0 ? rr->Configs_count : 0;
		ac_change *cs = arena_calloc(a, (size_t)nc + 1, sizeof(*cs));
		ac_result res;

		for (int k = 0; k < nc; k++)
			cs[k] = (ac_change){rr->Configs[k].Name, rr->Configs[k].Value, OP_SET};
		res = dup[i] ? fail(KERR_INVALID_REQUEST, hutil_msgf(a, "resource appears twice"))
			     : alter_resource(b, a, rr->ResourceType, rr->ResourceName, cs, nc,
					      true, m.ValidateOnly);
		kmsg_AlterConfigsResponse_AlterConfigsResourceResponse_init(out);
		out->ErrorCode = res.err;
		out->ErrorMessage = res.msg;
		out->ResourceType = rr->ResourceType;
		out->ResourceName = rr->ResourceName;
	}
	kmsg_AlterConfigsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

int handle_IncrementalAlterConfigs(broker *b, req *r, slice *body)
{
	arena *a = req_arena(r);
	int16_t version = req_hdr(r)->api_version;
	kmsg_IncrementalAlterConfigsRequest m;
	kmsg_IncrementalAlterConfigsResponse resp;
	int32_t *types;
	kstr *rnames;
	bool *dup;
	int nr;

	kmsg_IncrementalAlterConfigsRequest_init(&m);
	if (kmsg_IncrementalAlterConfigsRequest_decode(&m, body, version, a) < 0)
		return -1;
	nr = m.Resources_count > 0 ? m.Resources_count : 0;
	types = arena_calloc(a, (size_t)nr + 1, sizeof(*types));
	rnames = arena_calloc(a, (size_t)nr + 1, sizeof(*rnames));
	for (int i = 0; i < nr; i++) {
		types[i] = m.Resources[i].ResourceType;
		rnames[i] = m.Resources[i].ResourceName;
	}
	dup = hutil_mark_duplicates(a, types, rnames, nr);
	kmsg_IncrementalAlterConfigsResponse_init(&resp);
	resp.Responses_count = nr;
	resp.Responses = arena_calloc(a, (size_t)nr + 1, sizeof(*resp.Responses));
	for (int i = 0; i < nr; i++) {
		kmsg_IncrementalAlterConfigsRequest_AlterConfigsResource *rr = &m.Resources[i];
		kmsg_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse *out =
		    &resp.Responses[i];
		int nc = rr->Configs_count > 0 ? rr->Configs_count : 0;
		ac_change *cs = arena_calloc(a, (size_t)nc + 1, sizeof(*cs));
		ac_result res;

		for (int k = 0; k < nc; k++)
			cs[k] = (ac_change){rr->Configs[k].Name, rr->Configs[k].Value,
					    rr->Configs[k].ConfigOperation};
		res = dup[i] ? fail(KERR_INVALID_REQUEST, hutil_msgf(a, "resource appears twice"))
			     : alter_resource(b, a, rr->ResourceType, rr->ResourceName, cs, nc,
					      false, m.ValidateOnly);
		kmsg_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(out);
		out->ErrorCode = res.err;
		out->ErrorMessage = res.msg;
		out->ResourceType = rr->ResourceType;
		out->ResourceName = rr->ResourceName;
	}
	kmsg_IncrementalAlterConfigsResponse_encode(&resp, req_body(r), version);
	req_respond(r);
	return 0;
}

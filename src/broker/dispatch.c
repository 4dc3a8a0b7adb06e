/*
 * dispatch.c: ApiKey -> handler, with the versions we serve.
 *
 * Ranges follow the table in the protocol notes (section 12): wide enough
 * for librdkafka 2.x, kafka-python 2.0, kafkajs 2.2 and Java 3.x/4.x
 * clients. Unknown keys and unsupported versions close the connection, as
 * Kafka does, except ApiVersions, which answers UNSUPPORTED_VERSION with a
 * v0 body so the client can retry lower (KIP-511).
 */
#include "broker/dispatch.h"

#include "broker/handlers.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "proto/gen/apis.h"

static const api_entry table[] = {
	{ 0, 0, 0, 9, handle_Produce },          /* Produce: v0-2 answered with an error */
	{ 1, 4, 4, 12, handle_Fetch },           /* Fetch: 13+ need topic ids */
	{ 2, 0, 0, 7, handle_ListOffsets },
	{ 3, 0, 0, 12, handle_Metadata },
	{ 8, 2, 2, 9, handle_OffsetCommit },
	{ 9, 1, 1, 8, handle_OffsetFetch },
	{ 10, 0, 0, 4, handle_FindCoordinator },
	{ 11, 0, 0, 9, handle_JoinGroup },
	{ 12, 0, 0, 4, handle_Heartbeat },
	{ 13, 0, 0, 5, handle_LeaveGroup },
	{ 14, 0, 0, 5, handle_SyncGroup },
	{ 15, 0, 0, 5, handle_DescribeGroups },
	{ 16, 0, 0, 4, handle_ListGroups },
	{ 18, 0, 0, 3, handle_ApiVersions },
	{ 19, 0, 0, 7, handle_CreateTopics },
	{ 20, 0, 0, 6, handle_DeleteTopics },
	{ 21, 0, 0, 2, handle_DeleteRecords },
	{ 32, 0, 0, 4, handle_DescribeConfigs },
	{ 33, 0, 0, 2, handle_AlterConfigs },
	{ 37, 0, 0, 3, handle_CreatePartitions },
	{ 42, 0, 0, 2, handle_DeleteGroups },
	{ 44, 0, 0, 1, handle_IncrementalAlterConfigs },
	{ 47, 0, 0, 0, handle_OffsetDelete },
	{ 60, 0, 0, 1, handle_DescribeCluster },
};

const api_entry *dispatch_find(int16_t key)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].key == key)
			return &table[i];
	return NULL;
}

const api_entry *dispatch_table(int *n)
{
	*n = (int)(sizeof(table) / sizeof(table[0]));
	return table;
}

static const char *api_name(int16_t key)
{
	const api_info *ai = apis_find(key);

	return ai ? ai->name : "unknown API";
}

/* Decoded structs may be larger than their wire form (an array element of
 * a few bytes becomes a C struct); this bounds what one request may cost. */
#define ARENA_FACTOR 8
#define ARENA_SLACK (1u << 20)

int dispatch_request(void *ud, req *r, const req_header *h, slice *body)
{
	broker *b = ud;
	const api_entry *e = dispatch_find(h->api_key);

	arena_set_limit(req_arena(r), st_add(st_mult(slice_left(body), ARENA_FACTOR), ARENA_SLACK));
	if (h->api_key == API_KEY_API_VERSIONS)
		return handle_ApiVersions(b, r, body); /* handles bad versions itself */
	if (!e || !h->known) {
		req_close_conn(r, "unsupported API key");
		return 0;
	}
	if (h->api_version < e->min || h->api_version > e->max) {
		log_warn("unsupported version %d of %s (key %d) from %s: closing", h->api_version,
			 api_name(h->api_key), h->api_key, req_peer(r));
		req_close_conn(r, "unsupported API version");
		return 0;
	}
	return e->fn(b, r, body);
}

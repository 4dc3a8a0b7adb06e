/*
 * hutil.h: small helpers shared by the request handlers.
 */
#ifndef TM_HUTIL_H
#define TM_HUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/logger.h"
#include "net/conn.h"
#include "proto/kmsg.h"

/*
 * Returns dup[0..n-1] (from a): true for every entry whose (types[i],
 * names[i]) occurs more than once in the request; types may be NULL (names
 * alone). Null names are never duplicates. O(n log n); n is bounded by the
 * request size. Kafka answers such entries INVALID_REQUEST.
 */
bool *hutil_mark_duplicates(arena *a, const int8_t *types, const kstr *names, int n);

/* Encodes resp (a kmsg_<type>) in the request's version and queues it. */
#define HUTIL_RESPOND(r, type, resp)                                                    \
	do {                                                                            \
		if (type##_encode((resp), req_body(r), req_hdr(r)->api_version) != 0)   \
			log_warn("encoding %s v%d failed", #type, req_hdr(r)->api_version); \
		req_respond(r);                                                         \
	} while (0)

#endif

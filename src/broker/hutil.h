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

/* printf into the request arena (at most 511 bytes), as a kstr for a
 * response field such as ErrorMessage; KSTR_NULL if formatting fails. */
__attribute__((format(printf, 2, 3))) kstr hutil_msgf(arena *a, const char *fmt, ...);

/*
 * Returns dup[0..n-1] (from a): true for every entry whose (types[i],
 * names[i]) occurs more than once in the request; types (a resource type,
 * a partition index: any number that belongs to the key) may be NULL
 * (names alone). Null names are never duplicates. O(n log n); n is bounded by the
 * request size. Kafka answers such entries INVALID_REQUEST.
 */
bool *hutil_mark_duplicates(arena *a, const int32_t *types, const kstr *names, int n);

/* What hutil_classify_duplicates() says of one entry. */
enum hutil_dup {
	HUTIL_UNIQUE = 0,    /* its key occurs once */
	HUTIL_DUP_FIRST = 1, /* the first of the entries sharing a key */
	HUTIL_DUP_LATER = 2, /* a later entry with the key of a HUTIL_DUP_FIRST one */
};

/*
 * Like hutil_mark_duplicates(), for the requests where Kafka's ControllerApis
 * answers each distinct duplicated name ONCE with INVALID_REQUEST
 * (CreateTopics, CreatePartitions, DeleteTopics): answer the HUTIL_DUP_FIRST
 * entry so and leave the HUTIL_DUP_LATER ones out. Returns cls[0..n-1] (an
 * enum hutil_dup each, from a) and sets *nresults to the number of entries
 * that are not HUTIL_DUP_LATER (the size of the response array).
 */
uint8_t *hutil_classify_duplicates(arena *a, const int32_t *types, const kstr *names, int n,
				   int *nresults);

/* Encodes resp (a kmsg_<type>) in the request's version and queues it. */
#define HUTIL_RESPOND(r, type, resp)                                                    \
	do {                                                                            \
		if (type##_encode((resp), req_body(r), req_hdr(r)->api_version) != 0)   \
			log_warn("encoding %s v%d failed", #type, req_hdr(r)->api_version); \
		req_respond(r);                                                         \
	} while (0)

#endif

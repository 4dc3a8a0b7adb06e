/*
 * dispatch.h: the table of APIs tidemark serves, and the dispatcher the
 * connections call for every request.
 *
 * Each entry maps an API key to {lowest version advertised, lowest version
 * served, highest version, handler}. The advertised minimum can sit below
 * the served one. Produce is advertised from v0 because librdkafka turns
 * compression off when Produce v0 is not in the range; v0-v2 (message
 * formats v0/v1) are decoded and answered UNSUPPORTED_VERSION per partition
 * (h_produce.c).
 */
#ifndef TM_DISPATCH_H
#define TM_DISPATCH_H

#include <stdint.h>

#include "broker/broker.h"

typedef struct api_entry {
	int16_t key;
	int16_t adv_min; /* advertised in ApiVersions */
	int16_t min;     /* served */
	int16_t max;
	handler_fn *fn;
} api_entry;

/* The entry for key, or NULL if tidemark does not serve it. */
const api_entry *dispatch_find(int16_t key);
/* All entries, ordered by key; *n receives the count. */
const api_entry *dispatch_table(int *n);
/* The conn_dispatch_fn given to the listener; ud is the broker. */
int dispatch_request(void *ud, req *r, const req_header *h, slice *body);

#endif

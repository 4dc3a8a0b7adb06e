/*
 * frame.h: Kafka request and response headers.
 *
 * Request header v0: api_key INT16, api_version INT16, correlation_id INT32
 * (only ControlledShutdown v0). v1 adds client_id NULLABLE_STRING. v2 (every
 * flexible API version) adds a tagged-field block; client_id stays a
 * non-compact INT16-length string there too. Responses: v0 is the
 * correlation id; v1 (flexible versions) adds an empty tagged-field block,
 * except ApiVersions, which always answers with v0 (KIP-511).
 */
#ifndef TM_FRAME_H
#define TM_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/slice.h"
#include "proto/kmsg.h"

#define API_KEY_API_VERSIONS 18

typedef struct req_header {
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	kstr client_id; /* view into the request bytes; null for header v0 */
	bool flexible;  /* request header v2 / response header v1 */
	bool known;     /* api_key and api_version are in the schema tables */
} req_header;

/*
 * Parses the request header at the start of s (the frame after its size),
 * choosing the header version from the API's schema (proto/gen/apis.h). On
 * return s is positioned at the body. An unknown API key parses as header
 * v1 with known = false, so the caller can close. A known key at a version
 * outside the schema's range also gets known = false, but takes header v2
 * when the version is at or past the API's first flexible version (as in
 * Kafka), so an ApiVersions request newer than ours parses and can get the
 * KIP-511 answer. Returns 0, or -1 when truncated or malformed. h->client_id
 * points into s's bytes. Any thread.
 */
int frame_parse_request_header(slice *s, req_header *h);
/* Appends the response header for h to b. */
void frame_write_response_header(buf *b, const req_header *h);

#endif

/*
 * frame.c: request header parsing and response header writing (frame.h).
 *
 * The header version follows the API's schema (proto/gen/apis.h): request
 * header v2 for flexible API versions, v1 otherwise, v0 only for
 * ControlledShutdown v0. client_id is an INT16-length NULLABLE_STRING in
 * every header version (RequestHeader.json: flexibleVersions "none" on it).
 * Responses: v1 (an empty tagged-field block after the correlation id) for
 * flexible versions, except ApiVersions, which always uses v0 (KIP-511).
 */
#include "proto/frame.h"

#include "proto/gen/apis.h"

#define API_KEY_CONTROLLED_SHUTDOWN 7

int frame_parse_request_header(slice *s, req_header *h)
{
	const api_info *ai;

	h->api_key = slice_i16(s);
	h->api_version = slice_i16(s);
	h->correlation_id = slice_i32(s);
	h->client_id = KSTR_NULL;
	h->flexible = false;
	h->known = false;
	if (s->err)
		return -1;
	ai = apis_find(h->api_key);
	h->known = ai && h->api_version >= ai->min_version && h->api_version <= ai->max_version;
	if (h->api_key == API_KEY_CONTROLLED_SHUTDOWN && h->api_version == 0)
		return 0; /* request header v0: no client id */
	/* A version above the max still takes the flexible header when the API
	 * has one, so that an ApiVersions request newer than ours parses and
	 * gets the KIP-511 answer. Unknown keys parse as header v1. */
	h->flexible = h->api_version >= 0 && apis_is_flexible(h->api_key, h->api_version);
	if (wire_read_str(s, false, true, &h->client_id))
		return -1;
	if (h->flexible && wire_skip_tags(s))
		return -1;
	return 0;
}

void frame_write_response_header(buf *b, const req_header *h)
{
	buf_i32(b, h->correlation_id);
	if (h->flexible && h->api_key != API_KEY_API_VERSIONS)
		buf_uvarint(b, 0); /* empty tagged-field block */
}

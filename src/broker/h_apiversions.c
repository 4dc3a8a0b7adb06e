/*
 * h_apiversions.c: ApiVersions (key 18), v0-v3.
 *
 * The answer lists dispatch.c's table. An unknown version is answered with a
 * v0 body holding UNSUPPORTED_VERSION and the ApiVersions range only, so
 * librdkafka retries at min(requested - 1, our max) and kafkajs steps down
 * (KIP-511; ApiVersionsRequest.getErrorResponse). The response header is
 * always v0 for this API (frame_write_response_header knows).
 * We advertise no features: in particular not transaction.version >= 2
 * (KIP-890), which Java 4.x clients would act on.
 */
#include "broker/dispatch.h"
#include "broker/handlers.h"
#include "proto/gen/messages.h"
#include "proto/kerr.h"

int handle_ApiVersions(broker *b, req *r, slice *body)
{
	const req_header *h = req_hdr(r);
	const api_entry *self = dispatch_find(API_KEY_API_VERSIONS);
	kmsg_ApiVersionsResponse resp;
	int n;
	const api_entry *t = dispatch_table(&n);

	(void)b;
	kmsg_ApiVersionsResponse_init(&resp);
	if (h->api_version < 0 || h->api_version > self->max) {
		kmsg_ApiVersionsResponse_ApiVersion *av = arena_calloc(req_arena(r), 1, sizeof(*av));

		av->ApiKey = API_KEY_API_VERSIONS;
		av->MinVersion = self->adv_min;
		av->MaxVersion = self->max;
		resp.ErrorCode = KERR_UNSUPPORTED_VERSION;
		resp.ApiKeys = av;
		resp.ApiKeys_count = 1;
		kmsg_ApiVersionsResponse_encode(&resp, req_body(r), 0);
		req_respond(r);
		return 0;
	}
	{
		kmsg_ApiVersionsRequest rq;

		kmsg_ApiVersionsRequest_init(&rq);
		if (kmsg_ApiVersionsRequest_decode(&rq, body, h->api_version, req_arena(r)) < 0)
			return -1;
	}
	resp.ApiKeys = arena_calloc(req_arena(r), (size_t)n, sizeof(*resp.ApiKeys));
	resp.ApiKeys_count = n;
	for (int i = 0; i < n; i++) {
		resp.ApiKeys[i].ApiKey = t[i].key;
		resp.ApiKeys[i].MinVersion = t[i].adv_min;
		resp.ApiKeys[i].MaxVersion = t[i].max;
	}
	kmsg_ApiVersionsResponse_encode(&resp, req_body(r), h->api_version);
	req_respond(r);
	return 0;
}

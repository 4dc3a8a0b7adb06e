/*
 * handlers.h: every request handler, one per API key, named after Kafka's
 * API (handle_<ApiName>). See handler_fn in broker.h for the contract.
 * dispatch.c maps API keys and versions to them.
 */
#ifndef TM_HANDLERS_H
#define TM_HANDLERS_H

#include "broker/broker.h"

/* h_apiversions.c */
int handle_ApiVersions(broker *b, req *r, slice *body);
/* h_produce.c */
int handle_Produce(broker *b, req *r, slice *body);
/* h_fetch.c */
int handle_Fetch(broker *b, req *r, slice *body);
/* h_listoffsets.c */
int handle_ListOffsets(broker *b, req *r, slice *body);
/* h_metadata.c */
int handle_Metadata(broker *b, req *r, slice *body);
/* h_admin.c */
int handle_CreateTopics(broker *b, req *r, slice *body);
int handle_DeleteTopics(broker *b, req *r, slice *body);
int handle_CreatePartitions(broker *b, req *r, slice *body);
int handle_DescribeConfigs(broker *b, req *r, slice *body);
int handle_DescribeCluster(broker *b, req *r, slice *body);
/* h_group.c */
int handle_FindCoordinator(broker *b, req *r, slice *body);
int handle_JoinGroup(broker *b, req *r, slice *body);
int handle_SyncGroup(broker *b, req *r, slice *body);
int handle_Heartbeat(broker *b, req *r, slice *body);
int handle_LeaveGroup(broker *b, req *r, slice *body);
int handle_DescribeGroups(broker *b, req *r, slice *body);
int handle_ListGroups(broker *b, req *r, slice *body);
int handle_DeleteGroups(broker *b, req *r, slice *body);
/* Builds the group coordinator's host from the broker, creates and replays
 * __consumer_offsets, and returns the coordinator (NULL after logging). */
group_coord *broker_groups_setup(broker *b);
/* Frees what broker_groups_setup() made. */
void broker_groups_teardown(broker *b, group_coord *gc);
/* h_offsets.c */
int handle_OffsetCommit(broker *b, req *r, slice *body);
int handle_OffsetFetch(broker *b, req *r, slice *body);
int handle_OffsetDelete(broker *b, req *r, slice *body);

/* h_deleterecords.c */
int handle_DeleteRecords(broker *b, req *r, slice *body);
/* h_alterconfigs.c */
int handle_AlterConfigs(broker *b, req *r, slice *body);
int handle_IncrementalAlterConfigs(broker *b, req *r, slice *body);

#endif
/*
 * rdk_admin.c: librdkafka Admin API calls for group tests (the Python
 * clients on Debian 12 lack OffsetDelete and parts of the group admin API).
 *
 * Usage:
 *   rdk_admin BOOTSTRAP list-groups
 *       one line per group: "group <id> <state> simple=<0|1>"; then "errors <n>"
 *   rdk_admin BOOTSTRAP describe-group GROUP
 *       "group <id> state=<state> members=<n> error=<code>" then one line per
 *       member: "member <consumer_id> client=<client_id> partitions=<t:p,...>"
 *   rdk_admin BOOTSTRAP delete-group GROUP
 *       "deleted <group> error=<code> <name>"
 *   rdk_admin BOOTSTRAP list-offsets GROUP TOPIC PARTITION...
 *       "group <id> error=<code>" then "offset <topic> <part> <offset> error=<code> metadata=<m>"
 *   rdk_admin BOOTSTRAP delete-offsets GROUP TOPIC PARTITION...
 *       "group <id> error=<code> <name>" then "partition <topic> <part> error=<code> <name>"
 *
 * Error codes are librdkafka's rd_kafka_resp_err_t (Kafka codes for broker
 * errors, e.g. 68 NON_EMPTY_GROUP, 86 GROUP_SUBSCRIBED_TO_TOPIC). Exits 0 when
 * the request completed (whatever the per-group errors), 1 if the admin call
 * itself failed or timed out, 2 on usage errors. Timeouts: 15 s.
 *
 * Build: cc -std=c11 -Wall -Wextra -o rdk_admin rdk_admin.c -lrdkafka
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 15000

static rd_kafka_t *admin_new(const char *bootstrap)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "conf: %s\n", err);
		exit(2);
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "rd_kafka_new: %s\n", err);
		exit(2);
	}
	return rk;
}

static rd_kafka_AdminOptions_t *opts_new(rd_kafka_t *rk)
{
	char err[512];
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);

	if (rd_kafka_AdminOptions_set_request_timeout(o, TIMEOUT_MS, err, sizeof(err))) {
		fprintf(stderr, "options: %s\n", err);
		exit(2);
	}
	return o;
}

/* Waits for the admin result event; exits 1 on timeout or top-level error. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);

	if (!ev) {
		printf("error timeout waiting for the admin result\n");
		exit(1);
	}
	if (rd_kafka_event_error(ev)) {
		printf("error %d %s\n", (int)rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
		exit(1);
	}
	return ev;
}

static rd_kafka_topic_partition_list_t *parts_from_args(int argc, char **argv, int first)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(argc);
	int i;

	for (i = first + 1; i < argc; i++)
		rd_kafka_topic_partition_list_add(l, argv[first], atoi(argv[i]));
	return l;
}

static void print_group_result(const rd_kafka_group_result_t *g, const char *tag)
{
	const rd_kafka_error_t *e = rd_kafka_group_result_error(g);
	const rd_kafka_topic_partition_list_t *pl = rd_kafka_group_result_partitions(g);
	int i;

	printf("group %s error=%d %s\n", rd_kafka_group_result_name(g), e ? (int)rd_kafka_error_code(e) : 0,
	       e ? rd_kafka_error_string(e) : "");
	for (i = 0; pl && i < pl->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &pl->elems[i];

		if (strcmp(tag, "offset") == 0)
			printf("offset %s %d %lld error=%d metadata=%.*s\n", tp->topic, (int)tp->partition,
			       (long long)tp->offset, (int)tp->err, (int)tp->metadata_size,
			       tp->metadata ? (const char *)tp->metadata : "");
		else
			printf("partition %s %d error=%d %s\n", tp->topic, (int)tp->partition, (int)tp->err,
			       rd_kafka_err2name(tp->err));
	}
}

static int cmd_list_groups(rd_kafka_t *rk, rd_kafka_queue_t *q)
{
	rd_kafka_AdminOptions_t *o = opts_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_ListConsumerGroups_result_t *res;
	const rd_kafka_ConsumerGroupListing_t **valid;
	size_t n, nerr, i;

	rd_kafka_ListConsumerGroups(rk, o, q);
	ev = wait_result(q);
	res = rd_kafka_event_ListConsumerGroups_result(ev);
	valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
	for (i = 0; i < n; i++)
		printf("group %s %s simple=%d\n", rd_kafka_ConsumerGroupListing_group_id(valid[i]),
		       rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
		       rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]));
	rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
	printf("errors %zu\n", nerr);
	rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	return 0;
}

static int cmd_describe_group(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group)
{
	rd_kafka_AdminOptions_t *o = opts_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_ConsumerGroupDescription_t **gs;
	size_t n, i, m;

	rd_kafka_DescribeConsumerGroups(rk, &group, 1, o, q);
	ev = wait_result(q);
	gs = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
	for (i = 0; i < n; i++) {
		const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(gs[i]);
		size_t cnt = rd_kafka_ConsumerGroupDescription_member_count(gs[i]);

		printf("group %s state=%s members=%zu error=%d\n", rd_kafka_ConsumerGroupDescription_group_id(gs[i]),
		       rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(gs[i])), cnt,
		       e ? (int)rd_kafka_error_code(e) : 0);
		for (m = 0; m < cnt; m++) {
			const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(gs[i], m);
			const rd_kafka_MemberAssignment_t *ma = rd_kafka_MemberDescription_assignment(md);
			const rd_kafka_topic_partition_list_t *pl = rd_kafka_MemberAssignment_partitions(ma);
			int k;

			printf("member %s client=%s partitions=", rd_kafka_MemberDescription_consumer_id(md),
			       rd_kafka_MemberDescription_client_id(md));
			for (k = 0; pl && k < pl->cnt; k++)
				printf("%s%s:%d", k ? "," : "", pl->elems[k].topic, (int)pl->elems[k].partition);
			printf("\n");
		}
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	return 0;
}

static int cmd_delete_group(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group)
{
	rd_kafka_AdminOptions_t *o = opts_new(rk);
	rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(group);
	rd_kafka_event_t *ev;
	const rd_kafka_group_result_t **gs;
	size_t n, i;

	rd_kafka_DeleteGroups(rk, &dg, 1, o, q);
	ev = wait_result(q);
	gs = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
	for (i = 0; i < n; i++) {
		const rd_kafka_error_t *e = rd_kafka_group_result_error(gs[i]);

		printf("deleted %s error=%d %s\n", rd_kafka_group_result_name(gs[i]),
		       e ? (int)rd_kafka_error_code(e) : 0, e ? rd_kafka_err2name(rd_kafka_error_code(e)) : "NO_ERROR");
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteGroup_destroy(dg);
	rd_kafka_AdminOptions_destroy(o);
	return 0;
}

static int cmd_list_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, int argc, char **argv)
{
	rd_kafka_AdminOptions_t *o = opts_new(rk);
	rd_kafka_topic_partition_list_t *pl = parts_from_args(argc, argv, 4);
	rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(argv[3], pl);
	rd_kafka_event_t *ev;
	const rd_kafka_group_result_t **gs;
	size_t n, i;

	rd_kafka_ListConsumerGroupOffsets(rk, &lo, 1, o, q);
	ev = wait_result(q);
	gs = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
	for (i = 0; i < n; i++)
		print_group_result(gs[i], "offset");
	rd_kafka_event_destroy(ev);
	rd_kafka_ListConsumerGroupOffsets_destroy(lo);
	rd_kafka_topic_partition_list_destroy(pl);
	rd_kafka_AdminOptions_destroy(o);
	return 0;
}

static int cmd_delete_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, int argc, char **argv)
{
	rd_kafka_AdminOptions_t *o = opts_new(rk);
	rd_kafka_topic_partition_list_t *pl = parts_from_args(argc, argv, 4);
	rd_kafka_DeleteConsumerGroupOffsets_t *d = rd_kafka_DeleteConsumerGroupOffsets_new(argv[3], pl);
	rd_kafka_event_t *ev;
	const rd_kafka_group_result_t **gs;
	size_t n, i;

	rd_kafka_DeleteConsumerGroupOffsets(rk, &d, 1, o, q);
	ev = wait_result(q);
	gs = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
		rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n);
	for (i = 0; i < n; i++)
		print_group_result(gs[i], "partition");
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteConsumerGroupOffsets_destroy(d);
	rd_kafka_topic_partition_list_destroy(pl);
	rd_kafka_AdminOptions_destroy(o);
	return 0;
}

int main(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	int rc = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: %s BOOTSTRAP list-groups|describe-group G|delete-group G|"
				"list-offsets G T P...|delete-offsets G T P...\n", argv[0]);
		return 2;
	}
	rk = admin_new(argv[1]);
	q = rd_kafka_queue_new(rk);
	if (strcmp(argv[2], "list-groups") == 0)
		rc = cmd_list_groups(rk, q);
	else if (strcmp(argv[2], "describe-group") == 0 && argc == 4)
		rc = cmd_describe_group(rk, q, argv[3]);
	else if (strcmp(argv[2], "delete-group") == 0 && argc == 4)
		rc = cmd_delete_group(rk, q, argv[3]);
	else if (strcmp(argv[2], "list-offsets") == 0 && argc >= 6)
		rc = cmd_list_offsets(rk, q, argc, argv);
	else if (strcmp(argv[2], "delete-offsets") == 0 && argc >= 6)
		rc = cmd_delete_offsets(rk, q, argc, argv);
	else
		fprintf(stderr, "bad command\n");
	fflush(stdout);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/*
 * broker.h: the broker context, passed explicitly everywhere (no globals).
 *
 * It ties the modules together: the loop, the configuration, the topic
 * registry, the purgatory of delayed operations and the group coordinator.
 * Request handlers get it as their first argument.
 */
#ifndef TM_BROKER_H
#define TM_BROKER_H

#include "config/config.h"
#include "net/conn.h"
#include "net/loop.h"

typedef struct broker broker;
typedef struct topics topics;
typedef struct purgatory purgatory;
typedef struct group_coord group_coord;

/* Opens the data directory (lock file, topics, internal topics), binds the
 * listener. Returns NULL after logging why. cfg must outlive the broker. */
broker *broker_new(const broker_config *cfg);
/* Runs the loop until SIGTERM/SIGINT, then shuts down cleanly: stops
 * accepting, finishes in-flight requests, syncs, closes. Returns 0. */
int broker_run(broker *b);
void broker_free(broker *b);

loop *broker_loop(broker *b);
const broker_config *broker_cfg(broker *b);
topics *broker_topics(broker *b);
purgatory *broker_purgatory(broker *b);
group_coord *broker_groups(broker *b);
/* Bound port (after start; useful with port 0). */
int broker_port(broker *b);
/* Cluster id from meta.properties. */
const char *broker_cluster_id(broker *b);

/*
 * A request handler: decodes body with the generated decoder (into
 * req_arena(r)), does the work and finishes r with req_respond()/req_drop(),
 * now or later. Returns 0, or -1 when the body is malformed (the caller
 * closes the connection and finishes r).
 */
typedef int handler_fn(broker *b, req *r, slice *body);

#endif

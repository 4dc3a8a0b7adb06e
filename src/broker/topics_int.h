/*
 * topics_int.h: internals of topics.c exposed for its unit tests only.
 * Nothing outside topics.c and tests/unit/test_topics.c includes this.
 */
#ifndef TM_TOPICS_INT_H
#define TM_TOPICS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/kmsg.h"

/*
 * Splits a partition directory name "<topic>-<partition>" at its LAST '-'
 * (topic names may contain '-'). The partition must be a decimal int32
 * without sign or leading zeros, and the topic part a valid topic name.
 * Returns true and sets *name (a view into d) and *part.
 */
bool topics_parse_dir_name(const char *d, kstr *name, int32_t *part);

/* True for a directory name that topic deletion made ("<t>-<p>.<32 hex>-delete"). */
bool topics_is_delete_dir(const char *d);

/* Kafka's Uuid.toString(): base64url without padding, 22 chars + NUL. */
void topics_uuid_str(const kuuid *u, char out[23]);
/* The reverse; false unless s is exactly 22 valid characters. */
bool topics_uuid_parse(const char *s, size_t len, kuuid *u);

/* The file name (inside __tidemark_topics/) holding the overrides of topic
 * name (NUL-terminated, len bytes): "<name>.properties", or a shortened
 * hashed form for very long names. Returns false if out is too small. */
bool topics_props_name(const char *name, size_t len, char *out, size_t cap);

#endif

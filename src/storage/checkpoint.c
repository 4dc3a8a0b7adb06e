/*
 * checkpoint.c: Kafka's offset checkpoint files. See checkpoint.h for the
 * format.
 *
 * Reading takes the whole file into memory (capped) and walks it with a
 * line cursor; nothing is allocated for entries before the count has been
 * checked against the bytes present.
 */
#include "storage/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/fileio.h"

/* Shortest entry line: "t 0 0\n". */
#define MIN_ENTRY_LINE 6
#define TOPIC_MAX 249

/* A growable text buffer for writing. */
struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (st_add(t->len, n) > t->cap) {
		t->cap = st_add(t->cap, n) * 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void text_i64(struct text *t, long long v, char sep)
{
	char num[32];
	int k = snprintf(num, sizeof(num), "%lld%c", v, sep);

	text_add(t, num, (size_t)k);
}

int checkpoint_write(const char *path, const checkpoint_entry *e, size_t n)
{
	struct text t = {0};
	int rc;

	text_add(&t, "0\n", 2);
	text_i64(&t, (long long)n, '\n');
	for (size_t i = 0; i < n; i++) {
		text_add(&t, e[i].topic, strlen(e[i].topic));
		text_add(&t, " ", 1);
		text_i64(&t, e[i].partition, ' ');
		text_i64(&t, (long long)e[i].offset, '\n');
	}
	rc = fileio_replace_file(path, t.p, t.len);
	free(t.p);
	return rc;
}

int checkpoint_write_offset(const char *path, int64_t offset)
{
	char s[40];
	int k = snprintf(s, sizeof(s), "0\n%lld\n", (long long)offset);

	return fileio_replace_file(path, s, (size_t)k);
}

/* Reads the whole file: 0 and *data, *len; 1 when missing; -1 (logged). */
static int slurp(const char *path, char **data, size_t *len)
{
	struct stat st;
	ssize_t got;
	int fd = fileio_open(path, O_RDONLY, 0);

	if (fd == -ENOENT)
		return 1;
	if (fd < 0) {
		log_warn("cannot open '%s': %s", path, strerror(-fd));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > CHECKPOINT_MAX_BYTES) {
		log_warn("malformed checkpoint '%s': bad size", path);
		close(fd);
		return -1;
	}
	*data = xmalloc((size_t)st.st_size + 1);
	got = fileio_pread_full(fd, *data, (size_t)st.st_size, 0);
	close(fd);
	if (got < 0) {
		log_warn("cannot read '%s': %s", path, strerror((int)-got));
		free(*data);
		return -1;
	}
	*len = (size_t)got;
	return 0;
}

/* A cursor over lines. */
struct lines {
	const char *p, *end;
	int lineno;
};

/* Next line into [*s, *e) (without the newline). False at end of input. */
static bool next_line(struct lines *l, const char **s, const char **e)
{
	const char *nl;

	if (l->p >= l->end)
		return false;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*s = l->p;
	*e = nl ? nl : l->end;
	l->p = nl ? nl + 1 : l->end;
	l->lineno++;
	return true;
}

/* Parses a plain decimal in [s, e) no larger than max: digits only, no
 * sign, no leading zero. */
static bool parse_dec(const char *s, const char *e, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == e || (*s == '0' && e - s > 1))
		return false;
	for (; s < e; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool topic_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Parses "topic partition offset" in [s, e) into *ent (topic xmalloc'ed). */
static bool parse_entry(const char *s, const char *e, checkpoint_entry *ent)
{
	const char *sp1 = memchr(s, ' ', (size_t)(e - s)), *sp2;
	uint64_t part, off;

	if (!sp1 || sp1 == s || sp1 - s > TOPIC_MAX)
		return false;
	for (const char *c = s; c < sp1; c++)
		if (!topic_char(*c))
			return false;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (!sp2 || !parse_dec(sp1 + 1, sp2, INT32_MAX, &part) ||
	    !parse_dec(sp2 + 1, e, INT64_MAX, &off))
		return false;
	ent->topic = xstrndup(s, (size_t)(sp1 - s));
	ent->partition = (int32_t)part;
	ent->offset = (int64_t)off;
	return true;
}

/* Parses the whole text; on failure returns the 1-based line at fault. */
static int parse_all(const char *data, size_t len, checkpoint_entry **out, size_t *n)
{
	struct lines l = {data, data + len, 0};
	const char *s, *e;
	uint64_t version, count;
	checkpoint_entry *v;
	size_t i;

	if (!next_line(&l, &s, &e) || !parse_dec(s, e, INT32_MAX, &version) || version != 0)
		return 1;
	if (!next_line(&l, &s, &e))
		return 2;
	if (!parse_dec(s, e, INT32_MAX, &count))
		return l.lineno;
	if (count > (size_t)(l.end - l.p) / MIN_ENTRY_LINE + 1)
		return l.lineno; /* more entries than the bytes could hold */
	XCALLOC_ARRAY(v, (size_t)count);
	for (i = 0; i < count; i++) {
		bool have = next_line(&l, &s, &e);

		if (!have || !parse_entry(s, e, &v[i])) {
			checkpoint_free(v, i);
			return have ? l.lineno : l.lineno + 1; /* bad line, or missing */
		}
	}
	if (l.p != l.end) {
		checkpoint_free(v, i);
		return l.lineno + 1; /* trailing content */
	}
	*out = v;
	*n = (size_t)count;
	return 0;
}

int checkpoint_read(const char *path, checkpoint_entry **out, size_t *n)
{
	char *data = NULL;
	size_t len = 0;
	int rc = slurp(path, &data, &len), bad;

	*out = NULL;
	*n = 0;
	if (rc == 1)
		return 0;
	if (rc < 0)
		return -1;
	bad = parse_all(data, len, out, n);
	free(data);
	if (bad) {
		log_warn("malformed checkpoint '%s' at line %d", path, bad);
		return -1;
	}
	return 0;
}

void checkpoint_free(checkpoint_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		free(e[i].topic);
	free(e);
}

int checkpoint_read_offset(const char *path, int64_t *offset)
{
	struct lines l;
	char *data = NULL;
	size_t len = 0;
	const char *s, *e;
	uint64_t version, off;
	int rc = slurp(path, &data, &len);

	if (rc)
		return rc;
	l = (struct lines){data, data + len, 0};
	rc = -1;
	if (next_line(&l, &s, &e) && parse_dec(s, e, INT32_MAX, &version) && version == 0 &&
	    next_line(&l, &s, &e) && parse_dec(s, e, INT64_MAX, &off) && l.p == l.end) {
		*offset = (int64_t)off;
		rc = 0;
	} else {
		log_warn("malformed offset file '%s'", path);
	}
	free(data);
	return rc;
}

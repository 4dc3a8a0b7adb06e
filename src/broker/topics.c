/*
 * topics.c: the topic registry. See topics.h.
 *
 * Keeps true: every registered topic has partitions 0..N-1, each an open
 * plog in <log.dirs>/<topic>-<p>/ whose partition.metadata holds the topic's
 * id; a topic's effective config is the broker defaults plus its overrides,
 * and the overrides are exactly those in its properties file. Lookup by
 * name is a hash (open addressing over topic pointers), O(1) per produce.
 *
 * Files (text; every write is atomic: tmp file, fsync, rename, fsync dir):
 *
 *   <t>-<p>/partition.metadata   Kafka's PartitionMetadataFile
 *     line 1    "version: 0"
 *     line 2    "topic_id: " + 22 chars: the 16-byte id in base64url, no padding
 *
 *   __tidemark_topics/<t>.properties   only while the topic has overrides
 *     lines     "name=value", one per override, value in canonical form
 *               ('#' lines are comments, blank lines ignored)
 *     Names that would pass NAME_MAX use "<first 200 chars>~<16 hex digits of
 *     FNV-1a-64 of the name>.properties" ('~' never occurs in topic names).
 *
 *   recovery-point-offset-checkpoint   storage/checkpoint.h (Kafka's format)
 *
 * Deletion renames each partition directory to "<t>-<p>.<32 hex>-delete"
 * (the topic part shortened to fit 255 bytes, as Kafka's LocalLog does),
 * from the last partition down, so a crash at any point leaves the rest
 * contiguous from 0; leftover "-delete" directories are removed at start.
 * Creation makes directories from 0 up, for the same reason.
 *
 * Threads: loop thread only.
 */
#include "broker/topics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/purgatory.h"
#include "broker/topics_config.h"
#include "broker/topics_int.h"
#include "core/clock.h"
#include "core/logger.h"
#include "core/xalloc.h"
#include "storage/checkpoint.h"

#define TOPICS_MAX_NAME 249
#define TOPICS_CONF_DIR "__tidemark_topics"
#define TOPICS_CKPT_FILE "recovery-point-offset-checkpoint"
#define TOPICS_META_FILE "partition.metadata"
#define TOPICS_DEL_SUFFIX "-delete"
#define TOPICS_FILE_MAX 65536 /* cap on the metadata and properties files we read */
#define CONSUMER_OFFSETS "__consumer_offsets"
#define TRANSACTION_STATE "__transaction_state"

struct topic {
	topics *ts;
	char *name;
	int32_t name_len;
	kuuid id;
	bool internal;
	int32_t nparts;
	plog **logs;
	tc_overrides ovr;   /* the overrides, canonical strings */
	topic_config cfg;   /* effective (the configs acted on) */
};

struct topics {
	const broker_config *cfg;
	purgatory *pg;
	char *dir;       /* log.dirs */
	char *conf_dir;  /* <dir>/__tidemark_topics */
	topic **v;       /* registration order, swap-removed on delete */
	int n, cap;
	topic **tab;     /* hash index; NULL = empty slot; size a power of two */
	size_t tab_size;
	bool opened;     /* fully loaded: topics_close() may write the checkpoint */
	topics_close_hook *close_hook; /* told before a log is deleted */
	void *close_ud;
};

void topics_set_close_hook(topics *ts, topics_close_hook *fn, void *ud)
{
	ts->close_hook = fn;
	ts->close_ud = ud;
}

/* ------------------------------------------------------------------ */
/* Topic configs (the table and parsing are in topics_config.c)          */

static void topic_recompute(topic *t)
{
	tc_effective(t->ts->cfg, &t->ovr, &t->cfg);
}

static bool topic_has(const topic *t, int i)
{
	return (t->ovr.mask & (UINT64_C(1) << i)) != 0;
}

static void topic_plog_config(const topic *t, plog_config *pc)
{
	pc->segment_bytes = t->cfg.segment_bytes;
	pc->segment_ms = t->cfg.segment_ms;
	pc->index_interval_bytes = t->cfg.index_interval_bytes;
	pc->log_append_time = t->cfg.log_append_time;
}

/* ------------------------------------------------------------------ */
/* Names, ids and the hash index                                        */

bool topics_valid_name(kstr name)
{
	if (name.len < 1 || name.len > TOPICS_MAX_NAME)
		return false;
	if (kstr_eq_c(name, ".") || kstr_eq_c(name, ".."))
		return false;
	for (int32_t i = 0; i < name.len; i++) {
		char c = name.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool topics_internal_name(kstr name)
{
	return kstr_eq_c(name, CONSUMER_OFFSETS) || kstr_eq_c(name, TRANSACTION_STATE);
}

bool topics_parse_dir_name(const char *d, kstr *name, int32_t *part)
{
	const char *dash = strrchr(d, '-'), *q;
	int64_t v = 0;
	size_t nd;

	if (!dash || dash == d)
		return false;
	q = dash + 1;
	nd = strlen(q);
	if (nd == 0 || nd > 10 || (q[0] == '0' && nd > 1))
		return false;
	for (size_t i = 0; i < nd; i++) {
		if (q[i] < '0' || q[i] > '9')
			return false;
		v = v * 10 + (q[i] - '0');
	}
	if (v > INT32_MAX)
		return false;
	*name = (kstr){ d, (int32_t)(dash - d) };
	*part = (int32_t)v;
	return topics_valid_name(*name);
}

static bool is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

bool topics_is_delete_dir(const char *d)
{
	size_t n = strlen(d), sl = strlen(TOPICS_DEL_SUFFIX);

	if (n < sl + 34 || strcmp(d + n - sl, TOPICS_DEL_SUFFIX) != 0)
		return false;
	return d[n - sl - 33] == '.' && is_hex(d + n - sl - 32, 32);
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void topics_uuid_str(const kuuid *u, char out[23])
{
	int o = 0;

	for (int i = 0; i < 15; i += 3) {
		uint32_t v = (uint32_t)u->b[i] << 16 | (uint32_t)u->b[i + 1] << 8 | u->b[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	out[o++] = b64url[u->b[15] >> 2];
	out[o++] = b64url[(u->b[15] & 3) << 4];
	out[o] = '\0';
}

static int b64url_val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

bool topics_uuid_parse(const char *s, size_t len, kuuid *u)
{
	int v[22];

	if (len != 22)
		return false;
	for (int i = 0; i < 22; i++)
		if ((v[i] = b64url_val(s[i])) < 0)
			return false;
	if (v[21] & 15) /* the last char carries 2 bits; the rest must be 0 */
		return false;
	for (int i = 0, o = 0; i < 20; i += 4, o += 3) {
		uint32_t w = (uint32_t)v[i] << 18 | (uint32_t)v[i + 1] << 12 |
			     (uint32_t)v[i + 2] << 6 | (uint32_t)v[i + 3];
		u->b[o] = (uint8_t)(w >> 16);
		u->b[o + 1] = (uint8_t)(w >> 8);
		u->b[o + 2] = (uint8_t)w;
	}
	u->b[15] = (uint8_t)(v[20] << 2 | v[21] >> 4);
	return true;
}

static void random_bytes(void *p, size_t n)
{
	uint8_t *q = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(q + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n) {
		/* No getrandom: not cryptographic, but ids only need to be unique. */
		uint64_t x = (uint64_t)clock_mono_us() ^ (uint64_t)clock_now_ms() << 20 ^
			     (uint64_t)getpid() << 40;
		log_warn("getrandom failed: %s; topic id from the clock", strerror(errno));
		for (; got < n; got++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			q[got] = (uint8_t)x;
		}
	}
}

/* A random v4 UUID that Kafka would accept as a topic id (Uuid.randomUuid:
 * not zero, not the metadata topic id 1, and not printing with a leading '-'). */
static void uuid_new(kuuid *u)
{
	for (;;) {
		random_bytes(u->b, 16);
		u->b[6] = (uint8_t)((u->b[6] & 0x0f) | 0x40);
		u->b[8] = (uint8_t)((u->b[8] & 0x3f) | 0x80);
		if ((u->b[0] >> 2) != 62) /* 62 is '-' in base64url */
			return;
	}
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

bool topics_props_name(const char *name, size_t len, char *out, size_t cap)
{
	int r;

	if (len + strlen(".properties") <= 255)
		r = snprintf(out, cap, "%.*s.properties", (int)len, name);
	else
		r = snprintf(out, cap, "%.200s~%016llx.properties", name,
			     (unsigned long long)fnv1a(name, len));
	return r > 0 && (size_t)r < cap;
}

/* Index of name's slot: the topic with that name, or the empty slot to use. */
static size_t tab_slot(const topics *ts, kstr name)
{
	size_t mask = ts->tab_size - 1;
	size_t i = (size_t)fnv1a(name.p, (size_t)name.len) & mask;

	while (ts->tab[i]) {
		const topic *t = ts->tab[i];
		if (t->name_len == name.len && memcmp(t->name, name.p, (size_t)name.len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* Rebuilds the index from ts->v with room for at least twice the topics. */
static void tab_rebuild(topics *ts)
{
	size_t size = 16;

	while (size < st_mult((size_t)ts->n + 1, 2))
		size = st_mult(size, 2);
	free(ts->tab);
	ts->tab = xcalloc(size, sizeof *ts->tab);
	ts->tab_size = size;
	for (int i = 0; i < ts->n; i++) {
		topic *t = ts->v[i];
		ts->tab[tab_slot(ts, (kstr){ t->name, t->name_len })] = t;
	}
}

static void topics_register(topics *ts, topic *t)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		ts->v = xrealloc(ts->v, st_mult((size_t)ts->cap, sizeof *ts->v));
	}
	ts->v[ts->n++] = t;
	if (st_mult((size_t)ts->n, 2) > ts->tab_size)
		tab_rebuild(ts);
	else
		ts->tab[tab_slot(ts, (kstr){ t->name, t->name_len })] = t;
}

static void topics_unregister(topics *ts, topic *t)
{
	for (int i = 0; i < ts->n; i++) {
		if (ts->v[i] == t) {
			ts->v[i] = ts->v[--ts->n];
			break;
		}
	}
	tab_rebuild(ts); /* deletes are rare; no tombstones needed */
}

topic *topics_find(topics *ts, kstr name)
{
	if (name.len <= 0 || !ts->tab)
		return NULL;
	return ts->tab[tab_slot(ts, name)];
}

topic *topics_find_id(topics *ts, const kuuid *id)
{
	if (kuuid_is_zero(id))
		return NULL;
	for (int i = 0; i < ts->n; i++)
		if (memcmp(ts->v[i]->id.b, id->b, 16) == 0)
			return ts->v[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

static bool path_join(char *out, size_t cap, const char *a, const char *b)
{
	int r = snprintf(out, cap, "%s/%s", a, b);
	if (r < 0 || (size_t)r >= cap) {
		log_error("path too long: '%s/%s'", a, b);
		return false;
	}
	return true;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) < 0) {
		log_error("cannot sync directory '%s': %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes dir/name atomically: dir/name.tmp, fsync, rename, fsync dir. */
static int write_file_atomic(const char *dir, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd;

	if (!path_join(path, sizeof path, dir, name))
		return -1;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto err;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto err;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		goto err;
	}
	return fsync_dir(dir);
err:
	log_error("cannot write '%s': %s", path, strerror(errno));
	return -1;
}

/* Reads at most TOPICS_FILE_MAX - 1 bytes of path into text (NUL-ended).
 * Returns 0, 1 when the file does not exist, -1 (logged) on error. */
static int read_small_file(const char *path, char *text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		log_error("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, text + n, TOPICS_FILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_error("cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == TOPICS_FILE_MAX) {
			log_error("file '%s' is too large", path);
			close(fd);
			return -1;
		}
	}
	close(fd);
	text[n] = '\0';
	*len = n;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) {
		log_error("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* rm -rf path. NEEDSWORK: runs on the loop thread; a large partition should
 * be removed by a background worker (Kafka deletes asynchronously). */
static int remove_tree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT) {
		log_error("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool part_dir(const topic *t, int32_t p, char *out, size_t cap)
{
	int r = snprintf(out, cap, "%s/%s-%ld", t->ts->dir, t->name, (long)p);
	return r > 0 && (size_t)r < cap;
}

/* Reads the topic id of a partition directory: 0 and *id, 1 when missing or
 * unusable (logged), -1 on I/O error. */
static int part_read_id(const char *pdir, kuuid *id)
{
	char path[PATH_MAX], *text = xmalloc(TOPICS_FILE_MAX + 1), *l;
	size_t len;
	int rc;
	bool ver = false;

	if (!path_join(path, sizeof path, pdir, TOPICS_META_FILE)) {
		free(text);
		return -1;
	}
	rc = read_small_file(path, text, &len);
	for (l = text; rc == 0 && l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		if (n == 10 && memcmp(l, "version: 0", 10) == 0)
			ver = true;
		else if (n > 10 && memcmp(l, "topic_id: ", 10) == 0 &&
			 topics_uuid_parse(l + 10, n - 10, id) && !kuuid_is_zero(id) && ver) {
			free(text);
			return 0;
		}
	}
	if (rc == 0)
		log_warn("ignoring malformed '%s'", path);
	free(text);
	return rc < 0 ? -1 : 1;
}

static int part_write_id(const char *pdir, const kuuid *id)
{
	char s[23], data[64];
	int n;

	topics_uuid_str(id, s);
	n = snprintf(data, sizeof data, "version: 0\ntopic_id: %s\n", s);
	return write_file_atomic(pdir, TOPICS_META_FILE, data, (size_t)n);
}

/* Writes (or, without overrides, removes) the topic's properties file. */
static int topic_write_props(const topic *t)
{
	char fname[300], data[8192];
	size_t len = 0;

	if (!topics_props_name(t->name, (size_t)t->name_len, fname, sizeof fname))
		return -1;
	if (!t->ovr.mask) {
		char path[PATH_MAX];
		if (!path_join(path, sizeof path, t->ts->conf_dir, fname))
			return -1;
		if (unlink(path) < 0 && errno != ENOENT) {
			log_error("cannot remove '%s': %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	len = (size_t)snprintf(data, sizeof data, "# topic config overrides of '%s'\n", t->name);
	for (int i = 0; i < TC_NCONFIGS; i++) {
		if (!topic_has(t, i))
			continue;
		/* at most 36 lines of < 100 bytes after a < 300-byte comment; the
		 * canonical values hold no newline */
		len += (size_t)snprintf(data + len, sizeof data - len, "%s=%s\n", tc_defs[i].name,
					t->ovr.v[i]);
	}
	return write_file_atomic(t->ts->conf_dir, fname, data, len);
}

/* Parses one "name=value" properties line into the topic's overrides. */
static void topic_props_line(topic *t, const char *l, size_t n, const char *path)
{
	const char *eq = memchr(l, '=', n);
	size_t nl, vl;
	const char *np;
	int k;

	if (!eq) {
		log_warn("ignoring malformed line in '%s'", path);
		return;
	}
	nl = (size_t)(eq - l);
	np = tc_trim(l, &nl);
	vl = n - (size_t)(eq - l) - 1;
	k = tc_find((kstr){ np, (int32_t)nl });
	if (k < 0 || !tc_canon(&tc_defs[k], eq + 1, vl, t->ovr.v[k])) {
		log_warn("ignoring bad topic config '%.*s' in '%s'", (int)(n > 200 ? 200 : n), l,
			 path);
		return;
	}
	t->ovr.mask |= UINT64_C(1) << k;
}

/* Loads the overrides of t. Returns 0, or -1 when the file exists but
 * cannot be read (refusing to run a topic with the wrong retention). */
static int topic_load_props(topic *t)
{
	char fname[300], path[PATH_MAX], *text;
	size_t len = 0;
	int rc;

	if (!topics_props_name(t->name, (size_t)t->name_len, fname, sizeof fname) ||
	    !path_join(path, sizeof path, t->ts->conf_dir, fname))
		return -1;
	text = xmalloc(TOPICS_FILE_MAX + 1);
	rc = read_small_file(path, text, &len);
	for (size_t i = 0; rc == 0 && i < len;) {
		size_t n = strcspn(text + i, "\n");
		const char *l = text + i;
		size_t tl = n;
		l = tc_trim(l, &tl);
		if (tl > 0 && l[0] != '#' && l[0] != '!')
			topic_props_line(t, l, tl, path);
		i += n + 1;
	}
	free(text);
	topic_recompute(t);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Topic objects and partitions                                         */

static topic *topic_new(topics *ts, kstr name)
{
	topic *t = xcalloc(1, sizeof *t);

	t->ts = ts;
	t->name = xstrndup(name.p, (size_t)name.len);
	t->name_len = name.len;
	t->internal = topics_internal_name(name);
	topic_recompute(t);
	return t;
}

static void topic_close_logs(topic *t, int32_t from)
{
	for (int32_t p = from; p < t->nparts; p++) {
		if (!t->logs[p])
			continue;
		if (t->ts->close_hook)
			t->ts->close_hook(t->ts->close_ud, t->logs[p]);
		if (t->ts->pg)
			purgatory_forget(t->ts->pg, t->logs[p]);
		plog_close(t->logs[p]);
		t->logs[p] = NULL;
	}
}

static void topic_free(topic *t)
{
	if (!t)
		return;
	topic_close_logs(t, 0);
	free(t->logs);
	free(t->name);
	free(t);
}

static int topic_open_log(topic *t, int32_t p, const char *pdir, int64_t recovery_point)
{
	plog_config pc;
	int rc;

	topic_plog_config(t, &pc);
	rc = plog_open(&t->logs[p], pdir, &pc, recovery_point);
	if (rc != 0) {
		log_error("cannot open partition log '%s' (error %d)", pdir, rc);
		t->logs[p] = NULL;
		return -1;
	}
	return 0;
}

/* Creates partitions t->nparts..count-1 (directory, partition.metadata,
 * empty log). On failure removes what it made and returns -1. */
static int topic_grow(topic *t, int32_t count)
{
	int32_t old = t->nparts;
	char pdir[PATH_MAX];

	t->logs = xrealloc(t->logs, st_mult((size_t)count, sizeof *t->logs));
	for (int32_t p = old; p < count; p++) {
		t->logs[p] = NULL;
		t->nparts = p + 1;
		if (!part_dir(t, p, pdir, sizeof pdir) || mkdir(pdir, 0755) < 0) {
			log_error("cannot create partition directory '%s': %s", pdir,
				  strerror(errno));
			t->nparts = p;
			goto undo;
		}
		if (part_write_id(pdir, &t->id) < 0 || topic_open_log(t, p, pdir, -1) < 0)
			goto undo;
	}
	if (fsync_dir(t->ts->dir) < 0)
		goto undo;
	return 0;
undo:
	topic_close_logs(t, old);
	for (int32_t p = old; p < t->nparts; p++)
		if (part_dir(t, p, pdir, sizeof pdir))
			remove_tree(pdir);
	t->nparts = old;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Opening: scan log.dirs                                               */

typedef struct scanned {
	char *name; /* topic part, NUL-terminated */
	int32_t part;
} scanned;

static int scanned_cmp(const void *a, const void *b)
{
	const scanned *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->part > y->part) - (x->part < y->part);
}

static int ckpt_cmp(const void *a, const void *b)
{
	const checkpoint_entry *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static bool is_dir_at(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return false;
	return fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* Handles one directory entry of log.dirs during the scan. */
static void scan_entry(topics *ts, DIR *d, const struct dirent *de, scanned **v, size_t *n,
		       size_t *cap)
{
	char path[PATH_MAX];
	kstr name;
	int32_t part;

	if (de->d_name[0] == '.' || !is_dir_at(d, de))
		return;
	if (topics_is_delete_dir(de->d_name)) {
		if (path_join(path, sizeof path, ts->dir, de->d_name)) {
			log_info("removing '%s' left by a topic deletion", path);
			remove_tree(path);
		}
		return;
	}
	if (!topics_parse_dir_name(de->d_name, &name, &part))
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xrealloc(*v, st_mult(*cap, sizeof **v));
	}
	(*v)[*n].name = xstrndup(name.p, (size_t)name.len);
	(*v)[*n].part = part;
	(*n)++;
}

/* Lists the partition directories of log.dirs, sorted by (topic, partition). */
static int scan_log_dirs(topics *ts, scanned **out, size_t *n)
{
	DIR *d = opendir(ts->dir);
	struct dirent *de;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		log_error("cannot open log directory '%s': %s", ts->dir, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		scan_entry(ts, d, de, out, n, &cap);
		errno = 0;
	}
	if (errno) {
		log_error("cannot read log directory '%s': %s", ts->dir, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, scanned_cmp);
	return 0;
}

static int64_t recovery_point(const checkpoint_entry *ck, size_t nck, const char *name,
			      int32_t p)
{
	checkpoint_entry key = { .topic = (char *)name, .partition = p, .offset = 0 };
	const checkpoint_entry *e = nck ? bsearch(&key, ck, nck, sizeof *ck, ckpt_cmp) : NULL;
	return e ? e->offset : -1;
}

/* Finds the topic id in the partition directories (all must agree), writing
 * it where it is missing; a topic without any gets a new id. */
static int topic_load_id(topic *t)
{
	char pdir[PATH_MAX];
	bool have = false;
	bool *missing = xcalloc((size_t)t->nparts, sizeof *missing);
	int rc = -1;

	for (int32_t p = 0; p < t->nparts; p++) {
		kuuid id;
		int r = part_dir(t, p, pdir, sizeof pdir) ? part_read_id(pdir, &id) : -1;
		if (r < 0)
			goto out;
		if (r > 0) {
			missing[p] = true;
		} else if (!have) {
			t->id = id;
			have = true;
		} else if (memcmp(id.b, t->id.b, 16) != 0) {
			log_error("partition directory '%s' has another topic id than partition 0 "
				  "of topic '%s'", pdir, t->name);
			goto out;
		}
	}
	if (!have) {
		uuid_new(&t->id);
		log_info("topic '%s' had no topic id; assigned a new one", t->name);
	}
	for (int32_t p = 0; p < t->nparts; p++)
		if (missing[p] && (!part_dir(t, p, pdir, sizeof pdir) || part_write_id(pdir, &t->id) < 0))
			goto out;
	rc = 0;
out:
	free(missing);
	return rc;
}

/* Opens the topic whose partitions are sc[0..n-1] (sorted, same name). */
static int topics_load_one(topics *ts, const scanned *sc, size_t n, const checkpoint_entry *ck,
			   size_t nck)
{
	topic *t;
	char pdir[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		if (sc[i].part != (int32_t)i) {
			log_error("topic '%s': missing partition directory '%s/%s-%zu'", sc[i].name,
				  ts->dir, sc[i].name, i);
			return -1;
		}
	}
	t = topic_new(ts, kstr_c(sc[0].name));
	if (topic_load_props(t) < 0)
		goto err;
	t->logs = xcalloc(n, sizeof *t->logs);
	t->nparts = (int32_t)n;
	for (int32_t p = 0; p < t->nparts; p++) {
		if (!part_dir(t, p, pdir, sizeof pdir) ||
		    topic_open_log(t, p, pdir, recovery_point(ck, nck, t->name, p)) < 0)
			goto err;
	}
	if (topic_load_id(t) < 0)
		goto err;
	topics_register(ts, t);
	return 0;
err:
	topic_free(t);
	return -1;
}

static int topics_load_all(topics *ts)
{
	char path[PATH_MAX];
	checkpoint_entry *ck = NULL;
	size_t nck = 0, nsc = 0, i = 0;
	scanned *sc = NULL;
	int rc = -1;

	if (!path_join(path, sizeof path, ts->dir, TOPICS_CKPT_FILE))
		return -1;
	if (checkpoint_read(path, &ck, &nck) < 0) {
		/* A bad checkpoint only costs a full recovery scan. */
		log_warn("ignoring recovery checkpoint '%s'; recovering every log fully", path);
		ck = NULL;
		nck = 0;
	}
	if (nck)
		qsort(ck, nck, sizeof *ck, ckpt_cmp);
	if (scan_log_dirs(ts, &sc, &nsc) < 0)
		goto out;
	while (i < nsc) {
		size_t j = i + 1;
		while (j < nsc && strcmp(sc[j].name, sc[i].name) == 0)
			j++;
		if (topics_load_one(ts, sc + i, j - i, ck, nck) < 0)
			goto out;
		i = j;
	}
	rc = 0;
out:
	for (i = 0; i < nsc; i++)
		free(sc[i].name);
	free(sc);
	if (ck)
		checkpoint_free(ck, nck);
	return rc;
}

static int mkdir_p1(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_error("cannot create directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

topics *topics_open(const broker_config *cfg, purgatory *pg)
{
	topics *ts = xcalloc(1, sizeof *ts);
	char path[PATH_MAX];

	ts->cfg = cfg;
	ts->pg = pg;
	ts->dir = xstrdup(cfg->log_dirs ? cfg->log_dirs : "./data");
	if (!path_join(path, sizeof path, ts->dir, TOPICS_CONF_DIR))
		goto err;
	ts->conf_dir = xstrdup(path);
	tab_rebuild(ts);
	if (mkdir_p1(ts->dir) < 0 || mkdir_p1(ts->conf_dir) < 0 || topics_load_all(ts) < 0)
		goto err;
	ts->opened = true;
	log_info("opened %d topics in '%s'", ts->n, ts->dir);
	return ts;
err:
	log_error("cannot open the topics in '%s'", ts->dir);
	ts->pg = NULL; /* nothing was ever waited on */
	topics_close(ts);
	return NULL;
}

int topics_checkpoint(topics *ts)
{
	char path[PATH_MAX];
	checkpoint_entry *e;
	size_t n = 0, cap = 0;
	int rc;

	for (int i = 0; i < ts->n; i++)
		cap = st_add(cap, (size_t)ts->v[i]->nparts);
	e = xcalloc(cap ? cap : 1, sizeof *e);
	for (int i = 0; i < ts->n; i++) {
		topic *t = ts->v[i];
		for (int32_t p = 0; p < t->nparts; p++) {
			if (!t->logs[p])
				continue;
			e[n].topic = t->name;
			e[n].partition = p;
			e[n].offset = plog_durable_offset(t->logs[p]);
			n++;
		}
	}
	rc = path_join(path, sizeof path, ts->dir, TOPICS_CKPT_FILE)
		     ? checkpoint_write(path, e, n)
		     : -1;
	if (rc < 0)
		log_error("cannot write recovery checkpoint '%s'", path);
	free(e); /* the names belong to the topics */
	return rc < 0 ? -1 : 0;
}

void topics_close(topics *ts)
{
	if (!ts)
		return;
	if (ts->opened)
		topics_checkpoint(ts);
	for (int i = 0; i < ts->n; i++)
		topic_free(ts->v[i]);
	free(ts->v);
	free(ts->tab);
	free(ts->conf_dir);
	free(ts->dir);
	free(ts);
}

/* ------------------------------------------------------------------ */
/* Create, delete, grow, configure                                      */

/* True when a and b differ only by '.' vs '_' (Kafka: topics would collide
 * in metric names, Topic.hasCollision). */
static bool names_collide(kstr a, const char *b, int32_t blen)
{
	if (a.len != blen)
		return false;
	for (int32_t i = 0; i < blen; i++) {
		char x = a.p[i] == '.' ? '_' : a.p[i];
		char y = b[i] == '.' ? '_' : b[i];
		if (x != y)
			return false;
	}
	return true;
}

static int ndigits(int32_t v)
{
	int d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* Directory names must fit NAME_MAX: "<name>-<last partition>". */
static bool dir_names_fit(int32_t name_len, int32_t partitions)
{
	return name_len + 1 + ndigits(partitions - 1) <= 255;
}

int32_t topics_default_partitions(const topics *ts, kstr name)
{
	const broker_config *cfg = ts->cfg;

	if (kstr_eq_c(name, CONSUMER_OFFSETS))
		return cfg->offsets_topic_num_partitions;
	if (kstr_eq_c(name, TRANSACTION_STATE))
		return cfg->transaction_state_log_num_partitions;
	return cfg->num_partitions;
}

static enum kerr create_check(topics *ts, kstr name, int32_t *partitions, const char **why)
{
	if (!topics_valid_name(name)) {
		*why = "topic names are 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if (topics_find(ts, name)) {
		*why = "topic already exists";
		return KERR_TOPIC_ALREADY_EXISTS;
	}
	for (int i = 0; i < ts->n; i++) {
		if (names_collide(name, ts->v[i]->name, ts->v[i]->name_len)) {
			*why = "topic name collides with an existing topic ('.' and '_' collide)";
			return KERR_INVALID_TOPIC_EXCEPTION;
		}
	}
	if (*partitions == -1)
		*partitions = topics_default_partitions(ts, name);
	if (*partitions < 1 || *partitions > TOPICS_MAX_PARTITIONS) {
		*why = "number of partitions must be in [1, 10000], or -1 for the default";
		return KERR_INVALID_PARTITIONS;
	}
	if (!dir_names_fit(name.len, *partitions)) {
		*why = "topic name too long for a partition directory name";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	return KERR_NONE;
}

enum kerr topics_create(topics *ts, kstr name, int32_t partitions, const kstr *cfg_names,
			const kstr *cfg_values, int n, bool validate_only, topic **out,
			const char **why)
{
	tc_overrides ovr;
	enum kerr err;
	topic *t;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (out)
		*out = NULL;
	if ((err = create_check(ts, name, &partitions, why)) != KERR_NONE ||
	    (err = tc_parse_overrides(cfg_names, cfg_values, n, &ovr, why)) != KERR_NONE ||
	    validate_only)
		return err;
	t = topic_new(ts, name);
	t->ovr = ovr;
	if (t->internal)
		tc_internal_overrides(ts->cfg, &t->ovr);
	topic_recompute(t);
	uuid_new(&t->id);
	/* The properties file first: partitions must never appear with the
	 * wrong config (a stale file of an earlier topic is overwritten). */
	if (topic_write_props(t) < 0 || topic_grow(t, partitions) < 0) {
		t->ovr.mask = 0;
		topic_write_props(t);
		topic_free(t);
		*why = "cannot create the topic's files";
		return KERR_KAFKA_STORAGE_ERROR;
	}
	topics_register(ts, t);
	log_info("created topic '%s' with %ld partitions", t->name, (long)partitions);
	if (out)
		*out = t;
	return KERR_NONE;
}

/* The name partition p's directory gets when deleted (Kafka's
 * LocalLog.logDeleteDirName: topic part shortened to fit 255 bytes). */
static void delete_dir_name(const topic *t, int32_t p, char *out, size_t cap)
{
	char suffix[64], hex[33];
	kuuid u;
	int prefix;

	random_bytes(u.b, 16);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", u.b[i]);
	snprintf(suffix, sizeof suffix, "-%ld.%s%s", (long)p, hex, TOPICS_DEL_SUFFIX);
	prefix = 255 - (int)strlen(suffix);
	if (prefix > t->name_len)
		prefix = t->name_len;
	snprintf(out, cap, "%s/%.*s%s", t->ts->dir, prefix, t->name, suffix);
}

/* Renames every partition directory of t (last first) to its -delete name,
 * then removes them. Logs are closed. Returns 0 or -1. */
static int topic_remove_files(topic *t)
{
	char pdir[PATH_MAX], ddir[PATH_MAX];
	char **gone = xcalloc((size_t)t->nparts + 1, sizeof *gone);
	int rc = 0;

	topic_close_logs(t, 0);
	for (int32_t p = t->nparts - 1; p >= 0; p--) {
		if (!part_dir(t, p, pdir, sizeof pdir))
			continue;
		delete_dir_name(t, p, ddir, sizeof ddir);
		if (rename(pdir, ddir) < 0) {
			log_error("cannot rename '%s' to '%s': %s", pdir, ddir, strerror(errno));
			rc = -1;
			if (remove_tree(pdir) < 0)
				continue;
		} else {
			gone[p] = xstrdup(ddir);
		}
	}
	if (fsync_dir(t->ts->dir) < 0)
		rc = -1;
	/* NEEDSWORK: Kafka removes the -delete directories asynchronously
	 * (file.delete.delay.ms); this blocks the loop for large partitions. */
	for (int32_t p = 0; p < t->nparts; p++) {
		if (gone[p] && remove_tree(gone[p]) < 0)
			rc = -1;
		free(gone[p]);
	}
	free(gone);
	return rc;
}

enum kerr topics_delete(topics *ts, kstr name)
{
	topic *t = topics_find(ts, name);
	int rc;

	if (!t)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (t->internal)
		return KERR_INVALID_REQUEST;
	topics_unregister(ts, t);
	rc = topic_remove_files(t);
	t->ovr.mask = 0;
	if (topic_write_props(t) < 0)
		rc = -1;
	/* A topic created later with this name must not inherit recovery points. */
	if (topics_checkpoint(ts) < 0)
		rc = -1;
	log_info("deleted topic '%s'", t->name);
	topic_free(t);
	return rc < 0 ? KERR_KAFKA_STORAGE_ERROR : KERR_NONE;
}

enum kerr topics_add_partitions(topics *ts, topic *t, int32_t count, bool validate_only)
{
	(void)ts;
	if (t->internal)
		return KERR_INVALID_REQUEST;
	if (count <= t->nparts || count > TOPICS_MAX_PARTITIONS ||
	    !dir_names_fit(t->name_len, count))
		return KERR_INVALID_PARTITIONS;
	if (validate_only)
		return KERR_NONE;
	if (topic_grow(t, count) < 0)
		return KERR_KAFKA_STORAGE_ERROR;
	log_info("topic '%s' now has %ld partitions", t->name, (long)count);
	return KERR_NONE;
}

/* Makes ovr the overrides of t: writes them (t unchanged on failure) and
 * applies them to the logs. Returns 0 or -1 (logged). */
static int topic_apply_overrides(topic *t, const tc_overrides *ovr)
{
	tc_overrides old = t->ovr;
	plog_config pc;

	t->ovr = *ovr;
	if (topic_write_props(t) < 0) {
		t->ovr = old;
		return -1;
	}
	topic_recompute(t);
	topic_plog_config(t, &pc);
	for (int32_t p = 0; p < t->nparts; p++)
		if (t->logs[p])
			plog_set_config(t->logs[p], &pc);
	return 0;
}

enum kerr topics_set_config(topics *ts, topic *t, kstr name, kstr value)
{
	int k = tc_find(name);
	tc_overrides ovr = t->ovr;

	(void)ts;
	if (k < 0)
		return KERR_INVALID_CONFIG;
	if (kstr_is_null(value)) {
		ovr.mask &= ~(UINT64_C(1) << k);
	} else {
		if (!tc_canon(&tc_defs[k], value.p, (size_t)value.len, ovr.v[k]))
			return KERR_INVALID_CONFIG;
		ovr.mask |= UINT64_C(1) << k;
	}
	return topic_apply_overrides(t, &ovr) < 0 ? KERR_KAFKA_STORAGE_ERROR : KERR_NONE;
}

topic *topics_get_or_create_internal(topics *ts, const char *name, int32_t partitions)
{
	topic *t = topics_find(ts, kstr_c(name));
	const char *why = NULL;
	enum kerr err;

	if (t)
		return t;
	err = topics_create(ts, kstr_c(name), partitions, NULL, NULL, 0, false, &t, &why);
	if (err != KERR_NONE)
		log_error("cannot create topic '%s': %s (error %d)", name, why ? why : "?",
			  (int)err);
	return t;
}

/* ------------------------------------------------------------------ */
/* Accessors and iteration                                              */

int topics_count(const topics *ts) { return ts->n; }

topic *topics_at(topics *ts, int i)
{
	return i >= 0 && i < ts->n ? ts->v[i] : NULL;
}

kstr topic_name(const topic *t) { return (kstr){ t->name, t->name_len }; }
const kuuid *topic_id(const topic *t) { return &t->id; }
bool topic_internal(const topic *t) { return t->internal; }
int32_t topic_partition_count(const topic *t) { return t->nparts; }
const topic_config *topic_cfg(const topic *t) { return &t->cfg; }

plog *topic_partition(topic *t, int32_t p)
{
	return p >= 0 && p < t->nparts ? t->logs[p] : NULL;
}

void topic_config_get_info(const topic *t, int i, topic_config_info *out)
{
	const tc_def *d = &tc_defs[i];

	memset(out, 0, sizeof *out);
	out->name = d->name;
	out->is_override = topic_has(t, i);
	out->synonym = d->synonym;
	tc_default_value(d, t->ts->cfg, out->default_value);
	snprintf(out->value, sizeof out->value, "%s",
		 out->is_override ? t->ovr.v[i] : out->default_value);
	out->kafka_default = d->kafka_default;
	out->type = d->type;
	out->doc = d->doc;
}

void topics_config_preview(topics *ts, kstr name, const kstr *cfg_names, const kstr *cfg_values,
			   int n, int i, topic_config_info *out)
{
	topic tmp;
	const char *why;

	memset(&tmp, 0, sizeof tmp);
	tmp.ts = ts;
	tmp.internal = topics_internal_name(name);
	if (tc_parse_overrides(cfg_names, cfg_values, n, &tmp.ovr, &why) != KERR_NONE)
		tmp.ovr.mask = 0;
	if (tmp.internal)
		tc_internal_overrides(ts->cfg, &tmp.ovr);
	topic_recompute(&tmp);
	topic_config_get_info(&tmp, i, out);
}

void topic_each_config(const topic *t, void (*fn)(void *ud, const char *name, const char *value,
						  bool is_default, bool sensitive), void *ud)
{
	topic_config_info info;

	for (int i = 0; i < TC_NCONFIGS; i++) {
		topic_config_get_info(t, i, &info);
		fn(ud, info.name, info.value, !info.is_override, false);
	}
}

void topics_each_log(topics *ts, void (*fn)(void *ud, topic *t, int32_t p, plog *log), void *ud)
{
	for (int i = 0; i < ts->n; i++) {
		topic *t = ts->v[i];
		for (int32_t p = 0; p < t->nparts; p++)
			if (t->logs[p])
				fn(ud, t, p, t->logs[p]);
	}
}

/* ------------------------------------------------------------------ */
/* Run-time config changes (AlterConfigs, IncrementalAlterConfigs)     */

enum kerr topics_replace_configs(topics *ts, topic *t, const kstr *names, const kstr *values, int n,
				 bool validate_only, const char **why)
{
	tc_overrides ovr;
	enum kerr err;

	*why = NULL;
	err = tc_parse_overrides(names, values, n, &ovr, why);
	if (err != KERR_NONE)
		return err;
	/* an internal topic keeps its forced settings (compact, its segment
	 * size) unless the request sets them: replacing every override must
	 * not turn __consumer_offsets into a delete-retention topic */
	if (t->internal)
		tc_internal_overrides(ts->cfg, &ovr);
	if (validate_only)
		return KERR_NONE;
	if (topic_apply_overrides(t, &ovr) < 0) {
		*why = "cannot write the topic config file";
		return KERR_KAFKA_STORAGE_ERROR;
	}
	log_info("topic '%s' configs changed (%d overrides)", t->name, n);
	return KERR_NONE;
}

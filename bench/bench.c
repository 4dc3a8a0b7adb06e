/*
 * bench.c: entry point of the tidemark benchmark; the table and --json.
 *
 *   tidemark-bench [--smoke] [--json FILE] [--broker PATH] [--tmp DIR]
 *                  [--only NAME[,NAME...]] [-v]
 *
 * Runs the workloads of issue 7 (produce, consume, commit, latency, group,
 * restart), each against tidemark and against librdkafka's mock cluster,
 * and prints one table: workload | tidemark | mock | ratio | tidemark CPU s
 * per 1M records | tidemark peak RSS. Targets are printed next to it but
 * never asserted: the exit status is non-zero only for functional failures
 * (records missing, committed offsets wrong, a broker that does not start).
 */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* See bench.h. */
int64_t bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* See bench.h. */
bench_row *bench_row_add(bench_ctx *ctx, const char *name, const char *unit,
			 bool lower_better)
{
	static bench_row overflow; /* only when BENCH_MAX_ROWS is too small */
	bench_row *row = &overflow;

	if (ctx->nrows < BENCH_MAX_ROWS)
		row = &ctx->rows[ctx->nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->unit, sizeof(row->unit), "%s", unit);
	row->lower_better = lower_better;
	row->cpu_per_1m = -1;
	row->rss_mb = -1;
	return row;
}

/* See bench.h. */
void bench_cell_set(bench_row *row, int kind, double value, const char *fmt)
{
	bench_cell *c = &row->cell[kind];

	c->state = BENCH_OK;
	c->value = value;
	snprintf(c->text, sizeof(c->text), fmt, value);
}

/* See bench.h. */
void bench_cell_timeout(bench_row *row, int kind)
{
	row->cell[kind].state = BENCH_TIMEOUT;
	snprintf(row->cell[kind].text, sizeof(row->cell[kind].text), "timeout");
}

/* See bench.h. */
void bench_cell_fail(bench_ctx *ctx, bench_row *row, int kind, const char *why)
{
	row->cell[kind].state = BENCH_FAIL;
	snprintf(row->cell[kind].text, sizeof(row->cell[kind].text), "FAIL");
	ctx->failures++;
	fprintf(stderr, "FAIL: %s on %s: %s\n", row->name,
		kind == BENCH_TM ? "tidemark" : "mock", why);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile q (0..1) of sorted v[0..n), in ms. */
static double pct_ms(const int64_t *v, size_t n, double q)
{
	size_t i = (size_t)ceil(q * (double)n);

	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1000.0;
}

/* See bench.h. */
void bench_cell_latency(bench_row *row, int kind, int64_t *lat_us, size_t n)
{
	bench_cell *c = &row->cell[kind];

	if (n == 0)
		return;
	qsort(lat_us, n, sizeof(*lat_us), cmp_i64);
	c->state = BENCH_OK;
	c->value = pct_ms(lat_us, n, 0.99);
	snprintf(c->text, sizeof(c->text), "%.2f/%.2f/%.2f",
		 pct_ms(lat_us, n, 0.50), c->value, pct_ms(lat_us, n, 0.999));
}

/*
 * The context, for log_cb only (librdkafka's log callback has no argument
 * of ours apart from the handle's opaque, which the workloads use). Set
 * once in main before any client exists, read-only afterwards.
 */
static const bench_ctx *log_ctx;

/* librdkafka log lines: errors always, everything with -v. Any thread. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	if (level <= 3 || (log_ctx && log_ctx->verbose))
		fprintf(stderr, "  [rdkafka %s] %s: %s\n", rd_kafka_name(rk),
			fac, buf);
}

/* See bench.h. */
rd_kafka_conf_t *bench_conf(const bench_target *t, const char *const *kv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	if (rd_kafka_conf_set(conf, "bootstrap.servers", t->bootstrap, err,
			      sizeof(err)) != RD_KAFKA_CONF_OK)
		goto bad;
	for (; kv && kv[0]; kv += 2)
		if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)) !=
		    RD_KAFKA_CONF_OK)
			goto bad;
	rd_kafka_conf_set_log_cb(conf, log_cb);
	return conf;
bad:
	fprintf(stderr, "bench: bad client property: %s\n", err);
	exit(2);
}

/* See bench.h. */
rd_kafka_t *bench_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[256];
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));

	if (!rk) {
		fprintf(stderr, "bench: rd_kafka_new: %s\n", err);
		exit(2);
	}
	return rk;
}

/* See bench.h. */
long bench_scaled(const bench_ctx *ctx, long n, long min)
{
	long v = (long)((double)n * ctx->scale);

	return v < min ? min : v;
}

/* See bench.h. */
int64_t bench_deadline(const bench_ctx *ctx, int full_s)
{
	int s = ctx->smoke ? (full_s / 4 > 5 ? full_s / 4 : 5) : full_s;

	return bench_now_us() + (int64_t)s * 1000000;
}

/* ---- output ---- */

/* "1.23x" with the ratio oriented so that > 1 means tidemark is better. */
static void ratio_text(const bench_row *row, char *out, size_t size)
{
	const bench_cell *tm = &row->cell[BENCH_TM];
	const bench_cell *mk = &row->cell[BENCH_MOCK];
	double r;

	if (tm->state != BENCH_OK || mk->state != BENCH_OK || tm->value <= 0 ||
	    mk->value <= 0) {
		snprintf(out, size, "-");
		return;
	}
	r = row->lower_better ? mk->value / tm->value : tm->value / mk->value;
	snprintf(out, size, "%.2fx", r);
}

static const char *cell_text(const bench_cell *c)
{
	return c->state == BENCH_NONE ? "-" : c->text;
}

static void print_table(const bench_ctx *ctx, FILE *f)
{
	char ratio[32], cpu[32], rss[32], name[96];

	fprintf(f, "\n%-62s | %18s | %18s | %7s | %12s | %9s\n",
		"workload [unit]", "tidemark", "mock", "ratio",
		"tm CPU s/1M", "tm RSS MB");
	fprintf(f, "%.*s\n", 62 + 18 + 18 + 7 + 12 + 9 + 15,
		"----------------------------------------------------------"
		"----------------------------------------------------------"
		"----------------------------------------------------------");
	for (int i = 0; i < ctx->nrows; i++) {
		const bench_row *row = &ctx->rows[i];

		ratio_text(row, ratio, sizeof(ratio));
		snprintf(name, sizeof(name), "%s [%s]", row->name, row->unit);
		snprintf(cpu, sizeof(cpu), row->cpu_per_1m < 0 ? "-" : "%.2f",
			 row->cpu_per_1m);
		snprintf(rss, sizeof(rss), row->rss_mb < 0 ? "-" : "%.1f",
			 row->rss_mb);
		fprintf(f, "%-62s | %18s | %18s | %7s | %12s | %9s\n", name,
			cell_text(&row->cell[BENCH_TM]),
			cell_text(&row->cell[BENCH_MOCK]), ratio, cpu, rss);
	}
	fprintf(f, "ratio > 1: tidemark better (throughput tm/mock; "
		"latency and time mock/tm; latency ratios use p99)\n");
}

static const char *state_name(int state)
{
	static const char *const names[] = { "none", "ok", "timeout", "fail" };

	return state >= 0 && state <= BENCH_FAIL ? names[state] : "?";
}

/* Writes s as a JSON string (our strings are ASCII without controls). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_cell(FILE *f, const char *key, const bench_cell *c)
{
	fprintf(f, ", \"%s\": {\"state\": \"%s\"", key, state_name(c->state));
	if (c->state == BENCH_OK) {
		fprintf(f, ", \"value\": %.6g, \"text\": ", c->value);
		json_str(f, c->text);
	}
	fputc('}', f);
}

static int write_json(const bench_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "{\"smoke\": %s, \"failures\": %d, \"rows\": [\n",
		ctx->smoke ? "true" : "false", ctx->failures);
	for (int i = 0; i < ctx->nrows; i++) {
		const bench_row *row = &ctx->rows[i];

		fputs("  {\"workload\": ", f);
		json_str(f, row->name);
		fputs(", \"unit\": ", f);
		json_str(f, row->unit);
		fprintf(f, ", \"lower_better\": %s",
			row->lower_better ? "true" : "false");
		json_cell(f, "tidemark", &row->cell[BENCH_TM]);
		json_cell(f, "mock", &row->cell[BENCH_MOCK]);
		if (row->cpu_per_1m >= 0)
			fprintf(f, ", \"tm_cpu_s_per_1m\": %.4f",
				row->cpu_per_1m);
		if (row->rss_mb >= 0)
			fprintf(f, ", \"tm_peak_rss_mb\": %.2f", row->rss_mb);
		fprintf(f, "}%s\n", i + 1 < ctx->nrows ? "," : "");
	}
	fputs("]}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*run)(bench_ctx *ctx);
} workloads[] = {
	{ "produce", w_produce_run }, { "consume", w_consume_run },
	{ "commit", w_commit_run },   { "latency", w_latency_run },
	{ "group", w_group_run },     { "restart", w_restart_run },
};

static void usage(void)
{
	fprintf(stderr, "usage: tidemark-bench [--smoke] [--json FILE] "
		"[--broker PATH] [--tmp DIR] [--only produce,consume,commit,"
		"latency,group,restart] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static bench_ctx ctx;
	const char *json = NULL, *only = NULL;
	int64_t t0 = bench_now_us();

	ctx.scale = 1.0;
	ctx.broker_bin = "../build/tidemarkd";
	ctx.tmp_base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			ctx.smoke = true;
			ctx.scale = 0.01;
		} else if (!strcmp(argv[i], "-v")) {
			ctx.verbose++;
		} else if (i + 1 < argc && !strcmp(argv[i], "--json")) {
			json = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--broker")) {
			ctx.broker_bin = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--tmp")) {
			ctx.tmp_base = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--only")) {
			only = argv[++i];
		} else {
			usage();
		}
	}
	if (access(ctx.broker_bin, X_OK) != 0) {
		fprintf(stderr, "bench: no broker at '%s' (run make first)\n",
			ctx.broker_bin);
		return 2;
	}
	log_ctx = &ctx;
	printf("tidemark bench (%s), librdkafka %s, broker %s\n",
	       ctx.smoke ? "smoke, ~1/100 scale" : "full", rd_kafka_version_str(),
	       ctx.broker_bin);
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		int64_t w0 = bench_now_us();

		if (only && !strstr(only, workloads[i].name))
			continue;
		printf("== %s\n", workloads[i].name);
		fflush(stdout);
		workloads[i].run(&ctx);
		printf("   %s done in %.1f s\n", workloads[i].name,
		       (double)(bench_now_us() - w0) / 1e6);
		fflush(stdout);
	}
	print_table(&ctx, stdout);
	printf("total %.0f s, functional failures: %d\n",
	       (double)(bench_now_us() - t0) / 1e6, ctx.failures);
	if (json && write_json(&ctx, json) < 0)
		return 1;
	return ctx.failures ? 1 : 0;
}

/*
 * bench.h: shared declarations of the tidemark benchmark (issue 7).
 *
 * The benchmark runs each workload twice with identical librdkafka client
 * settings: once against a tidemark broker it starts itself (broker_proc.c)
 * and once against librdkafka's in-process mock cluster. Every figure goes
 * into one row of a single table (bench.c prints it and writes --json).
 *
 * Invariants kept by every workload:
 *   - bounded in count (ctx->scale) and in time (a deadline per run; a run
 *     past it records BENCH_TIMEOUT instead of hanging);
 *   - a functional failure (lost records, wrong committed offset, a broker
 *     that does not start) is counted in ctx->failures, which alone decides
 *     the exit status; speed figures never do.
 */
#ifndef TIDEMARK_BENCH_H
#define TIDEMARK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Which broker a run is against: also the column of the table. */
enum bench_kind { BENCH_TM = 0, BENCH_MOCK = 1, BENCH_NKIND = 2 };

/* State of one cell of the table. */
enum bench_state {
	BENCH_NONE = 0, /* not run: printed as "-" */
	BENCH_OK,
	BENCH_TIMEOUT, /* the run passed its deadline */
	BENCH_FAIL,    /* functional failure (counted in ctx->failures) */
};

typedef struct bench_cell {
	int state;      /* enum bench_state */
	double value;   /* the figure the ratio is computed from */
	char text[48];  /* what is printed, e.g. "0.31/0.80/2.10" */
} bench_cell;

typedef struct bench_row {
	char name[72];      /* workload, e.g. "produce 100 B acks=all" */
	char unit[20];      /* e.g. "rec/s", "ms p50/p99/p999" */
	bool lower_better;  /* latencies and times: ratio inverted in the text */
	bench_cell cell[BENCH_NKIND];
	double cpu_per_1m;  /* tidemark CPU s per 1M records; < 0: n/a */
	double rss_mb;      /* tidemark peak RSS (VmHWM) in MB; < 0: n/a */
} bench_row;

#define BENCH_MAX_ROWS 64

/* One benchmark invocation: options, results, scratch space. */
typedef struct bench_ctx {
	bool smoke;               /* ~1/100 scale, short deadlines */
	double scale;             /* 1.0 full, 0.01 smoke */
	const char *broker_bin;   /* path of tidemarkd */
	const char *tmp_base;     /* parent of the per-run data dirs */
	int verbose;
	bench_row rows[BENCH_MAX_ROWS];
	int nrows;
	int failures;             /* functional failures; exit status */
} bench_ctx;

/*
 * A broker under test. For BENCH_TM, proc is the child process; for
 * BENCH_MOCK, mcluster lives inside mock_rk (an otherwise idle producer
 * handle that owns the mock cluster's threads).
 */
typedef struct broker_proc broker_proc;
typedef struct bench_target {
	int kind;                  /* enum bench_kind */
	char bootstrap[128];
	broker_proc *proc;
	rd_kafka_t *mock_rk;
	rd_kafka_mock_cluster_t *mcluster;
} bench_target;

/* ---- bench.c: helpers shared by the workloads ---- */

/* Monotonic clock in microseconds. Any thread. */
int64_t bench_now_us(void);

/*
 * Adds a row to ctx's table and returns it (owned by ctx, valid for ctx's
 * life). Returns a scratch row, never NULL, when the table is full.
 */
bench_row *bench_row_add(bench_ctx *ctx, const char *name, const char *unit,
			 bool lower_better);

/* Sets cell kind of row to value, printed with printf format fmt. */
void bench_cell_set(bench_row *row, int kind, double value, const char *fmt);

/* Marks cell kind of row as timed out or failed (failed counts in ctx). */
void bench_cell_timeout(bench_row *row, int kind);
void bench_cell_fail(bench_ctx *ctx, bench_row *row, int kind,
		     const char *why);

/*
 * Sorts lat_us[0..n) in place and sets cell kind of row to its percentiles
 * "p50/p99/p999" in ms; the ratio uses p99. n == 0 leaves the cell unset.
 */
void bench_cell_latency(bench_row *row, int kind, int64_t *lat_us, size_t n);

/*
 * Returns a new client configuration for t with bootstrap.servers set and
 * then each "key", "value" pair of kv (NULL-terminated) applied. Exits on a
 * bad property (a bug in the benchmark, not in a broker).
 */
rd_kafka_conf_t *bench_conf(const bench_target *t, const char *const *kv);

/* Creates a client of type from conf (consumed). Exits on failure. */
rd_kafka_t *bench_client(rd_kafka_type_t type, rd_kafka_conf_t *conf);

/* Scales n by ctx->scale, never below min. */
long bench_scaled(const bench_ctx *ctx, long n, long min);

/* Returns the deadline (bench_now_us() based) for a run of full_s seconds
 * at full scale; smoke runs get a shorter one. */
int64_t bench_deadline(const bench_ctx *ctx, int full_s);

/* ---- target.c: the two brokers behind one interface ---- */

/*
 * Starts a broker of kind: tidemark with the given --override strings
 * (overrides may be NULL; NULL-terminated), or a one-broker mock cluster.
 * Returns 0, or -1 after printing why (a functional failure).
 */
int target_open(bench_ctx *ctx, bench_target *t, int kind,
		const char *const *overrides);

/* Stops the broker and frees t's resources; every client must be gone. */
void target_close(bench_target *t);

/*
 * Creates topic with partitions partitions (tidemark: CreateTopics through
 * the admin API; mock: rd_kafka_mock_topic_create). Returns 0 or -1.
 */
int target_create_topic(bench_target *t, const char *topic, int partitions);

/*
 * Fills topic with n records of size bytes, round-robin over its partitions
 * (explicit partition, so the spread is even). acks="all" or "1". Returns
 * the number of records acknowledged, or -1 if the deadline passed.
 */
long target_fill(bench_target *t, const char *topic, int partitions, long n,
		 size_t size, const char *acks, int64_t deadline);

/* target_fill, also giving the time from the first produce call until the
 * last delivery report in *elapsed_us (optional). */
long target_fill_timed(bench_target *t, const char *topic, int partitions,
		       long n, size_t size, const char *acks, int64_t deadline,
		       int64_t *elapsed_us);

/* Returns the number of records in topic (sum over its partitions of high
 * minus low watermark: the mock drops old batches silently), or -1. */
long target_count(bench_target *t, const char *topic, int partitions);

/*
 * Polls target_count until it returns expect or timeout_ms pass; returns
 * the last count. Tidemark's high watermark is its durable offset, so
 * records acknowledged with acks=1 show up only after the next group sync.
 */
long target_count_wait(bench_target *t, const char *topic, int partitions,
		       long expect, int timeout_ms);

/* Tidemark broker statistics (both -1 for the mock). */
double target_cpu_s(const bench_target *t);
double target_hwm_mb(const bench_target *t);

/* ---- broker_proc.c: the tidemark child process ---- */

/*
 * Starts bin --listen 127.0.0.1:<free port> --data-dir dir [--override o]...
 * with its output in dir/../broker.log, and waits up to timeout_ms for it
 * to answer ApiVersions. dir is created if missing (NULL: a new mkdtemp
 * under tmp_base). Returns the process (caller frees with broker_proc_free)
 * or NULL after printing why.
 */
broker_proc *broker_proc_start(const char *bin, const char *tmp_base,
			       const char *dir, const char *const *overrides,
			       int timeout_ms);

/* "127.0.0.1:port" of a started broker; owned by p. */
const char *broker_proc_bootstrap(const broker_proc *p);

/* Its data directory; owned by p. */
const char *broker_proc_dir(const broker_proc *p);

/* Microseconds from fork to the first ApiVersions answer. */
int64_t broker_proc_ready_us(const broker_proc *p);

/* utime+stime of the running broker in seconds, or -1. */
double broker_proc_cpu_s(const broker_proc *p);

/* VmHWM and VmRSS of the running broker in kB; -1 when unknown. */
int broker_proc_mem_kb(const broker_proc *p, long *hwm_kb, long *rss_kb);

/*
 * Sends SIGTERM and waits up to 15 s (then SIGKILL). Returns the exit
 * status as from waitpid, or -1. Idempotent.
 */
int broker_proc_stop(broker_proc *p);

/* Stops p if running, removes its data directory when remove_dir, frees p. */
void broker_proc_free(broker_proc *p, bool remove_dir);

/* ---- workloads: each runs against both brokers and adds its rows ---- */
void w_produce_run(bench_ctx *ctx);
void w_consume_run(bench_ctx *ctx);
void w_commit_run(bench_ctx *ctx);
void w_latency_run(bench_ctx *ctx);
void w_group_run(bench_ctx *ctx);
void w_restart_run(bench_ctx *ctx);

#endif

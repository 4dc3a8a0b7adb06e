/*
 * main.c: tidemarkd start-up: arguments, configuration, then the broker.
 *
 *   tidemarkd [--config FILE | FILE] [--listen HOST:PORT] [--data-dir DIR]
 *             [--override key=value ...] [--log-level LEVEL] [--help] [--version]
 *
 * Configuration is applied in this order, later winning: defaults, the
 * properties file (--config, or a positional file as kafka-server-start.sh
 * takes it), --listen and --data-dir, then each --override in the order
 * given. Exit status: 0 after a clean shutdown, 1 for a configuration or
 * start-up error, 2 for wrong usage.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "config/config.h"
#include "core/logger.h"
#include "core/xalloc.h"

#define TIDEMARK_VERSION "0.1.0"

static const char usage_text[] =
	"usage: tidemarkd [--config FILE | FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
	"                 [--override key=value ...] [--log-level LEVEL] [--help] [--version]\n"
	"\n"
	"  --config FILE         read Kafka-style server.properties\n"
	"  --listen HOST:PORT    same as --override listeners=PLAINTEXT://HOST:PORT\n"
	"  --data-dir DIR        same as --override log.dirs=DIR\n"
	"  --override key=value  set one property (repeatable; applied last, in order)\n"
	"  --log-level LEVEL     debug, info (default), warn or error\n"
	"  --help                this text and every property with its default\n"
	"  --version             print the version\n";

struct args {
	const char *config;
	const char *listen;
	const char *data_dir;
	const char **overrides;
	int noverrides;
	enum log_level level;
	bool help, version;
};

static int usage_error(const char *why)
{
	if (why)
		fprintf(stderr, "tidemarkd: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int parse_level(const char *s, enum log_level *lvl)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	return -1;
}

/* Returns 0, or the exit status for wrong usage. */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_CONFIG = 256, O_LISTEN, O_DATA_DIR, O_OVERRIDE, O_LOG_LEVEL, O_VERSION };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "data-dir", required_argument, NULL, O_DATA_DIR },
		{ "override", required_argument, NULL, O_OVERRIDE },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->level = LOG_INFO;
	XALLOC_ARRAY(a->overrides, (size_t)argc);
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			if (a->config)
				return usage_error("more than one properties file");
			a->config = optarg;
			break;
		case O_LISTEN:
			a->listen = optarg;
			break;
		case O_DATA_DIR:
			a->data_dir = optarg;
			break;
		case O_OVERRIDE:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error("--override needs key=value");
			a->overrides[a->noverrides++] = optarg;
			break;
		case O_LOG_LEVEL:
			if (parse_level(optarg, &a->level) < 0)
				return usage_error("--log-level needs debug, info, warn or error");
			break;
		case 'h':
			a->help = true;
			break;
		case O_VERSION:
			a->version = true;
			break;
		default:
			return usage_error(NULL);
		}
	}
	for (; optind < argc; optind++) {
		if (a->config)
			return usage_error("more than one properties file");
		a->config = argv[optind];
	}
	return 0;
}

/* Applies one "key=value". */
static int apply_kv(broker_config *cfg, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char *key = xstrndup(kv, (size_t)(eq - kv));
	int rc = config_set(cfg, key, eq + 1, err, errlen);

	free(key);
	return rc;
}

/* Builds the configuration in the documented order. Returns 0 or -1. */
static int load_config(broker_config *cfg, const struct args *a, char *err, size_t errlen)
{
	if (a->config && config_load_file(cfg, a->config, err, errlen) < 0)
		return -1;
	if (a->listen) {
		size_t n = strlen(a->listen) + sizeof("PLAINTEXT://");
		char *v = xmalloc(n);
		int rc;

		if (strstr(a->listen, "://"))
			snprintf(v, n, "%s", a->listen);
		else
			snprintf(v, n, "PLAINTEXT://%s", a->listen);
		rc = config_set(cfg, "listeners", v, err, errlen);
		free(v);
		if (rc < 0)
			return -1;
	}
	if (a->data_dir && config_set(cfg, "log.dirs", a->data_dir, err, errlen) < 0)
		return -1;
	for (int i = 0; i < a->noverrides; i++)
		if (apply_kv(cfg, a->overrides[i], err, errlen) < 0)
			return -1;
	return config_finish(cfg, err, errlen);
}

int main(int argc, char **argv)
{
	broker_config cfg;
	struct args a;
	char err[1024];
	broker *b;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc) {
		free(a.overrides);
		return rc;
	}
	config_defaults(&cfg);
	if (a.help || a.version) {
		if (a.version)
			printf("tidemarkd %s\n", TIDEMARK_VERSION);
		if (a.help) {
			fputs(usage_text, stdout);
			printf("\nProperties (with their defaults):\n\n");
			config_print(&cfg, stdout);
		}
		config_release(&cfg);
		free(a.overrides);
		return 0;
	}
	log_set_level(a.level);
	if (load_config(&cfg, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "tidemarkd: %s\n", err);
		config_release(&cfg);
		free(a.overrides);
		return 1;
	}
	free(a.overrides);
	/* Peers that go away must not kill us; write errors are handled. */
	signal(SIGPIPE, SIG_IGN);
	b = broker_new(&cfg);
	if (!b) {
		config_release(&cfg);
		return 1;
	}
	broker_run(b);
	broker_free(b);
	config_release(&cfg);
	return 0;
}

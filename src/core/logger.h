/*
 * logger.h: one-line log messages to stderr with a timestamp and level.
 *
 * Messages are lower case, say what failed first and quote the subject
 * (git's guidelines): log_warn("cut %zu bytes from '%s'", n, path).
 * Thread-safe (one write() per line).
 */
#ifndef TM_LOGGER_H
#define TM_LOGGER_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif

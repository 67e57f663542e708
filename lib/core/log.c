/* log.c — logging and progress through sinks the host installs; the
 * library itself never writes to the terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include "uplift/error.h"

static upl_log_sink log_sink_fn;
static void *log_userdata;
static int log_max_level = UPL_LOG_WARN;
static upl_progress_fn progress_fn;
static void *progress_userdata;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void upl_log_set_sink(upl_log_sink sink, void *userdata, int max_level) {
    pthread_mutex_lock(&log_lock);
    log_sink_fn = sink;
    log_userdata = userdata;
    log_max_level = max_level;
    pthread_mutex_unlock(&log_lock);
}

void upl_log(int level, const char *fmt, ...) {
    if (!log_sink_fn || level > log_max_level) return;
    char buf[1024];   /* log lines are truncated, never the data */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    if (log_sink_fn) log_sink_fn(level, buf, log_userdata);
    pthread_mutex_unlock(&log_lock);
}

void upl_progress_set(upl_progress_fn fn, void *userdata) {
    progress_fn = fn;
    progress_userdata = userdata;
}

void upl_progress(const char *what, uint64_t done, uint64_t total) {
    if (progress_fn) progress_fn(what, done, total, progress_userdata);
}

/*
 * progress.c: what newsindex tells its user while it runs, from any thread: warnings
 * about the input (the first NEWSD_MAX_WARNINGS), failures, notices, and the progress
 * output: a bar on stderr (--progress) and JSON lines on stdout (--progress-json), drawn
 * by one reporter thread from the counters the builders bump.  It also holds the run's
 * stop flag, which the signal handler sets.
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indexer.h"

static const char *const phase_names[] = { "scan", "index", "merge", "compact", "done" };

struct progress_counters progress_counters;
volatile sig_atomic_t indexer_stop_requested;

/* Shared by the builders, the main thread and the progress reporter. */
static struct {
    pthread_mutex_t lock;          /* guards warnings, the progress line, warn_count, last_error */
    unsigned warn_count;
    int progress_shown;            /* a progress line is on the terminal */
    atomic_int phase;
    char last_error[512];          /* the last failure, for --progress-json's final line */
    struct timespec start;
} shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

double progress_elapsed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - shared.start.tv_sec) +
           (double)(now.tv_nsec - shared.start.tv_nsec) / 1e9;
}

/* Clears the progress line, if any, so that a message can take its place.  Caller holds
 * shared.lock. */
static void clear_progress_locked(void)
{
    if (shared.progress_shown) {
        fputs("\r\033[K", stderr);
        shared.progress_shown = 0;
    }
}

/* "newsindex: MESSAGE" on stderr, below any progress line (shared.lock held). */
static void say_locked(const char *fmt, va_list ap)
{
    clear_progress_locked();
    fputs("newsindex: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void progress_warn(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    if (shared.warn_count++ < NEWSD_MAX_WARNINGS) {
        va_list ap;
        va_start(ap, fmt);
        say_locked(fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&shared.lock);
}

void progress_warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    progress_warn("%s", msg);
}

void progress_fail(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    clear_progress_locked();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(shared.last_error, sizeof shared.last_error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "newsindex: %s\n", shared.last_error);
    pthread_mutex_unlock(&shared.lock);
}

void progress_note(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    va_list ap;
    va_start(ap, fmt);
    say_locked(fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&shared.lock);
}

/* ---- progress: a bar on stderr and/or JSON lines on stdout, from one thread ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* signalled on a phase change and at stop */
    int stop;
    int running;
    pthread_t thread;
    const options_t *opt;
} reporter = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void format_eta(char *buf, size_t len, double seconds)
{
    if (seconds < 0 || seconds > 360000)
        snprintf(buf, len, "--:--");
    else if (seconds >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", (int)seconds / 3600, ((int)seconds / 60) % 60,
                 (int)seconds % 60);
    else
        snprintf(buf, len, "%d:%02d", (int)seconds / 60, (int)seconds % 60);
}

/* Fraction done and the ETA in seconds (-1: unknown yet). */
static double progress_fraction(double secs, double *eta)
{
    uint64_t bytes = atomic_load(&progress_counters.bytes);
    uint64_t total = atomic_load(&progress_counters.total_bytes);
    double frac = total ? (double)bytes / (double)total : 0;
    if (frac > 1)
        frac = 1;
    *eta = (frac > 0.01 && frac < 1) ? secs * (1 - frac) / frac : (frac >= 1 ? 0 : -1);
    return frac;
}

static void show_progress(phase_t phase)
{
    pthread_mutex_lock(&shared.lock);
    if (phase == PHASE_MERGE || phase == PHASE_COMPACT) {
        if (phase == PHASE_MERGE)
            fprintf(stderr, "\r\033[Kmerging %u shard%s...", progress_counters.nshards,
                    progress_counters.nshards == 1 ? "" : "s");
        else
            fprintf(stderr, "\r\033[Kcompacting...");
        shared.progress_shown = 1;
        pthread_mutex_unlock(&shared.lock);
        return;
    }
    pthread_mutex_unlock(&shared.lock);
    if (phase != PHASE_INDEX)
        return;
    uint64_t docs = atomic_load(&progress_counters.docs);
    uint64_t bytes = atomic_load(&progress_counters.bytes);
    double secs = progress_elapsed(), eta;
    double frac = progress_fraction(secs, &eta);
    double rate = secs > 0 ? (double)docs / secs : 0;
    char etabuf[32];
    format_eta(etabuf, sizeof etabuf, eta);
    char bar[NEWSD_PROGRESS_BAR_WIDTH + 1];
    int filled = (int)(frac * NEWSD_PROGRESS_BAR_WIDTH);
    for (int i = 0; i < NEWSD_PROGRESS_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[NEWSD_PROGRESS_BAR_WIDTH] = '\0';

    pthread_mutex_lock(&shared.lock);
    fprintf(stderr, "\r\033[Kindexing [%s] %3.0f%%  %" PRIu64 " docs  %.1f/%.1f MB  %.0f docs/s  ETA %s",
            bar, frac * 100, docs, (double)bytes / 1e6,
            (double)atomic_load(&progress_counters.total_bytes) / 1e6, rate, etabuf);
    shared.progress_shown = 1;
    pthread_mutex_unlock(&shared.lock);
}

static void emit_json_progress(phase_t phase)
{
    uint64_t docs = atomic_load(&progress_counters.docs);
    uint64_t bytes = atomic_load(&progress_counters.bytes);
    double secs = progress_elapsed(), eta;
    progress_fraction(secs, &eta);
    char etabuf[32] = "null";
    if (phase == PHASE_INDEX && eta >= 0)
        snprintf(etabuf, sizeof etabuf, "%.1f", eta);
    printf("{\"phase\":\"%s\",\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"total_bytes\":%" PRIu64
           ",\"elapsed_s\":%.3f,\"mb_per_s\":%.2f,\"eta_s\":%s}\n",
           phase_names[phase], docs, bytes,
           (uint64_t)atomic_load(&progress_counters.total_bytes), secs,
           secs > 0 ? (double)bytes / 1e6 / secs : 0, etabuf);
    fflush(stdout);
}

/* Periodic output; phase changes are shown at once by set_phase. */
static void *reporter_main(void *arg)
{
    (void)arg;
    const options_t *opt = reporter.opt;
    long tick_ms = opt->progress ? NEWSD_PROGRESS_INTERVAL_MS : NEWSD_PROGRESS_JSON_MS;
    double next_json = progress_elapsed() + NEWSD_PROGRESS_JSON_MS / 1000.0;
    pthread_mutex_lock(&reporter.lock);
    while (!reporter.stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += tick_ms / 1000;
        until.tv_nsec += (tick_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&reporter.cond, &reporter.lock, &until);
        phase_t phase = (phase_t)atomic_load(&shared.phase);
        if (reporter.stop || phase == PHASE_DONE)
            break;
        double now = progress_elapsed();
        if (opt->progress_json && now >= next_json) {
            emit_json_progress(phase);
            next_json = now + NEWSD_PROGRESS_JSON_MS / 1000.0;
        }
        if (opt->progress)
            show_progress(phase);
    }
    pthread_mutex_unlock(&reporter.lock);
    return NULL;
}

/* Moves to the next phase and shows it at once, so that even a short run reports every
 * phase it went through (the final "done" line is main's). */
void progress_set_phase(phase_t phase)
{
    pthread_mutex_lock(&reporter.lock);
    atomic_store(&shared.phase, (int)phase);
    if (reporter.running && phase != PHASE_DONE) {
        if (reporter.opt->progress_json)
            emit_json_progress(phase);
        if (reporter.opt->progress)
            show_progress(phase);
    }
    pthread_mutex_unlock(&reporter.lock);
}

void progress_start(const options_t *opt)
{
    clock_gettime(CLOCK_MONOTONIC, &shared.start);
    if (!opt->progress && !opt->progress_json)
        return;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&reporter.cond, &attr);
    pthread_condattr_destroy(&attr);
    reporter.opt = opt;
    pthread_mutex_lock(&reporter.lock);
    reporter.running = pthread_create(&reporter.thread, NULL, reporter_main, NULL) == 0;
    pthread_mutex_unlock(&reporter.lock);
    if (!reporter.running)
        progress_note("cannot start the progress thread; going on without progress output");
    progress_set_phase(PHASE_SCAN);
}

void progress_stop(void)
{
    if (!reporter.running)
        return;
    pthread_mutex_lock(&reporter.lock);
    reporter.stop = 1;
    pthread_cond_signal(&reporter.cond);
    pthread_mutex_unlock(&reporter.lock);
    pthread_join(reporter.thread, NULL);
    reporter.running = 0;
    pthread_mutex_lock(&shared.lock);
    clear_progress_locked();
    pthread_mutex_unlock(&shared.lock);
}

void progress_hidden_warnings(void)
{
    if (shared.warn_count > NEWSD_MAX_WARNINGS)
        fprintf(stderr, "newsindex: %u more warnings not shown\n",
                shared.warn_count - NEWSD_MAX_WARNINGS);
}

void progress_json_done(int ok, const counts_t *c, uint64_t docs, uint64_t index_bytes)
{
    const char *msg = ok ? "" : shared.last_error[0] ? shared.last_error : "failed";
    json_t *m = json_string(msg);
    if (!m) {   /* not UTF-8 (a file name): keep the ASCII of it */
        char clean[sizeof shared.last_error];
        size_t i = 0;
        for (; msg[i] && i < sizeof clean - 1; i++)
            clean[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
        clean[i] = '\0';
        m = json_string(clean);
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:o}",
                          "phase", "done", "status", ok ? "ok" : "error",
                          "docs", (json_int_t)docs, "added", (json_int_t)c->added,
                          "replaced", (json_int_t)c->replaced, "deleted", (json_int_t)c->deleted,
                          "unchanged", (json_int_t)c->unchanged,
                          "skipped_files", (json_int_t)c->files_skipped,
                          "indexed_files", (json_int_t)c->files_indexed,
                          "pruned_files", (json_int_t)c->files_pruned,
                          "elapsed_s", progress_elapsed(), "index_bytes", (json_int_t)index_bytes,
                          "message", m);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text)
        printf("%s\n", text);
    else
        printf("{\"phase\":\"done\",\"status\":\"error\",\"message\":\"out of memory\"}\n");
    fflush(stdout);
    free(text);
    json_decref(o);
}

/*
 * reindex.c: the REINDEX job (see reindex.h).  The rebuild runs in a child process, not
 * in a thread: newsindex is the one program that knows how to build an index fast (in
 * parallel, in bulk mode), a crash or an out-of-memory there cannot take the daemon
 * down, and its memory is given back when it exits.  The job's thread only waits: for
 * the writer to start remembering live writes, for the child's progress lines, for the
 * writer to swap, and for the workers to leave the old folder.
 *
 * Folders, for an index at DIR served by a daemon with pid P:
 *   DIR.new-P/index   the child builds here (its own work folders go beside it)
 *   DIR.old-P         the old index between the swap and its removal
 * Both follow newsindex's naming, so a daemon killed mid-job leaves nothing that the
 * next start (fsutil_remove_stale) does not clean up or put back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "reindex.h"
#include "reindex_paths.h"
#include "writer.h"

struct reindex {
    server_t *srv;
    pthread_mutex_t lock;          /* guards everything below */
    reindex_status_t st;
    uint64_t started_us;
    int thread_live;               /* a job thread exists and was not joined */
    pthread_t thread;
    pid_t child;                   /* 0 when none runs */
    int cancel;
    char **paths;                  /* the job's, NULL-terminated argv tail */
    size_t npaths;
    char workdir[PATH_MAX], new_index[PATH_MAX], parking[PATH_MAX];
    char indexer[PATH_MAX];
    reindex_roots_t roots;         /* the corpus roots, resolved; read-only after new */
};

const char *reindex_state_name(reindex_state_t s)
{
    switch (s) {
    case REINDEX_IDLE: return "idle";
    case REINDEX_RUNNING: return "running";
    case REINDEX_SWITCHING: return "switching";
    case REINDEX_DONE: return "done";
    case REINDEX_FAILED: return "failed";
    }
    return "?";
}



reindex_t *reindex_new(server_t *srv)
{
    reindex_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    pthread_mutex_init(&r->lock, NULL);
    r->st.eta_s = -1;
    if (reindex_roots_resolve(&srv->cfg, &r->roots) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    return r;
}

static void free_paths(reindex_t *r)
{
    for (size_t i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    r->paths = NULL;
    r->npaths = 0;
}

/* Joins a finished job's thread (the lock is held; the thread no longer takes it). */
static void join_finished(reindex_t *r)
{
    if (r->thread_live && r->st.state != REINDEX_RUNNING && r->st.state != REINDEX_SWITCHING) {
        pthread_join(r->thread, NULL);
        r->thread_live = 0;
        free_paths(r);
    }
}

void reindex_free(reindex_t *r)
{
    if (!r)
        return;
    reindex_cancel(r);
    pthread_mutex_lock(&r->lock);
    int live = r->thread_live;
    pthread_t t = r->thread;
    r->thread_live = 0;
    pthread_mutex_unlock(&r->lock);
    if (live)
        pthread_join(t, NULL);
    free_paths(r);
    reindex_free_list(r->roots.roots, r->roots.n);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int reindex_cancel(reindex_t *r)
{
    pthread_mutex_lock(&r->lock);
    int running = r->st.state == REINDEX_RUNNING || r->st.state == REINDEX_SWITCHING;
    if (running) {
        r->cancel = 1;
        if (r->child > 0)
            kill(r->child, SIGTERM);
    }
    pthread_mutex_unlock(&r->lock);
    return running ? 0 : -1;
}

void reindex_get_status(reindex_t *r, reindex_status_t *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->st;
    if (r->st.state == REINDEX_RUNNING || r->st.state == REINDEX_SWITCHING)
        out->elapsed_s = (double)(server_now_us() - r->started_us) / 1e6;
    pthread_mutex_unlock(&r->lock);
}

/* ---- the job's thread ---- */

static void finish(reindex_t *r, reindex_state_t state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void finish(reindex_t *r, reindex_state_t state, const char *fmt, ...)
{
    pthread_mutex_lock(&r->lock);
    r->st.state = state;
    r->st.elapsed_s = (double)(server_now_us() - r->started_us) / 1e6;
    r->st.eta_s = state == REINDEX_DONE ? 0 : -1;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->st.message, sizeof r->st.message, fmt, ap);
        va_end(ap);
    }
    r->child = 0;
    pthread_mutex_unlock(&r->lock);
    if (state == REINDEX_DONE) {
        LOG(LOG_INFO, "reindex_done", "job=%" PRIu64 " docs=%" PRIu64 " live_writes=%" PRIu64
            " seconds=%.1f", r->st.job, r->st.doc_count, r->st.live_writes, r->st.elapsed_s);
        notify_send("STATUS=serving %" PRIu64 " documents (rebuilt by REINDEX)",
                    r->st.doc_count);
    } else
        LOG(LOG_ERROR, "reindex_failed", "job=%" PRIu64 " msg=\"%s\"", r->st.job, r->st.message);
}

/* One line of newsindex --progress-json. */
static void take_progress(reindex_t *r, const char *line, char *final_msg, size_t msglen,
                          int *final_ok)
{
    json_t *j = json_loads(line, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return;
    }
    const char *phase = json_string_value(json_object_get(j, "phase"));
    pthread_mutex_lock(&r->lock);
    if (phase)
        snprintf(r->st.phase, sizeof r->st.phase, "%s", phase);
    json_t *v;
    if ((v = json_object_get(j, "docs")) && json_is_integer(v))
        r->st.docs = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(j, "bytes")) && json_is_integer(v))
        r->st.bytes = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(j, "total_bytes")) && json_is_integer(v))
        r->st.total_bytes = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(j, "mb_per_s")) && json_is_number(v))
        r->st.mb_per_s = json_number_value(v);
    if ((v = json_object_get(j, "eta_s")) && json_is_number(v))
        r->st.eta_s = json_number_value(v);
    pthread_mutex_unlock(&r->lock);
    if (phase && strcmp(phase, "done") == 0) {
        const char *status = json_string_value(json_object_get(j, "status"));
        const char *msg = json_string_value(json_object_get(j, "message"));
        *final_ok = status && strcmp(status, "ok") == 0;
        snprintf(final_msg, msglen, "%s", msg ? msg : "");
    }
    json_decref(j);
}

/* Closes every descriptor from 3 up in the child (sockets of clients among them). */
static void close_from(int lowfd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lowfd; fd < (max > 0 ? max : 1024); fd++)
        close((int)fd);
}

/* Starts newsindex; returns the read end of its stdout, or -1 (message in r->st). */
static int spawn(reindex_t *r)
{
    char jobs[16];
    snprintf(jobs, sizeof jobs, "%u", r->srv->cfg.reindex_jobs);
    const char *fixed[] = { r->indexer, "--progress-json", "--jobs", jobs, "--index",
                            r->new_index, "--" };
    size_t nfixed = sizeof fixed / sizeof *fixed;
    char **argv = calloc(nfixed + r->npaths + 1, sizeof *argv);
    if (!argv)
        return -1;
    for (size_t i = 0; i < nfixed; i++)
        argv[i] = (char *)fixed[i];
    for (size_t i = 0; i < r->npaths; i++)
        argv[nfixed + i] = r->paths[i];
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(argv);
        return -1;
    }
    int nice_to = (int)r->srv->cfg.reindex_nice;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* the child: only async-signal-safe calls until exec */
        prctl(PR_SET_PDEATHSIG, SIGTERM);     /* the daemon killed: the build stops too */
        if (getppid() != parent)
            _exit(127);
        /* The daemon's handlers must not run here: libevent's would write to the signal
         * pipe this process shares with the daemon, and a SIGTERM meant for the build
         * (a cancel right after the fork) would stop the daemon.  The signals the
         * job's thread blocks every signal, so none is handled before this. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                sigaction(sig, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpriority(PRIO_PROCESS, 0, nice_to);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        close_from(3);
        execv(argv[0], argv);
        _exit(127);
    }
    int e = errno;
    free(argv);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&r->lock);
    r->child = pid;
    if (r->cancel)
        kill(pid, SIGTERM);
    pthread_mutex_unlock(&r->lock);
    return fds[0];
}

/* Waits until every worker reads the new folder (or the drain time is up, or shutdown). */
static void drain(reindex_t *r, uint64_t epoch)
{
    server_t *srv = r->srv;
    uint64_t deadline = server_now_us() + (uint64_t)NEWSD_REINDEX_DRAIN_MS * 1000u;
    for (;;) {
        unsigned behind = 0;
        for (unsigned i = 0; i < srv->cfg.workers; i++)
            if (atomic_load(&srv->workers[i].reader_epoch) < epoch)
                behind++;
        pthread_mutex_lock(&r->lock);
        int cancel = r->cancel;
        pthread_mutex_unlock(&r->lock);
        if (behind == 0 || cancel || server_now_us() > deadline) {
            if (behind)
                LOG(LOG_WARN, "reindex_drain", "workers_behind=%u", behind);
            return;
        }
        server_wake_all(srv);
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* Sends the writer one control request without arguments. */
static void writer_simple_control(writer_t *w, writer_ctl_op_t op)
{
    writer_ctl_t ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.op = op;
    writer_control(w, &ctl);
}

/* Reads the child's progress lines until it closes its stdout. */
static void read_progress(reindex_t *r, int fd, char *final_msg, size_t msglen, int *final_ok)
{
    FILE *in = fdopen(fd, "r");
    if (!in) {
        close(fd);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0)
        take_progress(r, line, final_msg, msglen, final_ok);
    free(line);
    fclose(in);
}

/* Reaps the child; returns its wait status, and in *cancel whether a cancel came. */
static int reap_child(reindex_t *r, int *cancel)
{
    int status = 0;
    pid_t child;
    pthread_mutex_lock(&r->lock);
    child = r->child;
    pthread_mutex_unlock(&r->lock);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&r->lock);
    r->child = 0;
    *cancel = r->cancel;
    pthread_mutex_unlock(&r->lock);
    return status;
}

/* Runs newsindex into r->new_index.  Returns 0 when it built the index, or -1 after
 * finish() said why not. */
static int build(reindex_t *r)
{
    char final_msg[200] = "";
    int final_ok = 0;
    int fd = spawn(r);
    if (fd < 0) {
        int e = errno;
        finish(r, REINDEX_FAILED, "cannot start %s: %s", r->indexer, strerror(e));
        return -1;
    }
    read_progress(r, fd, final_msg, sizeof final_msg, &final_ok);
    int cancel;
    int status = reap_child(r, &cancel);
    if (cancel) {
        finish(r, REINDEX_FAILED, "cancelled; the index was left as it was");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !final_ok) {
        if (final_msg[0])
            finish(r, REINDEX_FAILED, "newsindex failed: %s", final_msg);
        else if (WIFSIGNALED(status))
            finish(r, REINDEX_FAILED, "newsindex was killed by signal %d", WTERMSIG(status));
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            finish(r, REINDEX_FAILED, "cannot run %s", r->indexer);
        else
            finish(r, REINDEX_FAILED, "newsindex exited with status %d",
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

/* Has the writer put the rebuilt index in place, waits for the workers to leave the old
 * one and removes it.  Returns 0 (the job is done), or -1 after finish() said why not. */
static int switch_index(reindex_t *r)
{
    pthread_mutex_lock(&r->lock);
    r->st.state = REINDEX_SWITCHING;
    pthread_mutex_unlock(&r->lock);
    writer_ctl_t ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.op = WRITER_SWITCH;
    ctl.new_index = r->new_index;
    ctl.old_parking = r->parking;
    writer_control(r->srv->writer, &ctl);
    if (ctl.failed) {
        finish(r, REINDEX_FAILED, "%s; the index was left as it was", ctl.message);
        return -1;
    }
    LOG(LOG_INFO, "reindex_switch", "job=%" PRIu64 " epoch=%" PRIu64 " docs=%" PRIu64
        " live_writes=%" PRIu64, r->st.job, ctl.epoch, ctl.docs, ctl.carried);
    drain(r, ctl.epoch);
    fsutil_remove_tree(r->parking);
    fsutil_remove_tree(r->workdir);
    pthread_mutex_lock(&r->lock);
    r->st.live_writes = ctl.carried;
    r->st.doc_count = ctl.docs;
    snprintf(r->st.phase, sizeof r->st.phase, "done");
    pthread_mutex_unlock(&r->lock);
    finish(r, REINDEX_DONE, NULL);
    return 0;
}

static void *job_main(void *arg)
{
    reindex_t *r = arg;
    writer_simple_control(r->srv->writer, WRITER_JOURNAL_BEGIN);
    if (build(r) == 0 && switch_index(r) == 0)
        return NULL;
    writer_simple_control(r->srv->writer, WRITER_JOURNAL_END);
    fsutil_remove_tree(r->workdir);
    return NULL;
}

/* ---- starting a job ---- */


/* The newsindex to run: --indexer, else the one beside our own executable, else the one
 * in ../bin from it (installed, newsd is in sbin and newsindex in bin). */
static int find_indexer(reindex_t *r, char *err, size_t errlen)
{
    if (r->srv->cfg.indexer) {
        snprintf(r->indexer, sizeof r->indexer, "%s", r->srv->cfg.indexer);
    } else {
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) {
            snprintf(err, errlen, "cannot find newsindex: start newsd with --indexer PATH");
            return -1;
        }
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        static const char *const places[] = { "", "/../bin" };
        for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
            if (snprintf(r->indexer, sizeof r->indexer, "%s%s/newsindex", self, places[i]) >=
                (int)sizeof r->indexer) {
                snprintf(err, errlen, "cannot find newsindex: start newsd with --indexer PATH");
                return -1;
            }
            if (access(r->indexer, X_OK) == 0)
                return 0;
        }
        /* the error below names the place beside newsd (it fitted above) */
        if (snprintf(r->indexer, sizeof r->indexer, "%s/newsindex", self) >=
            (int)sizeof r->indexer)
            return -1;
    }
    if (access(r->indexer, X_OK) != 0) {
        snprintf(err, errlen, "cannot run the indexer %s: %s", r->indexer, strerror(errno));
        return -1;
    }
    return 0;
}





/* Finds the indexer, names the job's folders and creates the work folder afresh.
 * Returns 0, or -1 with *code and err set. */
static int prepare_folders(reindex_t *r, const char **code, char *err, size_t errlen)
{
    const char *index = r->srv->cfg.index_path;
    long pid = (long)getpid();
    if (find_indexer(r, err, errlen) != 0 ||
        snprintf(r->workdir, sizeof r->workdir, "%s.new-%ld", index, pid) >= (int)sizeof r->workdir ||
        snprintf(r->new_index, sizeof r->new_index, "%s/index", r->workdir) >= (int)sizeof r->new_index ||
        snprintf(r->parking, sizeof r->parking, "%s.old-%ld", index, pid) >= (int)sizeof r->parking) {
        if (!err[0])
            snprintf(err, errlen, "the index path is too long");
        *code = "internal";
        return -1;
    }
    fsutil_remove_tree(r->workdir);     /* a failed job of ours may have left them */
    fsutil_remove_tree(r->parking);
    if (mkdir(r->workdir, 0755) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", r->workdir, strerror(errno));
        *code = "internal";
        return -1;
    }
    return 0;
}

/* A fresh status for the next job, then its thread.  Returns 0, or -1 with *code and
 * err set (the status says the job failed; the work folder is removed). */
static int start_job_thread(reindex_t *r, const char **code, char *err, size_t errlen)
{
    uint64_t job = r->st.job + 1;
    memset(&r->st, 0, sizeof r->st);
    r->st.job = job;
    r->st.state = REINDEX_RUNNING;
    r->st.eta_s = -1;
    r->st.npaths = (unsigned)r->npaths;
    snprintf(r->st.phase, sizeof r->st.phase, "start");
    r->started_us = server_now_us();
    r->cancel = 0;
    r->child = 0;
    /* the job's thread (and so its child until exec) starts with every signal blocked */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int created = pthread_create(&r->thread, NULL, job_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (created != 0) {
        r->st.state = REINDEX_FAILED;
        snprintf(r->st.message, sizeof r->st.message, "cannot start a thread");
        snprintf(err, errlen, "cannot start a thread");
        *code = "internal";
        fsutil_remove_tree(r->workdir);
        return -1;
    }
    r->thread_live = 1;
    return 0;
}

uint64_t reindex_start(reindex_t *r, const char *const *paths, size_t npaths,
                       const char **code, char *err, size_t errlen)
{
    *code = "bad_request";
    for (size_t i = 0; i < npaths; i++) {
        char *resolved;
        if (reindex_check_path(&r->roots, paths[i], &resolved, code, err, errlen) != 0)
            return 0;
        free(resolved);
    }
    pthread_mutex_lock(&r->lock);
    join_finished(r);
    if (r->thread_live) {
        snprintf(err, errlen, "rebuild %" PRIu64 " is still %s; see STATUS", r->st.job,
                 reindex_state_name(r->st.state));
        *code = "busy";
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    char **list;
    size_t n;
    if (reindex_job_paths(r->srv->cfg.index_path, &r->roots, paths, npaths, &list, &n, code,
                          err, errlen) != 0) {
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    r->paths = list;
    r->npaths = n;
    if (prepare_folders(r, code, err, errlen) != 0 ||
        start_job_thread(r, code, err, errlen) != 0) {
        free_paths(r);
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    uint64_t job = r->st.job;
    pthread_mutex_unlock(&r->lock);
    LOG(LOG_INFO, "reindex_start", "job=%" PRIu64 " paths=%zu indexer=%s", job, n, r->indexer);
    return job;
}

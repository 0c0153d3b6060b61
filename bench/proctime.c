/*
 * proctime: times whole processes, start to exit, as a user at a shell sees them:
 * for `newsq` the cost is exec, dynamic linking, connecting and one request, which no
 * in-process figure shows.  posix_spawn+wait from C (glibc spawns with a vfork-style
 * clone), so neither a shell's start-up nor the copying of this process is counted; run
 * /bin/true the same way to see the floor.
 *
 * The command runs N times with stdout and stderr on /dev/null; a run that exits with
 * a status above MAX_OK_STATUS (newsq: 0 found, 1 nothing found, 2 error) or by a
 * signal is an error.
 *
 *   proctime [-n RUNS] [-L LABEL] -- COMMAND [ARG...]
 * prints one "proctime: mode=LABEL ... p50_us=..." line (querylog.h).
 *
 *   proctime -c FILE -- COMMAND [ARG...]
 * runs the command once with this process's stdin, stdout and stderr, and writes
 * "wall_s=W user_s=U sys_s=S" to FILE: the CPU seconds of the command and of every
 * descendant it waited for (getrusage RUSAGE_CHILDREN), so that a builder's threads and
 * a helper process (Sphinx's xmlpipe2 source) are counted beside its wall time.  Exits
 * with the command's status (128 + signal when killed).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "querylog.h"

#define MAX_OK_STATUS 1

extern char **environ;

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* -c: one run, its wall and CPU time to out_path. */
static int run_once(const char *out_path, char **argv)
{
    pid_t pid;
    int status;
    double t0 = bench_us();
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
        fprintf(stderr, "proctime: %s: cannot run it\n", argv[0]);
        return 127;
    }
    if (waitpid(pid, &status, 0) < 0) {
        perror("waitpid");
        return 1;
    }
    double wall = (bench_us() - t0) / 1e6;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    FILE *f = fopen(out_path, "w");
    if (!f || fprintf(f, "wall_s=%.3f user_s=%.3f sys_s=%.3f\n", wall, tv_s(ru.ru_utime),
                      tv_s(ru.ru_stime)) < 0 || fclose(f) != 0) {
        perror(out_path);
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    long runs = 200;
    const char *label = "command", *cpu_out = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+n:L:c:")) != -1) {
        switch (opt) {
        case 'n': runs = strtol(optarg, NULL, 10); break;
        case 'L': label = optarg; break;
        case 'c': cpu_out = optarg; break;
        default: goto usage;
        }
    }
    if (optind >= argc || runs < 1) goto usage;
    if (cpu_out) return run_once(cpu_out, argv + optind);
    double *lat = calloc((size_t)runs, sizeof *lat);
    if (!lat) return 1;
    bench_summary_t s = {"proctime", label, 1, (size_t)runs, 0, 0, 0, 0};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    double start = bench_us();
    for (long i = 0; i < runs; i++) {
        double t0 = bench_us();
        pid_t pid;
        int rc = posix_spawn(&pid, argv[optind], &quiet, NULL, argv + optind, environ);
        if (rc != 0) {
            fprintf(stderr, "proctime: %s: cannot run it\n", argv[optind]);
            return 1;
        }
        int status;
        if (waitpid(pid, &status, 0) < 0) {
            perror("waitpid");
            return 1;
        }
        lat[i] = bench_us() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) > MAX_OK_STATUS) {
            if (s.errors++ == 0)
                fprintf(stderr, "proctime: %s: exit status %d\n", argv[optind],
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        } else {
            s.matched += WEXITSTATUS(status) == 0;
        }
    }
    s.wall_us = bench_us() - start;
    bench_report(stdout, &s, lat, (size_t)runs);
    posix_spawn_file_actions_destroy(&quiet);
    free(lat);
    return s.errors ? 1 : 0;
usage:
    fprintf(stderr, "usage: proctime [-n RUNS] [-L LABEL] -- COMMAND [ARG...]\n"
                    "       proctime -c FILE -- COMMAND [ARG...]\n");
    return 2;
}

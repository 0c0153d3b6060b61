/*
 * replay.c: runs a fuzz target without libFuzzer, so that its committed inputs are
 * replayed by every `make test` (normal and SANITIZE=1 builds, any compiler).  Linked with
 * one tests/fuzz/fuzz_<target>.c; FUZZ_TARGET names it.  With no arguments it feeds every
 * file in tests/fuzz/seeds/<target>/ and tests/fuzz/regress/<target>/; arguments name other
 * files or folders (a crash file from `make fuzz-run`, say).  Each input runs in a child
 * process, so one that crashes is counted and named and the rest still run; one that runs
 * longer than FUZZ_INPUT_SECONDS is killed and fails.  Ends with
 * "N passed, M failed"; finding no input at all is a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Defined by the targets that need set-up; weak so the others link too. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned passed, failed;

/* The whole file in a fresh allocation of exactly its size, so ASan sees overreads. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap), *exact = NULL;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *more = realloc(buf, cap *= 2);
        if (!more)
            free(buf);
        buf = more;
    }
    int bad = ferror(f);
    fclose(f);
    if (buf && !bad && (exact = malloc(n ? n : 1)))
        memcpy(exact, buf, n);
    free(buf);
    *size = n;
    return exact;
}

static void run_one(const char *path)
{
    size_t size;
    uint8_t *data = slurp(path, &size);
    if (!data) {
        printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(FUZZ_INPUT_SECONDS);      /* a slow input is a failure, as under libFuzzer */
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        exit(0);
    }
    free(data);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("FAIL %s: cannot run it: %s\n", path, strerror(errno));
        failed++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        passed++;
    } else {
        printf("FAIL %s: %s %d\n", path, WIFSIGNALED(status) ? "killed by signal" : "exit",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        failed++;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file in a folder (sorted; hidden files and README skipped). */
static void run_path(const char *path, int must_exist)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (must_exist) {
            printf("FAIL %s: %s\n", path, strerror(errno));
            failed++;
        }
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_one(path);
        return;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, NULL);
    if (n < 0) {
        printf("FAIL %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    char **files = calloc((size_t)n + 1, sizeof *files);
    size_t nf = 0;
    for (int i = 0; i < n; i++) {
        if (files && names[i]->d_name[0] != '.' && strncmp(names[i]->d_name, "README", 6) != 0) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            if ((files[nf] = malloc(len)))
                snprintf(files[nf++], len, "%s/%s", path, names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    if (!files) {
        printf("FAIL %s: out of memory\n", path);
        failed++;
        return;
    }
    qsort(files, nf, sizeof *files, by_name);
    for (size_t i = 0; i < nf; i++) {
        if (stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
            run_one(files[i]);
        free(files[i]);
    }
    free(files);
}

int main(int argc, char **argv)
{
    fuzz_tmpdir();   /* made here, so the children share it and a crash leaves nothing */
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run_path(argv[i], 1);
    } else {
        static const char *const kinds[] = { "seeds", "regress" };
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", FUZZ_SRCDIR, kinds[k], FUZZ_TARGET);
            run_path(dir, 0);
        }
    }
    if (passed + failed == 0) {
        printf("FAIL %s: no inputs to replay\n", FUZZ_TARGET);
        failed++;
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

/*
 * corpus_stats: reads the input once through the readers and prints how much there is,
 * so run.sh computes MB/s and size ratios from the same definition for every system:
 * input MB = uncompressed bytes of the corpus files as the readers consume them (for
 * .gz files, the gunzipped size), in units of 10^6 bytes.  Running it first also warms
 * the page cache, so the first timed system does not pay for cold reads alone.
 *
 *   corpus_stats PATH...
 */
#include <stdio.h>

#include "bench_corpus.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: corpus_stats PATH...\n");
        return 2;
    }
    bench_corpus_stats_t stats;
    double t0 = bench_now();
    if (bench_corpus_each((const char *const *)argv + 1, argc - 1, NULL, NULL, &stats) != 0)
        return 1;
    bench_corpus_report(stdout, "stats", &stats, bench_now() - t0);
    return stats.docs > 0 ? 0 : 1;
}

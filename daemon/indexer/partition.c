/*
 * partition.c: contiguous, weight-balanced ranges for parallel builders (partition.h).
 */
#include "partition.h"

void partition_ranges(const uint64_t *weights, size_t n, unsigned parts, size_t *bounds)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    size_t i = 0;
    uint64_t acc = 0;
    bounds[0] = 0;
    for (unsigned k = 1; k < parts; k++) {
        uint64_t goal = total / parts * k + total % parts * k / parts;
        /* Take the next item while that brings the running total closer to the goal. */
        while (i < n && acc < goal && goal - acc >= weights[i] / 2 + weights[i] % 2) {
            acc += weights[i];
            i++;
        }
        bounds[k] = i;
    }
    bounds[parts] = n;
}

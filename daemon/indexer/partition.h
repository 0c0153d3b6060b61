/*
 * partition.h: splitting an ordered list of weighted items (files and their sizes) into
 * contiguous ranges of about equal weight, one per parallel builder, so that document
 * ids keep the input order after the shards are merged.
 */
#ifndef NEWSD_PARTITION_H
#define NEWSD_PARTITION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Splits items [0, n) with the given weights into `parts` contiguous ranges: range k is
 * [bounds[k], bounds[k+1]), with bounds[0] = 0 and bounds[parts] = n (bounds has
 * parts + 1 entries).  Each boundary is put where the running total comes closest to
 * k/parts of the whole; a range may be empty when there are fewer items than parts or
 * one item outweighs the rest.
 */
void partition_ranges(const uint64_t *weights, size_t n, unsigned parts, size_t *bounds);

#endif

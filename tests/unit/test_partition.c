/*
 * test_partition: the split of input files between parallel builders.
 */
#include "check.h"
#include "partition.h"

static int is_partition(const size_t *b, unsigned parts, size_t n)
{
    if (b[0] != 0 || b[parts] != n)
        return 0;
    for (unsigned k = 0; k < parts; k++)
        if (b[k] > b[k + 1])
            return 0;
    return 1;
}

int main(void)
{
    size_t b[5];

    /* Equal weights split evenly. */
    uint64_t eq[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    partition_ranges(eq, 8, 2, b);
    CHECK(is_partition(b, 2, 8));
    CHECK_INT(b[1], 4);
    partition_ranges(eq, 8, 4, b);
    CHECK(is_partition(b, 4, 8));
    CHECK_INT(b[1], 2);
    CHECK_INT(b[2], 4);
    CHECK_INT(b[3], 6);

    /* Many small files then a few large ones (the shipped corpus: BBC text files sort
     * before the Reuters archives): the boundary follows weight, not count. */
    uint64_t mixed[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 10, 10, 10, 10 };
    partition_ranges(mixed, 12, 2, b);
    CHECK(is_partition(b, 2, 12));
    CHECK_INT(b[1], 10);   /* 8 + 10 + 10 = 28 of 48, the closest to 24 */

    /* One item heavier than all the rest: it gets a range of its own. */
    uint64_t heavy[4] = { 100, 1, 1, 1 };
    partition_ranges(heavy, 4, 2, b);
    CHECK(is_partition(b, 2, 4));
    CHECK_INT(b[1], 1);

    /* Fewer items than parts: every item placed once, some ranges empty. */
    uint64_t two[2] = { 5, 5 };
    partition_ranges(two, 2, 4, b);
    CHECK(is_partition(b, 4, 2));

    /* One part takes everything; no items at all is fine too. */
    partition_ranges(eq, 8, 1, b);
    CHECK(b[0] == 0 && b[1] == 8);
    partition_ranges(eq, 0, 2, b);
    CHECK(is_partition(b, 2, 0));

    /* Huge weights do not overflow the goal arithmetic. */
    uint64_t big[3] = { UINT64_MAX / 4, UINT64_MAX / 4, UINT64_MAX / 4 };
    partition_ranges(big, 3, 3, b);
    CHECK(is_partition(b, 3, 3));
    CHECK(b[1] == 1 && b[2] == 2);
    return check_report();
}

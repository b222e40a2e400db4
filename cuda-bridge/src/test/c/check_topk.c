/*
 * Device check of the top-k kernel: for each chunk of a file of little-endian 16-bit patterns, compare
 * tl_topk16 on the GPU with a CPU reference (sort by magnitude descending, index ascending; keep k; sort
 * by index), and print one line per check with the device time.
 *   check_topk FILE ROWS HIDDEN CHUNK_ROWS K [PREFILL_ROWS]
 * Exit status 0 when every chunk matches.
 */
#include "../../main/cuda/toploc_cuda.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static const uint16_t *g_a;

static int by_mag_then_index(const void *x, const void *y) {
    int i = *(const int *) x, j = *(const int *) y;
    int mi = g_a[i] & 0x7FFF, mj = g_a[j] & 0x7FFF;
    if (mi != mj) return mj - mi;
    return i - j;
}

static int by_index(const void *x, const void *y) { return *(const int *) x - *(const int *) y; }

static int check(const char *file, int chunk, const uint16_t *a, int64_t n, int k) {
    int *all = malloc(sizeof(int) * n);
    for (int64_t i = 0; i < n; i++) all[i] = (int) i;
    g_a = a;
    qsort(all, n, sizeof(int), by_mag_then_index);
    qsort(all, k, sizeof(int), by_index);
    int32_t *got = malloc(sizeof(int32_t) * k);
    int64_t bad;
    float ms = 0;
    int err = tl_topk16(a, n, k, 0x7FFF, 0x7F80, got, &bad, &ms);
    int ok = err == 0 && bad < 0;
    for (int i = 0; ok && i < k; i++) ok = got[i] == all[i];
    printf("topk %s chunk %d (%lld values, k %d): %s (%.3f ms on the device)%s%s\n", file, chunk, (long long) n, k,
           ok ? "ok" : "MISMATCH", ms, err ? " error " : "", err ? tl_error_name(err) : "");
    free(all);
    free(got);
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s FILE ROWS HIDDEN CHUNK_ROWS K [PREFILL_ROWS]\n", argv[0]);
        return 2;
    }
    const char *file = argv[1];
    int64_t rows = atoll(argv[2]), hidden = atoll(argv[3]);
    int chunk_rows = atoi(argv[4]), k = atoi(argv[5]);
    int64_t prefill = argc > 6 ? atoll(argv[6]) : 0;
    FILE *f = fopen(file, "rb");
    if (!f) { perror(file); return 2; }
    uint16_t *a = malloc(sizeof(uint16_t) * rows * hidden);
    if (fread(a, sizeof(uint16_t), rows * hidden, f) != (size_t) (rows * hidden)) { fprintf(stderr, "%s: short read\n", file); return 2; }
    fclose(f);
    int all_ok = 1, c = 0;
    if (prefill > 0 && prefill * hidden >= k) all_ok &= check(file, c++, a, prefill * hidden, k);
    for (int64_t r = prefill; r < rows; r += chunk_rows) {
        int64_t n = (rows - r < chunk_rows ? rows - r : chunk_rows) * hidden;
        if (n >= k) all_ok &= check(file, c++, a + r * hidden, n, k);
    }
    return all_ok ? 0 : 1;
}

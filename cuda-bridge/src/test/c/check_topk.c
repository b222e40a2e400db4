/*
 * Device check of the top-k kernels: for each chunk of a file of little-endian 16-bit patterns, compare
 * tl_topk16 (host input) and tl_topk16_device (input already in device memory, on a stream) with a CPU
 * reference (sort by magnitude descending, index ascending; keep k; sort by index), indices and gathered
 * patterns, and print one line per check with the device time.
 *   check_topk FILE ROWS HIDDEN CHUNK_ROWS K [PREFILL_ROWS]
 *   check_topk synthetic      heavy ties, one value everywhere, and the lowest non-finite index
 * Exit status 0 when every chunk matches.
 */
#include "../../main/cuda/toploc_cuda.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

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
    int32_t *got = malloc(sizeof(int32_t) * k), *got2 = malloc(sizeof(int32_t) * k);
    uint16_t *val = malloc(sizeof(uint16_t) * k), *val2 = malloc(sizeof(uint16_t) * k);
    int64_t bad = 0, bad2 = 0;
    float ms = 0, ms2 = 0;
    int err = tl_topk16(a, n, k, 0x7FFF, 0x7F80, got, val, &bad, &ms);
    void *dev = 0, *stream = 0;
    int err2 = tl_malloc(&dev, n * 2);
    if (!err2) err2 = tl_copy_to_device(dev, a, n * 2);
    if (!err2) err2 = tl_stream_create(&stream);
    if (!err2) err2 = tl_topk16_device(dev, n, k, 0x7FFF, 0x7F80, stream, got2, val2, &bad2, &ms2);
    if (stream) tl_stream_destroy(stream);
    tl_free(dev);
    int ok = err == 0 && err2 == 0 && bad < 0 && bad2 < 0;
    for (int i = 0; ok && i < k; i++) ok = got[i] == all[i] && got2[i] == all[i] && val[i] == a[all[i]] && val2[i] == a[all[i]];
    printf("topk %s chunk %d (%lld values, k %d): %s (%.3f ms, device input %.3f ms, on the device)%s%s\n", file, chunk,
           (long long) n, k, err || err2 ? "FAILED" : ok ? "ok" : "MISMATCH", ms, ms2, err || err2 ? " error " : "", err ? tl_error_name(err) : err2 ? tl_error_name(err2) : "");
    free(all);
    free(got);
    free(got2);
    free(val);
    free(val2);
    return ok;
}

static int synthetic(void) {
    int64_t n = 100000;
    uint16_t *a = malloc(sizeof(uint16_t) * n);
    unsigned long long r = 3;
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        a[i] = (uint16_t) (0x3F80 + (r >> 62)) | (r >> 40 & 1 ? 0x8000 : 0);   /* four magnitudes, both signs */
    }
    ok &= check("synthetic 4-magnitude ties", 0, a, n, 128);
    ok &= check("synthetic 4-magnitude ties", 1, a, n, 60000);
    for (int64_t i = 0; i < n; i++) a[i] = 0x4000;
    ok &= check("synthetic all equal", 2, a, n, 1000);
    a[777] = 0x7FC0;      /* NaN */
    a[90000] = 0xFF80;    /* -Inf */
    int32_t idx[128];
    int64_t bad = 0;
    int err = tl_topk16(a, n, 128, 0x7FFF, 0x7F80, idx, NULL, &bad, NULL);
    int nf = err == 0 && bad == 777;
    printf("topk synthetic non-finite at 777 and 90000: %s (reported %lld)\n", nf ? "ok" : "MISMATCH", (long long) bad);
    free(a);
    return ok && nf;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "synthetic")) return synthetic() ? 0 : 1;
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

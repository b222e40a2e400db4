/*
 * libtoploc_cpu: the native CPU matmul backend of toploc-runtime, called through FFM from
 * dev.toploc.runtime.internal.NativeMatmul (whose downcall descriptors mirror these signatures).
 *
 *   y[t][n] = sum_k x[t][k] * w[n][k]  (+ bias[n])     x: T x K fp32, w: N x K bf16 (HF layout), y: T x N fp32
 *
 * The activations are first split into bf16 parts (tlc_pack): hi = bf16(x), mid = bf16(x - hi),
 * lo = bf16(x - hi - mid), all round-to-nearest-even; x == hi + mid + lo exactly for every finite x whose parts
 * are not bf16 subnormals (see docs/runtime.md). Products of bf16 parts with bf16 weights are exact in fp32, so
 * only the order of the fp32 accumulation differs from the Java kernel. A bf16-mode activation is its own hi
 * (mid and lo are zero everywhere): tlc_pack then reports 1 part and the kernels do one pass.
 *
 * Two kernels, chosen by the caller after tlc_features():
 *   AVX-512 BF16 (VDPBF16PS), layout 0. Reduction order, per output (t, n), independent of blocking and
 *     threads: 16 lane accumulators starting at +0; for each 32-wide chunk c of k (in increasing c), for each
 *     part p (hi, mid, lo; only the first `parts`), one VDPBF16PS: lane i adds the product of element 2i+1
 *     and then of element 2i of the chunk, each addition rounded to nearest even with denormals flushed
 *     (the instruction's DAZ/FTZ); then s = +0, s += lane[0], ..., s += lane[15] (plain fp32 adds); then
 *     s + bias[n]. The chunk past K is zero (zero weights, zero activations). NativeMatmul.avx512Twin is its
 *     scalar twin, tested bit-identical.
 *   AMX BF16 (TDPBF16PS), layout 1. Per output, one fp32 accumulator in a tile, starting at +0; for each
 *     32-wide chunk of k in increasing order, for each part, one TDPBF16PS, whose internal order over the
 *     chunk's 32 products is the hardware's (the SDM describes pairs in increasing k, DAZ/FTZ, RNE); then
 *     + bias[n]. Fixed for a given CPU model; results do not depend on threads or on the blocking below.
 *
 * Threads never split k: the caller splits the outputs n into ranges and calls tlc_matmul once per range.
 * Built with -ffp-contract=off: every scalar * and + rounds as written.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cpuid.h>

#define TLC_ABI 2

#define FEAT_AVX512 1      /* AVX-512 F/BW/VL with the OS saving ZMM state */
#define FEAT_AVX512BF16 2  /* ... and AVX512_BF16 */
#define FEAT_AMXBF16 4     /* AMX-TILE + AMX-BF16, XTILEDATA enabled by the OS and granted to this process */

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

int tlc_abi_version(void) { return TLC_ABI; }

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* The features this process can use now (bits FEAT_*). Requests the AMX permission from Linux once per call
 * (idempotent: granted permission stays). */
int tlc_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) {   /* OSXSAVE */
        return 0;
    }
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0xE6) != 0xE6) {    /* SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM state */
        return 0;
    }
    if (__get_cpuid_max(0, 0) < 7) {
        return 0;
    }
    __cpuid_count(7, 0, a, b, c, d);
    int f = 0;
    unsigned ebx7 = b, edx7 = d;
    if ((ebx7 & (1u << 16)) && (ebx7 & (1u << 30)) && (ebx7 & (1u << 31))) {   /* AVX512F, BW, VL */
        f |= FEAT_AVX512;
    } else {
        return 0;
    }
    __cpuid_count(7, 1, a, b, c, d);
    if (a & (1u << 5)) {
        f |= FEAT_AVX512BF16;
    }
    if ((edx7 & (1u << 22)) && (edx7 & (1u << 24)) && (xcr0 & 0x60000) == 0x60000) {   /* AMX-BF16, AMX-TILE, XTILECFG+XTILEDATA */
        if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0) {
            f |= FEAT_AMXBF16;
        }
    }
    return f;
}

/* fp32 -> bf16, round to nearest even; the caller has checked that v is finite. */
static inline uint16_t to_bf16(uint32_t u) {
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline int round_up(int v, int m) { return (v + m - 1) / m * m; }

/* The parts `need` (split3's bits) asks for, or -3 when that is more than the caller's max_parts. */
static inline int parts_needed(int need, int max_parts) {
    int p = (need & 2) ? 3 : (need & 1) ? 2 : 1;
    return p > max_parts ? -3 : p;
}

/* Elements of tlc_pack's output for (T, K): 3 parts of round_up(T, 32) x round_up(K, 32) bf16. */
long tlc_packed_elements(int T, int K) {
    return 3L * round_up(T, 32) * round_up(K, 32);
}

/*
 * Splits rows t0 <= t < t1 of x (T x K fp32, row-major) into bf16 parts hi, mid, lo in `out`
 * (tlc_packed_elements(T, K) elements, zeroed by the caller: the padding stays zero; calls for disjoint row
 * ranges may run concurrently). layout 0: part p, row t, element k at (p * Tp + t) * Kp + k. layout 1 (AMX B tiles): tile
 * (p, t / 16, k / 32) of 16 rows x 16 tokens x 2 at ((p * Tp / 16 + t / 16) * Kp / 32 + k / 32) * 512, element
 * (k % 32 / 2) * 32 + (t % 16) * 2 + k % 2. layout 2: layout 1 by scalar code (the reference the tests compare layout 1's
 * AVX-512 code with; layout 1 and 2 need t0 a multiple of 16). Returns the number of parts needed (1: every mid is zero; 2: every
 * lo is zero; else 3), or -1 when some x is not finite or rounds to infinity in bf16 (|x| >= 0x1.ffp127): the
 * caller then uses the Java kernel; -2 for a bad row range (layout 1: t0 a multiple of 16).
 */
/* One element's parts; 0 when x is not finite or hi overflows. `need` collects bit 1 (a mid is non-zero) and bit 2 (a lo is). */
static inline int split3(float v, uint16_t *h, uint16_t *m, uint16_t *l, int *need) {
    uint32_t u;
    memcpy(&u, &v, 4);
    if ((u & 0x7F800000u) == 0x7F800000u) {
        return 0;
    }
    *h = to_bf16(u);
    if ((*h & 0x7F80u) == 0x7F80u) {
        return 0;
    }
    float r1 = v - from_bf16(*h);          /* exact */
    memcpy(&u, &r1, 4);
    *m = to_bf16(u);
    float r2 = r1 - from_bf16(*m);         /* exact */
    memcpy(&u, &r2, 4);
    *l = to_bf16(u);
    *need |= ((*m & 0x7FFF) != 0) | ((*l & 0x7FFF) != 0) << 1;
    return 1;
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")

/* split3 on 16 lanes: the same integer RNE and exact fp32 differences; 0 when a lane is not finite or hi overflows */
static inline int split16(__m512 v, __m512i *h, __m512i *m, __m512i *l, int *need) {
    const __m512i c7fff = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1), expo = _mm512_set1_epi32(0x7F800000);
    __m512i u = _mm512_castps_si512(v);
    if (_mm512_cmpeq_epi32_mask(_mm512_and_si512(u, expo), expo)) {
        return 0;
    }
#define RNE(u) _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, c7fff), _mm512_and_si512(_mm512_srli_epi32(u, 16), one)), 16)
    *h = RNE(u);
    if (_mm512_cmpeq_epi32_mask(_mm512_and_si512(*h, _mm512_set1_epi32(0x7F80)), _mm512_set1_epi32(0x7F80))) {
        return 0;
    }
    __m512 r1 = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(*h, 16)));
    *m = RNE(_mm512_castps_si512(r1));
    __m512 r2 = _mm512_sub_ps(r1, _mm512_castsi512_ps(_mm512_slli_epi32(*m, 16)));
    *l = RNE(_mm512_castps_si512(r2));
#undef RNE
    const __m512i mag = _mm512_set1_epi32(0x7FFF);
    *need |= (_mm512_test_epi32_mask(*m, mag) != 0) | (_mm512_test_epi32_mask(*l, mag) != 0) << 1;
    return 1;
}

/* Layout 1 (AMX tiles) with AVX-512: per token and 32-wide chunk, the 16 pairs go to the 16 rows of the tile at
 * the token's column, one scatter per part. Every AMX CPU has AVX-512 F/BW. */
static int pack_tiles(const float *x, int T, int K, uint16_t *out, int t0, int t1, int max_parts) {
    int Tp = round_up(T, 32), Kp = round_up(K, 32);
    long plane = (long)Tp * Kp;
    int need = 0;
    const __m512i rows = _mm512_set_epi32(240, 224, 208, 192, 176, 160, 144, 128, 112, 96, 80, 64, 48, 32, 16, 0);
    for (int tb = t0; tb < t1; tb += 16) {
        int tn = t1 - tb < 16 ? t1 - tb : 16;
        for (int kb = 0; kb < K; kb += 32) {
            long base = ((long)(tb / 16) * (Kp / 32) + kb / 32) * 512;
            int kn = K - kb < 32 ? K - kb : 32;
            __mmask16 lo16 = kn >= 16 ? 0xFFFF : (__mmask16)((1u << kn) - 1u);
            __mmask16 hi16 = kn >= 32 ? 0xFFFF : kn <= 16 ? 0 : (__mmask16)((1u << (kn - 16)) - 1u);
            for (int t = 0; t < tn; t++) {
                const float *row = x + (long)(tb + t) * K + kb;
                __m512i h0, m0, l0, h1, m1, l1;
                if (!split16(_mm512_maskz_loadu_ps(lo16, row), &h0, &m0, &l0, &need)
                        || !split16(_mm512_maskz_loadu_ps(hi16, row + 16), &h1, &m1, &l1, &need)) {
                    return -1;
                }
                __m512i idx = _mm512_add_epi32(rows, _mm512_set1_epi32(t));   /* dword (pair) kk at row kk, column t */
                __m512i hv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(h0)), _mm512_cvtepi32_epi16(h1), 1);
                __m512i mv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(m0)), _mm512_cvtepi32_epi16(m1), 1);
                __m512i lv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(l0)), _mm512_cvtepi32_epi16(l1), 1);
                _mm512_i32scatter_epi32((void *)(out + base), idx, hv, 4);
                if (max_parts > 1) {
                    _mm512_i32scatter_epi32((void *)(out + plane + base), idx, mv, 4);
                }
                if (max_parts > 2) {
                    _mm512_i32scatter_epi32((void *)(out + 2 * plane + base), idx, lv, 4);
                }
            }
        }
    }
    return parts_needed(need, max_parts);
}

#pragma GCC pop_options

int tlc_pack(const float *x, int T, int K, int layout, uint16_t *out, int t0, int t1, int max_parts) {
    int Tp = round_up(T, 32), Kp = round_up(K, 32);
    /* planes past max_parts are not in `out`: their parts go to a scratch element */
    long plane = (long)Tp * Kp, midPlane = max_parts > 1 ? plane : -1, loPlane = max_parts > 2 ? 2 * plane : -1;
    uint16_t sink;
    int need = 0;
    if (t0 < 0 || t1 > T || t0 > t1 || (layout != 0 && t0 % 16 != 0) || layout < 0 || layout > 2 || max_parts < 1 || max_parts > 3) {
        return -2;
    }
#define MID(idx) (midPlane < 0 ? &sink : out + midPlane + (idx))
#define LO(idx) (loPlane < 0 ? &sink : out + loPlane + (idx))
    if (layout == 0) {
        for (int t = t0; t < t1; t++) {
            for (int k = 0; k < K; k++) {
                long idx = (long)t * Kp + k;
                if (!split3(x[(long)t * K + k], out + idx, MID(idx), LO(idx), &need)) {
                    return -1;
                }
            }
        }
    } else if (layout == 1) {
        return pack_tiles(x, T, K, out, t0, t1, max_parts);
    } else {
        /* the scalar form of layout 1, tile by tile (kept as the reference of pack_tiles: tlc_pack(..., 2, ...)) */
        for (int tb = t0; tb < t1; tb += 16) {
            int tn = t1 - tb < 16 ? t1 - tb : 16;
            for (int kb = 0; kb < K; kb += 32) {
                long base = ((long)(tb / 16) * (Kp / 32) + kb / 32) * 512;
                int kn = K - kb < 32 ? K - kb : 32;
                for (int kk = 0; kk < kn; kk++) {
                    for (int t = 0; t < tn; t++) {
                        long idx = base + (kk / 2) * 32 + t * 2 + kk % 2;
                        if (!split3(x[(long)(tb + t) * K + kb + kk], out + idx, MID(idx), LO(idx), &need)) {
                            return -1;
                        }
                    }
                }
            }
        }
    }
#undef MID
#undef LO
    return parts_needed(need, max_parts);
}

/* ---------------------------------------------------------------- AVX-512 BF16 */

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512bf16")

static inline float lane_sum(__m512 acc) {
    float l[16];
    _mm512_storeu_ps(l, acc);
    float s = 0.0f;
    for (int j = 0; j < 16; j++) {
        s += l[j];
    }
    return s;
}

static inline __m512i load_w(const uint16_t *row, int k, int K) {
    int left = K - k;
    if (left >= 32) {
        return _mm512_loadu_si512((const void *)(row + k));
    }
    return _mm512_maskz_loadu_epi16((__mmask32)((1u << left) - 1u), row + k);
}

#define DP(acc, xv, wv) acc = _mm512_dpbf16_ps(acc, (__m512bh)(xv), (__m512bh)(wv))

static void avx512_range(const uint16_t *w, int N, int K, const uint16_t *xp, int T, int parts, const float *bias,
                         float *y, int n0, int n1) {
    int Tp = round_up(T, 32), Kp = round_up(K, 32);
    long plane = (long)Tp * Kp;
    int n4 = n0 + (n1 - n0) / 4 * 4;
    for (int t = 0; t < T; t += 4) {
        int tn = T - t < 4 ? T - t : 4;   /* rows past T are zero padding: computed, not stored */
        for (int n = n0; n < n1; n += 4) {
            if (n >= n4) {   /* single outputs at the range's end */
                for (int tt = t; tt < t + tn; tt++) {
                    __m512 acc = _mm512_setzero_ps();
                    const uint16_t *wr = w + (long)n * K;
                    for (int k = 0; k < Kp; k += 32) {
                        __m512i wv = load_w(wr, k, K);
                        for (int p = 0; p < parts; p++) {
                            DP(acc, _mm512_loadu_si512((const void *)(xp + p * plane + (long)tt * Kp + k)), wv);
                        }
                    }
                    float s = lane_sum(acc);
                    y[(long)tt * N + n] = bias ? s + bias[n] : s;
                }
                n -= 3;
                continue;
            }
            __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
            __m512 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            __m512 a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            const uint16_t *w0 = w + (long)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            for (int k = 0; k < Kp; k += 32) {
                __m512i v0 = load_w(w0, k, K), v1 = load_w(w1, k, K), v2 = load_w(w2, k, K), v3 = load_w(w3, k, K);
                for (int p = 0; p < parts; p++) {
                    const uint16_t *xr = xp + p * plane + (long)t * Kp + k;
                    __m512i u = _mm512_loadu_si512((const void *)xr);
                    DP(a00, u, v0); DP(a01, u, v1); DP(a02, u, v2); DP(a03, u, v3);
                    u = _mm512_loadu_si512((const void *)(xr + Kp));
                    DP(a10, u, v0); DP(a11, u, v1); DP(a12, u, v2); DP(a13, u, v3);
                    u = _mm512_loadu_si512((const void *)(xr + 2L * Kp));
                    DP(a20, u, v0); DP(a21, u, v1); DP(a22, u, v2); DP(a23, u, v3);
                    u = _mm512_loadu_si512((const void *)(xr + 3L * Kp));
                    DP(a30, u, v0); DP(a31, u, v1); DP(a32, u, v2); DP(a33, u, v3);
                }
            }
            __m512 accs[16] = {a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33};
            for (int i = 0; i < tn; i++) {
                for (int j = 0; j < 4; j++) {
                    float s = lane_sum(accs[i * 4 + j]);
                    y[(long)(t + i) * N + n + j] = bias ? s + bias[n + j] : s;
                }
            }
        }
    }
}

#pragma GCC pop_options

/* ---------------------------------------------------------------- AMX BF16 */

#pragma GCC push_options
#pragma GCC target("avx512f,amx-tile,amx-bf16")

struct tile_config {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

/* Tiles: 0..3 accumulators C[n-half][t-half] (16 outputs x 16 tokens fp32), 4..5 weights A (16 outputs x 32 k),
 * 6..7 activations B (16 k-pairs x 16 tokens x 2). */
static int amx_range(const uint16_t *w, int N, int K, const uint16_t *xp, int T, int parts, const float *bias,
                     float *y, int n0, int n1) {
    int Tp = round_up(T, 32), Kp = round_up(K, 32);
    long plane = (long)Tp * Kp;
    long kTiles = Kp / 32;
    /* the block's 32 weight rows, zero-padded to Kp and past N, as A tiles: tile (kt, half) of 16 rows x 32 k is 1 KiB
     * at (kt * 2 + half) * 512, so each tile load reads consecutive lines (rows Kp apart would share L1 sets); the
     * block stays in L2 while the tokens pass */
    uint16_t *wb = aligned_alloc(64, (size_t)32 * Kp * sizeof(uint16_t));
    if (!wb) {
        return 1;
    }
    struct tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 8; i++) {
        cfg.colsb[i] = 64;
        cfg.rows[i] = 16;
    }
    _tile_loadconfig(&cfg);
    float c[4][16][16] __attribute__((aligned(64)));
    for (int nb = n0; nb < n1; nb += 32) {
        int nn = n1 - nb < 32 ? n1 - nb : 32;
        /* a full block of rows with K a multiple of 32 is read in place (A tiles of stride K); else copied with padding */
        int direct = nn == 32 && K == Kp;
        const uint16_t *a0 = w + (long)nb * K, *a1 = a0 + 16L * K;
        long aStep = 32, aStride = (long)K * 2;
        if (!direct) {
            memset(wb, 0, (size_t)32 * Kp * sizeof(uint16_t));
            for (int r = 0; r < nn; r++) {
                const uint16_t *src = w + (long)(nb + r) * K;
                uint16_t *dst = wb + (r >> 4) * 512 + (r & 15) * 32;
                for (long kt = 0; kt < kTiles; kt++) {
                    long k0 = kt * 32;
                    memcpy(dst + kt * 1024, src + k0, (size_t)(K - k0 < 32 ? K - k0 : 32) * sizeof(uint16_t));
                }
            }
            a0 = wb;
            a1 = wb + 512;
            aStep = 1024;
            aStride = 64;
        }
        for (int tb = 0; tb < Tp; tb += 32) {
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            const uint16_t *b0 = xp + (long)(tb / 16) * kTiles * 512;
            const uint16_t *b1 = b0 + kTiles * 512;
            for (long kt = 0; kt < kTiles; kt++) {
                _tile_loadd(4, a0 + kt * aStep, aStride);
                _tile_loadd(5, a1 + kt * aStep, aStride);
                for (int p = 0; p < parts; p++) {
                    _tile_loadd(6, b0 + p * plane + kt * 512, 64);
                    _tile_loadd(7, b1 + p * plane + kt * 512, 64);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
            }
            _tile_stored(0, c[0], 64);
            _tile_stored(1, c[1], 64);
            _tile_stored(2, c[2], 64);
            _tile_stored(3, c[3], 64);
            for (int q = 0; q < 4; q++) {
                int nOff = (q >> 1) * 16, tOff = tb + (q & 1) * 16;
                for (int r = 0; r < 16 && nOff + r < nn; r++) {
                    int n = nb + nOff + r;
                    for (int j = 0; j < 16 && tOff + j < T; j++) {
                        float s = c[q][r][j];
                        y[(long)(tOff + j) * N + n] = bias ? s + bias[n] : s;
                    }
                }
            }
        }
    }
    _tile_release();
    free(wb);
    return 0;
}

#pragma GCC pop_options

/*
 * Outputs n0 <= n < n1 of y (T x N, row-major) from packed activations xp (tlc_pack's, in the kernel's layout,
 * `parts` of them) and bf16 weights w (N x K). kernel 0: AVX-512 BF16 (layout 0); 1: AMX (layout 1). The caller
 * checked tlc_features() for the kernel. Returns 0, or 1 (out of memory), 2 (bad arguments).
 */
int tlc_matmul(const uint16_t *w, int N, int K, const uint16_t *xp, int T, int parts, int kernel, const float *bias,
               float *y, int n0, int n1) {
    if (N < 1 || K < 1 || T < 1 || parts < 1 || parts > 3 || n0 < 0 || n1 > N || n0 >= n1) {
        return 2;
    }
    if (kernel == 0) {
        avx512_range(w, N, K, xp, T, parts, bias, y, n0, n1);
        return 0;
    }
    if (kernel == 1) {
        return amx_range(w, N, K, xp, T, parts, bias, y, n0, n1);
    }
    return 2;
}

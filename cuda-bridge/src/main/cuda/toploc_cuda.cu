// toploc_cuda: device top-k with the TOPLOC tie rule and the fp32 prefill, callable from Java through FFM
// (see toploc_cuda.h). Built by nvcc for GPUs, and by g++ with -DTOPLOC_EMULATE against src/test/emu/cuda_emu.h
// for tests on machines without one: kernels are launched through TL_LAUNCH and use TL_DYNAMIC_SHARED so
// that the same text compiles both ways.
#include "toploc_cuda.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef TOPLOC_EMULATE
#include "cuda_emu.h"
#else
#include <cuda_runtime.h>
#define TL_LAUNCH(kernel, grid, block, shmem, stream) kernel<<<(grid), (block), (shmem), (stream)>>>
#define TL_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

#define TL_ABI 3
#define TRY(x_) do { e = (x_); if (e != cudaSuccess) goto done; } while (0)

extern "C" int tl_abi_version(void) { return TL_ABI; }

extern "C" int tl_versions(int *runtime_version, int *driver_version) {
    *driver_version = 0;
    cudaError_t e = cudaRuntimeGetVersion(runtime_version);
    if (e != cudaSuccess) return (int) e;
    return (int) cudaDriverGetVersion(driver_version);
}

extern "C" int tl_device_count(int *count) {
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    if (e != cudaSuccess) *count = 0;
    return (int) e;
}

extern "C" int tl_device_info(int device, char *name, int name_len, int *major, int *minor, int64_t *total_memory) {
    cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, device);
    if (e != cudaSuccess) return (int) e;
    if (name_len > 0) {
        strncpy(name, p.name, (size_t) name_len - 1);
        name[name_len - 1] = 0;
    }
    *major = p.major;
    *minor = p.minor;
    *total_memory = (int64_t) p.totalGlobalMem;
    return 0;
}

extern "C" const char *tl_error_name(int error) { return cudaGetErrorName((cudaError_t) error); }

// ------------------------------------------------------------------------------------------- memory, streams

extern "C" int tl_malloc(void **p, int64_t bytes) {
    *p = 0;
    if (bytes < 0) return (int) cudaErrorInvalidValue;
    return (int) cudaMalloc(p, (size_t) bytes);
}

extern "C" int tl_free(void *p) { return (int) cudaFree(p); }

extern "C" int tl_copy_to_device(void *dst, const void *src, int64_t bytes) {
    if (bytes < 0) return (int) cudaErrorInvalidValue;
    return (int) cudaMemcpy(dst, src, (size_t) bytes, cudaMemcpyHostToDevice);
}

extern "C" int tl_copy_to_host(void *dst, const void *src, int64_t bytes) {
    if (bytes < 0) return (int) cudaErrorInvalidValue;
    return (int) cudaMemcpy(dst, src, (size_t) bytes, cudaMemcpyDeviceToHost);
}

extern "C" int tl_copy_on_device(void *dst, const void *src, int64_t bytes, void *stream) {
    if (bytes < 0) return (int) cudaErrorInvalidValue;
    return (int) cudaMemcpyAsync(dst, src, (size_t) bytes, cudaMemcpyDeviceToDevice, (cudaStream_t) stream);
}

extern "C" int tl_stream_create(void **s) {
    cudaStream_t st = 0;
    cudaError_t e = cudaStreamCreate(&st);
    *s = (void *) st;
    return (int) e;
}

extern "C" int tl_stream_destroy(void *s) { return (int) cudaStreamDestroy((cudaStream_t) s); }

extern "C" int tl_stream_synchronize(void *s) { return (int) cudaStreamSynchronize((cudaStream_t) s); }

// ------------------------------------------------------------------------------------------- top-k
//
// Exact, five kernels on the caller's stream, no host round trip in between:
//  1. histogram: one bin per magnitude (15 bits: 32768 bins in global memory, atomics), and the lowest
//     index of a non-finite value (atomicMin; every later kernel does nothing when there is one);
//  2. threshold (one block): each thread sums 32 bins from the top, a block-wide prefix sum finds the
//     segment where the count reaches k, its thread walks it: magnitude T, `above` = values with magnitude > T;
//     the k - above lowest indices with magnitude == T complete the set (ties to the lower index);
//  3. count (one block per span of the input, in index order): values above T and equal to T per span;
//  4. write (same spans): a span's offsets come from the counts of the spans before it; inside it, tiles of
//     1024 in index order and block-wide prefix sums give each selected value its rank among the T-valued
//     and its output slot, so the k indices (and their patterns, the gather) come out in ascending order.
// Magnitude masks up to 15 bits are supported (bf16, fp16, fp8).

#define BINS 32768
#define THREADS 1024
#define MAX_SPANS 256
#define NO_BAD 0xFFFFFFFFFFFFFFFFULL
static_assert(BINS == 32 * THREADS, "tl_threshold gives each thread 32 bins");

// Inclusive block-wide prefix sum of v (THREADS threads, Hillis-Steele); *total gets the block's sum.
__device__ int block_scan(int v, int *scratch, int *total) {
    int t = threadIdx.x;
    scratch[t] = v;
    __syncthreads();
    for (int off = 1; off < THREADS; off <<= 1) {
        int add = t >= off ? scratch[t - off] : 0;
        __syncthreads();
        scratch[t] += add;
        __syncthreads();
    }
    int r = scratch[t];
    *total = scratch[THREADS - 1];
    __syncthreads();
    return r;
}

__global__ void tl_histogram(const uint16_t *a, int64_t n, uint16_t mask, uint16_t non_finite, unsigned int *hist,
                             unsigned long long *first_bad) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
        unsigned int m = a[i] & mask;
        if (m >= non_finite) {
            atomicMin(first_bad, (unsigned long long) i);
        } else {
            atomicAdd(&hist[m], 1u);
        }
    }
}

// params[0] = T, params[1] = number of values with magnitude > T
__global__ void tl_threshold(const unsigned int *hist, int k, const unsigned long long *bad, int *params) {
    __shared__ int scratch[THREADS];
    if (*bad != NO_BAD) return;
    int hi = BINS - 32 * (int) threadIdx.x;   // this thread's bins: [hi - 32, hi), walked downwards
    int s = 0;
    for (int b = hi - 1; b >= hi - 32; b--) s += (int) hist[b];
    int total;
    int incl = block_scan(s, scratch, &total);
    int cum = incl - s;
    if (cum < k && incl >= k) {                // exactly one thread: the n >= k finite values reach k somewhere
        for (int b = hi - 1;; b--) {
            if (cum + (int) hist[b] >= k) {
                params[0] = b;
                params[1] = cum;
                break;
            }
            cum += (int) hist[b];
        }
    }
}

__global__ void tl_count(const uint16_t *a, int64_t n, uint16_t mask, const unsigned long long *bad, const int *params,
                         int64_t span, int *counts) {
    __shared__ int scratch[THREADS];
    if (*bad != NO_BAD) return;
    int T = params[0];
    int64_t lo = blockIdx.x * span, hi = lo + span < n ? lo + span : n;
    int above = 0, ties = 0;
    for (int64_t i = lo + threadIdx.x; i < hi; i += THREADS) {
        int m = a[i] & mask;
        above += m > T;
        ties += m == T;
    }
    int totalAbove, totalTies;
    block_scan(above, scratch, &totalAbove);
    block_scan(ties, scratch, &totalTies);
    if (threadIdx.x == 0) {
        counts[2 * blockIdx.x] = totalAbove;
        counts[2 * blockIdx.x + 1] = totalTies;
    }
}

__global__ void tl_write(const uint16_t *a, int64_t n, uint16_t mask, const unsigned long long *bad, const int *params, int k,
                         int64_t span, const int *counts, int *out_idx, uint16_t *out_val) {
    __shared__ int scratch[THREADS];
    if (*bad != NO_BAD) return;
    int T = params[0];
    int need = k - params[1];                  // how many T-valued values to take, lowest indices first
    int b = blockIdx.x;
    int abovePart = 0, tiesPart = 0;
    for (int j = threadIdx.x; j < b; j += THREADS) {
        abovePart += counts[2 * j];
        tiesPart += counts[2 * j + 1];
    }
    int aboveBefore, tiesBefore;
    block_scan(abovePart, scratch, &aboveBefore);
    block_scan(tiesPart, scratch, &tiesBefore);
    int taken = tiesBefore < need ? tiesBefore : need;
    int mine = counts[2 * b] + (need - taken < counts[2 * b + 1] ? need - taken : counts[2 * b + 1]);
    if (mine == 0) return;                     // uniform over the block
    int ties = tiesBefore;                     // T-valued values before the current tile
    int written = aboveBefore + taken;         // values selected before the current tile
    int64_t lo = b * span, hi = lo + span < n ? lo + span : n;
    for (int64_t base = lo; base < hi; base += THREADS) {
        int64_t i = base + threadIdx.x;
        int m = i < hi ? (int) (a[i] & mask) : -1;
        int tie = m == T ? 1 : 0;
        int tieTotal;
        int tieIncl = block_scan(tie, scratch, &tieTotal);
        int sel = (m > T) || (tie && ties + tieIncl - tie < need) ? 1 : 0;
        int selTotal;
        int selIncl = block_scan(sel, scratch, &selTotal);
        if (sel) {
            int slot = written + selIncl - 1;
            out_idx[slot] = (int) i;
            out_val[slot] = a[i];
        }
        ties += tieTotal;
        written += selTotal;
    }
}

extern "C" int tl_topk16_device(const uint16_t *dev, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite, void *stream,
                                int32_t *out_idx, uint16_t *out_val, int64_t *first_non_finite, float *elapsed_ms) {
    *first_non_finite = -1;
    if (k < 1 || n < k || n > 0x7FFFFFFF || mag_mask > 0x7FFF || !dev || !out_idx) return (int) cudaErrorInvalidValue;
    cudaStream_t s = (cudaStream_t) stream;
    int64_t tiles = (n + THREADS - 1) / THREADS;
    int64_t span = (tiles + MAX_SPANS - 1) / MAX_SPANS * THREADS;
    int spans = (int) ((n + span - 1) / span);
    // one workspace: histogram | first non-finite | params | counts | indices | patterns
    size_t o_bad = BINS * sizeof(unsigned int), o_params = o_bad + 8, o_counts = o_params + 8;
    size_t o_idx = o_counts + (size_t) 2 * spans * sizeof(int), o_val = o_idx + (size_t) k * sizeof(int);
    size_t bytes = o_val + (size_t) k * sizeof(uint16_t);
    char *ws = 0;
    cudaEvent_t start = 0, stop = 0;
    unsigned long long bad = NO_BAD;
    cudaError_t e;
    TRY(cudaMallocAsync(&ws, bytes, s));
    TRY(cudaMemsetAsync(ws, 0, o_bad, s));
    TRY(cudaMemsetAsync(ws + o_bad, 0xFF, 8, s));
    if (elapsed_ms) {                          // events only when timing is asked for (the hook's path never does)
        TRY(cudaEventCreate(&start));
        TRY(cudaEventCreate(&stop));
        TRY(cudaEventRecord(start, s));
    }
    {
        unsigned int *hist = (unsigned int *) ws;
        unsigned long long *d_bad = (unsigned long long *) (ws + o_bad);
        int *params = (int *) (ws + o_params), *counts = (int *) (ws + o_counts), *idx = (int *) (ws + o_idx);
        uint16_t *val = (uint16_t *) (ws + o_val);
        int64_t hblocks = (n + 255) / 256 < 4096 ? (n + 255) / 256 : 4096;
        TL_LAUNCH(tl_histogram, (unsigned) hblocks, 256, 0, s)(dev, n, mag_mask, non_finite, hist, d_bad);
        TRY(cudaGetLastError());
        TL_LAUNCH(tl_threshold, 1, THREADS, 0, s)(hist, k, d_bad, params);
        TRY(cudaGetLastError());
        TL_LAUNCH(tl_count, spans, THREADS, 0, s)(dev, n, mag_mask, d_bad, params, span, counts);
        TRY(cudaGetLastError());
        TL_LAUNCH(tl_write, spans, THREADS, 0, s)(dev, n, mag_mask, d_bad, params, k, span, counts, idx, val);
        TRY(cudaGetLastError());
        if (elapsed_ms) TRY(cudaEventRecord(stop, s));
        TRY(cudaMemcpyAsync(&bad, d_bad, 8, cudaMemcpyDeviceToHost, s));
        TRY(cudaStreamSynchronize(s));
        if (bad != NO_BAD) {
            *first_non_finite = (int64_t) bad;
            goto done;
        }
        if (elapsed_ms) TRY(cudaEventElapsedTime(elapsed_ms, start, stop));
        TRY(cudaMemcpyAsync(out_idx, idx, (size_t) k * sizeof(int), cudaMemcpyDeviceToHost, s));
        if (out_val) TRY(cudaMemcpyAsync(out_val, val, (size_t) k * sizeof(uint16_t), cudaMemcpyDeviceToHost, s));
        TRY(cudaStreamSynchronize(s));
    }
done:
    if (ws) cudaFreeAsync(ws, s);
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    return (int) e;
}

extern "C" int tl_topk16(const uint16_t *host, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite,
                         int32_t *out_idx, uint16_t *out_val, int64_t *first_non_finite, float *elapsed_ms) {
    *first_non_finite = -1;
    if (n < 1 || n > 0x7FFFFFFF) return (int) cudaErrorInvalidValue;
    uint16_t *d = 0;
    cudaError_t e;
    // stream-ordered allocation on the default stream: no device-wide synchronisation per chunk, unlike cudaFree
    TRY(cudaMallocAsync(&d, (size_t) n * sizeof(uint16_t), 0));
    TRY(cudaMemcpyAsync(d, host, (size_t) n * sizeof(uint16_t), cudaMemcpyHostToDevice, 0));
    e = (cudaError_t) tl_topk16_device(d, n, k, mag_mask, non_finite, 0, out_idx, out_val, first_non_finite, elapsed_ms);
done:
    if (d) cudaFreeAsync(d, 0);
    return (int) e;
}

// ------------------------------------------------------------------------------------------- fp32 prefill
//
// Rounding: every operation is an fp32 operation with round-to-nearest-even (no fast math, and no
// multiply-add contraction: nvcc --fmad=false, so a*b+c rounds twice unless the source says fmaf); weights
// of any dtype widen to fp32 exactly. rsqrtf, expf, cosf and sinf are CUDA's (within 2 ulp). Reduction orders, which differ from the CPU runtime's (results agree to
// fp32 rounding, which the commit tolerance absorbs, not bit for bit):
//  - matmul: each output is one fma chain over the input index in ascending order, starting from +0
//    (a 128 x 128 tile per block, 8 x 8 outputs per thread; the tiling does not change the order);
//  - RMSNorm sum of squares and the softmax max/sum: per-thread strided partial sums, then a warp shuffle
//    tree, then the warps' partials in order;
//  - attention scores: one fma chain over the head dimension; probabilities times V: one fma chain over
//    positions in ascending order;
//  - QKV bias (Qwen2): added once to the finished chain (acc + b), as the CPU adds it after its sum;
//  - q/k norms (Qwen3): the RMSNorm kernel over each head's head_dim values, before RoPE.

struct tl_model {
    tl_config c;
    int dtype;
    int max_tokens;
    void *embed;
    void *w[64][TL_LAYER_TENSORS];
    int window[64];
    void *final_norm;
    float *inv_freq;
};

__device__ __forceinline__ float half_to_float(uint16_t h) {
    unsigned int sign = (unsigned int) (h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    if (exp == 0) {                            // zero or subnormal: man * 2^-24, exact in fp32
        float f = (float) man * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    unsigned int bits = exp == 31 ? sign | 0x7F800000u | (man << 13) : sign | ((exp + 112) << 23) | (man << 13);
    return __uint_as_float(bits);
}

template <int WT>
__device__ __forceinline__ float wload(const void *w, size_t i) {
    if (WT == TL_BF16) return __uint_as_float(((unsigned int) ((const uint16_t *) w)[i]) << 16);
    if (WT == TL_FP16) return half_to_float(((const uint16_t *) w)[i]);
    return ((const float *) w)[i];
}

template <int WT>
__global__ void k_embed(const void *E, const int32_t *tok, int d, float *x) {
    int t = blockIdx.x;
    for (int i = threadIdx.x; i < d; i += blockDim.x) x[(size_t) t * d + i] = wload<WT>(E, (size_t) tok[t] * d + i);
}

// one block of 256 per token: out = w * (x * rsqrt(mean(x^2) + eps))
template <int WT>
__global__ void k_rmsnorm(const float *x, const void *w, int d, float eps, float *out) {
    __shared__ float part[32];
    int t = blockIdx.x;
    const float *row = x + (size_t) t * d;
    float ss = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss = fmaf(row[i], row[i], ss);
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_down_sync(0xffffffff, ss, o);
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = ss;
    __syncthreads();
    if (threadIdx.x == 0) {
        float v = 0.f;
        for (int w8 = 0; w8 < (int) (blockDim.x >> 5); w8++) v += part[w8];
        part[0] = v;
    }
    __syncthreads();
    float r = rsqrtf(part[0] / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[(size_t) t * d + i] = wload<WT>(w, i) * (row[i] * r);
}

#define MM_BM 128
#define MM_BN 128
#define MM_BK 16

// y[t][o] = sum_i x[t][i] * W[o][i] (+ bias[o] when bias is not NULL); blocks of 256 threads own a 128 x 128 tile of y, each thread 8 x 8 of it
// (rows ty + 16 r, columns tx + 16 c: consecutive threads read consecutive shared words and write
// consecutive columns); x and W pass through shared memory 16 inputs at a time, zero beyond the edges.
template <int WT>
__global__ void k_matmul(const float *x, const void *w, const void *bias, int T, int in, int out, float *y) {
    __shared__ float xs[MM_BK][MM_BM + 4];
    __shared__ float ws[MM_BK][MM_BN + 4];
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int row0 = blockIdx.y * MM_BM, col0 = blockIdx.x * MM_BN;
    float acc[8][8];
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) acc[r][c] = 0.f;
    for (int k0 = 0; k0 < in; k0 += MM_BK) {
        for (int e = threadIdx.x; e < MM_BM * MM_BK; e += 256) {
            int r = e / MM_BK, kk = e % MM_BK, gk = k0 + kk;
            int gr = row0 + r, gc = col0 + r;
            xs[kk][r] = gr < T && gk < in ? x[(size_t) gr * in + gk] : 0.f;
            ws[kk][r] = gc < out && gk < in ? wload<WT>(w, (size_t) gc * in + gk) : 0.f;
        }
        __syncthreads();
        for (int kk = 0; kk < MM_BK; kk++) {
            float av[8], bv[8];
            for (int r = 0; r < 8; r++) av[r] = xs[kk][ty + 16 * r];
            for (int c = 0; c < 8; c++) bv[c] = ws[kk][tx + 16 * c];
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++) acc[r][c] = fmaf(av[r], bv[c], acc[r][c]);
        }
        __syncthreads();
    }
    for (int r = 0; r < 8; r++) {
        int gr = row0 + ty + 16 * r;
        if (gr >= T) break;
        for (int c = 0; c < 8; c++) {
            int gc = col0 + tx + 16 * c;
            if (gc < out) y[(size_t) gr * out + gc] = bias ? acc[r][c] + wload<WT>(bias, gc) : acc[r][c];
        }
    }
}

// rotate-half RoPE in place on x (T x heads x hd): angle = t * inv_freq[i] in fp32
__global__ void k_rope(float *x, int T, int heads, int hd, const float *inv_freq) {
    int half = hd / 2;
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= T * heads * half) return;
    int i = idx % half, h = (idx / half) % heads, t = idx / (half * heads);
    float a = (float) t * inv_freq[i];
    float c = cosf(a), s = sinf(a);
    float *base = x + ((size_t) t * heads + h) * hd;
    float x1 = base[i], x2 = base[i + half];
    base[i] = x1 * c - x2 * s;
    base[i + half] = x2 * c + x1 * s;
}

// one block of 128 per (t, head); dynamic shared memory: t + 1 floats of scores (the launch asks for T).
// window > 0: position t sees keys s with t - s < window (a sliding window), else every s <= t.
__global__ void k_attention(const float *q, const float *k, const float *v, int T, int heads, int kvh, int hd, int window,
                            float *out) {
    TL_DYNAMIC_SHARED(float, sc);
    __shared__ float red[32];
    int t = blockIdx.x, h = blockIdx.y, g = h / (heads / kvh);
    int nw = (blockDim.x + 31) / 32;
    int lo = window > 0 && t >= window ? t - window + 1 : 0;
    const float *qr = q + ((size_t) t * heads + h) * hd;
    float scale = rsqrtf((float) hd);
    for (int s = lo + threadIdx.x; s <= t; s += blockDim.x) {
        const float *kr = k + ((size_t) s * kvh + g) * hd;
        float acc = 0.f;
        for (int i = 0; i < hd; i++) acc = fmaf(qr[i], kr[i], acc);
        sc[s] = acc * scale;
    }
    __syncthreads();
    float m = -INFINITY;
    for (int s = lo + threadIdx.x; s <= t; s += blockDim.x) m = fmaxf(m, sc[s]);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_down_sync(0xffffffff, m, o));
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
        float mm = -INFINITY;
        for (int w = 0; w < nw; w++) mm = fmaxf(mm, red[w]);
        red[0] = mm;
    }
    __syncthreads();
    m = red[0];
    __syncthreads();
    float sum = 0.f;
    for (int s = lo + threadIdx.x; s <= t; s += blockDim.x) {
        float e = expf(sc[s] - m);
        sc[s] = e;
        sum += e;
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_down_sync(0xffffffff, sum, o);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        float ss = 0.f;
        for (int w = 0; w < nw; w++) ss += red[w];
        red[0] = ss;
    }
    __syncthreads();
    float inv = 1.f / red[0];
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float acc = 0.f;
        for (int s = lo; s <= t; s++) acc = fmaf(sc[s] * inv, v[((size_t) s * kvh + g) * hd + i], acc);
        out[((size_t) t * heads + h) * hd + i] = acc;
    }
}

__global__ void k_add(float *x, const float *y, size_t n) {
    size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

__global__ void k_silu_mul(float *g, const float *u, size_t n) {
    size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x;
    if (i < n) {
        float a = g[i];
        g[i] = (a / (1.f + expf(-a))) * u[i];
    }
}

static cudaError_t upload(const void *host, size_t bytes, void **dev) {
    cudaError_t e = cudaMalloc(dev, bytes);
    if (e != cudaSuccess) return e;
    return cudaMemcpy(*dev, host, bytes, cudaMemcpyHostToDevice);
}

extern "C" void tl_model_free(tl_model *m) {
    if (!m) return;
    cudaFree(m->embed);
    cudaFree(m->final_norm);
    cudaFree(m->inv_freq);
    for (int l = 0; l < m->c.layers; l++)
        for (int j = 0; j < TL_LAYER_TENSORS; j++) cudaFree(m->w[l][j]);
    free(m);
}

extern "C" int tl_model_create(const tl_config *c, int dtype, const void *embed, const void *const *lw, const void *final_norm,
                               const float *inv_freq, const int32_t *windows, tl_model **out) {
    *out = 0;
    if (c->layers < 1 || c->layers > 64 || c->hidden < 1 || c->intermediate < 1 || c->heads < 1 || c->kv_heads < 1
        || c->heads % c->kv_heads != 0 || c->head_dim < 2 || c->head_dim % 2 != 0 || c->vocab < 1
        || (dtype != TL_BF16 && dtype != TL_FP16 && dtype != TL_FP32) || !embed || !final_norm || !lw)
        return (int) cudaErrorInvalidValue;
    for (int l = 0; l < c->layers; l++) {
        const void *const *p = lw + (size_t) l * TL_LAYER_TENSORS;
        for (int j = 0; j < 9; j++)
            if (!p[j]) return (int) cudaErrorInvalidValue;
        // the biases come as a set of three, the norms as a pair: never a half-applied feature
        if ((!p[9] != !p[10]) || (!p[9] != !p[11]) || (!p[12] != !p[13])) return (int) cudaErrorInvalidValue;
        if (windows && windows[l] < 0) return (int) cudaErrorInvalidValue;
    }
    tl_model *m = (tl_model *) calloc(1, sizeof(tl_model));
    if (!m) return (int) cudaErrorMemoryAllocation;
    m->c = *c;
    m->dtype = dtype;
    size_t es = dtype == TL_FP32 ? 4 : 2;
    size_t d = c->hidden, q = (size_t) c->heads * c->head_dim, kv = (size_t) c->kv_heads * c->head_dim, f = c->intermediate;
    size_t hd = c->head_dim;
    size_t sizes[TL_LAYER_TENSORS] = {d, q * d, kv * d, kv * d, d * q, d, f * d, f * d, d * f, q, kv, kv, hd, hd};
    int half = c->head_dim / 2, dev = 0, optin = 0;
    float *freq = (float *) malloc(sizeof(float) * half);
    for (int i = 0; i < half; i++) freq[i] = inv_freq ? inv_freq[i] : 1.0f / powf(c->rope_theta, (float) (2 * i) / c->head_dim);
    cudaError_t e = upload(freq, sizeof(float) * half, (void **) &m->inv_freq);
    free(freq);
    if (e == cudaSuccess) e = upload(embed, (size_t) c->vocab * d * es, &m->embed);
    if (e == cudaSuccess) e = upload(final_norm, d * es, &m->final_norm);
    for (int l = 0; e == cudaSuccess && l < c->layers; l++) {
        m->window[l] = windows ? windows[l] : 0;
        for (int j = 0; e == cudaSuccess && j < TL_LAYER_TENSORS; j++)
            if (lw[l * TL_LAYER_TENSORS + j]) e = upload(lw[l * TL_LAYER_TENSORS + j], sizes[j] * es, &m->w[l][j]);
    }
    // attention keeps a row of scores in shared memory: as much as the device lets one block have
    if (e == cudaSuccess) e = cudaGetDevice(&dev);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
    if (e == cudaSuccess) e = cudaFuncSetAttribute(k_attention, cudaFuncAttributeMaxDynamicSharedMemorySize, optin - 256);
    if (e != cudaSuccess) {
        tl_model_free(m);
        return (int) e;
    }
    m->max_tokens = (optin - 256) / (int) sizeof(float);
    *out = m;
    return 0;
}

extern "C" int tl_model_max_tokens(const tl_model *m) { return m->max_tokens; }

template <int WT>
static cudaError_t forward(tl_model *m, const int32_t *tokens, int T, float *out_hidden, float *elapsed_ms) {
    const tl_config *c = &m->c;
    size_t d = c->hidden, q = (size_t) c->heads * c->head_dim, kv = (size_t) c->kv_heads * c->head_dim, f = c->intermediate;
    float *x = 0, *h = 0, *qb = 0, *kb = 0, *vb = 0, *att = 0, *o = 0, *g = 0, *u = 0;
    int32_t *tok = 0;
    cudaEvent_t start = 0, stop = 0;
    cudaError_t e;
#define MATMUL(X, W, B, IN, OUT, Y) do { dim3 grid_(((OUT) + MM_BN - 1) / MM_BN, (T + MM_BM - 1) / MM_BM); \
        TL_LAUNCH(k_matmul<WT>, grid_, 256, 0, 0)(X, W, B, T, IN, OUT, Y); TRY(cudaGetLastError()); } while (0)
    TRY(cudaMalloc(&tok, T * sizeof(int32_t)));
    TRY(cudaMemcpy(tok, tokens, T * sizeof(int32_t), cudaMemcpyHostToDevice));
    TRY(cudaMalloc(&x, T * d * sizeof(float)));
    TRY(cudaMalloc(&h, T * d * sizeof(float)));
    TRY(cudaMalloc(&qb, T * q * sizeof(float)));
    TRY(cudaMalloc(&kb, T * kv * sizeof(float)));
    TRY(cudaMalloc(&vb, T * kv * sizeof(float)));
    TRY(cudaMalloc(&att, T * q * sizeof(float)));
    TRY(cudaMalloc(&o, T * d * sizeof(float)));
    TRY(cudaMalloc(&g, T * f * sizeof(float)));
    TRY(cudaMalloc(&u, T * f * sizeof(float)));
    TRY(cudaEventCreate(&start));
    TRY(cudaEventCreate(&stop));
    TRY(cudaEventRecord(start, 0));
    TL_LAUNCH(k_embed<WT>, T, 256, 0, 0)(m->embed, tok, (int) d, x);
    TRY(cudaGetLastError());
    for (int l = 0; l < c->layers; l++) {
        void *const *w = m->w[l];
        TL_LAUNCH(k_rmsnorm<WT>, T, 256, 0, 0)(x, w[0], (int) d, c->rms_eps, h);
        TRY(cudaGetLastError());
        MATMUL(h, w[1], w[9], (int) d, (int) q, qb);
        MATMUL(h, w[2], w[10], (int) d, (int) kv, kb);
        MATMUL(h, w[3], w[11], (int) d, (int) kv, vb);
        if (w[12]) {    // Qwen3: each head's query and key RMS-normalized over head_dim, in place, before RoPE
            TL_LAUNCH(k_rmsnorm<WT>, (unsigned) (T * c->heads), 256, 0, 0)(qb, w[12], c->head_dim, c->rms_eps, qb);
            TL_LAUNCH(k_rmsnorm<WT>, (unsigned) (T * c->kv_heads), 256, 0, 0)(kb, w[13], c->head_dim, c->rms_eps, kb);
            TRY(cudaGetLastError());
        }
        {
            int nq = T * c->heads * (c->head_dim / 2), nk = T * c->kv_heads * (c->head_dim / 2);
            TL_LAUNCH(k_rope, (nq + 255) / 256, 256, 0, 0)(qb, T, c->heads, c->head_dim, m->inv_freq);
            TL_LAUNCH(k_rope, (nk + 255) / 256, 256, 0, 0)(kb, T, c->kv_heads, c->head_dim, m->inv_freq);
            TRY(cudaGetLastError());
            dim3 grid(T, c->heads);
            TL_LAUNCH(k_attention, grid, 128, T * sizeof(float), 0)(qb, kb, vb, T, c->heads, c->kv_heads, c->head_dim, m->window[l], att);
            TRY(cudaGetLastError());
        }
        MATMUL(att, w[4], nullptr, (int) q, (int) d, o);
        TL_LAUNCH(k_add, (unsigned) ((T * d + 255) / 256), 256, 0, 0)(x, o, T * d);
        TL_LAUNCH(k_rmsnorm<WT>, T, 256, 0, 0)(x, w[5], (int) d, c->rms_eps, h);
        MATMUL(h, w[6], nullptr, (int) d, (int) f, g);
        MATMUL(h, w[7], nullptr, (int) d, (int) f, u);
        TL_LAUNCH(k_silu_mul, (unsigned) ((T * f + 255) / 256), 256, 0, 0)(g, u, T * f);
        MATMUL(g, w[8], nullptr, (int) f, (int) d, o);
        TL_LAUNCH(k_add, (unsigned) ((T * d + 255) / 256), 256, 0, 0)(x, o, T * d);
        TRY(cudaGetLastError());
    }
    TL_LAUNCH(k_rmsnorm<WT>, T, 256, 0, 0)(x, m->final_norm, (int) d, c->rms_eps, h);
    TRY(cudaGetLastError());
    TRY(cudaEventRecord(stop, 0));
    TRY(cudaEventSynchronize(stop));
    if (elapsed_ms) TRY(cudaEventElapsedTime(elapsed_ms, start, stop));
    TRY(cudaMemcpy(out_hidden, h, T * d * sizeof(float), cudaMemcpyDeviceToHost));
done:
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    cudaFree(tok); cudaFree(x); cudaFree(h); cudaFree(qb); cudaFree(kb); cudaFree(vb);
    cudaFree(att); cudaFree(o); cudaFree(g); cudaFree(u);
    return e;
#undef MATMUL
}

extern "C" int tl_prefill_f32(tl_model *m, const int32_t *tokens, int T, float *out_hidden, float *elapsed_ms) {
    if (!m || T < 1 || T > m->max_tokens) return (int) cudaErrorInvalidValue;
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= m->c.vocab) return (int) cudaErrorInvalidValue;
    switch (m->dtype) {
        case TL_BF16: return (int) forward<TL_BF16>(m, tokens, T, out_hidden, elapsed_ms);
        case TL_FP16: return (int) forward<TL_FP16>(m, tokens, T, out_hidden, elapsed_ms);
        default: return (int) forward<TL_FP32>(m, tokens, T, out_hidden, elapsed_ms);
    }
}

// toploc_cuda: device top-k with the TOPLOC tie rule, callable from Java through FFM (see toploc_cuda.h).
//
// Algorithm (exact, three kernels on one stream):
//  1. histogram: one bin per magnitude (15-bit: 32768 bins in global memory, atomics), and the lowest
//     index of a non-finite value (atomicMin);
//  2. threshold (one block): walk the bins from the top to the magnitude T where the count reaches k;
//     `above` values have a magnitude > T, and the k - above lowest indices with magnitude == T complete
//     the set (ties to the lower index);
//  3. select (one block, tiles of 1024 in index order): a value is selected if its magnitude > T, or == T
//     and its rank among the T-valued so far is below k - above; block-wide prefix sums give both that
//     rank and the output slot, so the k indices come out in ascending order.
// Magnitude masks up to 15 bits are supported (bf16, fp16, fp8).
#include "toploc_cuda.h"
#include <cuda_runtime.h>
#include <string.h>

#define TL_ABI 1
#define BINS 32768
#define THREADS 1024

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

__global__ void tl_histogram(const uint16_t *a, int64_t n, uint16_t mask, uint16_t non_finite,
                             unsigned int *hist, long long *first_bad) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
        unsigned int m = a[i] & mask;
        if (m >= non_finite) {
            atomicMin((unsigned long long *) first_bad, (unsigned long long) i);
        } else {
            atomicAdd(&hist[m], 1u);
        }
    }
}

// params[0] = T, params[1] = number of values with magnitude > T
__global__ void tl_threshold(const unsigned int *hist, int k, int *params) {
    if (threadIdx.x != 0) return;
    long long cum = 0;
    for (int m = BINS - 1; m >= 0; m--) {
        if (cum + hist[m] >= (unsigned long long) k) {
            params[0] = m;
            params[1] = (int) cum;
            return;
        }
        cum += hist[m];
    }
    params[0] = 0;
    params[1] = (int) cum;
}

// Inclusive block-wide prefix sum of v (THREADS threads); returns the inclusive sum, *total gets the block total.
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

__global__ void tl_select(const uint16_t *a, int64_t n, uint16_t mask, const int *params, int k, int *out) {
    __shared__ int scratch[THREADS];
    int T = params[0];
    int need = k - params[1];   // how many T-valued values to take, lowest indices first
    int taken_ties = 0;          // T-valued values seen before this tile
    int written = 0;             // indices written before this tile
    for (int64_t base = 0; base < n && written < k; base += THREADS) {
        int64_t i = base + threadIdx.x;
        int m = i < n ? (int) (a[i] & mask) : -1;
        int tie = m == T ? 1 : 0;
        int tieTotal;
        int tieIncl = block_scan(tie, scratch, &tieTotal);
        int rank = taken_ties + tieIncl - tie;        // T-valued values before i
        int sel = (m > T) || (tie && rank < need) ? 1 : 0;
        int selTotal;
        int selIncl = block_scan(sel, scratch, &selTotal);
        if (sel) out[written + selIncl - 1] = (int) i;
        taken_ties += tieTotal;
        written += selTotal;
    }
}

extern "C" int tl_topk16(const uint16_t *host, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite,
                         int32_t *out_idx, int64_t *first_non_finite, float *elapsed_ms) {
    *first_non_finite = -1;
    if (k < 1 || n < k || mag_mask > 0x7FFF) return (int) cudaErrorInvalidValue;
    uint16_t *d_a = 0;
    unsigned int *d_hist = 0;
    long long *d_bad = 0;
    int *d_params = 0;
    int *d_out = 0;
    cudaEvent_t start = 0, stop = 0;
    cudaError_t e;
    long long none = 0x7FFFFFFFFFFFFFFFLL;
#define TRY(x) do { e = (x); if (e != cudaSuccess) goto done; } while (0)
    TRY(cudaMalloc(&d_a, (size_t) n * sizeof(uint16_t)));
    TRY(cudaMalloc(&d_hist, BINS * sizeof(unsigned int)));
    TRY(cudaMalloc(&d_bad, sizeof(long long)));
    TRY(cudaMalloc(&d_params, 2 * sizeof(int)));
    TRY(cudaMalloc(&d_out, (size_t) k * sizeof(int)));
    TRY(cudaMemcpy(d_a, host, (size_t) n * sizeof(uint16_t), cudaMemcpyHostToDevice));
    TRY(cudaMemset(d_hist, 0, BINS * sizeof(unsigned int)));
    TRY(cudaMemcpy(d_bad, &none, sizeof(long long), cudaMemcpyHostToDevice));
    TRY(cudaEventCreate(&start));
    TRY(cudaEventCreate(&stop));
    TRY(cudaEventRecord(start));
    {
        int blocks = (int) ((n + 255) / 256);
        if (blocks > 4096) blocks = 4096;
        tl_histogram<<<blocks, 256>>>(d_a, n, mag_mask, non_finite, d_hist, d_bad);
        TRY(cudaGetLastError());
        long long bad;
        TRY(cudaMemcpy(&bad, d_bad, sizeof(long long), cudaMemcpyDeviceToHost));
        if (bad != none) {
            *first_non_finite = bad;
            goto done;
        }
        tl_threshold<<<1, 32>>>(d_hist, k, d_params);
        TRY(cudaGetLastError());
        tl_select<<<1, THREADS>>>(d_a, n, mag_mask, d_params, k, d_out);
        TRY(cudaGetLastError());
    }
    TRY(cudaEventRecord(stop));
    TRY(cudaEventSynchronize(stop));
    if (elapsed_ms) TRY(cudaEventElapsedTime(elapsed_ms, start, stop));
    TRY(cudaMemcpy(out_idx, d_out, (size_t) k * sizeof(int), cudaMemcpyDeviceToHost));
done:
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    cudaFree(d_a);
    cudaFree(d_hist);
    cudaFree(d_bad);
    cudaFree(d_params);
    cudaFree(d_out);
    return (int) e;
#undef TRY
}

// ------------------------------------------------------------------------------------------------------
// fp32 prefill. Straightforward kernels (one warp per matmul output, one block per attention row); the
// order of each sum differs from the CPU's, so results agree to fp32 rounding, not bit for bit.
// ------------------------------------------------------------------------------------------------------

struct tl_model {
    tl_config c;
    uint16_t *embed;
    uint16_t *w[64][9];
    uint16_t *final_norm;
};

__device__ __forceinline__ float bf16(uint16_t b) { return __uint_as_float(((unsigned int) b) << 16); }

__global__ void k_embed(const uint16_t *E, const int32_t *tok, int T, int d, float *x) {
    int t = blockIdx.x;
    for (int i = threadIdx.x; i < d; i += blockDim.x) x[(size_t) t * d + i] = bf16(E[(size_t) tok[t] * d + i]);
}

// one block per token: out = w * (x * rsqrt(mean(x^2) + eps))
__global__ void k_rmsnorm(const float *x, const uint16_t *w, int d, float eps, float *out) {
    __shared__ float part[32];
    int t = blockIdx.x;
    const float *row = x + (size_t) t * d;
    float ss = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss = fmaf(row[i], row[i], ss);
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_down_sync(0xffffffff, ss, o);
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = ss;
    __syncthreads();
    if (threadIdx.x < 32) {
        float v = threadIdx.x < (blockDim.x >> 5) ? part[threadIdx.x] : 0.f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
        if (threadIdx.x == 0) part[0] = v;
    }
    __syncthreads();
    float r = rsqrtf(part[0] / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[(size_t) t * d + i] = bf16(w[i]) * (row[i] * r);
}

// y[t][o] = sum_i x[t][i] * W[o][i]; one warp per (t, o)
__global__ void k_matmul(const float *x, const uint16_t *W, int T, int in, int out, float *y) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (warp >= T * out) return;
    int t = warp / out, o = warp % out;
    const float *xr = x + (size_t) t * in;
    const uint16_t *wr = W + (size_t) o * in;
    float acc = 0.f;
    for (int i = lane; i < in; i += 32) acc = fmaf(xr[i], bf16(wr[i]), acc);
    for (int s = 16; s > 0; s >>= 1) acc += __shfl_down_sync(0xffffffff, acc, s);
    if (lane == 0) y[(size_t) t * out + o] = acc;
}

__global__ void k_rope(float *x, int T, int heads, int hd, float theta) {
    int half = hd / 2;
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= T * heads * half) return;
    int i = idx % half, h = (idx / half) % heads, t = idx / (half * heads);
    float inv = 1.0f / powf(theta, (float) (2 * i) / hd);
    float a = (float) t * inv;
    float c = cosf(a), s = sinf(a);
    float *base = x + ((size_t) t * heads + h) * hd;
    float x1 = base[i], x2 = base[i + half];
    base[i] = x1 * c - x2 * s;
    base[i + half] = x2 * c + x1 * s;
}

// one block per (t, head); dynamic shared memory: T floats of scores
__global__ void k_attention(const float *q, const float *k, const float *v, int T, int heads, int kvh, int hd, float *out) {
    extern __shared__ float sc[];
    __shared__ float red[32];
    int t = blockIdx.x, h = blockIdx.y, g = h / (heads / kvh);
    const float *qr = q + ((size_t) t * heads + h) * hd;
    float scale = rsqrtf((float) hd);
    for (int s = threadIdx.x; s <= t; s += blockDim.x) {
        const float *kr = k + ((size_t) s * kvh + g) * hd;
        float acc = 0.f;
        for (int i = 0; i < hd; i++) acc = fmaf(qr[i], kr[i], acc);
        sc[s] = acc * scale;
    }
    __syncthreads();
    float m = -INFINITY;
    for (int s = threadIdx.x; s <= t; s += blockDim.x) m = fmaxf(m, sc[s]);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_down_sync(0xffffffff, m, o));
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
        float mm = -INFINITY;
        for (int w = 0; w < (blockDim.x + 31) / 32; w++) mm = fmaxf(mm, red[w]);
        red[0] = mm;
    }
    __syncthreads();
    m = red[0];
    __syncthreads();
    float sum = 0.f;
    for (int s = threadIdx.x; s <= t; s += blockDim.x) {
        float e = expf(sc[s] - m);
        sc[s] = e;
        sum += e;
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_down_sync(0xffffffff, sum, o);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        float ss = 0.f;
        for (int w = 0; w < (blockDim.x + 31) / 32; w++) ss += red[w];
        red[0] = ss;
    }
    __syncthreads();
    float inv = 1.f / red[0];
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float acc = 0.f;
        for (int s = 0; s <= t; s++) acc = fmaf(sc[s] * inv, v[((size_t) s * kvh + g) * hd + i], acc);
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

static cudaError_t upload(const uint16_t *host, size_t n, uint16_t **dev) {
    cudaError_t e = cudaMalloc(dev, n * sizeof(uint16_t));
    if (e != cudaSuccess) return e;
    return cudaMemcpy(*dev, host, n * sizeof(uint16_t), cudaMemcpyHostToDevice);
}

extern "C" void tl_model_free(tl_model *m) {
    if (!m) return;
    cudaFree(m->embed);
    cudaFree(m->final_norm);
    for (int l = 0; l < m->c.layers; l++)
        for (int j = 0; j < 9; j++) cudaFree(m->w[l][j]);
    free(m);
}

extern "C" int tl_model_create(const tl_config *c, const uint16_t *embed, const uint16_t *const *lw, const uint16_t *final_norm, tl_model **out) {
    *out = 0;
    if (c->layers < 1 || c->layers > 64 || c->heads % c->kv_heads != 0) return (int) cudaErrorInvalidValue;
    tl_model *m = (tl_model *) calloc(1, sizeof(tl_model));
    m->c = *c;
    size_t d = c->hidden, q = (size_t) c->heads * c->head_dim, kv = (size_t) c->kv_heads * c->head_dim, f = c->intermediate;
    size_t sizes[9] = {d, q * d, kv * d, kv * d, d * q, d, f * d, f * d, d * f};
    cudaError_t e = upload(embed, (size_t) c->vocab * d, &m->embed);
    if (e == cudaSuccess) e = upload(final_norm, d, &m->final_norm);
    for (int l = 0; e == cudaSuccess && l < c->layers; l++)
        for (int j = 0; e == cudaSuccess && j < 9; j++) e = upload(lw[l * 9 + j], sizes[j], &m->w[l][j]);
    if (e != cudaSuccess) {
        tl_model_free(m);
        return (int) e;
    }
    *out = m;
    return 0;
}

extern "C" int tl_prefill_f32(tl_model *m, const int32_t *tokens, int T, float *out_hidden, float *elapsed_ms) {
    const tl_config *c = &m->c;
    size_t d = c->hidden, q = (size_t) c->heads * c->head_dim, kv = (size_t) c->kv_heads * c->head_dim, f = c->intermediate;
    float *x = 0, *h = 0, *qb = 0, *kb = 0, *vb = 0, *att = 0, *o = 0, *g = 0, *u = 0;
    int32_t *tok = 0;
    cudaEvent_t start = 0, stop = 0;
    cudaError_t e;
#define TRY(x_) do { e = (x_); if (e != cudaSuccess) goto done; } while (0)
#define MATMUL(X, W, IN, OUT, Y) do { size_t warps = (size_t) T * (OUT); \
        k_matmul<<<(unsigned) ((warps * 32 + 255) / 256), 256>>>(X, W, T, IN, OUT, Y); TRY(cudaGetLastError()); } while (0)
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
    TRY(cudaEventRecord(start));
    k_embed<<<T, 256>>>(m->embed, tok, T, (int) d, x);
    TRY(cudaGetLastError());
    for (int l = 0; l < c->layers; l++) {
        uint16_t *const *w = m->w[l];
        k_rmsnorm<<<T, 256>>>(x, w[0], (int) d, c->rms_eps, h);
        TRY(cudaGetLastError());
        MATMUL(h, w[1], (int) d, (int) q, qb);
        MATMUL(h, w[2], (int) d, (int) kv, kb);
        MATMUL(h, w[3], (int) d, (int) kv, vb);
        {
            int nq = T * c->heads * (c->head_dim / 2), nk = T * c->kv_heads * (c->head_dim / 2);
            k_rope<<<(nq + 255) / 256, 256>>>(qb, T, c->heads, c->head_dim, c->rope_theta);
            k_rope<<<(nk + 255) / 256, 256>>>(kb, T, c->kv_heads, c->head_dim, c->rope_theta);
            TRY(cudaGetLastError());
            dim3 grid(T, c->heads);
            k_attention<<<grid, 128, T * sizeof(float)>>>(qb, kb, vb, T, c->heads, c->kv_heads, c->head_dim, att);
            TRY(cudaGetLastError());
        }
        MATMUL(att, w[4], (int) q, (int) d, o);
        k_add<<<(unsigned) ((T * d + 255) / 256), 256>>>(x, o, T * d);
        k_rmsnorm<<<T, 256>>>(x, w[5], (int) d, c->rms_eps, h);
        MATMUL(h, w[6], (int) d, (int) f, g);
        MATMUL(h, w[7], (int) d, (int) f, u);
        k_silu_mul<<<(unsigned) ((T * f + 255) / 256), 256>>>(g, u, T * f);
        MATMUL(g, w[8], (int) f, (int) d, o);
        k_add<<<(unsigned) ((T * d + 255) / 256), 256>>>(x, o, T * d);
        TRY(cudaGetLastError());
    }
    k_rmsnorm<<<T, 256>>>(x, m->final_norm, (int) d, c->rms_eps, h);
    TRY(cudaGetLastError());
    TRY(cudaEventRecord(stop));
    TRY(cudaEventSynchronize(stop));
    if (elapsed_ms) TRY(cudaEventElapsedTime(elapsed_ms, start, stop));
    TRY(cudaMemcpy(out_hidden, h, T * d * sizeof(float), cudaMemcpyDeviceToHost));
done:
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    cudaFree(tok); cudaFree(x); cudaFree(h); cudaFree(qb); cudaFree(kb); cudaFree(vb);
    cudaFree(att); cudaFree(o); cudaFree(g); cudaFree(u);
    return (int) e;
#undef MATMUL
#undef TRY
}

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

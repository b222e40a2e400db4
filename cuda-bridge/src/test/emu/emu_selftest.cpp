// The emulator's own check: kernels with the bugs it claims to catch must fail, correct ones must pass.
// Built and run by `device-check.sh --emulator`; one line per case, exit status 0 when all behave.
#include "cuda_emu.h"

static int failures = 0;

static void expect(const char *what, cudaError_t got, cudaError_t want) {
    bool ok = got == want;
    printf("emulator %s: %s (%s, expected %s)\n", what, ok ? "ok" : "WRONG", cudaGetErrorName(got), cudaGetErrorName(want));
    if (!ok) failures++;
}

// correct: a block-wide sum through shared memory and barriers, then a warp shuffle tree
__global__ void sum_kernel(const int *in, int *out) {
    __shared__ int s[256];
    s[threadIdx.x] = in[blockIdx.x * 256 + threadIdx.x];
    __syncthreads();
    for (int off = 128; off >= 32; off >>= 1) {
        if ((int) threadIdx.x < off) s[threadIdx.x] += s[threadIdx.x + off];
        __syncthreads();
    }
    if (threadIdx.x < 32) {
        int v = s[threadIdx.x];
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
        if (threadIdx.x == 0) out[blockIdx.x] = v;
    }
}

// bug: a barrier inside a branch that only some threads take, followed by one all take
__global__ void divergent_barrier(int *out) {
    if (threadIdx.x < 16) {
        __syncthreads();
        out[threadIdx.x] = 1;
    } else {
        out[threadIdx.x] = 2;
        __syncthreads();
        __syncthreads();
    }
}

// bug: half of the warp returns, the rest shuffles with a full mask
__global__ void shuffle_after_exit(int *out) {
    if (threadIdx.x >= 16) return;
    out[threadIdx.x] = __shfl_down_sync(0xffffffff, (int) threadIdx.x, 1);
}

__global__ void write_kernel(float *out) { out[threadIdx.x] = 1.f; }

__global__ void read_kernel(const float *in, float *out) { out[threadIdx.x] = in[threadIdx.x] + 1.f; }

__global__ void dynamic_kernel(float *out) {
    TL_DYNAMIC_SHARED(float, buf);
    out[threadIdx.x] = buf[threadIdx.x];       // read before any write: 0xFF bytes, a NaN
}

int main() {
    int *d_in, *d_out;
    int host[4 * 256], sums[4];
    for (int i = 0; i < 4 * 256; i++) host[i] = i;
    cudaMalloc(&d_in, sizeof host);
    cudaMalloc(&d_out, sizeof sums);
    cudaMemcpy(d_in, host, sizeof host, cudaMemcpyHostToDevice);
    TL_LAUNCH(sum_kernel, 4, 256, 0, 0)(d_in, d_out);
    expect("correct block sum runs", cudaGetLastError(), cudaSuccess);
    cudaMemcpy(sums, d_out, sizeof sums, cudaMemcpyDeviceToHost);
    bool right = true;
    for (int b = 0; b < 4; b++) right &= sums[b] == 256 * (256 * b) + 255 * 256 / 2;
    expect("correct block sum is right", right ? cudaSuccess : cudaErrorLaunchFailure, cudaSuccess);

    TL_LAUNCH(divergent_barrier, 1, 64, 0, 0)(d_out);
    expect("divergent __syncthreads is a deadlock", cudaGetLastError(), cudaErrorLaunchFailure);
    TL_LAUNCH(shuffle_after_exit, 1, 32, 0, 0)(d_out);
    expect("shuffle naming exited lanes", cudaGetLastError(), cudaErrorLaunchFailure);

    float hostf[32];
    TL_LAUNCH(write_kernel, 1, 32, 0, 0)(hostf);
    expect("host pointer as a kernel argument", cudaGetLastError(), cudaErrorInvalidValue);
    float *d_f;
    cudaMalloc(&d_f, 32 * sizeof(float));
    TL_LAUNCH(write_kernel, 1, 2048, 0, 0)(d_f);
    expect("2048 threads a block", cudaGetLastError(), cudaErrorInvalidConfiguration);
    TL_LAUNCH(write_kernel, 0, 32, 0, 0)(d_f);
    expect("an empty grid", cudaGetLastError(), cudaErrorInvalidConfiguration);
    TL_LAUNCH(dynamic_kernel, 1, 32, 64 * 1024, 0)(d_f);
    expect("64 KiB of dynamic shared memory without opting in", cudaGetLastError(), cudaErrorInvalidValue);
    expect("opting in to 64 KiB", cudaFuncSetAttribute(dynamic_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024), cudaSuccess);
    TL_LAUNCH(dynamic_kernel, 1, 32, 64 * 1024, 0)(d_f);
    expect("64 KiB of dynamic shared memory after opting in", cudaGetLastError(), cudaSuccess);
    cudaMemcpy(hostf, d_f, sizeof hostf, cudaMemcpyDeviceToHost);
    expect("shared memory starts as NaN", isnan(hostf[0]) ? cudaSuccess : cudaErrorLaunchFailure, cudaSuccess);

    float *d_g;
    cudaMalloc(&d_g, 32 * sizeof(float));
    TL_LAUNCH(read_kernel, 1, 32, 0, 0)(d_g, d_f);   // d_g never written
    cudaMemcpy(hostf, d_f, sizeof hostf, cudaMemcpyDeviceToHost);
    expect("fresh device memory reads as NaN", isnan(hostf[5]) ? cudaSuccess : cudaErrorLaunchFailure, cudaSuccess);
    expect("copy from a host pointer claimed to be device memory", cudaMemcpy(hostf, hostf + 1, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    expect("copy past the end of an allocation", cudaMemcpy(d_g, hostf, 33 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    expect("freeing what was not allocated", cudaFree(hostf), cudaErrorInvalidValue);
    cudaFree(d_in);
    cudaFree(d_out);
    cudaFree(d_f);
    cudaFree(d_g);
    return failures == 0 ? 0 : 1;
}

/*
 * cuda_emu.h: runs toploc_cuda.cu on the CPU, so that its kernels and host code are tested where there is
 * no GPU (this machine, CI). build-native.sh --emulator compiles the same .cu file with g++ and this header
 * (-DTOPLOC_EMULATE) into libtoploc_cuda_emu.so, which the C drivers and the Java tests load like the real one.
 *
 * What it models, so that the usual kernel bugs fail here instead of on a GPU:
 *  - every CUDA thread is a fiber with its own stack (64 KiB, guard page below); blocks run one at a time per
 *    worker thread, several workers in parallel; __shared__ variables are per worker, i.e. per block;
 *  - __syncthreads() is a real barrier over the block's live threads, __shfl_down_sync a real exchange over
 *    the warp's 32 lanes (a lane named in the mask that has exited is a fault); a barrier that can never
 *    complete (threads waiting where others never arrive) is reported as a deadlock;
 *  - launch limits: at most 1024 threads a block, grid y/z at most 65535, dynamic shared memory at most
 *    48 KiB unless raised with cudaFuncSetAttribute (up to the 227 KiB opt-in limit of sm_90);
 *  - device memory comes from its own mappings with a guard page right after each allocation (reading past
 *    the end crashes), is filled with 0xFF bytes (uninitialised memory reads as NaN), and copies and kernel
 *    pointer arguments must lie in device allocations (a host pointer passed to a kernel is a launch error);
 *  - dynamic shared memory is filled with 0xFF at every block start for the same reason.
 * What it does not model: timing, warp-level races (lanes run one after the other between barriers),
 * memory ordering, and the GPU's rounding of rsqrtf/expf (the CPU's libm is used). A launch fault sets
 * cudaErrorLaunchFailure (returned by cudaGetLastError and the next synchronising call) and prints the
 * kernel, block, thread and reason on stderr.
 *
 * Fibers switch with a few lines of x86-64 assembly (callee-saved registers and the stack pointer), which is
 * what makes a million thread switches a second cheap enough for tests. Other architectures: not supported.
 */
#ifndef TOPLOC_CUDA_EMU_H
#define TOPLOC_CUDA_EMU_H
#if !defined(__x86_64__)
#error "cuda_emu.h: the fiber switch is written for x86-64 only"
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

// ---------------------------------------------------------------------------------------------- types
enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorLaunchFailure = 719,
};
typedef enum cudaError cudaError_t;
enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum cudaDeviceAttr { cudaDevAttrMaxSharedMemoryPerBlockOptin = 97 };

struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct cudaDeviceProp {
    char name[256];
    int major, minor;
    size_t totalGlobalMem;
};

struct CUstream_st { int magic; };
struct CUevent_st { int magic; struct timespec at; };
typedef CUstream_st *cudaStream_t;
typedef CUevent_st *cudaEvent_t;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local

namespace tl_emu {

static const int kMaxThreads = 1024;
static const size_t kStack = 64 * 1024;
static const size_t kDefaultShared = 48 * 1024;
static const size_t kOptinShared = 227 * 1024;
static const int kMaxWorkers = 16;

enum State { READY, RUNNING, WAITING, DONE };

struct Fiber {
    void *sp;
    dim3 tid;
    int lane, warp;
    State state;
    int scope;              // 0: the block's barrier; 1 + w: warp w's
    unsigned wait_gen;
};

struct Block {
    dim3 idx, dim, grid;
    int n, live;
    int warp_live[kMaxThreads / 32];
    int arrived[1 + kMaxThreads / 32];
    unsigned gen[1 + kMaxThreads / 32];
    int site[1 + kMaxThreads / 32];
    uint64_t shfl[kMaxThreads / 32][32];
    Fiber fibers[kMaxThreads];
    char *stacks;           // kMaxThreads stacks of kStack bytes, the lowest page of each a guard
    void *sched_sp;
    std::vector<unsigned char> dyn_shared;
    bool fault;
};

struct Launch {
    const char *kernel;
    const std::function<void()> *body;
    std::atomic<bool> fault{false};
};

inline thread_local Block *blk;
inline thread_local Fiber *cur;
inline thread_local Launch *launch;

inline std::mutex launch_mu;                 // one launch at a time (callers may be several Java threads)
inline Block *worker_blocks[kMaxWorkers];
inline std::mutex mem_mu;
struct Alloc { size_t size; char *map; size_t map_len; };
inline std::map<uintptr_t, Alloc> allocs;    // user pointer -> mapping
inline std::map<const void *, size_t> shared_limit;
inline thread_local cudaError_t pending = cudaSuccess;   // a launch error not yet reported (per host thread, as in CUDA)

extern "C" void tl_emu_switch(void **save_sp, void *to_sp);
extern "C" void tl_emu_trampoline(void);
extern "C" __attribute__((visibility("hidden"))) void tl_emu_fiber_main(Fiber *f);

// switch: push the callee-saved registers, save rsp in *save_sp, load to_sp, pop, return there.
// A new fiber's stack holds six zero/argument registers and the trampoline's address (init_stack).
asm(R"(
    .text
    .globl tl_emu_switch
    .hidden tl_emu_switch
    .type tl_emu_switch, @function
tl_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size tl_emu_switch, .-tl_emu_switch

    .globl tl_emu_trampoline
    .hidden tl_emu_trampoline
    .type tl_emu_trampoline, @function
tl_emu_trampoline:
    movq %rbx, %rdi
    andq $-16, %rsp
    call tl_emu_fiber_main
    ud2
    .size tl_emu_trampoline, .-tl_emu_trampoline
)");

inline void *init_stack(char *top, Fiber *f) {
    uint64_t *sp = (uint64_t *) (top - 64);
    for (int i = 0; i < 8; i++) sp[i] = 0;
    sp[4] = (uint64_t) f;                    // rbx: the trampoline's argument
    sp[6] = (uint64_t) &tl_emu_trampoline;   // where the first switch returns to
    return sp;
}

inline void report(const char *what) {
    Fiber *f = cur;
    fprintf(stderr, "cuda-emu: kernel %s, block (%u,%u,%u), thread (%u,%u,%u): %s\n", launch->kernel, blk->idx.x, blk->idx.y,
            blk->idx.z, f ? f->tid.x : 0, f ? f->tid.y : 0, f ? f->tid.z : 0, what);
    launch->fault = true;
    blk->fault = true;
}

inline void yield() { tl_emu_switch(&cur->sp, blk->sched_sp); }

inline int live_in(int scope) { return scope == 0 ? blk->live : blk->warp_live[scope - 1]; }

// site: the source line of a __syncthreads (0 for the shuffles' warp barriers): every thread of one
// generation must wait at the same one, as CUDA requires.
inline void barrier(int scope, int site) {
    Block &b = *blk;
    if (b.arrived[scope] == 0) {
        b.site[scope] = site;
    } else if (b.site[scope] != site) {
        char msg[160];
        snprintf(msg, sizeof msg, "threads of one block wait at different __syncthreads (lines %d and %d)", b.site[scope], site);
        report(msg);
        yield();
    }
    if (++b.arrived[scope] == live_in(scope)) {      // the last to arrive releases the others and goes on
        b.arrived[scope] = 0;
        b.gen[scope]++;
        return;
    }
    cur->state = WAITING;
    cur->scope = scope;
    cur->wait_gen = b.gen[scope];
    yield();
}

extern "C" __attribute__((visibility("hidden"), used)) void tl_emu_fiber_main(Fiber *f) {
    (*launch->body)();
    Block &b = *blk;
    b.live--;
    b.warp_live[f->warp]--;
    for (int scope : {0, 1 + f->warp}) {             // an exited thread no longer holds a barrier back
        if (b.arrived[scope] > 0 && b.arrived[scope] == live_in(scope)) {
            b.arrived[scope] = 0;
            b.gen[scope]++;
        }
    }
    f->state = DONE;
    yield();
    abort();                                         // a finished fiber is never resumed
}

inline char *map_stacks() {
    size_t len = (size_t) kMaxThreads * kStack;
    char *p = (char *) mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return 0;
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < kMaxThreads; i++) mprotect(p + (size_t) i * kStack, (size_t) page, PROT_NONE);
    return p;
}

inline void run_block(Block &b) {
    int nwarps = (b.n + 31) / 32;
    for (int w = 0; w < nwarps; w++) b.warp_live[w] = std::min(32, b.n - w * 32);
    memset(b.arrived, 0, sizeof b.arrived);
    memset(b.gen, 0, sizeof b.gen);
    std::fill(b.dyn_shared.begin(), b.dyn_shared.end(), (unsigned char) 0xFF);
    b.live = b.n;
    b.fault = false;
    for (int i = 0; i < b.n; i++) {
        Fiber &f = b.fibers[i];
        f.tid = dim3(i % b.dim.x, (i / b.dim.x) % b.dim.y, i / (b.dim.x * b.dim.y));
        f.lane = i % 32;
        f.warp = i / 32;
        f.state = READY;
        f.sp = init_stack(b.stacks + (size_t) (i + 1) * kStack, &f);
    }
    int done = 0;
    while (done < b.n && !b.fault) {
        bool progress = false;
        for (int i = 0; i < b.n && !b.fault; i++) {
            Fiber &f = b.fibers[i];
            if (f.state == DONE || (f.state == WAITING && b.gen[f.scope] == f.wait_gen)) continue;
            f.state = RUNNING;
            cur = &f;
            tl_emu_switch(&b.sched_sp, f.sp);
            cur = 0;
            progress = true;
            if (f.state == DONE) done++;
        }
        if (!progress) {
            char msg[160];
            snprintf(msg, sizeof msg, "deadlock: %d of %d threads wait at a barrier that the others never reach", b.n - done, b.n);
            report(msg);
        }
    }
}

inline bool is_device(const void *p, size_t len) {
    std::lock_guard<std::mutex> g(mem_mu);
    auto it = allocs.upper_bound((uintptr_t) p);
    if (it == allocs.begin()) return false;
    --it;
    return (uintptr_t) p + len <= it->first + it->second.size;
}

template <typename F>
struct Launcher {
    F *fn;
    const char *name;
    dim3 grid, block;
    size_t shmem;

    template <typename... B>
    void operator()(B... args) {
        std::lock_guard<std::mutex> g(launch_mu);
        size_t limit = kDefaultShared;
        {
            std::lock_guard<std::mutex> m(mem_mu);
            auto it = shared_limit.find((const void *) fn);
            if (it != shared_limit.end()) limit = it->second;
        }
        unsigned long long threads = (unsigned long long) block.x * block.y * block.z;
        unsigned long long blocks = (unsigned long long) grid.x * grid.y * grid.z;
        if (threads == 0 || blocks == 0 || threads > (unsigned) kMaxThreads || grid.y > 65535 || grid.z > 65535 || block.z > 64) {
            fprintf(stderr, "cuda-emu: kernel %s: invalid launch configuration: grid (%u,%u,%u), block (%u,%u,%u)\n", name,
                    grid.x, grid.y, grid.z, block.x, block.y, block.z);
            pending = cudaErrorInvalidConfiguration;
            return;
        }
        if (shmem > limit) {
            fprintf(stderr, "cuda-emu: kernel %s: %zu bytes of dynamic shared memory, over the limit of %zu\n", name, shmem, limit);
            pending = cudaErrorInvalidValue;
            return;
        }
        int argi = 0;
        bool bad = false;
        auto check = [&](auto a) {
            if constexpr (std::is_pointer_v<decltype(a)>) {
                if (a != nullptr && !is_device((const void *) a, 1)) {
                    fprintf(stderr, "cuda-emu: kernel %s: argument %d (%p) is not device memory\n", name, argi, (const void *) a);
                    bad = true;
                }
            }
            argi++;
        };
        (check(args), ...);
        if (bad) {
            pending = cudaErrorInvalidValue;
            return;
        }
        std::tuple<B...> t(args...);
        F *f = fn;
        std::function<void()> body = [&t, f] { std::apply(f, t); };
        Launch l;
        l.kernel = name;
        l.body = &body;
        std::atomic<unsigned long long> next{0};
        int workers = (int) std::min<unsigned long long>(blocks, std::max(1u, std::min((unsigned) kMaxWorkers, std::thread::hardware_concurrency())));
        auto work = [&](int w) {
            if (!worker_blocks[w]) {
                worker_blocks[w] = new Block();
                worker_blocks[w]->stacks = map_stacks();
            }
            Block &b = *worker_blocks[w];
            blk = &b;
            launch = &l;
            b.dim = block;
            b.grid = grid;
            b.n = (int) threads;
            b.dyn_shared.assign(shmem, 0xFF);
            for (unsigned long long i; !l.fault && (i = next++) < blocks;) {
                b.idx = dim3((unsigned) (i % grid.x), (unsigned) ((i / grid.x) % grid.y), (unsigned) (i / ((unsigned long long) grid.x * grid.y)));
                run_block(b);
            }
            blk = 0;
            launch = 0;
        };
        if (workers == 1) {
            work(0);
        } else {
            std::vector<std::thread> pool;
            for (int w = 0; w < workers; w++) pool.emplace_back(work, w);
            for (auto &th : pool) th.join();
        }
        if (l.fault) pending = cudaErrorLaunchFailure;
    }
};

template <typename R, typename... A>
Launcher<R(A...)> launcher(R (*fn)(A...), const char *name, dim3 grid, dim3 block, size_t shmem, cudaStream_t) {
    return Launcher<R(A...)>{fn, name, grid, block, shmem};
}

inline void *dynamic_shared() { return blk->dyn_shared.data(); }

inline cudaError_t take_pending() {
    cudaError_t e = pending;
    pending = cudaSuccess;
    return e;
}

}  // namespace tl_emu

#define TL_LAUNCH(kernel, grid, block, shmem, stream) tl_emu::launcher(kernel, #kernel, dim3(grid), dim3(block), (shmem), (stream))
#define TL_DYNAMIC_SHARED(type, name) type *name = (type *) tl_emu::dynamic_shared()

// ---------------------------------------------------------------------------------------------- device side
#define threadIdx (tl_emu::cur->tid)
#define blockIdx (tl_emu::blk->idx)
#define blockDim (tl_emu::blk->dim)
#define gridDim (tl_emu::blk->grid)

#define __syncthreads() tl_emu::barrier(0, __LINE__)

template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    using namespace tl_emu;
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    Block &b = *blk;
    Fiber &f = *cur;
    int base = f.warp * 32;
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    b.shfl[f.warp][f.lane] = bits;
    barrier(1 + f.warp, 0);
    for (int l = 0; l < 32; l++) {                   // every lane has now arrived or exited
        if ((mask >> l & 1u) && (base + l >= b.n || b.fibers[base + l].state == DONE)) {
            report("__shfl_down_sync names a lane that has exited or does not exist");
            yield();
        }
    }
    T r = v;
    int src = f.lane + (int) delta;
    if ((f.lane % width) + (int) delta < width && base + src < b.n) memcpy(&r, &b.shfl[f.warp][src], sizeof(T));
    barrier(1 + f.warp, 0);
    return r;
}

inline unsigned int atomicAdd(unsigned int *p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline int atomicAdd(int *p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicMin(unsigned long long *p, unsigned long long v) {
    unsigned long long old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline float __uint_as_float(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

// ---------------------------------------------------------------------------------------------- runtime API
inline cudaError_t cudaGetLastError(void) { return tl_emu::take_pending(); }
inline cudaError_t cudaPeekAtLastError(void) { return tl_emu::pending; }
inline cudaError_t cudaDeviceSynchronize(void) { return tl_emu::take_pending(); }
inline cudaError_t cudaRuntimeGetVersion(int *v) { *v = 0; return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int *v) { *v = 0; return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int *d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int device) {
    if (device != 0) return cudaErrorInvalidValue;
    memset(p, 0, sizeof *p);
    strcpy(p->name, "toploc CPU emulator");
    p->totalGlobalMem = (size_t) sysconf(_SC_PHYS_PAGES) * (size_t) sysconf(_SC_PAGESIZE);
    return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int device) {
    if (device != 0 || a != cudaDevAttrMaxSharedMemoryPerBlockOptin) return cudaErrorInvalidValue;
    *v = (int) tl_emu::kOptinShared;
    return cudaSuccess;
}
template <typename F>
inline cudaError_t cudaFuncSetAttribute(F *fn, cudaFuncAttribute a, int value) {
    if (a != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || (size_t) value > tl_emu::kOptinShared) return cudaErrorInvalidValue;
    std::lock_guard<std::mutex> g(tl_emu::mem_mu);
    tl_emu::shared_limit[(const void *) fn] = (size_t) value;
    return cudaSuccess;
}
inline const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    }
    return "cudaErrorUnknown";
}

inline cudaError_t tl_emu_malloc(void **out, size_t n) {
    *out = 0;
    if (n == 0) return cudaSuccess;
    long page = sysconf(_SC_PAGESIZE);
    size_t body = (n + page - 1) / page * page;
    size_t len = body + page;
    char *map = (char *) mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return cudaErrorMemoryAllocation;
    mprotect(map + body, (size_t) page, PROT_NONE);
    char *user = map + body - (n + 255) / 256 * 256;      // 256-byte aligned, its end against the guard page
    memset(user, 0xFF, n);
    std::lock_guard<std::mutex> g(tl_emu::mem_mu);
    tl_emu::allocs[(uintptr_t) user] = tl_emu::Alloc{n, map, len};
    *out = user;
    return cudaSuccess;
}
template <typename T>
inline cudaError_t cudaMalloc(T **out, size_t n) { return tl_emu_malloc((void **) out, n); }
template <typename T>
inline cudaError_t cudaMallocAsync(T **out, size_t n, cudaStream_t) { return tl_emu_malloc((void **) out, n); }
inline cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    std::lock_guard<std::mutex> g(tl_emu::mem_mu);
    auto it = tl_emu::allocs.find((uintptr_t) p);
    if (it == tl_emu::allocs.end()) return cudaErrorInvalidValue;
    munmap(it->second.map, it->second.map_len);
    tl_emu::allocs.erase(it);
    return cudaSuccess;
}
inline cudaError_t cudaFreeAsync(void *p, cudaStream_t) { return cudaFree(p); }
inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind) {
    bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (n > 0 && ((dst_dev && !tl_emu::is_device(dst, n)) || (src_dev && !tl_emu::is_device(src, n)))) {
        fprintf(stderr, "cuda-emu: cudaMemcpy of %zu bytes: %s is not %zu bytes of device memory\n", n,
                dst_dev && !tl_emu::is_device(dst, n) ? "the destination" : "the source", n);
        return cudaErrorInvalidValue;
    }
    if (n > 0) memmove(dst, src, n);
    return tl_emu::take_pending();
}
inline cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind kind, cudaStream_t) {
    return cudaMemcpy(dst, src, n, kind);
}
inline cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t) {
    if (n > 0 && !tl_emu::is_device(p, n)) return cudaErrorInvalidValue;
    memset(p, v, n);
    return cudaSuccess;
}
inline cudaError_t cudaMemset(void *p, int v, size_t n) { return cudaMemsetAsync(p, v, n, 0); }

inline cudaError_t cudaStreamCreate(cudaStream_t *s) { *s = new CUstream_st{0x5743}; return cudaSuccess; }
inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
    if (!s || s->magic != 0x5743) return cudaErrorInvalidResourceHandle;
    s->magic = 0;
    delete s;
    return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t s) {
    if (s && s->magic != 0x5743) return cudaErrorInvalidResourceHandle;
    return tl_emu::take_pending();
}
inline cudaError_t cudaEventCreate(cudaEvent_t *e) { *e = new CUevent_st{0xE7E7, {0, 0}}; return cudaSuccess; }
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete e; return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t = 0) { clock_gettime(CLOCK_MONOTONIC, &e->at); return cudaSuccess; }
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return tl_emu::take_pending(); }
inline cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
    *ms = (float) ((b->at.tv_sec - a->at.tv_sec) * 1e3 + (b->at.tv_nsec - a->at.tv_nsec) / 1e6);
    return cudaSuccess;
}
#endif

/*
 * toploc_cuda: the small CUDA library behind the cuda-bridge module, called from Java through FFM (and from
 * the C drivers of the device check). Every int-returning function returns a cudaError_t value (0 = success);
 * tl_error_name turns it into its name. The same source also builds against a CPU emulator for tests
 * (see src/test/emu/cuda_emu.h); that build reports the device "toploc CPU emulator".
 */
#ifndef TOPLOC_CUDA_H
#define TOPLOC_CUDA_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of this library: the Java side refuses a library of another version. */
int tl_abi_version(void);
/* The CUDA runtime version linked in (e.g. 13000), and the driver's (0 when no driver). */
int tl_versions(int *runtime_version, int *driver_version);
/* Number of usable devices. */
int tl_device_count(int *count);
/* Name and compute capability of a device. */
int tl_device_info(int device, char *name, int name_len, int *major, int *minor, int64_t *total_memory);
/* The CUDA error's symbolic name (e.g. "cudaErrorNoDevice"). */
const char *tl_error_name(int error);

/* Device memory and streams, for callers whose data already lives on the device (a provider's engine). */
int tl_malloc(void **device_ptr, int64_t bytes);
int tl_free(void *device_ptr);
int tl_copy_to_device(void *device_dst, const void *host_src, int64_t bytes);
int tl_copy_to_host(void *host_dst, const void *device_src, int64_t bytes);
/* Device to device, queued on `stream` (returns before the copy has run). */
int tl_copy_on_device(void *device_dst, const void *device_src, int64_t bytes, void *stream);
/* stream: an opaque cudaStream_t; NULL is the default stream. */
int tl_stream_create(void **stream);
int tl_stream_destroy(void *stream);
int tl_stream_synchronize(void *stream);

/*
 * Exact top-k of n 16-bit patterns by magnitude (pattern & mag_mask), ties to the lower index, the same rule
 * as the Java kernels, plus the gather: out_idx receives the k indices in ascending order and out_val (may be
 * NULL) their patterns. A magnitude >= non_finite (NaN/Inf) is reported as *first_non_finite (its lowest
 * index; -1 when none) and then out_idx/out_val are unset. 1 <= k <= n < 2^31, mag_mask <= 0x7FFF.
 * tl_topk16_device: the patterns are in device memory (dev), the work is queued on `stream` (after what the
 * caller queued there) and only the k results travel to the host; returns when they are there.
 * tl_topk16: the patterns are in host memory, copied to the device first.
 * elapsed_ms (may be NULL): device time of the selection kernels, copies excluded.
 */
int tl_topk16_device(const uint16_t *dev, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite, void *stream,
                     int32_t *out_idx, uint16_t *out_val, int64_t *first_non_finite, float *elapsed_ms);
int tl_topk16(const uint16_t *host, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite,
              int32_t *out_idx, uint16_t *out_val, int64_t *first_non_finite, float *elapsed_ms);

/*
 * The fp32 prefill of a Llama-family model on the device: the same math as the Java runtime's fp32 mode
 * (weights widened exactly to fp32, RMSNorm, QKV bias where given (Qwen2), per-head q/k RMSNorm where given
 * (Qwen3), rotate-half RoPE, causal GQA attention with softmax in fp32 and an optional sliding window per
 * layer, SwiGLU), returning every position's final-norm hidden state. Weights are host pointers to arrays of
 * one dtype in the HuggingFace layout, uploaded once by tl_model_create.
 */
typedef struct tl_model tl_model;

typedef struct {
    int hidden, intermediate, layers, heads, kv_heads, head_dim, vocab;
    float rope_theta, rms_eps;
} tl_config;

enum { TL_BF16 = 0, TL_FP16 = 1, TL_FP32 = 2 };

/*
 * layer_weights: TL_LAYER_TENSORS pointers per layer, in order: input_layernorm, q, k, v, o,
 * post_attention_layernorm, gate, up, down (required), then q_proj.bias, k_proj.bias, v_proj.bias (all three
 * or none: NULL for a model without QKV bias) and q_norm, k_norm (head_dim each; both or none).
 * inv_freq: the head_dim/2 rotary inverse frequencies (any rope scaling already applied), or NULL for
 * 1 / rope_theta^(2i/head_dim) computed in fp32.
 * windows: per layer its sliding window (position t attends to s when t - s < window; 0 = every s <= t), or
 * NULL for none anywhere. A missing required pointer, a lone bias or norm, or a negative window is
 * cudaErrorInvalidValue.
 */
enum { TL_LAYER_TENSORS = 14 };
int tl_model_create(const tl_config *cfg, int weight_dtype, const void *embed, const void *const *layer_weights,
                    const void *final_norm, const float *inv_freq, const int32_t *windows, tl_model **out);
void tl_model_free(tl_model *m);
/* The longest prompt one tl_prefill_f32 call takes on this device (attention keeps a row of scores in shared memory). */
int tl_model_max_tokens(const tl_model *m);
/* tokens: T ids (each < vocab); out_hidden: T x hidden floats (host). elapsed_ms (may be NULL): device time of the forward pass. */
int tl_prefill_f32(tl_model *m, const int32_t *tokens, int T, float *out_hidden, float *elapsed_ms);

#ifdef __cplusplus
}
#endif
#endif

/*
 * toploc_cuda: the small CUDA library behind the cuda-bridge module, called from Java through FFM.
 * Every function returns a cudaError_t value (0 = success); tl_error_name turns it into its name.
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

/*
 * Exact top-k of n 16-bit patterns by magnitude (pattern & mag_mask), ties to the lower index, the same
 * rule as the Java kernels: out_idx receives the k indices in ascending order. A magnitude >= non_finite
 * (NaN/Inf) is reported as *first_non_finite (its lowest index; -1 when none) and then out_idx is unset.
 * host: n patterns in host memory; copied to the device, selected there, k indices copied back.
 * elapsed_ms (may be NULL): device time of the selection kernels, copies excluded.
 */
int tl_topk16(const uint16_t *host, int64_t n, int32_t k, uint16_t mag_mask, uint16_t non_finite,
              int32_t *out_idx, int64_t *first_non_finite, float *elapsed_ms);

/*
 * The fp32 prefill of a Llama-family model on the device: the same math as the Java runtime's fp32 mode
 * (weights widened from bf16, RMSNorm, rotate-half RoPE, causal GQA attention with softmax in fp32, SwiGLU),
 * returning every position's final-norm hidden state. Weights are given as host pointers to bf16 arrays in
 * the HuggingFace layout and uploaded once by tl_model_create.
 */
typedef struct tl_model tl_model;

typedef struct {
    int hidden, intermediate, layers, heads, kv_heads, head_dim, vocab;
    float rope_theta, rms_eps;
} tl_config;

/* Per layer, in order: input_layernorm, q, k, v, o, post_attention_layernorm, gate, up, down (9 pointers). */
int tl_model_create(const tl_config *cfg, const uint16_t *embed, const uint16_t *const *layer_weights,
                    const uint16_t *final_norm, tl_model **out);
void tl_model_free(tl_model *m);
/* tokens: T ids; out_hidden: T x hidden floats (host). elapsed_ms (may be NULL): device time of the forward pass. */
int tl_prefill_f32(tl_model *m, const int32_t *tokens, int T, float *out_hidden, float *elapsed_ms);

#ifdef __cplusplus
}
#endif
#endif

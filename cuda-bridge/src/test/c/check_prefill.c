/*
 * Device check of the fp32 prefill.
 *   check_prefill golden MODEL.safetensors HIDDEN INTER LAYERS HEADS KV HEAD_DIM VOCAB THETA EPS TOKENS.txt GOLDEN.fp32.bin
 *                 [WINDOWS [DROP]]
 *     runs the bf16 model on the tokens and compares every position with reference fp32 states (PyTorch's or
 *     llama.cpp's; max |error| / rms <= 1e-4). QKV biases and q/k norms are used when the file has them.
 *     WINDOWS: each layer's sliding window, comma-separated (0: none; "-" for none anywhere).
 *     DROP (bias, qk-norm or window): the negative control: upload the model without that feature, which
 *     must then be far from the reference (max |error| / rms > 1e-2 at the worst position), or the check fails;
 *   check_prefill random HIDDEN INTER LAYERS HEADS KV HEAD_DIM T
 *     times a prefill of T tokens on random bf16 weights and prints tokens/s.
 */
#include "../../main/cuda/toploc_cuda.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *LAYER_NAMES[TL_LAYER_TENSORS] = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
    "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight",
    "mlp.up_proj.weight", "mlp.down_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias",
    "self_attn.q_norm.weight", "self_attn.k_norm.weight"};

static char *g_header;
static unsigned char *g_data;

/* the tensor's data, or NULL when the file has none of that name and !required */
static const uint16_t *find_tensor(const char *name, int required) {
    char key[256];
    snprintf(key, sizeof key, "\"%s\"", name);
    char *p = strstr(g_header, key);
    if (!p && !required) return NULL;
    if (!p) { fprintf(stderr, "tensor %s not found\n", name); exit(2); }
    p = strstr(p, "\"data_offsets\"");
    p = strchr(p, '[');
    long long begin = atoll(p + 1);
    return (const uint16_t *) (g_data + begin);
}

static const uint16_t *tensor(const char *name) { return find_tensor(name, 1); }

static int golden(char **a, int argc) {
    const char *drop = argc > 13 ? a[13] : "";
    tl_config c = {atoi(a[1]), atoi(a[2]), atoi(a[3]), atoi(a[4]), atoi(a[5]), atoi(a[6]), atoi(a[7]), (float) atof(a[8]), (float) atof(a[9])};
    FILE *f = fopen(a[0], "rb");
    if (!f) { perror(a[0]); return 2; }
    unsigned long long hl;
    if (fread(&hl, 8, 1, f) != 1) return 2;
    g_header = calloc(hl + 1, 1);
    if (fread(g_header, 1, hl, f) != hl) return 2;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long dsize = size - 8 - (long) hl;
    g_data = malloc(dsize);
    fseek(f, 8 + (long) hl, SEEK_SET);
    if (fread(g_data, 1, dsize, f) != (size_t) dsize) return 2;
    fclose(f);
    const uint16_t **lw = malloc(sizeof(void *) * TL_LAYER_TENSORS * c.layers);
    char name[256];
    for (int l = 0; l < c.layers; l++)
        for (int j = 0; j < TL_LAYER_TENSORS; j++) {
            snprintf(name, sizeof name, "model.layers.%d.%s", l, LAYER_NAMES[j]);
            int dropped = (j >= 9 && j < 12 && !strcmp(drop, "bias")) || (j >= 12 && !strcmp(drop, "qk-norm"));
            lw[l * TL_LAYER_TENSORS + j] = dropped ? NULL : find_tensor(name, j < 9);
        }
    int32_t *windows = NULL;
    if (argc > 12 && strcmp(a[12], "-") != 0 && strcmp(drop, "window") != 0) {
        windows = calloc(c.layers, sizeof(int32_t));
        const char *w = a[12];
        for (int l = 0; l < c.layers && *w; l++) {
            windows[l] = atoi(w);
            while (*w && *w != ',') w++;
            if (*w == ',') w++;
        }
    }
    const char *features = lw[9] && lw[12] ? "QKV bias, q/k norms" : lw[9] ? "QKV bias" : lw[12] ? "q/k norms" : "";
    tl_model *m;
    int e = tl_model_create(&c, TL_BF16, tensor("model.embed_tokens.weight"), (const void *const *) lw, tensor("model.norm.weight"), NULL,
                            windows, &m);
    if (e) { printf("prefill golden: model upload failed: %s\n", tl_error_name(e)); return 1; }
    int32_t tok[4096];
    int T = 0;
    FILE *tf = fopen(a[10], "r");
    while (T < 4096 && fscanf(tf, "%d", &tok[T]) == 1) T++;
    fclose(tf);
    float *ref = malloc(sizeof(float) * T * c.hidden);
    FILE *gf = fopen(a[11], "rb");
    if (fread(ref, sizeof(float), (size_t) T * c.hidden, gf) != (size_t) T * c.hidden) { fprintf(stderr, "golden: short read\n"); return 2; }
    fclose(gf);
    float *out = malloc(sizeof(float) * T * c.hidden);
    float ms = 0;
    e = tl_prefill_f32(m, tok, T, out, &ms);
    if (e) { printf("prefill golden: failed: %s\n", tl_error_name(e)); return 1; }
    double worst = 0;
    for (int t = 0; t < T; t++) {
        double sq = 0, err = 0;
        for (int i = 0; i < c.hidden; i++) {
            double r = ref[(size_t) t * c.hidden + i];
            sq += r * r;
            double d = fabs(out[(size_t) t * c.hidden + i] - r);
            if (d > err || isnan(d)) err = isnan(d) ? INFINITY : d;
        }
        double rel = err / sqrt(sq / c.hidden);
        if (rel > worst) worst = rel;
    }
    int ok = *drop ? worst > 1e-2 : worst <= 1e-4;
    char what[512];     /* "<model folder> vs <states file> (<features>)" */
    const char *ref_name = strrchr(a[11], '/') ? strrchr(a[11], '/') + 1 : a[11];
    char folder[256];
    snprintf(folder, sizeof folder, "%s", a[0]);
    if (strrchr(folder, '/')) *strrchr(folder, '/') = 0;
    const char *model_name = strrchr(folder, '/') ? strrchr(folder, '/') + 1 : folder;
    snprintf(what, sizeof what, "%s vs %s%s%s%s%s%s", model_name, ref_name, *features || windows ? " (" : "", features,
             windows ? (*features ? ", windows " : "windows ") : "", windows ? a[12] : "", *features || windows ? ")" : "");
    if (*drop)
        printf("prefill %s, %s dropped (negative control): %d positions, worst max|err|/rms %.3g (must be > 1e-2): %s\n",
               what, drop, T, worst, ok ? "ok" : "NOT CAUGHT");
    else
        printf("prefill %s: %d positions, worst max|err|/rms %.3g (bound 1e-4): %s (%.3f ms on the device)\n", what, T, worst,
               ok ? "ok" : "MISMATCH", ms);
    tl_model_free(m);
    return ok ? 0 : 1;
}

static unsigned long long rng = 88172645463325252ULL;
static uint16_t rnd_bf16(float scale) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    float u = ((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
    float v = u * scale;
    unsigned int b;
    memcpy(&b, &v, 4);
    return (uint16_t) (b >> 16);
}

static uint16_t *rnd(size_t n, float scale, float offset) {
    uint16_t *p = malloc(n * 2);
    for (size_t i = 0; i < n; i++) {
        float v = offset;
        uint16_t r = rnd_bf16(scale);
        unsigned int b = ((unsigned int) r) << 16;
        float f;
        memcpy(&f, &b, 4);
        v += f;
        memcpy(&b, &v, 4);
        p[i] = (uint16_t) (b >> 16);
    }
    return p;
}

static int random_timing(char **a) {
    tl_config c = {atoi(a[0]), atoi(a[1]), atoi(a[2]), atoi(a[3]), atoi(a[4]), atoi(a[5]), 4096, 10000.f, 1e-5f};
    int T = atoi(a[6]);
    size_t d = c.hidden, q = (size_t) c.heads * c.head_dim, kv = (size_t) c.kv_heads * c.head_dim, f = c.intermediate;
    size_t sizes[9] = {d, q * d, kv * d, kv * d, d * q, d, f * d, f * d, d * f};
    const uint16_t **lw = calloc((size_t) TL_LAYER_TENSORS * c.layers, sizeof(void *));    /* no biases, no q/k norms */
    for (int l = 0; l < c.layers; l++)
        for (int j = 0; j < 9; j++) lw[l * TL_LAYER_TENSORS + j] = rnd(sizes[j], j == 0 || j == 5 ? 0.02f : 0.03f, j == 0 || j == 5 ? 1.f : 0.f);
    tl_model *m;
    int e = tl_model_create(&c, TL_BF16, rnd((size_t) c.vocab * d, 0.03f, 0), (const void *const *) lw, rnd(d, 0.02f, 1.f), NULL, NULL, &m);
    if (e) { printf("prefill random: upload failed: %s\n", tl_error_name(e)); return 1; }
    int32_t *tok = malloc(sizeof(int32_t) * T);
    for (int t = 0; t < T; t++) tok[t] = (int32_t) ((t * 2654435761u) % c.vocab);
    float *out = malloc(sizeof(float) * T * d);
    float ms = 0;
    tl_prefill_f32(m, tok, T, out, &ms);   // warm-up
    e = tl_prefill_f32(m, tok, T, out, &ms);
    if (e) { printf("prefill random: failed: %s\n", tl_error_name(e)); return 1; }
    printf("prefill random hidden %d x %d layers, %d tokens: %.3f ms on the device = %.0f tokens/s (fp32)\n",
           c.hidden, c.layers, T, ms, T / (ms / 1000.0));
    tl_model_free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 14 && argc <= 16 && !strcmp(argv[1], "golden")) return golden(argv + 2, argc - 2);
    if (argc == 9 && !strcmp(argv[1], "random")) return random_timing(argv + 2);
    fprintf(stderr, "usage: see the comment at the top of check_prefill.c\n");
    return 2;
}

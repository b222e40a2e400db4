// llama.cpp (node-llama-cpp's prebuilt CPU build) evaluating given token ids: the oracle's engine.
//
//   NLC_DIR=DIR node peer.mjs probs --model M.gguf --ids-file ids.txt --out probs.f32 [--threads 2]
//
// One batched prefill of all ids (F32 weights from the GGUF, KV cache F32, flash attention off, batch and
// ubatch >= the sequence, context one cell longer than the sequence so no shift happens), then for every
// position the full next-token distribution as float32, written raw little-endian (positions x vocab).
// NLC_DIR is the folder where `npm i -E node-llama-cpp@3.21.1` ran.
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const nlc = process.env.NLC_DIR;
if (!nlc) { console.error("set NLC_DIR to the folder where node-llama-cpp@3.21.1 is installed"); process.exit(2); }
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(path.resolve(nlc, "node_modules/node-llama-cpp/dist/index.js")).href);
const arg = (n, d) => { const i = process.argv.indexOf("--" + n); return i >= 0 ? process.argv[i + 1] : d; };
if (process.argv[2] !== "probs") { console.error("usage: node peer.mjs probs --model M.gguf --ids-file F --out F"); process.exit(2); }

const ids = fs.readFileSync(arg("ids-file"), "utf8").split(/[\s,]+/).filter(s => s).map(Number);
const threads = Number(arg("threads", "2"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath: arg("model"), gpuLayers: 0});
const ctx = await model.createContext({contextSize: Math.max(ids.length + 1, 32), batchSize: Math.max(ids.length, 32),
    sequences: 1, threads: {ideal: threads, min: threads}, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", ignoreMemorySafetyChecks: true});
const res = await ctx.getSequence().controlledEvaluate(ids.map(t => [t, {generateNext: {probabilities: true}}]));
let vocab = 0;
for (const [tok] of res[0].next.probabilities) vocab = Math.max(vocab, tok + 1);
const out = new Float32Array(ids.length * vocab);
res.forEach((r, i) => {
    if (r.next.probabilities.size !== vocab) throw new Error(`position ${i}: ${r.next.probabilities.size} probabilities, expected ${vocab}`);
    for (const [tok, p] of r.next.probabilities) out[i * vocab + tok] = p;
});
fs.writeFileSync(arg("out"), Buffer.from(out.buffer));
console.log(JSON.stringify({positions: ids.length, vocab}));
process.exit(0);

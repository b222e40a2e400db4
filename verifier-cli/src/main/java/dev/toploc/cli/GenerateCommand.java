package dev.toploc.cli;

import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.attest.Attestations;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Provider;
import dev.toploc.runtime.Sampling;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc generate}: the provider side on the Java runtime: generate, commit through the hook, sign. */
@Command(name = "generate", description = "Generate a completion with the Java runtime, commit to its hidden states and write a signed attestation.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HuggingFace model folder")
    Path model;

    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "prompt text, tokenized by the model folder's tokenizer.json with its special tokens")
        String text;
        @Option(names = "--messages", paramLabel = "FILE", description = "a conversation, JSON [{\"role\": ..., \"content\": ...}], rendered by the model's chat template")
        Path messages;
        @Option(names = "--prompt-ids", paramLabel = "IDS", description = "prompt token ids, e.g. 1,2,3")
        String ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    @Option(names = "--max-tokens", required = true, paramLabel = "N", description = "completion length limit")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default), else seeded sampling")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--eos", paramLabel = "ID", description = "EOS token id (default: config.json eos_token_id)")
    Integer eos;

    @Option(names = "--mode", defaultValue = "bf16", description = "the provider's compute mode (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--positions", defaultValue = "produced", description = "produced or decode-steps (default ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--no-prefill-chunk", description = "do not commit to the prompt as a leading chunk")
    boolean noPrefill;

    @Option(names = "--dtype", defaultValue = "bf16", description = "commit dtype (default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--topk", defaultValue = "128", description = "k (default ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--chunk", defaultValue = "32", description = "positions per decode chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--key", required = true, paramLabel = "KEY.pem", description = "Ed25519 private key, PKCS#8 PEM (toploc keygen, or openssl genpkey -algorithm ed25519); an encrypted one needs --key-passphrase-env or --key-passphrase-file")
    Path key;

    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
    Inputs.KeyPassphrase passphrase;

    @Option(names = "--nonce", description = "the client's request nonce (default: 16 random bytes, hex)")
    String nonce;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "attestation (DSSE JSON); not overwritten without --force")
    Path output;

    @Option(names = "--force", description = "replace an existing output file")
    boolean force;

    @Override
    public Integer call() throws Exception {
        var signing = Inputs.privateKey(key, passphrase);
        int[] ids = prompt.ids != null ? TokenIds.parse(prompt.ids, "--prompt-ids") : Prompts.ids(model, prompt.text, prompt.messages);
        String n = nonce != null ? nonce : HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (Model m = Model.load(model)) {
            int eosId = eos != null ? eos : m.config().eosTokenId();
            CommitSpec spec = new CommitSpec(Dtype.fromWireName(dtype), topk, chunk);
            long t0 = System.nanoTime();
            InferenceAttestation a = Provider.generate(m, model.toAbsolutePath().getFileName().toString(), new Provider.Request(ids, maxTokens,
                    new Sampling(temperature, seed), eosId, ComputeMode.fromWireName(mode), spec,
                    PositionConvention.fromWireName(positions), !noPrefill, n));
            double secs = (System.nanoTime() - t0) / 1e9;
            byte[] env = Attestations.sign(a, List.of(signing));
            SafeFiles.write(output, force, false, out -> out.write(env));
            var out = command.commandLine().getOut();
            out.printf("generated %d tokens (%s) in %.2f s, %d commits; wrote %s%n", a.completion().length, a.sampling().stop(), secs,
                    a.commits().size(), output);
            out.println("completion: " + Text.show(a.completion()));
        }
        return 0;
    }
}

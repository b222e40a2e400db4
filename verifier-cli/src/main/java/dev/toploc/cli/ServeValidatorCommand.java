package dev.toploc.cli;

import dev.toploc.policy.Policies;
import dev.toploc.CommitSpec;
import dev.toploc.io.UntrustedFiles;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.ValidatorService;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code toploc serve-validator}: the protocol's TOPLOC validator API over HTTP (the Spark module's server,
 * found through {@link ValidatorService} when its jars are on the class path; ./toploc adds them). Runs until
 * interrupted; accepted jobs survive a stop.
 */
@Command(name = "serve-validator", description = "Serve the protocol's TOPLOC validator API (POST /validate/{file}, POST /validategroup/{file}, "
        + "GET /status/{file}, GET /statusgroup/{file}) for rollout files in --storage; jobs run on Spark local[N], their state in "
        + "DIR/.toploc-validator.")
final class ServeValidatorCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--storage", required = true, paramLabel = "DIR", description = "the folder whose files requests name")
    Path storage;

    @Option(names = "--model", required = true, paramLabel = "NAME=DIR", description = "a model the files are checked against (repeatable; "
            + "with several, a file's first folder names its model)")
    Map<String, Path> models = new LinkedHashMap<>();

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface)")
    String bind;

    @Option(names = "--token-file", paramLabel = "FILE", description = "require 'Authorization: Bearer TOKEN', the token being this file's content")
    Path tokenFile;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Spark task threads (default: the machine's cores)")
    int threads;

    @Option(names = "--policy", paramLabel = "[NAME=]FILE", description = "a model's calibrated policy (repeatable; NAME=FILE names the "
            + "model, a bare FILE is the only model's; default: each model folder's toploc-policy.json, else the reference's thresholds)")
    java.util.List<String> policyArgs = new java.util.ArrayList<>();

    @Option(names = "--mode", defaultValue = "fp32", description = "recompute in fp32, bf16 or fp16 (default ${DEFAULT-VALUE})")
    String mode;

    /** {@code --policy} by model name: {@code NAME=FILE} for a model given with {@code --model}, a bare FILE with one model only. */
    private Map<String, Path> policyFiles() {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String a : policyArgs) {
            int eq = a.indexOf('=');
            String name = eq > 0 && models.containsKey(a.substring(0, eq)) ? a.substring(0, eq) : null;
            if (name == null && models.size() != 1) {
                throw new IllegalArgumentException("--policy " + a + ": with several models, name the model (--policy NAME=FILE, NAME one of "
                        + models.keySet() + ")");
            }
            name = name != null ? name : models.keySet().iterator().next();
            Path file = Path.of(eq > 0 && a.substring(0, eq).equals(name) ? a.substring(eq + 1) : a);
            if (out.put(name, file) != null) {
                throw new IllegalArgumentException("--policy given twice for model " + name);
            }
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = command.commandLine().getErr();
        if (port < 0 || port > 65535 || threads < 0) {
            throw new IllegalArgumentException("--port is 0..65535 and --threads a count");
        }
        String token = null;
        if (tokenFile != null) {
            token = new String(UntrustedFiles.read(tokenFile, 4096, "token file"), StandardCharsets.UTF_8).strip();
            if (token.isEmpty()) {
                throw new IllegalArgumentException("--token-file " + tokenFile + " is empty");
            }
        }
        CommitSpec spec = CommitSpec.DEFAULT;
        ComputeMode computeMode = ComputeMode.fromWireName(mode);
        Map<String, Path> policyFiles = policyFiles();
        ValidatorService service = ServiceLoader.load(ValidatorService.class).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "serve-validator: " + ValidateCommand.SPARK_MISSING));
        // each model its own policy, as validate chooses it: --policy for it, else its folder's toploc-policy.json, else the
        // reference defaults; a policy file is checked against that model's weights
        Map<String, Settings> settings = new LinkedHashMap<>();
        for (var m : models.entrySet()) {
            Policies.Choice chosen;
            try (Model model = Model.load(m.getValue())) {
                chosen = Policies.select(policyFiles.get(m.getKey()), m.getValue(), spec, model.identity().configDigest(), model.identity().weightsDigest());
            } catch (dev.toploc.TopLocException | java.io.IOException e) {
                throw new IllegalArgumentException("model " + m.getKey() + " (" + m.getValue() + "): " + e.getMessage(), e);
            }
            err.println("policy for " + Terminal.escape(m.getKey()) + ": " + Terminal.escape(chosen.description()));
            settings.put(m.getKey(), BareProofs.settings(spec, "auto", "auto", false, computeMode, chosen.policy(), "tolerant"));
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        ValidatorService.Running server = service.start(storage, models, settings, bind, port, token, n);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("toploc serve-validator: stopping: " + e.getMessage());
            }
            stopped.countDown();
        }));
        err.printf("serving the TOPLOC validator API on http://%s:%d (Spark local[%d], %d model(s)%s)%n", bind, server.port(), n, models.size(),
                token != null ? ", Bearer token required" : "");
        err.flush();
        stopped.await();
        return Toploc.ACCEPTED;
    }
}

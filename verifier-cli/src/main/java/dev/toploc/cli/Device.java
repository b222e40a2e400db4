package dev.toploc.cli;

import dev.toploc.cuda.CudaBackend;
import dev.toploc.cuda.CudaException;
import dev.toploc.internal.TopK;
import java.io.PrintWriter;

/**
 * The {@code --device cpu|cuda|auto} rule of the commands that check commits: {@code cuda} without a usable
 * device is an error naming why; {@code auto} uses a GPU when there is one and says why not otherwise.
 * On a GPU the commits' top-k runs there; the prefill stays on the CPU (the GPU prefill is not built yet).
 */
final class Device {
    private Device() {
    }

    static void apply(String device, PrintWriter err) throws CudaException {
        CudaBackend gpu = switch (device) {
            case "cpu" -> null;
            case "cuda" -> CudaBackend.open();
            case "auto" -> {
                CudaBackend.Probe p = CudaBackend.probe();
                if (!p.available()) {
                    err.println("device: cpu (" + p.reason() + ")");
                }
                yield p.backend();
            }
            default -> throw new IllegalArgumentException("--device '" + device + "' (expected cpu, cuda or auto)");
        };
        if (gpu != null) {
            err.println("device: " + gpu.name() + " (commit top-k on the GPU; the prefill runs on the CPU)");
        }
        TopK.use(gpu);
    }
}

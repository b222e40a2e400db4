package dev.toploc.cli;

import dev.toploc.Compute;
import dev.toploc.cuda.CudaBackend;
import dev.toploc.cuda.CudaException;
import dev.toploc.cuda.CudaPrefill;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.CpuBackends;
import java.io.PrintWriter;

/**
 * The {@code --device cpu|cuda|auto} rule: {@code cuda} without a usable device is an error naming why;
 * {@code auto} uses a GPU when there is one and says why not otherwise. On a GPU the commits' top-k runs
 * there, and so does the fp32 prefill of a model the GPU kernels cover (others stay on the CPU, said so). The
 * {@code --cpu-backend auto|java|native} rule picks the CPU matrix products' kernels ({@link Compute.CpuBackend}).
 * Nothing process-wide is switched: commands pass {@link #compute()} and {@link #engine()} on.
 */
final class Device implements AutoCloseable {
    private final CudaBackend gpu;
    private final PrintWriter err;
    private final Compute compute;
    private CudaPrefill prefill;

    private Device(CudaBackend gpu, PrintWriter err, Compute.CpuBackend cpuBackend) {
        this.gpu = gpu;
        this.err = err;
        this.compute = Compute.defaults().withTopK(gpu).withCpuBackend(cpuBackend);
    }

    static Device select(String device, PrintWriter err) throws CudaException {
        return select(device, Compute.CpuBackend.AUTO, err);
    }

    /**
     * As {@link #select(String, PrintWriter)}, with the CPU matrix products on {@code cpuBackend}
     * ({@code --cpu-backend auto|java|native}), said on {@code err}; {@code native} without a usable native
     * library is an error naming why.
     */
    static Device select(String device, String cpuBackend, PrintWriter err) throws CudaException {
        Compute.CpuBackend b = Compute.CpuBackend.fromName(cpuBackend);
        String line = CpuBackends.describe(Compute.defaults().withCpuBackend(b));
        if (b == Compute.CpuBackend.NATIVE && CpuBackends.nativeUnavailable().isPresent()) {
            throw new IllegalArgumentException("--cpu-backend native: " + CpuBackends.nativeUnavailable().get());
        }
        err.println("cpu backend: " + line);
        return select(device, b, err);
    }

    private static Device select(String device, Compute.CpuBackend cpuBackend, PrintWriter err) throws CudaException {
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
            err.println("device: " + gpu.name());
        }
        return new Device(gpu, err, cpuBackend);
    }

    /** The compute context: all processors, and the commits' top-k on the GPU when there is one. */
    Compute compute() {
        return compute;
    }

    /** The verifier's prefill engine set up by {@link #prefillOn}, or null (the CPU runtime). */
    InferenceVerifier.PrefillEngine engine() {
        return prefill == null ? null : prefill.asEngine();
    }

    /** The GPU prefill set up by {@link #prefillOn}, or null. */
    CudaPrefill prefill() {
        return prefill;
    }

    /** Puts {@code model}'s fp32 prefill on the GPU when there is one and the kernels cover the model. */
    CudaPrefill prefillOn(Model model) {
        if (gpu == null) {
            return null;
        }
        try {
            prefill = CudaPrefill.upload(gpu, model);
            err.println("device: fp32 prefill on the GPU");
        } catch (CudaException e) {
            err.println("device: prefill on the CPU (" + e.getMessage() + ")");
        }
        return prefill;
    }

    @Override
    public void close() {
        if (prefill != null) {
            prefill.close();
        }
    }
}

package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.PositionConvention;
import dev.toploc.calibration.Claims;
import dev.toploc.calibration.Submission;
import dev.toploc.policy.PolicyFile;
import dev.toploc.cuda.CudaBackend;
import dev.toploc.cuda.CudaPrefill;
import dev.toploc.Compute;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Sampling;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * The soundness properties with the verifier's fp32 prefill and commit top-k on the device (the CPU emulator
 * build of the CUDA kernels: another reduction order than the CPU runtime's), against the thresholds
 * calibrated on CPU reruns: honest claims from any provider precision are accepted, every detectable attack
 * is rejected at the commits (not at the model-identity check: the attacks claim the right model).
 */
@AddLifecycleHook(EmulatedDeviceSoundnessTest.NeedsEmulator.class)
@net.jqwik.api.Tag("slow")
class EmulatedDeviceSoundnessTest {
    static Model a;
    static Model b;
    static PolicyFile policy;
    static CudaPrefill gpu;
    static Compute device;

    @BeforeContainer
    static void plugInTheDevice() throws Exception {
        CudaBackend backend = CudaBackend.open(Path.of(System.getProperty("toploc.cuda.emulator")));
        a = Model.load(SoundnessPropertiesTest.A);
        b = Model.load(SoundnessPropertiesTest.B);
        policy = PolicyFile.read(SoundnessPropertiesTest.A.resolve("toploc-policy.json"));
        gpu = CudaPrefill.upload(backend, a);
        device = Compute.defaults().withTopK(backend);
    }

    @AfterContainer
    static void unplug() {
        if (gpu != null) {
            gpu.close();
            a.close();
            b.close();
        }
    }

    @Property(tries = 6, seed = "20261128")
    void honestRerun_isAcceptedByTheDeviceVerifier(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int providerMode, @ForAll boolean greedy)
            throws Exception {
        Sampling s = greedy ? Sampling.GREEDY : new Sampling(0.8, seed);
        Submission c = Claims.honest(a, a, SoundnessPropertiesTest.prompt(seed), 40, s, ComputeMode.values()[providerMode],
                PositionConvention.PRODUCED, 0);
        assertTrue(SoundnessPropertiesTest.accepted(c, a, policy, ComputeMode.FP32, device, gpu.asEngine()));
    }

    @Property(tries = 8, seed = "20261128")
    void detectableAttacks_areRejectedByTheDeviceVerifier(@ForAll SoundnessPropertiesTest.Attack attack, @ForAll long seed) throws Exception {
        assertFalse(SoundnessPropertiesTest.accepted(SoundnessPropertiesTest.attack(attack, a, b, seed), a, policy, ComputeMode.FP32,
                device, gpu.asEngine()),
                attack + " was accepted");
    }

    static final class NeedsEmulator implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            String lib = System.getProperty("toploc.cuda.emulator", "");
            return !lib.isBlank() && Files.isRegularFile(Path.of(lib)) ? SkipResult.doNotSkip()
                    : SkipResult.skip("the CPU emulator was not built (build cuda-bridge first; it needs g++ on x86-64)");
        }
    }
}

package dev.toploc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Proofs;
import dev.toploc.TieRule;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.Settings;
import dev.toploc.runtime.ComputeMode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings reach the executors whole: a policy's per-kind bounds (policy format 2) survive Java serialization. */
class JobSettingsTest {
    static final AcceptancePolicy BY_KIND = new AcceptancePolicy(20, 5.9, 3, 8, 2.2, "calibrated",
            Map.of(AcceptancePolicy.ChunkKind.PREFILL, new AcceptancePolicy.ChunkBounds(6, 1.5, 2, 4),
                    AcceptancePolicy.ChunkKind.DECODE, new AcceptancePolicy.ChunkBounds(7, 1.1, 1, 3)));

    static Settings settings(AcceptancePolicy p) {
        return new Settings(CommitSpec.DEFAULT, Proofs.Layout.AUTO, Settings.AUTO, false, ComputeMode.FP32, p, TieRule.STRICT);
    }

    @Test
    void aPolicyWithBoundsPerKindOfChunk_arrivesWithThem() throws Exception {
        JobSettings js = JobSettings.of(settings(BY_KIND), Columns.PRIME_RL);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(js);
        }
        JobSettings back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (JobSettings) in.readObject();
        }
        assertEquals(BY_KIND, back.settings().policy());
        // negative control: the flat bounds alone are another policy (what the job judged by before)
        AcceptancePolicy flat = new AcceptancePolicy(20, 5.9, 3, 8, 2.2, "calibrated");
        assertNotEquals(flat, back.settings().policy());
        assertEquals(flat, JobSettings.of(settings(flat), Columns.PRIME_RL).settings().policy());
    }
}

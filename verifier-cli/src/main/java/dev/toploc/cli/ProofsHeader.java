package dev.toploc.cli;

import dev.toploc.CommitFormatException;
import dev.toploc.CommitsHeader;
import dev.toploc.Proofs;
import java.io.IOException;

/**
 * {@code verify --proofs}: the proofs file's {@link CommitsHeader}, when it has one, sets {@code --dtype},
 * {@code --topk}, {@code --chunk}, {@code --positions} and {@code --prefill-chunk}; a flag given on the
 * command line that contradicts it is bad input naming both.
 */
final class ProofsHeader {
    private ProofsHeader() {
    }

    /** Applies the header of {@code v.proofs} to {@code v}'s settings; returns whether there was one. */
    static boolean apply(VerifyCommand v) throws IOException, CommitFormatException {
        byte[] data = Inputs.read(v.proofs, Proofs.MAX_BYTES, "proofs file");
        String source = "proofs file " + v.proofs.getFileName();
        CommitsHeader h = CommitsHeader.find(data, source).orElse(null);
        if (h == null) {
            return false;
        }
        var pr = v.command.commandLine().getParseResult();
        if (pr.hasMatchedOption("--dtype") && !v.dtype.equals(h.spec().dtype().wireName())) {
            throw ActivationsOptions.contradiction("--dtype " + v.dtype, "dtype=" + h.spec().dtype().wireName(), source);
        }
        if (pr.hasMatchedOption("--topk") && v.topk != h.spec().topK()) {
            throw ActivationsOptions.contradiction("--topk " + v.topk, "k=" + h.spec().topK(), source);
        }
        if (pr.hasMatchedOption("--chunk") && v.chunk != h.spec().chunkSize()) {
            throw ActivationsOptions.contradiction("--chunk " + v.chunk, "chunk=" + h.spec().chunkSize(), source);
        }
        if (pr.hasMatchedOption("--positions") && !v.positions.equals("auto") && !v.positions.equals(h.positions().wireName())) {
            throw ActivationsOptions.contradiction("--positions " + v.positions, "positions=" + h.positions().wireName(), source);
        }
        if (v.prefillChunk && h.prefillRows() == 0) {
            throw ActivationsOptions.contradiction("--prefill-chunk", "prefill-rows=0: no prefill commit", source);
        }
        if (h.prefillRows() > 0 && v.promptIds != null) {
            int prompt = TokenIds.parse(v.promptIds, "--prompt-ids").length;
            if (prompt != h.prefillRows()) {
                throw new IllegalArgumentException("--prompt-ids has " + prompt + " tokens, but the header of " + source + " says its prefill "
                        + "commit covers " + h.prefillRows() + " rows (prefill-rows=" + h.prefillRows() + "): the commits are of another prompt");
            }
        }
        v.dtype = h.spec().dtype().wireName();
        v.topk = h.spec().topK();
        v.chunk = h.spec().chunkSize();
        v.positions = h.positions().wireName();
        v.prefillChunk = h.prefillRows() > 0;
        return true;
    }
}

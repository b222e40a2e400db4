package dev.toploc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one run of a {@code --json} command knows so far, so that every exit path prints one JSON object:
 * the stage in progress, the policy chosen, the key that signed and the statement verified. A command that
 * keeps one implements {@link Source}; {@link Toploc} prints {@link #error} for an exit that did not print
 * the command's own report. Not shared between runs.
 */
final class JsonOutcome {
    /** A command whose {@code --json} output carries its outcome so far. */
    interface Source {
        JsonOutcome outcome();
    }

    /** Reading the command line's files and arguments (the default stage). */
    static final String INPUT = "input";

    private String stage = INPUT;
    private AcceptancePolicy policy;
    private String policyDescription;
    private String signer;
    private JsonNode statement;
    private JsonNode expected;

    /** The step now in progress; an exception that ends the run is reported in it. */
    void stage(String s) {
        this.stage = s;
    }

    String stage() {
        return stage;
    }

    void policy(AcceptancePolicy p, String description) {
        this.policy = p;
        this.policyDescription = description;
    }

    void signer(String keyId) {
        this.signer = keyId;
    }

    void statement(JsonNode s) {
        this.statement = s;
    }

    /** What the client's request expects ({@code --nonce}, {@code --expect-*}). */
    void expected(JsonNode e) {
        this.expected = e;
    }

    /** {@code accepted}, {@code rejected}, {@code bad-input} or {@code internal-error}, by exit code. */
    static String verdict(int code) {
        return switch (code) {
            case Toploc.ACCEPTED -> "accepted";
            case Toploc.REJECTED -> "rejected";
            case Toploc.BAD_INPUT -> "bad-input";
            default -> "internal-error";
        };
    }

    /**
     * The head every {@code --json} object starts with: {@code verdict}, {@code exitCode}, {@code stage},
     * {@code check} (the failed check's name, or null), {@code message}; then (verify) {@code policy},
     * {@code policyChoice}, {@code signer}, {@code statement} and {@code expected}, null while unknown. {@code o}'s other fields follow.
     */
    static ObjectNode head(JsonOutcome ctx, int code, String stage, String check, String message, ObjectNode rest) {
        ObjectNode n = Report.JSON.createObjectNode();
        n.put("verdict", verdict(code));
        n.put("exitCode", code);
        n.put("stage", stage);
        if (check == null) {
            n.putNull("check");
        } else {
            n.put("check", check);
        }
        n.put("message", message);
        if (ctx != null) {
            if (rest == null || !rest.has("policy")) {
                if (ctx.policy != null) {
                    n.set("policy", Report.policy(ctx.policy));
                } else {
                    n.putNull("policy");
                }
            }
            if (ctx.policyDescription != null) {
                n.put("policyChoice", ctx.policyDescription);
            } else {
                n.putNull("policyChoice");
            }
            if (ctx.signer != null) {
                n.putObject("signer").put("keyId", ctx.signer);
            } else {
                n.putNull("signer");
            }
            if (ctx.statement != null) {
                n.set("statement", ctx.statement);
            } else {
                n.putNull("statement");
            }
            if (ctx.expected != null) {
                n.set("expected", ctx.expected);
            } else {
                n.putNull("expected");
            }
        }
        if (rest != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = rest.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!n.has(e.getKey())) {
                    n.set(e.getKey(), e.getValue());
                }
            }
        }
        return n;
    }

    /** The object of an exit that printed no report (an exception): the report fields absent. */
    static ObjectNode error(JsonOutcome ctx, int code, String stage, String check, String message) {
        return head(ctx, code, stage, check, message, null);
    }

    private static final Set<String> NON_FINITE = Set.of("Infinity", "-Infinity", "NaN");

    /**
     * Rewrites {@code n} in place so that it holds no non-finite number: each number field that is infinite or
     * NaN, or a string {@code "Infinity"}, {@code "-Infinity"} or {@code "NaN"} where a library wrote one for a
     * number, becomes {@code null}, and its object gains {@code nonFinite: {field: "Infinity"|"-Infinity"|"NaN"}}.
     * Only for report objects (an attested string that reads "NaN" is not in them).
     */
    static ObjectNode finite(ObjectNode n) {
        List<String> fields = new ArrayList<>();
        n.fieldNames().forEachRemaining(fields::add);
        for (String f : fields) {
            JsonNode v = n.get(f);
            String bad = null;
            if (v.isNumber() && (v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                bad = Double.isNaN(v.doubleValue()) ? "NaN" : v.doubleValue() > 0 ? "Infinity" : "-Infinity";
            } else if (v.getNodeType() == JsonNodeType.STRING && NON_FINITE.contains(v.asText()) && !f.equals("nonFinite")) {
                bad = v.asText();
            } else if (v.isObject() && !f.equals("nonFinite")) {
                finite((ObjectNode) v);
            } else if (v.isArray()) {
                v.forEach(x -> {
                    if (x.isObject()) {
                        finite((ObjectNode) x);
                    }
                });
            }
            if (bad != null) {
                n.putNull(f);
                (n.get("nonFinite") instanceof ObjectNode o ? o : n.putObject("nonFinite")).put(f, bad);
            }
        }
        return n;
    }
}

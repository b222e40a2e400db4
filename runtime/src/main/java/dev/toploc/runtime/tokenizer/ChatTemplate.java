package dev.toploc.runtime.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;

/**
 * A chat template (Jinja) rendered by {@code @huggingface/jinja} 0.5.11 (MIT, bundled as a resource), the Jinja
 * implementation written for HuggingFace chat templates (transformers.js uses it), on GraalJS. It has
 * transformers' template environment: {@code trim_blocks} and {@code lstrip_blocks}, loop controls,
 * {@code namespace}, Python string and list methods and slices, {@code tojson} as Python's {@code json.dumps},
 * {@code raise_exception(msg)} and {@code strftime_now(fmt)}. Tests compare it with Python's jinja2 set up as
 * transformers sets it up.
 *
 * <p>The template comes from the model folder, so it runs sandboxed: a JavaScript context with no host access,
 * no I/O and no threads, a statement limit per render, and output bounded. The context is made on the first
 * render (a few seconds in GraalJS's interpreter) and reused; rendering is serialised.
 */
final class ChatTemplate implements AutoCloseable {
    /** JavaScript statements one render may run (the real templates need well under a million). */
    static final long STATEMENT_LIMIT = 50_000_000L;
    /** Rendered text longer than this (in chars) is refused. */
    static final int MAX_OUTPUT = 64 << 20;
    static final String LIBRARY = "huggingface-jinja-0.5.11-patched.cjs";

    private final String source;
    private final Map<String, String> special;
    private final String where;
    private Context context;
    private Value template;
    private Value parseJson;

    ChatTemplate(String source, Map<String, String> special, String where) {
        this.source = source;
        this.special = Map.copyOf(special);
        this.where = where;
    }

    synchronized String render(List<ChatMessage> messages, boolean addGenerationPrompt) throws TokenizerException {
        start();
        Map<String, Object> vars = variables(messages, addGenerationPrompt, special);
        String json;
        try {
            json = TokenizerFiles.JSON.writeValueAsString(vars);
        } catch (IOException e) {
            throw new TokenizerException("cannot pass the messages to the chat template: " + e.getMessage(), e);
        }
        try {
            context.resetLimits();
            Value out = template.invokeMember("render", parseJson.execute(json));
            if (!out.isString()) {
                throw new TokenizerException(where + ": the chat template rendered no text");
            }
            String s = out.asString();
            if (s.length() > MAX_OUTPUT) {
                throw new TokenizerException(where + ": the chat template rendered " + s.length() + " chars (at most " + MAX_OUTPUT + ")");
            }
            return s;
        } catch (PolyglotException e) {
            throw failure(e, "rendering");
        }
    }

    /**
     * What the template sees, as transformers' {@code apply_chat_template} passes it: {@code messages},
     * {@code tools} and {@code documents} (none), {@code add_generation_prompt} and the special tokens.
     */
    static Map<String, Object> variables(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, String> special) {
        Map<String, Object> vars = new LinkedHashMap<>();
        List<Map<String, String>> msgs = new ArrayList<>();
        for (ChatMessage m : messages) {
            msgs.add(Map.of("role", m.role(), "content", m.content()));
        }
        vars.put("messages", msgs);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putAll(special);
        return vars;
    }

    private TokenizerException failure(PolyglotException e, String doing) {
        if (e.isResourceExhausted() || e.isCancelled()) {
            return new TokenizerException(where + ": the chat template ran past its limit of " + STATEMENT_LIMIT + " statements while " + doing);
        }
        if (e.isHostException() || e.isInternalError()) {
            return new TokenizerException(where + ": internal error while " + doing + " the chat template: " + e.getMessage(), e);
        }
        return new TokenizerException(where + ": chat template: " + e.getMessage());
    }

    private void start() throws TokenizerException {
        if (context != null) {
            return;
        }
        String lib;
        try (InputStream in = ChatTemplate.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                throw new TokenizerException("the Jinja library " + LIBRARY + " is missing from the classpath");
            }
            lib = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TokenizerException("cannot read the Jinja library " + LIBRARY + ": " + e.getMessage(), e);
        }
        Context c = Context.newBuilder("js")
                .option("engine.WarnInterpreterOnly", "false")
                .resourceLimits(ResourceLimits.newBuilder().statementLimit(STATEMENT_LIMIT, null).build())
                .build();
        try {
            Value exports = c.eval(Source.newBuilder("js",
                    "(function(){var module={exports:{}};var exports=module.exports;\n" + lib + "\n;return module.exports;})()", LIBRARY).buildLiteral());
            parseJson = c.eval("js", "(s) => JSON.parse(s)");
            c.resetLimits();
            template = exports.getMember("Template").newInstance(source);
        } catch (PolyglotException e) {
            c.close();
            throw failure(e, "parsing");
        }
        context = c;
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            context.close(true);
            context = null;
        }
    }
}

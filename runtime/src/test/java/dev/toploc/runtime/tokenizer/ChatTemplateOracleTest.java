package dev.toploc.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Chat templates rendered by {@link ChatTemplate} against Python's jinja2 set up as transformers sets it up
 * (the implementation providers run): the real Qwen3, Llama 3, Gemma 3 and DeepSeek-V3 templates on several
 * conversations, and small templates for each feature the real ones use (loop controls, namespace, tojson,
 * strftime_now, raise_exception, Python string methods and slices, the whitespace rules).
 */
@org.junit.jupiter.api.Tag("slow")      // python3 jinja2 renders every template: -Pcomplete
class ChatTemplateOracleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WORK = Path.of("target", "chat-template-oracle").toAbsolutePath();

    static final List<List<ChatMessage>> CONVERSATIONS = List.of(
            List.of(new ChatMessage("user", "Hi there")),
            List.of(new ChatMessage("system", "Be nice."), new ChatMessage("user", "What is 2+2?")),
            List.of(new ChatMessage("system", "You are terse"), new ChatMessage("user", "  Hello  "), new ChatMessage("assistant", "Hello!"),
                    new ChatMessage("user", "Ünïcode 🙂 and \"quotes\"\nand lines")),
            List.of(new ChatMessage("user", "Think first"), new ChatMessage("assistant", "<think>\nsome reasoning\n</think>\n\nThe answer."),
                    new ChatMessage("user", "And now?")));

    record Case(String what, String template, Map<String, String> special, List<ChatMessage> messages, boolean addGenerationPrompt) {
    }

    /** Renders every case with Python's jinja2 (skipped when python3 or jinja2 is missing). */
    static List<JsonNode> python(List<Case> cases) throws Exception {
        Files.createDirectories(WORK);
        List<Map<String, Object>> in = new ArrayList<>();
        for (Case c : cases) {
            in.add(Map.of("template", c.template(), "vars", ChatTemplate.variables(c.messages(), c.addGenerationPrompt(), c.special())));
        }
        Path input = WORK.resolve("cases.json");
        Path output = WORK.resolve("out.json");
        Files.writeString(input, JSON.writeValueAsString(Map.of("cases", in)));
        try (var s = ChatTemplateOracleTest.class.getResourceAsStream("chat-template-oracle.py")) {
            Files.write(WORK.resolve("chat-template-oracle.py"), s.readAllBytes());
        }
        Process probe;
        try {
            probe = new ProcessBuilder("python3", "-c", "import jinja2").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "python3 not found");
            return null;
        }
        assumeTrue(probe.waitFor() == 0, "python3 has no jinja2 (apt-get install python3-jinja2)");
        NpmTokenizers.run(WORK, 300, "python3", "chat-template-oracle.py", input.toString(), output.toString());
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(output.toFile()).forEach(out::add);
        return out;
    }

    static void compare(List<Case> cases) throws Exception {
        List<JsonNode> expected = python(cases);
        Map<String, ChatTemplate> engines = new LinkedHashMap<>();
        try {
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                ChatTemplate t = engines.computeIfAbsent(c.template() + c.special(), k -> new ChatTemplate(c.template(), c.special(), c.what()));
                JsonNode e = expected.get(i);
                if (e.has("error")) {
                    TokenizerException ex = assertThrows(TokenizerException.class, () -> t.render(c.messages(), c.addGenerationPrompt()), c.what());
                    assertTrue(ex.getMessage().contains(e.get("error").asText()), c.what() + ": jinja2 raised '" + e.get("error").asText() + "', we raised '" + ex.getMessage() + "'");
                } else {
                    assertEquals(e.get("text").asText(), t.render(c.messages(), c.addGenerationPrompt()), c.what());
                }
            }
        } finally {
            engines.values().forEach(ChatTemplate::close);
        }
    }

    @Test
    void realTemplatesMatchJinja2() throws Exception {
        List<Case> cases = new ArrayList<>();
        for (String name : NpmTokenizers.NAMES) {
            Path folder = NpmTokenizers.folder(name);
            TokenizerFiles.Config cfg = TokenizerFiles.config(folder);
            for (int i = 0; i < CONVERSATIONS.size(); i++) {
                for (boolean gen : new boolean[] {true, false}) {
                    cases.add(new Case(name + " conversation " + i + " add_generation_prompt=" + gen, cfg.chatTemplate(), cfg.specialTokens(), CONVERSATIONS.get(i), gen));
                }
            }
        }
        // Gemma 3 raises on roles that do not alternate
        TokenizerFiles.Config gemma = TokenizerFiles.config(NpmTokenizers.folder("gemma3"));
        cases.add(new Case("gemma3 user,user", gemma.chatTemplate(), gemma.specialTokens(),
                List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), true));
        compare(cases);
    }

    /** Through the public API: the rendered Qwen3 prompt and its ids (the template's text encoded without added special tokens). */
    @Test
    void tokenizerAppliesItsTemplate() throws Exception {
        try (Tokenizer t = Tokenizer.load(NpmTokenizers.folder("qwen3"))) {
            assertTrue(t.hasChatTemplate());
            List<ChatMessage> m = List.of(new ChatMessage("user", "Hi"));
            assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.applyChatTemplate(m, true));
            int[] ids = t.encodeChat(m, true);
            assertEquals(151644, ids[0]);                       // <|im_start|>
            assertEquals(t.applyChatTemplate(m, true), t.decode(ids));
            // negative control: another model's template gives another prompt
            try (Tokenizer l = Tokenizer.load(NpmTokenizers.folder("llama3"))) {
                assertNotEquals(t.applyChatTemplate(m, true), l.applyChatTemplate(m, true));
            }
        }
    }

    static final Map<String, String> SPECIAL = Map.of("bos_token", "<s>", "eos_token", "</s>");

    static Case synthetic(String what, String template) {
        return new Case(what, template, SPECIAL, CONVERSATIONS.get(2), true);
    }

    @Test
    void templateFeaturesMatchJinja2() throws Exception {
        compare(List.of(
                synthetic("loop controls", "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}[{{ m.content }}]"
                        + "{% if loop.index >= 3 %}{% break %}{% endif %}{% endfor %}"),
                synthetic("continue keeps output", "{% for m in messages %}<{{ loop.index }}{% if m.role == 'user' %}{% continue %}{% endif %}{{ m.role }}>"
                        + "{% endfor %}{% for m in messages %}{% continue %}{% else %}empty{% endfor %}{% for m in [] %}x{% else %}none{% endfor %}"),
                synthetic("namespace", "{% set ns = namespace(n=0, last=messages|length - 1) %}{% for m in messages %}{% set ns.n = ns.n + m.content|length %}"
                        + "{% endfor %}{{ ns.n }} {{ ns.last }}"),
                synthetic("tojson", "{{ messages | tojson }}|{{ {'a': [1, 2.5, 'é\"x'], 'b': none, 'c': true} | tojson }}|{{ messages[0] | tojson(indent=2) }}"),
                synthetic("strftime_now", "{{ strftime_now('%Y') }}"),
                synthetic("raise_exception", "{% if messages[0].role == 'system' %}{{ raise_exception('bad role ' + messages[0].role) }}{% endif %}"),
                synthetic("slices and string methods", "{{ messages[::-1] | map(attribute='role') | join(',') }}|{{ messages[1:] | length }}|"
                        + "{{ messages[0].content.split(' ')[-1].upper() }}|{{ '  x  '.strip() }}|{{ '\\nab\\n'.lstrip('\\n') }}|{{ 'abc'[1:] }}|"
                        + "{{ messages[0].content.startswith('You') }}|{{ messages[0].content.endswith('x') }}|{{ messages[1].content | trim }}|"
                        + "{{ 'a' ~ 1 }}|{{ 'x' if 'er' in 'terse' else 'y' }}"),
                synthetic("not ... is defined", "{% if not add_generation_prompt is defined %}undefined{% else %}defined{% endif %}"
                        + "{% if not nothing is defined %}-nothing{% endif %}{% if foo is not defined %}-foo{% endif %}"),
                synthetic("trim_blocks and lstrip_blocks", "{% for m in messages %}\n    {% if m.role == 'user' %}\nU: {{ m.content }}\n    {% endif %}\n{% endfor %}\n"
                        + "  {%- if add_generation_prompt %}\nA:\n{%- endif %}"),
                synthetic("special tokens", "{{ bos_token }}{% for m in messages %}{{ m.role }}{% endfor %}{{ eos_token }}{{ tools is none }}")));
    }

    /** A template that does not parse is refused with the template's error, not rendered. */
    @Test
    void brokenTemplateIsRefused() {
        try (ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m.content }}", SPECIAL, "test")) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> t.render(CONVERSATIONS.get(0), true));
            assertTrue(e.getMessage().startsWith("test: chat template"), e.getMessage());
        }
    }

    /** The statement limit stops a template that would run for a very long time. */
    @Test
    void runawayTemplateIsStopped() {
        try (ChatTemplate t = new ChatTemplate("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", SPECIAL, "test")) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> t.render(CONVERSATIONS.get(0), true));
            assertTrue(e.getMessage().contains("limit"), e.getMessage());
        }
    }
}

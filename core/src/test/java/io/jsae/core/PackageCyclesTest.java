package io.jsae.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Keeps the packages of core's main code free of dependency cycles.
 *
 * <p>Reads every {@code .java} file under {@code core/src/main/java}, takes its package from its
 * {@code package} declaration, and collects the core packages it refers to: imports, static imports and
 * fully qualified {@code io.jsae.core.xxx.Name} uses in code. Comments (Javadoc included) and string
 * literals are blanked first, so a Javadoc {@code {@link io.jsae.core.xxx.Name}} is not a dependency. A
 * reference names the package made of its segments before the first one that starts with an upper-case
 * letter (the class). The packages and these references form a graph; every strongly connected component of
 * more than one package is a cycle, reported with its packages and, for each edge inside it, the first file
 * and line that makes it.
 *
 * <p>To break a cycle, move the type that both sides need into the lower package, or let the lower package
 * define an interface that the upper one implements.
 */
class PackageCyclesTest {

    private static final String CORE = "io.jsae.core";

    // a dotted name starting at io.jsae.core that is not itself the tail of a longer name
    private static final Pattern REFERENCE =
            Pattern.compile("(?<![\\p{javaJavaIdentifierPart}.])io\\.jsae\\.core(?:\\s*\\.\\s*\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*)*");
    private static final Pattern PACKAGE_DECLARATION = Pattern.compile("^\\s*package\\s+([\\w.\\s]+?)\\s*;", Pattern.MULTILINE);

    @Test
    void coreMainCodeHasNoPackageCycles() {
        Path sources = coreMainSources();
        Graph graph = Graph.scan(sources);
        // guards against passing on nothing: the scan must see the packages and an edge we know exist
        assertTrue(graph.packages.containsAll(Set.of(CORE, CORE + ".io", CORE + ".data")),
                () -> "scanned " + sources + " and found only the packages " + graph.packages);
        assertTrue(graph.edges.containsKey(CORE + ".data -> " + CORE + ".io"),
                () -> "scanned " + sources + " and missed the dependency data -> io; edges: " + graph.edges.keySet());

        List<String> problems = graph.cycles();
        if (!problems.isEmpty()) {
            fail(problems.size() + " package cycle(s) in " + sources + ":\n" + String.join("\n", problems)
                    + "\nBreak each cycle: move the type both sides need into the lower package, or have the lower"
                    + " package define an interface the upper one implements.");
        }
    }

    @Test
    void rootPackageDependsOnNoSubPackage() {
        Graph graph = Graph.scan(coreMainSources());
        List<String> out = graph.edges.entrySet().stream().filter(e -> e.getKey().startsWith(CORE + " -> "))
                .map(e -> e.getKey() + " at " + e.getValue()).collect(Collectors.toList());
        assertTrue(out.isEmpty(), () -> "the root package " + CORE + " must not depend on its sub-packages:\n"
                + String.join("\n", out));
    }

    @Test
    void findsCyclesThroughImportsStaticImportsAndQualifiedNamesButNotComments(@TempDir Path dir) throws IOException {
        write(dir, "a/A.java", "package io.jsae.core.a;\n\nimport io.jsae.core.b.B;\n\nclass A {}\n");
        write(dir, "b/B.java", "package io.jsae.core.b;\n\n/** Not a dependency: {@link io.jsae.core.c.C}. */\n"
                + "class B {\n    Object x = io.jsae.core.a.A.class; // io.jsae.core.c.C\n"
                + "    String s = \"io.jsae.core.c.C\";\n}\n");
        write(dir, "c/C.java", "package io.jsae.core.c;\n\nimport static io.jsae.core.d.D.*;\n\nclass C {}\n");
        write(dir, "d/D.java", "package io.jsae.core.d;\n\nimport io.jsae.core.c.*;\n\nclass D {}\n");
        write(dir, "e/E.java", "package io.jsae.core.e;\n\nimport io.jsae.core.a.A;\n\nclass E {}\n");

        Graph graph = Graph.scan(dir);
        assertEquals(Set.of("io.jsae.core.a -> io.jsae.core.b", "io.jsae.core.b -> io.jsae.core.a",
                "io.jsae.core.c -> io.jsae.core.d", "io.jsae.core.d -> io.jsae.core.c",
                "io.jsae.core.e -> io.jsae.core.a"), graph.edges.keySet());
        assertEquals(file(dir, "b/B.java") + ":5", graph.edges.get("io.jsae.core.b -> io.jsae.core.a"));

        List<String> cycles = graph.cycles();
        assertEquals(2, cycles.size(), cycles::toString);
        String ab = cycles.get(0);
        assertTrue(ab.contains("io.jsae.core.a, io.jsae.core.b"), ab);
        assertTrue(ab.contains("io.jsae.core.a -> io.jsae.core.b at " + file(dir, "a/A.java") + ":3"), ab);
        assertTrue(ab.contains("io.jsae.core.b -> io.jsae.core.a at " + file(dir, "b/B.java") + ":5"), ab);
        assertFalse(ab.contains("io.jsae.core.e"), ab);

    }

    private static void write(Path root, String relative, String text) throws IOException {
        Path p = root.resolve("io/jsae/core").resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static String file(Path root, String relative) {
        return root.relativize(root.resolve("io/jsae/core").resolve(relative)).toString();
    }

    /**
     * core's {@code src/main/java}: under the working directory (Maven runs tests in the module folder), or
     * under {@code core/} of it (run from the repository root), or the same from a folder above it.
     */
    static Path coreMainSources() {
        Path start = Path.of("").toAbsolutePath();
        for (Path d = start; d != null; d = d.getParent()) {
            for (Path candidate : List.of(d.resolve("src/main/java"), d.resolve("core/src/main/java"))) {
                if (Files.isDirectory(candidate.resolve("io/jsae/core"))) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("cannot find core's src/main/java (holding io/jsae/core) from " + start
                + " or a folder above it; run the test from the core module or the repository root");
    }

    /** Packages of a source tree and the dependencies between them, each with where it is first made. */
    static final class Graph {
        final Set<String> packages = new TreeSet<>();
        /** "from -> to" to "file:line" of its first occurrence (files in sorted order). */
        final Map<String, String> edges = new TreeMap<>();
        final Map<String, Set<String>> out = new TreeMap<>();

        static Graph scan(Path sourceRoot) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(sourceRoot)) {
                files = s.filter(p -> p.toString().endsWith(".java") && Files.isRegularFile(p)).sorted()
                        .collect(Collectors.toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<Path, String> code = new HashMap<>();
            Map<Path, String> pkg = new HashMap<>();
            Graph g = new Graph();
            for (Path f : files) {
                String text;
                try {
                    text = Files.readString(f, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                String stripped = stripCommentsAndLiterals(text);
                Matcher m = PACKAGE_DECLARATION.matcher(stripped);
                if (!m.find()) {
                    continue; // the default package: nothing in core
                }
                String p = m.group(1).replaceAll("\\s", "");
                code.put(f, stripped);
                pkg.put(f, p);
                if (p.equals(CORE) || p.startsWith(CORE + ".")) {
                    g.packages.add(p);
                }
            }
            for (Path f : files) {
                String from = pkg.get(f);
                if (from == null || !g.packages.contains(from)) {
                    continue;
                }
                g.out.computeIfAbsent(from, k -> new TreeSet<>());
                String stripped = code.get(f);
                Matcher m = REFERENCE.matcher(stripped);
                while (m.find()) {
                    String to = packageOf(m.group().replaceAll("\\s", ""), g.packages);
                    if (to == null || to.equals(from)) {
                        continue;
                    }
                    String edge = from + " -> " + to;
                    if (!g.edges.containsKey(edge)) {
                        g.edges.put(edge, sourceRoot.relativize(f) + ":" + lineOf(stripped, m.start()));
                        g.out.get(from).add(to);
                    }
                }
            }
            return g;
        }

        /**
         * Every strongly connected component of more than one package, one text each: its packages, then each
         * inner edge with where it is made.
         */
        List<String> cycles() {
            List<String> found = new ArrayList<>();
            for (Set<String> scc : stronglyConnected()) {
                if (scc.size() < 2) {
                    continue;
                }
                List<String> inner = new ArrayList<>();
                for (String from : scc) {
                    for (String to : out.getOrDefault(from, Set.of())) {
                        if (scc.contains(to)) {
                            inner.add(from + " -> " + to);
                        }
                    }
                }
                StringBuilder sb = new StringBuilder("cycle among ").append(String.join(", ", scc)).append(':');
                for (String e : inner) {
                    sb.append("\n    ").append(e).append(" at ").append(edges.get(e));
                }
                found.add(sb.toString());
            }
            return found;
        }

        /** Tarjan's algorithm, iterative; components with sorted members, in order of their first member. */
        private List<Set<String>> stronglyConnected() {
            Map<String, Integer> index = new HashMap<>();
            Map<String, Integer> low = new HashMap<>();
            Deque<String> stack = new ArrayDeque<>();
            Set<String> onStack = new HashSet<>();
            List<Set<String>> result = new ArrayList<>();
            int[] counter = {0};
            for (String root : packages) {
                if (index.containsKey(root)) {
                    continue;
                }
                // frames: a package and the iterator over its successors
                Deque<Map.Entry<String, Iterator<String>>> frames = new ArrayDeque<>();
                index.put(root, counter[0]);
                low.put(root, counter[0]++);
                stack.push(root);
                onStack.add(root);
                frames.push(Map.entry(root, out.getOrDefault(root, Set.of()).iterator()));
                while (!frames.isEmpty()) {
                    String v = frames.peek().getKey();
                    Iterator<String> it = frames.peek().getValue();
                    if (it.hasNext()) {
                        String w = it.next();
                        if (!index.containsKey(w)) {
                            index.put(w, counter[0]);
                            low.put(w, counter[0]++);
                            stack.push(w);
                            onStack.add(w);
                            frames.push(Map.entry(w, out.getOrDefault(w, Set.of()).iterator()));
                        } else if (onStack.contains(w)) {
                            low.put(v, Math.min(low.get(v), index.get(w)));
                        }
                        continue;
                    }
                    frames.pop();
                    if (!frames.isEmpty()) {
                        String parent = frames.peek().getKey();
                        low.put(parent, Math.min(low.get(parent), low.get(v)));
                    }
                    if (low.get(v).equals(index.get(v))) {
                        Set<String> scc = new TreeSet<>();
                        String w;
                        do {
                            w = stack.pop();
                            onStack.remove(w);
                            scc.add(w);
                        } while (!w.equals(v));
                        result.add(scc);
                    }
                }
            }
            result.sort((a, b) -> a.iterator().next().compareTo(b.iterator().next()));
            return result;
        }
    }

    /**
     * The package a dotted reference names: its segments before the first that starts with an upper-case
     * letter (a class), shortened to the longest known package; null when none is known.
     */
    static String packageOf(String reference, Set<String> known) {
        String[] parts = reference.split("\\.");
        StringBuilder sb = new StringBuilder();
        List<String> prefixes = new ArrayList<>();
        for (String part : parts) {
            if (!part.isEmpty() && Character.isUpperCase(part.charAt(0))) {
                break;
            }
            sb.append(sb.length() == 0 ? "" : ".").append(part);
            prefixes.add(sb.toString());
        }
        for (int i = prefixes.size() - 1; i >= 0; i--) {
            if (known.contains(prefixes.get(i))) {
                return prefixes.get(i);
            }
        }
        return null;
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /**
     * The source with comments and the contents of string, character and text-block literals replaced by
     * spaces, line breaks kept, so that offsets and line numbers stay those of the file.
     */
    static String stripCommentsAndLiterals(String src) {
        StringBuilder sb = new StringBuilder(src.length());
        int n = src.length();
        int i = 0;
        while (i < n) {
            char c = src.charAt(i);
            char next = i + 1 < n ? src.charAt(i + 1) : '\0';
            if (c == '/' && next == '/') {
                while (i < n && src.charAt(i) != '\n') {
                    sb.append(' ');
                    i++;
                }
            } else if (c == '/' && next == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(src, i, end, sb);
                i = end;
            } else if (c == '"' && src.startsWith("\"\"\"", i)) {
                int j = i + 3;
                while (j < n && !src.startsWith("\"\"\"", j)) {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 3);
                sb.append("\"\"\"");
                blank(src, i + 3, Math.max(i + 3, end - 3), sb);
                sb.append(src, Math.max(i + 3, end - 3), end);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 1);
                sb.append(c);
                blank(src, i + 1, Math.max(i + 1, end - 1), sb);
                sb.append(src, Math.max(i + 1, end - 1), end);
                i = end;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    private static void blank(String src, int from, int to, StringBuilder sb) {
        for (int k = from; k < to && k < src.length(); k++) {
            sb.append(src.charAt(k) == '\n' ? '\n' : ' ');
        }
    }
}

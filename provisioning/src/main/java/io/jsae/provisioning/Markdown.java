package io.jsae.provisioning;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Markdown table with numbered footnotes; equal footnote texts share one number. */
final class Markdown {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final Map<String, Integer> footnotes = new LinkedHashMap<>();
    private String footnotePrefix = "";

    Markdown(String... header) {
        this.header = List.of(header);
    }

    /** Adds a row; cells must match the header in number. */
    Markdown row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.size());
        }
        rows.add(List.of(cells));
        return this;
    }

    /** Puts a prefix before footnote numbers ("g" gives "[^g1]"), so that tables can share a document. */
    Markdown footnotePrefix(String prefix) {
        this.footnotePrefix = prefix;
        return this;
    }

    /** Registers a footnote and returns its marker, e.g. "[^1]". */
    String footnote(String text) {
        int number = footnotes.computeIfAbsent(text, t -> footnotes.size() + 1);
        return "[^" + footnotePrefix + number + "]";
    }

    /** The table, then the footnotes, each line ending in a newline. */
    String render() {
        StringBuilder out = new StringBuilder();
        line(out, header);
        List<String> rule = new ArrayList<>();
        header.forEach(h -> rule.add("---"));
        line(out, rule);
        rows.forEach(r -> line(out, r));
        if (!footnotes.isEmpty()) {
            out.append('\n');
            footnotes.forEach((text, n) -> out.append("[^").append(footnotePrefix).append(n).append("]: ").append(text)
                    .append('\n'));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(cell.replace("|", "\\|")).append(" |");
        }
        out.append('\n');
    }
}

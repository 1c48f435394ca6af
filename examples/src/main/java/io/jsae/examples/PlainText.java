package io.jsae.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns the Markdown the commands print into plain text for a terminal: headings underlined, tables as
 * aligned columns (the rule row becomes dashes under the header), footnote labels {@code [^g1]} as {@code [g1]};
 * every other line is kept as it is.
 */
final class PlainText {

    private static final String GAP = "  ";

    private PlainText() {
    }

    /**
     * @param markdown a document of headings, paragraphs, lists, tables and footnotes
     * @return the same document as plain text, each line ending in a newline
     */
    static String of(String markdown) {
        StringBuilder out = new StringBuilder();
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("|")) {
                List<List<String>> table = new ArrayList<>();
                while (i < lines.size() && lines.get(i).startsWith("|")) {
                    table.add(cells(footnotes(lines.get(i))));
                    i++;
                }
                i--;
                table(out, table);
            } else if (line.startsWith("#")) {
                String title = footnotes(line.replaceFirst("^#+\\s*", ""));
                out.append(title).append('\n').append((line.startsWith("# ") ? "=" : "-").repeat(title.length()))
                        .append('\n');
            } else {
                out.append(footnotes(line).replaceFirst("^\\[(\\w[\\w-]*)]:", "[$1]")).append('\n');
            }
        }
        return out.toString();
    }

    /** "[^g1]" becomes "[g1]". */
    private static String footnotes(String line) {
        return line.replaceAll("\\[\\^([\\w-]+)]", "[$1]");
    }

    /** The cells of a table row, with "\|" read as a literal bar. */
    private static List<String> cells(String row) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int i = 1; i < row.length(); i++) {
            char c = row.charAt(i);
            if (c == '\\' && i + 1 < row.length() && row.charAt(i + 1) == '|') {
                cell.append('|');
                i++;
            } else if (c == '|') {
                cells.add(cell.toString().strip());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        return cells;
    }

    private static void table(StringBuilder out, List<List<String>> rows) {
        List<List<String>> body = new ArrayList<>();
        boolean ruled = false;
        for (List<String> row : rows) {
            if (!ruled && row.stream().allMatch(c -> c.matches(":?-{3,}:?"))) {
                ruled = true;
            } else {
                body.add(row);
            }
        }
        int columns = body.stream().mapToInt(List::size).max().orElse(0);
        int[] width = new int[columns];
        for (List<String> row : body) {
            for (int c = 0; c < row.size(); c++) {
                width[c] = Math.max(width[c], row.get(c).length());
            }
        }
        for (int r = 0; r < body.size(); r++) {
            List<String> row = body.get(r);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.size(); c++) {
                line.append(c == 0 ? "" : GAP).append(row.get(c))
                        .append(" ".repeat(c == row.size() - 1 ? 0 : width[c] - row.get(c).length()));
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0 && ruled) {
                List<String> dashes = new ArrayList<>();
                for (int c = 0; c < columns; c++) {
                    dashes.add("-".repeat(width[c]));
                }
                out.append(String.join(GAP, dashes)).append('\n');
            }
        }
    }
}

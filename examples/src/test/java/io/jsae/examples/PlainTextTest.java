package io.jsae.examples;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlainTextTest {

    @Test
    void tablesAlignHeadingsUnderlineAndFootnotesLoseTheirCaret() {
        String md = String.join("\n",
                "# Title",
                "",
                "## Part",
                "| a | long header | c |",
                "| --- | --- | --- |",
                "| x[^g1] | a \\| b | 3 |",
                "",
                "[^g1]: A note.",
                "- item");

        assertEquals(String.join("\n",
                "Title",
                "=====",
                "",
                "Part",
                "----",
                "a      long header  c",
                "-----  -----------  -",
                "x[g1]  a | b        3",
                "",
                "[g1] A note.",
                "- item",
                ""), PlainText.of(md));
    }
}

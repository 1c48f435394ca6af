package io.jsae.examples;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command's --help renders (every description formats), shows its defaults, and the version and exit codes are printed. */
class HelpTest {

    @Test
    void everyCommandsHelpShowsItsDefaultsWithoutWarnings() {
        Map<String, CommandLine> commands = Main.commandLine().getSubcommands();
        assertTrue(commands.keySet().containsAll(java.util.List.of("preflight", "plan", "train", "inspect", "encode")),
                commands.keySet().toString());
        for (Map.Entry<String, CommandLine> c : commands.entrySet()) {
            if (c.getKey().equals("help")) {
                continue;
            }
            StringWriter out = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out));
            int code = cl.execute(c.getKey(), "--help");
            String help = out.toString();
            assertEquals(ExitCode.OK, code, c.getKey());
            assertTrue(help.startsWith("Usage: jsae " + c.getKey()), help);
            // picocli formats each description; when a line fails (a bare %), it prints the raw text, whose
            // escaped percent signs then show doubled
            assertFalse(help.contains("%%") || help.contains("%n"), c.getKey() + ": a description did not format: " + help);
            for (OptionSpec o : c.getValue().getCommandSpec().options()) {
                String dv = o.defaultValue();
                if (dv == null || o.usageHelp() || o.versionHelp() || o.hidden()) {
                    continue;
                }
                String described = String.join(" ", o.description()).replace("${DEFAULT-VALUE}", dv);
                boolean shown = c.getValue().getCommandSpec().usageMessage().showDefaultValues()
                        || described.contains(dv);
                assertTrue(shown, c.getKey() + " " + o.longestName() + ": default " + dv + " not shown in help");
            }
        }
    }

    @Test
    void versionAndExitCodesArePrinted() {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertEquals(ExitCode.OK, cl.execute("--version"));
        assertTrue(out.toString().startsWith("jsae "), out.toString());
        String usage = Main.commandLine().getUsageMessage();
        assertTrue(usage.contains("130 interrupted"), usage);
    }
}

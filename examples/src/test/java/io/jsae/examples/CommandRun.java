package io.jsae.examples;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * What one run of the {@code jsae} command line returned and printed, in process, for tests.
 *
 * @param code the exit code
 * @param out  what it printed on stdout
 * @param err  what it printed on stderr
 */
record CommandRun(int code, String out, String err) {

    /**
     * Runs {@code jsae args...} through {@link Main#commandLine()}, with its error handling and exit codes.
     *
     * @param args the command and its options
     * @return the exit code and the output
     */
    static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CommandRun(code, out.toString(), err.toString());
    }

    /** @return stdout then stderr, for assertion messages */
    String all() {
        return out + err;
    }
}

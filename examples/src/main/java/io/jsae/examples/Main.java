package io.jsae.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the examples: one subcommand per runnable job. */
@Command(name = "jsae", mixinStandardHelpOptions = true, version = "jsae 0.1.0-SNAPSHOT",
        description = "Runnable jsae examples.",
        subcommands = {CommandLine.HelpCommand.class, TrainCommand.class, TumixDemo.class, CostTables.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /**
     * Runs the command line.
     *
     * @param args subcommand and its options
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}

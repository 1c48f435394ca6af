package io.jsae.examples;

import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.data.NonFiniteRowException;
import io.jsae.core.io.DataFormatException;
import io.jsae.core.train.CheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/**
 * The {@code jsae} command: one subcommand per job. Failures become one line on stderr with the remedy and an
 * exit code from {@link ExitCode}; {@code --verbose} adds the stack trace.
 */
@Command(name = "jsae", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train, inspect and use sparse autoencoders on LLM activations; plan and check the GPU run.",
        footer = {"", "Exit codes: 0 done, 1 unexpected failure, 2 usage, 3 bad data or model folder,",
                "4 backend unavailable, 5 preflight failed, 130 interrupted (checkpoint written; rerun to resume)."},
        subcommands = {CommandLine.HelpCommand.class, PreflightCommand.class, PlanCommand.class, TrainCommand.class,
                InspectCommand.class, EncodeCommand.class, LatentsCommand.class, TumixDemo.class, CostTables.class})
public final class Main implements Runnable {
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /**
     * Runs the command line and exits with its code.
     *
     * @param args subcommand and its options
     */
    public static void main(String[] args) {
        // The library logs through SLF4J; the command prints what matters itself, so its log shows warnings only
        // unless --verbose asks for more (set before the first logger is made).
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, java.util.Arrays.asList(args).contains("--verbose") ? "info" : "warn");
        }
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line: subcommands, error handling and exit codes */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, so a script can append overrides
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr(), main.verbose,
                commandLine.getCommandName()));
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("jsae: " + e.getMessage());
            err.println("  see: jsae " + qualifiedName(e.getCommandLine()) + " --help");
            err.flush();
            return ExitCode.USAGE;
        });
        return cl;
    }

    private static String qualifiedName(CommandLine cl) {
        String name = cl.getCommandSpec().qualifiedName(" ");
        return name.startsWith("jsae ") ? name.substring(5) : name.equals("jsae") ? "" : name;
    }

    /**
     * Prints a failure as one line (plus a remedy line) and picks its exit code.
     *
     * @param e the failure
     * @param err where to print
     * @param verbose whether to print the stack trace too
     * @return the exit code
     */
    static int report(Throwable e, PrintWriter err, boolean verbose) {
        return report(e, err, verbose, "");
    }

    /**
     * As {@link #report(Throwable, PrintWriter, boolean)} for a failure of the named subcommand, whose remedies may
     * differ (encode and latents cannot skip rows).
     *
     * @param e the failure
     * @param err where to print
     * @param verbose whether to print the stack trace too
     * @param command the subcommand's name
     * @return the exit code
     */
    static int report(Throwable e, PrintWriter err, boolean verbose, String command) {
        int code;
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String remedy = null;
        if (e instanceof CommandFailure f) {
            code = f.exitCode();
            remedy = f.remedy();
        } else if (e instanceof NonFiniteRowException n) {
            code = ExitCode.BAD_DATA;
            message = n.where();
            remedy = command.equals("encode") || command.equals("latents")
                    ? "fix the data (" + command + " keeps every row, to stay aligned with its output and labels)"
                    : "fix the data, or pass --skip-non-finite to skip (and count) such rows";
        } else if (e instanceof DataFormatException || e instanceof CheckpointException) {
            code = ExitCode.BAD_DATA;
        } else if (e instanceof BackendUnavailableException) {
            code = ExitCode.BACKEND_UNAVAILABLE;
            remedy = "pick another with --backend (cpu always exists), or see README.md for what each needs";
        } else if (e instanceof NoSuchFileException n) {
            code = ExitCode.BAD_DATA;
            message = "no such file or folder: " + n.getFile();
            remedy = "check the path";
        } else if (e instanceof AccessDeniedException a) {
            code = ExitCode.BAD_DATA;
            message = "permission denied: " + a.getFile();
        } else if (e instanceof FileAlreadyExistsException a) {
            code = ExitCode.USAGE;
            message = "already exists: " + a.getFile();
        } else if (e instanceof java.nio.file.FileSystemException f) { // e.g. an output path that is a folder
            code = ExitCode.USAGE;
            message = f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "cannot be used");
            remedy = "check the path given";
        } else {
            code = ExitCode.FAILURE;
            message = e.getClass().getSimpleName() + ": " + message;
            remedy = verbose ? null : "rerun with --verbose for the stack trace";
        }
        err.println("jsae: error: " + message);
        if (remedy != null) {
            err.println("  remedy: " + remedy);
        }
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** The version line: the jar's implementation version when packaged, else the development version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jsae " + (v == null ? "0.1.0-SNAPSHOT" : v),
                    "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch")};
        }
    }
}

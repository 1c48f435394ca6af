package io.jsae.provisioning;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks that the files a run needs (activation shards, a tokenizer, a config) are in place before the meter
 * starts: each exists, is a regular readable non-empty file and, where a SHA-256 is given, has that digest.
 * The result lists every file that is not ready, not only the first.
 */
public final class RequiredFilesCheck implements PreflightCheck {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final Path root;
    private final Map<String, Optional<String>> files;

    /**
     * A check of files under a root folder.
     *
     * @param root  the folder the paths are relative to
     * @param paths the required files, relative to {@code root}
     */
    public RequiredFilesCheck(Path root, List<String> paths) {
        this(root, toMap(paths));
    }

    private RequiredFilesCheck(Path root, Map<String, Optional<String>> files) {
        this.root = Objects.requireNonNull(root, "root");
        this.files = files;
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no required files given; list at least one path");
        }
    }

    private static Map<String, Optional<String>> toMap(List<String> paths) {
        Map<String, Optional<String>> map = new LinkedHashMap<>();
        for (String p : paths) {
            map.put(Objects.requireNonNull(p, "path"), Optional.empty());
        }
        return map;
    }

    /**
     * This check with a SHA-256 digest required for one file (added to the list when not yet in it).
     *
     * @param path   the file, relative to the root
     * @param sha256 64 hex digits
     * @return the new check
     */
    public RequiredFilesCheck withSha256(String path, String sha256) {
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("SHA-256 for " + path + " is '" + sha256
                    + "'; give 64 hexadecimal digits as printed by sha256sum");
        }
        Map<String, Optional<String>> copy = new LinkedHashMap<>(files);
        copy.put(path, Optional.of(sha256.toLowerCase(Locale.ROOT)));
        return new RequiredFilesCheck(root, copy);
    }

    @Override
    public String name() {
        return "required files under " + root;
    }

    @Override
    public CheckResult run() {
        List<String> problems = new ArrayList<>();
        int verified = 0;
        for (Map.Entry<String, Optional<String>> entry : files.entrySet()) {
            Path file = root.resolve(entry.getKey());
            String problem = problem(file, entry.getKey(), entry.getValue());
            if (problem != null) {
                problems.add(problem);
            } else if (entry.getValue().isPresent()) {
                verified++;
            }
        }
        if (problems.isEmpty()) {
            return CheckResult.pass(name(), "all " + files.size() + " required files are present, readable and"
                    + " non-empty" + (verified > 0 ? "; " + verified + " SHA-256 digests match" : ""));
        }
        return CheckResult.fail(name(), problems.size() + " of " + files.size() + " required files are not ready: "
                        + String.join("; ", problems),
                "put each listed file under " + root + " before starting the run (a SHA-256 mismatch means a "
                        + "partial or different download: fetch that file again)");
    }

    private static String problem(Path file, String name, Optional<String> sha256) {
        if (!Files.exists(file)) {
            return name + " is missing";
        }
        if (!Files.isRegularFile(file)) {
            return name + " is not a regular file";
        }
        if (!Files.isReadable(file)) {
            return name + " is not readable";
        }
        try {
            if (Files.size(file) == 0) {
                return name + " is empty";
            }
            if (sha256.isPresent()) {
                String actual = sha256(file);
                if (!actual.equals(sha256.get())) {
                    return name + " has SHA-256 " + actual + ", expected " + sha256.get();
                }
            }
        } catch (IOException e) {
            return name + " cannot be read (" + e.getMessage() + ")";
        }
        return null;
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM lacks SHA-256, which every Java platform must provide", e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}

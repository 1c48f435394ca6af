package io.jsae.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsae.core.io.NpyFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the per-row labels {@code latents} takes: a {@code .npy} array of int32 or int64 (0 none, 1..C a
 * class), or a CSV of {@code row,class} lines (rows not listed are 0; an optional header line), with class
 * names from {@code --classes a,b,c}, a JSON file (an array of names, name i being class i + 1), or, for a CSV
 * without them, the names in the order they first appear. Every failure names the file and, where one is at
 * fault, the row or line.
 */
final class LabelFiles {

    /**
     * The labels of every row and the names of the classes.
     *
     * @param labels one per row, 0..C
     * @param names  class i + 1's name at index i
     */
    record Labels(int[] labels, List<String> names) {
    }

    private LabelFiles() {
    }

    /**
     * Reads class names from {@code --classes} or a JSON file.
     *
     * @param list     comma-separated names, or null
     * @param jsonFile a JSON array of names, or null
     * @return the names, or null when neither was given
     */
    static List<String> names(String list, Path jsonFile) throws IOException {
        if (list != null && jsonFile != null) {
            throw new CommandFailure(ExitCode.USAGE, "--classes and --class-names both name the classes",
                    "pass one of them");
        }
        List<String> names;
        if (list != null) {
            names = Arrays.stream(list.split(",")).map(String::trim).toList();
        } else if (jsonFile != null) {
            if (!Files.isRegularFile(jsonFile)) {
                throw new CommandFailure(ExitCode.BAD_DATA, "--class-names " + jsonFile + ": no such file",
                        "check the path");
            }
            JsonNode node;
            try {
                node = new ObjectMapper().readTree(jsonFile.toFile());
            } catch (IOException e) {
                throw new CommandFailure(ExitCode.BAD_DATA, jsonFile + " is not valid JSON: "
                        + e.getMessage().lines().findFirst().orElse(""), "write a JSON array of class names", e);
            }
            if (node == null || !node.isArray()) {
                throw new CommandFailure(ExitCode.BAD_DATA, jsonFile + " holds no JSON array",
                        "write the class names as an array, e.g. [\"email\", \"phone\", \"name\"] (class 1 first)");
            }
            names = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                if (!node.get(i).isTextual()) {
                    throw new CommandFailure(ExitCode.BAD_DATA, jsonFile + ": entry " + i + " is not a string",
                            "write the class names as strings");
                }
                names.add(node.get(i).asText().trim());
            }
        } else {
            return null;
        }
        String where = list != null ? "--classes" : jsonFile.toString();
        if (names.isEmpty() || names.stream().anyMatch(String::isEmpty)) {
            throw new CommandFailure(ExitCode.USAGE, where + " has an empty class name", "name every class");
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new CommandFailure(ExitCode.USAGE, where + " names a class twice: " + names, "name each class once");
        }
        return List.copyOf(names);
    }

    /**
     * Reads the labels of {@code rows} rows.
     *
     * @param file  a {@code .npy} or {@code .csv} file
     * @param names the class names, or null (allowed for a CSV only)
     * @param rows  rows of the data
     * @return the labels and names
     */
    static Labels read(Path file, List<String> names, long rows) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--labels " + file + ": no such file", "check the path");
        }
        if (rows > Integer.MAX_VALUE - 16) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--data holds " + rows + " rows, more than labels are read for"
                    + " at once", "score the data in parts");
        }
        String name = file.getFileName().toString();
        if (name.endsWith(".npy")) {
            if (names == null) {
                throw new CommandFailure(ExitCode.USAGE, "--labels " + file + " holds class numbers but no names",
                        "name the classes with --classes a,b,c or --class-names FILE.json (class 1 first)");
            }
            int[] labels = NpyFile.readLabels(file, names.size());
            if (labels.length != rows) {
                throw new CommandFailure(ExitCode.BAD_DATA, "--labels " + file + " has " + labels.length
                        + " rows but --data has " + rows, "pass one label per row of the data, in the same order");
            }
            return new Labels(labels, names);
        }
        if (name.endsWith(".csv")) {
            return csv(file, names, (int) rows);
        }
        throw new CommandFailure(ExitCode.USAGE, "--labels " + file + " is neither .npy nor .csv",
                "pass an int32/int64 .npy array or a CSV of row,class lines");
    }

    private static Labels csv(Path file, List<String> given, int rows) throws IOException {
        int[] labels = new int[rows];
        List<String> names = given == null ? new ArrayList<>() : new ArrayList<>(given);
        int[] lineOf = new int[rows];
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                String where = file + " line " + number;
                if (cells.length != 2) {
                    throw new CommandFailure(ExitCode.BAD_DATA, where + " has " + cells.length + " cells",
                            "write one row,class pair per line");
                }
                String rowCell = cells[0].trim();
                String classCell = cells[1].trim();
                long row;
                try {
                    row = Long.parseLong(rowCell);
                } catch (NumberFormatException e) {
                    if (number == 1) {
                        continue; // a header line
                    }
                    throw new CommandFailure(ExitCode.BAD_DATA, where + ": row '" + rowCell + "' is not a number",
                            "write the row index (0-based) first");
                }
                if (row < 0 || row >= rows) {
                    throw new CommandFailure(ExitCode.BAD_DATA, where + ": row " + row + " is outside the data's "
                            + rows + " rows", "label rows of --data only, counted from 0");
                }
                int label = classOf(classCell, names, given != null, where);
                if (lineOf[(int) row] != 0 && labels[(int) row] != label) {
                    throw new CommandFailure(ExitCode.BAD_DATA, where + ": row " + row + " was labeled differently on"
                            + " line " + lineOf[(int) row], "give each row one class");
                }
                labels[(int) row] = label;
                lineOf[(int) row] = number;
            }
        }
        if (names.isEmpty()) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--labels " + file + " labels no row",
                    "write row,class lines for the labeled rows");
        }
        return new Labels(labels, List.copyOf(names));
    }

    private static int classOf(String cell, List<String> names, boolean fixed, String where) {
        int at = names.indexOf(cell);
        if (at >= 0) {
            return at + 1;
        }
        if (cell.matches("[0-9]+")) {
            long number = Long.parseLong(cell.length() > 9 ? "999999999" : cell);
            if (fixed && number >= 0 && number <= names.size()) {
                return (int) number;
            }
            throw new CommandFailure(ExitCode.BAD_DATA, where + ": class " + cell + " is not one of 0.." + names.size()
                    + (fixed ? "" : " (no classes were named)"), "name the classes with --classes a,b,c"
                    + " or --class-names FILE.json, or write class names in the CSV");
        }
        if (fixed) {
            throw new CommandFailure(ExitCode.BAD_DATA, where + ": unknown class '" + cell + "'; the classes are "
                    + names, "add it to the class names, or fix the line");
        }
        if (cell.isEmpty()) {
            throw new CommandFailure(ExitCode.BAD_DATA, where + ": empty class", "write a class name");
        }
        names.add(cell);
        return names.size();
    }
}

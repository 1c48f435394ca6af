package io.jsae.provisioning;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Dated GPU offers, read from CSV, with filters and a staleness check.
 *
 * <p>How rows relate:
 * <ul>
 *   <li>Rows with the same {@link Offer#key() key} (provider, GPU model, count, memory, pricing model) are the
 *   dated history of one offer: {@link #offers()} gives the newest row of each, {@link #history()} keeps them
 *   all. Two rows of one offer on one day are an error.</li>
 *   <li>Rows with different keys are different offers, and each stays current on its own, even when one names
 *   the other more precisely: a live "RunPod (Secure Cloud)" "A100 SXM" row never replaces the guide's plain
 *   "RunPod" "A100" row. A newer row that {@link Offer#refines refines} an older current row
 *   {@link Offer#supersedes supersedes} it: {@link #superseded()} reports such rows within the catalog,
 *   {@link #supersededBy(Collection)} the rows of this catalog that new rows (a live fetch) supersede, and
 *   {@link #withoutSuperseded()} leaves them out, for tables of the latest prices.</li>
 *   <li>{@link #asOf(LocalDate)} gives the catalog as it stood on a day; {@link #guide()} the bundled catalog
 *   as the GPU guide quoted it.</li>
 * </ul>
 * A catalog is immutable; every filter returns a new catalog.
 *
 * <p>The CSV has a header row with these columns, in any order:
 * {@code provider, gpu_model, gpu_count, gpu_memory_gb, price_per_hour, pricing_model, as_of, source, notes}.
 * {@code gpu_memory_gb} may be empty (not stated), {@code notes} may be empty, {@code as_of} is an ISO date,
 * {@code pricing_model} is ON_DEMAND, SPOT or MARKETPLACE, and lines starting with {@code #} are comments.
 * A malformed row fails the whole load with a {@link CatalogFormatException} naming file, line and column:
 * nothing is skipped silently.
 */
public final class PriceCatalog {

    /** Classpath location of the bundled catalog. */
    public static final String BUNDLED_RESOURCE = "/io/jsae/provisioning/offers.csv";

    /** The columns every catalog file must have, in the bundled file's order. */
    public static final List<String> COLUMNS = List.of("provider", "gpu_model", "gpu_count", "gpu_memory_gb",
            "price_per_hour", "pricing_model", "as_of", "source", "notes");

    /**
     * The day the bundled catalog dates the GPU guide's figures. The guide gives no day of reading; its rows are
     * dated 2025-10-01 to stand for "as quoted by the guide", and every newer bundled row is dated later.
     */
    public static final LocalDate GUIDE_DATE = LocalDate.of(2025, 10, 1);

    private final List<Offer> rows;

    private PriceCatalog(List<Offer> rows) {
        this.rows = List.copyOf(rows);
    }

    /**
     * A catalog of the given rows, in that order.
     *
     * @param rows dated offers; several rows for one offer are its history
     * @return the catalog
     * @throws IllegalArgumentException when two rows describe the same offer on the same day
     */
    public static PriceCatalog of(Collection<Offer> rows) {
        List<Offer> list = new ArrayList<>(rows);
        int[] duplicate = firstDuplicate(list);
        if (duplicate != null) {
            Offer earlier = list.get(duplicate[0]);
            Offer later = list.get(duplicate[1]);
            throw new IllegalArgumentException("two rows for " + later.key() + " dated " + later.asOf() + " ("
                    + earlier.pricePerHour() + " and " + later.pricePerHour() + "); keep one row per offer and day");
        }
        return new PriceCatalog(list);
    }

    /** Indexes {earlier, later} of the first two rows that describe one offer on one day, or null. */
    private static int[] firstDuplicate(List<Offer> rows) {
        Map<Offer.Key, Map<LocalDate, Integer>> seen = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Offer row = rows.get(i);
            Integer earlier = seen.computeIfAbsent(row.key(), k -> new HashMap<>()).putIfAbsent(row.asOf(), i);
            if (earlier != null) {
                return new int[] {earlier, i};
            }
        }
        return null;
    }

    /**
     * The catalog shipped with the library: the offers of the GPU guide this project grew from, each with its
     * date and source, plus newer public prices where they were found.
     *
     * @return the bundled catalog
     * @throws UncheckedIOException when the resource cannot be read (a broken build)
     */
    public static PriceCatalog bundled() {
        InputStream in = PriceCatalog.class.getResourceAsStream(BUNDLED_RESOURCE);
        if (in == null) {
            throw new UncheckedIOException(new IOException("resource " + BUNDLED_RESOURCE
                    + " is missing from the classpath; rebuild jsae-provisioning"));
        }
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return read(reader, "resource " + BUNDLED_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + BUNDLED_RESOURCE, e);
        }
    }

    /**
     * The bundled catalog as the GPU guide quoted it: its rows dated on or before {@link #GUIDE_DATE}, from
     * which the guide's own figures are computed ($1.29/h for Lambda, $0.69/h for RunPod spot, ...).
     *
     * @return the guide's rows
     * @throws UncheckedIOException when the resource cannot be read (a broken build)
     */
    public static PriceCatalog guide() {
        return bundled().asOf(GUIDE_DATE);
    }

    /**
     * Reads a catalog from a CSV file.
     *
     * @param csv the file
     * @return the catalog
     * @throws IOException            when the file cannot be read
     * @throws CatalogFormatException when a row is malformed (file, line and column are named)
     */
    public static PriceCatalog load(Path csv) throws IOException {
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            return read(reader, csv.toString());
        }
    }

    static PriceCatalog read(Reader reader, String name) throws IOException {
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withComments();
        List<Offer> rows = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        try (JsonParser parser = mapper.getFactory().createParser(reader)) {
            CsvParser csv = (CsvParser) parser;
            csv.setSchema(schema);
            csv.enable(CsvParser.Feature.SKIP_EMPTY_LINES);
            csv.enable(CsvParser.Feature.TRIM_SPACES);
            int[] columnIndex = null;
            List<String> header = null;
            JsonToken token;
            while ((token = nextToken(csv, name)) != null) {
                if (token != JsonToken.START_ARRAY) {
                    continue;
                }
                // Each row is an array of strings; its line is that of its first value.
                long line = -1;
                List<String> cells = new ArrayList<>();
                while ((token = nextToken(csv, name)) != JsonToken.END_ARRAY && token != null) {
                    if (line < 0) {
                        line = csv.currentTokenLocation().getLineNr();
                    }
                    cells.add(csv.getText());
                }
                if (header == null) {
                    header = cells;
                    columnIndex = headerIndex(cells, name, line);
                    continue;
                }
                rows.add(parseRow(cells, header, columnIndex, name, line));
                lines.add(line);
            }
            if (header == null) {
                throw new CatalogFormatException(name, 1, null, "no header row; the first row must name the columns "
                        + String.join(",", COLUMNS), null);
            }
        }
        int[] duplicate = firstDuplicate(rows);
        if (duplicate != null) {
            Offer offer = rows.get(duplicate[1]);
            throw new CatalogFormatException(name, lines.get(duplicate[1]), null, "a second row for the same offer ("
                    + offer.provider() + ", " + offer.gpuCount() + "x " + offer.gpuModel() + ", " + offer.pricingModel()
                    + ") dated " + offer.asOf() + " (first on line " + lines.get(duplicate[0]) + "); keep one row per"
                    + " offer and day, or give the newer price a newer as_of", null);
        }
        return new PriceCatalog(rows);
    }

    private static JsonToken nextToken(CsvParser csv, String name) throws IOException {
        try {
            return csv.nextToken();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            long line = e.getLocation() == null ? csv.currentLocation().getLineNr() : e.getLocation().getLineNr();
            throw new CatalogFormatException(name, line, null, "not valid CSV (" + e.getOriginalMessage()
                    + "); check quotes and separators on this line", e);
        }
    }

    private static int[] headerIndex(List<String> header, String name, long line) {
        int[] index = new int[COLUMNS.size()];
        for (int i = 0; i < COLUMNS.size(); i++) {
            index[i] = header.indexOf(COLUMNS.get(i));
            if (index[i] < 0) {
                throw new CatalogFormatException(name, line, null, "the header lacks column '" + COLUMNS.get(i)
                        + "'; the header must name " + String.join(",", COLUMNS) + " (found "
                        + String.join(",", header) + ")", null);
            }
        }
        for (int i = 0; i < header.size(); i++) {
            if (!COLUMNS.contains(header.get(i))) {
                throw new CatalogFormatException(name, line, (i + 1) + " (" + header.get(i) + ")",
                        "unknown column; remove it or rename it to one of " + String.join(",", COLUMNS), null);
            }
        }
        return index;
    }

    private static Offer parseRow(List<String> cells, List<String> header, int[] index, String name, long line) {
        if (cells.size() != header.size()) {
            throw new CatalogFormatException(name, line, null, "the row has " + cells.size() + " fields but the header "
                    + header.size() + "; quote values that contain commas", null);
        }
        Cells row = new Cells(cells, index, name, line);
        return new Offer(
                row.text(0),
                row.text(1),
                row.positiveInt(2),
                row.optionalNonNegativeInt(3),
                row.positiveDecimal(4),
                row.pricingModel(5),
                row.date(6),
                row.text(7),
                row.raw(8));
    }

    /** One CSV row with column-aware parsing, so that every error names its column. */
    private record Cells(List<String> cells, int[] index, String file, long line) {

        String raw(int column) {
            String value = cells.get(index[column]);
            return value == null ? "" : value.trim();
        }

        CatalogFormatException error(int column, String problem) {
            return new CatalogFormatException(file, line, (index[column] + 1) + " (" + COLUMNS.get(column) + ")",
                    problem, null);
        }

        String text(int column) {
            String value = raw(column);
            if (value.isEmpty()) {
                throw error(column, "empty; every row needs a " + COLUMNS.get(column));
            }
            return value;
        }

        int positiveInt(int column) {
            String value = text(column);
            try {
                int n = Integer.parseInt(value);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below with the expected form
            }
            throw error(column, "'" + value + "' is not a whole number of at least 1");
        }

        int optionalNonNegativeInt(int column) {
            String value = raw(column);
            if (value.isEmpty()) {
                return 0;
            }
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below with the expected form
            }
            throw error(column, "'" + value + "' is not a whole number of GB; leave it empty when the source does "
                    + "not state it");
        }

        BigDecimal positiveDecimal(int column) {
            String value = text(column);
            try {
                BigDecimal price = new BigDecimal(value);
                if (price.signum() > 0) {
                    return price;
                }
            } catch (NumberFormatException e) {
                // reported below with the expected form
            }
            throw error(column, "'" + value + "' is not a positive price in US dollars per hour such as 1.29 "
                    + "(no currency sign, no range)");
        }

        PricingModel pricingModel(int column) {
            String value = text(column);
            try {
                return PricingModel.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw error(column, "'" + value + "' is not one of " + Arrays.toString(PricingModel.values()));
            }
        }

        LocalDate date(int column) {
            String value = text(column);
            try {
                return LocalDate.parse(value);
            } catch (DateTimeParseException e) {
                throw error(column, "'" + value + "' is not an ISO date such as 2025-10-01");
            }
        }
    }

    /**
     * The current offers: for each offer the newest dated row, in the order the offers first appear.
     *
     * @return current offers
     */
    public List<Offer> offers() {
        Map<Offer.Key, Offer> newest = new LinkedHashMap<>();
        for (Offer row : rows) {
            newest.merge(row.key(), row, (a, b) -> b.asOf().isAfter(a.asOf()) ? b : a);
        }
        return List.copyOf(newest.values());
    }

    /**
     * Every row, older prices included, in the order they were read.
     *
     * @return all dated rows
     */
    public List<Offer> history() {
        return rows;
    }

    /**
     * The dated rows of one offer, oldest first.
     *
     * @param key the offer
     * @return its rows; empty when the catalog does not hold it
     */
    public List<Offer> history(Offer.Key key) {
        return rows.stream().filter(o -> o.key().equals(key)).sorted(Comparator.comparing(Offer::asOf)).toList();
    }

    /**
     * This catalog with more rows added, for example live prices. A newer row of an offer already held (same
     * {@link Offer#key() key}) becomes its current row; a row of a new key is a new offer, even when it
     * supersedes a plain one: ask {@link #supersededBy(Collection)} which rows it supersedes.
     *
     * @param more rows to add
     * @return the combined catalog
     * @throws IllegalArgumentException when a row repeats an offer and day already held
     */
    public PriceCatalog plus(Collection<Offer> more) {
        List<Offer> all = new ArrayList<>(rows);
        all.addAll(more);
        return of(all);
    }

    /**
     * The catalog as it stood on a day: the rows dated on or before it. {@code asOf(GUIDE_DATE)} of the bundled
     * catalog holds exactly the guide's rows.
     *
     * @param day the last day whose rows are kept
     * @return the filtered catalog
     */
    public PriceCatalog asOf(LocalDate day) {
        Objects.requireNonNull(day, "day");
        return filter(o -> !o.asOf().isAfter(day));
    }

    /**
     * A current row of the catalog and the newer rows that supersede it.
     *
     * @param row the superseded current row
     * @param by  the rows that {@link Offer#supersedes supersede} it, newest first
     */
    public record Superseded(Offer row, List<Offer> by) {

        /**
         * Validates and copies.
         *
         * @param row the superseded current row
         * @param by the rows that supersede it, newest first
         */
        public Superseded {
            Objects.requireNonNull(row, "row");
            by = List.copyOf(by);
            if (by.isEmpty()) {
                throw new IllegalArgumentException(row + " is reported superseded by no row; give at least one");
            }
        }

        /** "RunPod 1x A100 80GB SPOT $0.69/h as of 2025-10-01, superseded by ...". */
        @Override
        public String toString() {
            return row + ", superseded by " + by.stream().map(Offer::toString).toList();
        }
    }

    /**
     * The current rows that a newer current row of this catalog supersedes (refines and postdates), in the
     * order of {@link #offers()}. Judged within this catalog: filter first, and only the rows left count.
     *
     * @return superseded current rows with the rows that supersede them; empty when none
     */
    public List<Superseded> superseded() {
        return supersededAmong(offers());
    }

    /**
     * The current rows of this catalog that the given rows supersede: rows of the same offer dated later, and
     * newer rows that name it more precisely. Use it on a live fetch to learn which catalog rows it made
     * stale ({@code catalog.supersededBy(fetch.rows())}); the catalog itself is not changed.
     *
     * @param newer rows such as live prices
     * @return superseded current rows with the given rows that supersede them, in the order of
     *         {@link #offers()}; empty when none
     */
    public List<Superseded> supersededBy(Collection<Offer> newer) {
        return supersededAmong(List.copyOf(newer));
    }

    private List<Superseded> supersededAmong(List<Offer> candidates) {
        List<Superseded> found = new ArrayList<>();
        for (Offer row : offers()) {
            List<Offer> by = candidates.stream().filter(c -> c.supersedes(row))
                    .sorted(Comparator.comparing(Offer::asOf).reversed()).toList();
            if (!by.isEmpty()) {
                found.add(new Superseded(row, by));
            }
        }
        return found;
    }

    /**
     * This catalog without the offers whose current row is {@link #superseded() superseded}, history included:
     * what a table of the latest prices should show. The full catalog keeps them.
     *
     * @return the filtered catalog
     */
    public PriceCatalog withoutSuperseded() {
        Set<Offer.Key> gone = new HashSet<>();
        superseded().forEach(s -> gone.add(s.row().key()));
        return filter(o -> !gone.contains(o.key()));
    }

    private PriceCatalog filter(Predicate<Offer> keep) {
        return new PriceCatalog(rows.stream().filter(keep).toList());
    }

    /**
     * Offers of one provider (case-insensitive, whole words: "RunPod" matches "RunPod (Secure Cloud)").
     *
     * @param provider provider name or a word of it
     * @return the filtered catalog
     */
    public PriceCatalog withProvider(String provider) {
        Pattern p = wordPattern(provider);
        return filter(o -> p.matcher(o.provider()).find());
    }

    /**
     * Offers of one GPU model (case-insensitive, whole words: "A100" matches "A100 SXM" but "A10" does not
     * match "A100").
     *
     * @param gpuModel model name or a word of it
     * @return the filtered catalog
     */
    public PriceCatalog withGpuModel(String gpuModel) {
        Pattern p = wordPattern(gpuModel);
        return filter(o -> p.matcher(o.gpuModel()).find());
    }

    /**
     * Offers whose GPUs have at least this much memory each; offers with unstated memory are left out.
     *
     * @param gb minimum memory of one GPU in GB
     * @return the filtered catalog
     */
    public PriceCatalog withMinGpuMemoryGb(int gb) {
        return filter(o -> o.gpuMemoryKnown() && o.gpuMemoryGb() >= gb);
    }

    /**
     * Offers with exactly this many GPUs per instance.
     *
     * @param count GPUs per instance
     * @return the filtered catalog
     */
    public PriceCatalog withGpuCount(int count) {
        return filter(o -> o.gpuCount() == count);
    }

    /**
     * Offers with one of these pricing models.
     *
     * @param models accepted pricing models
     * @return the filtered catalog
     */
    public PriceCatalog withPricingModel(PricingModel... models) {
        List<PricingModel> accepted = List.of(models);
        return filter(o -> accepted.contains(o.pricingModel()));
    }

    private static Pattern wordPattern(String text) {
        Objects.requireNonNull(text, "filter text");
        return Pattern.compile("(?<![\\p{Alnum}])" + Pattern.quote(text.trim()) + "(?![\\p{Alnum}])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /**
     * The one current offer left after filtering.
     *
     * @return the offer
     * @throws IllegalStateException when none or several are left (the message lists them)
     */
    public Offer single() {
        List<Offer> current = offers();
        if (current.size() != 1) {
            throw new IllegalStateException("expected exactly one offer after filtering but found " + current.size()
                    + (current.isEmpty() ? "" : ": " + current) + "; narrow or widen the filters");
        }
        return current.get(0);
    }

    /**
     * Current offers whose price is older than a limit, as of today on the system clock.
     *
     * @param maxAge the largest age still considered fresh (whole days)
     * @return stale current offers
     */
    public List<Offer> staleAfter(Duration maxAge) {
        return staleAfter(maxAge, LocalDate.now(Clock.systemUTC()));
    }

    /**
     * Current offers whose price is older than a limit.
     *
     * @param maxAge the largest age still considered fresh (whole days)
     * @param today  the day to measure from
     * @return stale current offers
     */
    public List<Offer> staleAfter(Duration maxAge, LocalDate today) {
        return offers().stream().filter(o -> o.isOlderThan(maxAge, today)).toList();
    }
}

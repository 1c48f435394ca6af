package io.jsae.provisioning;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What runs cost on which offer, and how offers compare against a baseline.
 *
 * <p>Costs are exact {@link BigDecimal} products of price and hours; they are rounded (HALF_UP, to cents)
 * only when shown. "Percent cheaper" is always computed from the two costs, never typed in: a 12-hour run
 * at $1.29/h costs $15.48, at $0.69/h $8.28, which is 46.5% cheaper.
 *
 * <p>Offers are compared for the same work, counted in GPU-hours, never per instance-hour: {@code hours} on the
 * baseline instance is {@code hours × baseline GPUs} GPU-hours of work, which an instance of k GPUs does in
 * {@code GPU-hours / k} hours at its instance price, so that it costs its price per GPU-hour times the GPU-hours
 * (the work is assumed to split evenly over the GPUs of an instance). For single-GPU offers this is the plain
 * run cost; an 8x A100 instance at $21.96/h does 12 GPU-hours in 1.5 h for $32.94 ($2.74 per GPU-hour), not
 * $263.49.
 *
 * <p>Comparison tables flag, with generated footnotes, rows whose price is older than the stale limit and
 * marketplace rows whose price is volatile.
 */
public final class CostEstimator {

    /** Prices older than this are flagged as stale unless another limit is given: GPU prices move monthly. */
    public static final Duration DEFAULT_STALE_LIMIT = Duration.ofDays(90);

    private static final BigDecimal SECONDS_PER_HOUR = BigDecimal.valueOf(3600);

    private final Duration staleLimit;
    private final Clock clock;

    /** An estimator with the default stale limit and the system clock (UTC). */
    public CostEstimator() {
        this(DEFAULT_STALE_LIMIT, Clock.systemUTC());
    }

    /**
     * An estimator with an explicit stale limit and clock.
     *
     * @param staleLimit prices older than this (whole days) get a stale footnote
     * @param clock      gives "today" for the staleness check
     */
    public CostEstimator(Duration staleLimit, Clock clock) {
        this.staleLimit = Objects.requireNonNull(staleLimit, "staleLimit");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (staleLimit.isNegative()) {
            throw new IllegalArgumentException("staleLimit is negative (" + staleLimit + "); give 0 or more days");
        }
    }

    /**
     * Converts a duration to hours, exactly to the second.
     *
     * @param duration a duration
     * @return hours
     */
    public static BigDecimal hours(Duration duration) {
        return BigDecimal.valueOf(duration.getSeconds()).divide(SECONDS_PER_HOUR, Money.CONTEXT);
    }

    /**
     * The cost of one run, unrounded.
     *
     * @param offer the offer
     * @param hours run length in hours, 0 or more
     * @return US dollars
     */
    public BigDecimal runCost(Offer offer, BigDecimal hours) {
        requireHours(hours);
        return offer.pricePerHour().multiply(hours);
    }

    /**
     * The cost of work measured in GPU-hours: the offer's instance runs {@code gpuHours / gpuCount} hours, so the
     * cost is its price per GPU-hour times {@code gpuHours}, assuming the work splits evenly over its GPUs.
     *
     * @param offer    the offer
     * @param gpuHours the work in GPU-hours, 0 or more
     * @return US dollars, unrounded (exact for a single-GPU offer)
     */
    public BigDecimal workCost(Offer offer, BigDecimal gpuHours) {
        return runCost(offer, hoursFor(offer, gpuHours));
    }

    /**
     * The hours an offer's instance takes for work measured in GPU-hours: {@code gpuHours / gpuCount}.
     *
     * @param offer    the offer
     * @param gpuHours the work in GPU-hours, 0 or more
     * @return wall-clock hours of the instance, unrounded
     */
    public static BigDecimal hoursFor(Offer offer, BigDecimal gpuHours) {
        requireHours(gpuHours);
        return offer.gpuCount() == 1 ? gpuHours
                : gpuHours.divide(BigDecimal.valueOf(offer.gpuCount()), Money.CONTEXT);
    }

    /**
     * The cost of several runs of the same length, unrounded.
     *
     * @param offer the offer
     * @param hours length of one run in hours
     * @param runs  number of runs, 0 or more
     * @return US dollars
     */
    public BigDecimal runsCost(Offer offer, BigDecimal hours, int runs) {
        if (runs < 0) {
            throw new IllegalArgumentException("runs is " + runs + "; give 0 or more");
        }
        return runCost(offer, hours).multiply(BigDecimal.valueOf(runs));
    }

    /**
     * How many percent {@code cost} is below {@code baselineCost}, unrounded; negative when it is dearer.
     *
     * @param baselineCost the reference cost, positive
     * @param cost         the cost compared
     * @return the percentage, e.g. 46.51… for $8.28 against $15.48
     */
    public static BigDecimal percentCheaper(BigDecimal baselineCost, BigDecimal cost) {
        return Money.percentBelow(baselineCost, cost);
    }

    private static void requireHours(BigDecimal hours) {
        Objects.requireNonNull(hours, "hours");
        if (hours.signum() < 0) {
            throw new IllegalArgumentException("run length is " + hours + " hours; give 0 or more");
        }
    }

    /**
     * Compares offers against a baseline for the work of one run: {@code hours} on the baseline instance, that is
     * {@code hours × baseline GPUs} GPU-hours, priced on each offer by its price per GPU-hour (see the class
     * comment). The baseline is the first row; it is added when {@code offers} does not hold it.
     *
     * @param baseline the reference offer
     * @param offers   offers to compare, in the order they should appear
     * @param hours    run length in hours on the baseline instance, positive
     * @return the comparison, renderable as Markdown
     */
    public Comparison compare(Offer baseline, List<Offer> offers, BigDecimal hours) {
        requireHours(hours);
        if (hours.signum() == 0) {
            throw new IllegalArgumentException("a comparison needs a run longer than 0 hours");
        }
        LocalDate today = LocalDate.now(clock);
        BigDecimal gpuHours = gpuHours(baseline, hours);
        BigDecimal baselineCost = runCost(baseline, hours);
        List<Offer> ordered = new ArrayList<>();
        ordered.add(baseline);
        offers.stream().filter(o -> !o.equals(baseline)).forEach(ordered::add);
        List<ComparisonRow> rows = new ArrayList<>();
        for (Offer offer : ordered) {
            BigDecimal cost = workCost(offer, gpuHours);
            rows.add(new ComparisonRow(offer, cost, percentCheaper(baselineCost, cost), offer.equals(baseline),
                    offer.isOlderThan(staleLimit, today), hoursFor(offer, gpuHours)));
        }
        return new Comparison(baseline, hours, rows, today, staleLimit);
    }

    /** The work of {@code hours} on an offer's instance, in GPU-hours. */
    private static BigDecimal gpuHours(Offer offer, BigDecimal hours) {
        return hours.multiply(BigDecimal.valueOf(offer.gpuCount()));
    }

    /**
     * Compares 1 to {@code runs} runs on a baseline and on an alternative, each run the same work: {@code hours}
     * on the baseline instance, priced on the alternative by its price per GPU-hour.
     *
     * @param baseline    the reference offer
     * @param alternative the offer compared
     * @param hours       length of one run in hours on the baseline instance
     * @param runs        the largest number of runs shown, at least 1
     * @return the comparison, renderable as Markdown
     */
    public RunsComparison compareRuns(Offer baseline, Offer alternative, BigDecimal hours, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs is " + runs + "; give at least 1");
        }
        BigDecimal alternativeRun = workCost(alternative, gpuHours(baseline, hours));
        List<RunsRow> rows = new ArrayList<>();
        for (int n = 1; n <= runs; n++) {
            BigDecimal base = runsCost(baseline, hours, n);
            BigDecimal alt = alternativeRun.multiply(BigDecimal.valueOf(n));
            rows.add(new RunsRow(n, base, alt, base.subtract(alt), percentCheaper(base, alt)));
        }
        return new RunsComparison(baseline, alternative, hours, rows);
    }

    /**
     * "$1.29/h", or "$1.29/h as of 2025-10-01" when the rendering shows dates; a multi-GPU instance adds its price
     * per GPU-hour: "$21.96/h for 8 GPUs = $2.74/GPU-h".
     */
    static String price(Offer offer, Rendering rendering) {
        return Money.usd(offer.pricePerHour()) + "/h"
                + (offer.gpuCount() > 1 ? " for " + offer.gpuCount() + " GPUs = " + Money.usd(offer.pricePerGpuHour())
                + "/GPU-h" : "")
                + (rendering.showDates() ? " as of " + offer.asOf() : "");
    }

    /** "Lambda on-demand", "RunPod spot": how tables name an offer in a column header. */
    static String label(Offer offer) {
        return offer.provider() + " " + offer.pricingModel().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * How a comparison table is written.
     *
     * @param showDates      adds an "as of" column (comparison) or the date beside each price (runs comparison),
     *                       so that every figure shows the day of its price
     * @param footnotePrefix written before footnote numbers ("" gives {@code [^1]}, "g" gives {@code [^g1]}),
     *                       so that several tables can share one Markdown document without clashing labels;
     *                       letters, digits, '-' and '_' only
     */
    public record Rendering(boolean showDates, String footnotePrefix) {

        /** The plain table: no date column, footnotes numbered from {@code [^1]}. */
        public static final Rendering PLAIN = new Rendering(false, "");

        /**
         * Validates the prefix.
         *
         * @param showDates adds the date of each price
         * @param footnotePrefix written before footnote numbers; letters, digits, '-' and '_' only
         */
        public Rendering {
            Objects.requireNonNull(footnotePrefix, "footnotePrefix");
            if (!footnotePrefix.matches("[A-Za-z0-9_-]*")) {
                throw new IllegalArgumentException("footnote prefix '" + footnotePrefix + "' would break the"
                        + " footnote labels; use letters, digits, '-' and '_' only");
            }
        }

        /**
         * A table with the date of each price and the given footnote prefix.
         *
         * @param footnotePrefix written before footnote numbers; letters, digits, '-' and '_' only
         * @return the rendering
         */
        public static Rendering dated(String footnotePrefix) {
            return new Rendering(true, footnotePrefix);
        }
    }

    /**
     * One row of a comparison.
     *
     * @param offer          the offer
     * @param runCost        cost of the run's work on this offer, unrounded
     * @param percentCheaper percent below the baseline's run cost, unrounded; negative when dearer (the same as
     *                       the percent its price per GPU-hour is below the baseline's)
     * @param baseline       whether this row is the baseline
     * @param stale          whether the price is older than the stale limit
     * @param hours          hours this offer's instance takes for the work (the run's GPU-hours / its GPUs)
     */
    public record ComparisonRow(Offer offer, BigDecimal runCost, BigDecimal percentCheaper, boolean baseline,
                                boolean stale, BigDecimal hours) {
    }

    /**
     * Offers compared against a baseline for the work of one run.
     *
     * @param baseline   the reference offer
     * @param hours      run length in hours on the baseline instance
     * @param rows       baseline first, then the other offers
     * @param today      the day staleness was judged on
     * @param staleLimit the stale limit used
     */
    public record Comparison(Offer baseline, BigDecimal hours, List<ComparisonRow> rows, LocalDate today,
                             Duration staleLimit) {

        /**
         * Copies the rows.
         *
         * @param baseline the reference offer
         * @param hours run length in hours
         * @param rows baseline first, then the other offers
         * @param today the day staleness was judged on
         * @param staleLimit the stale limit used
         */
        public Comparison {
            rows = List.copyOf(rows);
        }

        /**
         * The work compared: {@code hours} on the baseline instance, in GPU-hours.
         *
         * @return GPU-hours
         */
        public BigDecimal gpuHours() {
            return CostEstimator.gpuHours(baseline, hours);
        }

        /**
         * What the table compares, in one sentence: the work in GPU-hours, how an instance of several GPUs does
         * it, and that "vs baseline" therefore compares prices per GPU-hour.
         *
         * @return the sentence
         */
        public String basis() {
            String work = Money.hours(gpuHours());
            return "Basis: every offer is priced for the same work, " + work + " GPU-hours (" + Money.hours(hours)
                    + " h on the baseline's " + baseline.gpuCount() + " GPU" + (baseline.gpuCount() == 1 ? "" : "s")
                    + "); an instance of k GPUs does it in " + work + "/k hours, assuming the work splits evenly"
                    + " over its GPUs, so \"vs baseline\" compares prices per GPU-hour, not per instance-hour.";
        }

        /**
         * The table in the guide's columns (Provider | GPU | VRAM | $/hr | run cost | vs baseline) followed by
         * the basis of the comparison ($/GPU-hr, and the hours each instance takes for the work), with footnotes
         * for stale and marketplace rows.
         *
         * @return Markdown text
         */
        public String toMarkdown() {
            return toMarkdown(Rendering.PLAIN);
        }

        /**
         * The table in the guide's columns and the basis columns, with an "as of" column after "$/hr" when the
         * rendering shows dates, and footnotes for stale and marketplace rows labelled with the rendering's
         * prefix.
         *
         * @param rendering date column and footnote labels
         * @return Markdown text
         */
        public String toMarkdown(Rendering rendering) {
            List<String> header = new ArrayList<>(List.of("Provider", "GPU", "VRAM", "$/hr"));
            if (rendering.showDates()) {
                header.add("as of");
            }
            header.add("run cost (" + Money.hours(gpuHours()) + " GPU-h)");
            header.add("vs baseline (per GPU-h)");
            header.add("$/GPU-hr");
            header.add("hours");
            Markdown table = new Markdown(header.toArray(String[]::new)).footnotePrefix(rendering.footnotePrefix());
            for (ComparisonRow row : rows) {
                Offer o = row.offer();
                StringBuilder provider = new StringBuilder(o.provider());
                if (o.pricingModel() == PricingModel.SPOT) {
                    provider.append(" (spot)");
                }
                if (row.stale()) {
                    provider.append(table.footnote("Price as of " + o.asOf() + ", source: " + o.source() + "; "
                            + o.ageInDays(today) + " days old on " + today + ", over the " + staleLimit.toDays()
                            + "-day limit: check the provider's current price before booking."));
                }
                if (o.pricingModel() == PricingModel.MARKETPLACE) {
                    provider.append(table.footnote("Marketplace price: set by individual hosts, it moves often"
                            + " and varies between hosts" + (o.notes().isEmpty() ? "" : " (" + o.notes() + ")")
                            + "."));
                }
                List<String> cells = new ArrayList<>(List.of(provider.toString(),
                        o.gpuCount() + "x " + o.gpuModel(),
                        o.gpuMemoryKnown() ? (o.gpuCount() > 1 ? o.gpuCount() + "x " : "") + o.gpuMemoryGb() + " GB"
                                : "not stated",
                        Money.usd(o.pricePerHour())));
                if (rendering.showDates()) {
                    cells.add(o.asOf().toString());
                }
                cells.add(Money.usd(row.runCost()));
                cells.add(row.baseline() ? "baseline" : versus(row.percentCheaper()));
                cells.add(Money.usd(o.pricePerGpuHour()));
                cells.add(Money.hours(row.hours()));
                table.row(cells.toArray(String[]::new));
            }
            return table.render();
        }
    }

    /** "46.5% cheaper", "12.0% more expensive" or "same price" (when it rounds to 0.0%). */
    static String versus(BigDecimal percentCheaper) {
        int sign = percentCheaper.setScale(1, RoundingMode.HALF_UP).signum();
        if (sign == 0) {
            return "same price";
        }
        return sign > 0 ? Money.percent(percentCheaper) + " cheaper"
                : Money.percent(percentCheaper.negate()) + " more expensive";
    }

    /**
     * One row of a runs comparison.
     *
     * @param runs            number of runs
     * @param baselineCost    their cost on the baseline, unrounded
     * @param alternativeCost their cost on the alternative, unrounded
     * @param saving          baseline cost minus alternative cost, unrounded
     * @param percentCheaper  percent saved, unrounded
     */
    public record RunsRow(int runs, BigDecimal baselineCost, BigDecimal alternativeCost, BigDecimal saving,
                          BigDecimal percentCheaper) {
    }

    /**
     * Several runs on a baseline against the same runs (the same work) on an alternative.
     *
     * @param baseline    the reference offer
     * @param alternative the offer compared
     * @param hours       length of one run in hours on the baseline instance
     * @param rows        one row per number of runs, from 1
     */
    public record RunsComparison(Offer baseline, Offer alternative, BigDecimal hours, List<RunsRow> rows) {

        /**
         * Copies the rows.
         *
         * @param baseline the reference offer
         * @param alternative the offer compared
         * @param hours length of one run in hours
         * @param rows one row per number of runs, from 1
         */
        public RunsComparison {
            rows = List.copyOf(rows);
        }

        /**
         * The table: Runs | baseline | alternative | saving.
         *
         * @return Markdown text
         */
        public String toMarkdown() {
            return toMarkdown(Rendering.PLAIN);
        }

        /**
         * The table: Runs | baseline | alternative | saving; with dates shown, each price column names the day of
         * its price ("Lambda on-demand ($1.29/h as of 2025-10-01)").
         *
         * @param rendering whether prices show their date (this table has no footnotes)
         * @return Markdown text
         */
        public String toMarkdown(Rendering rendering) {
            boolean oneGpu = baseline.gpuCount() == 1 && alternative.gpuCount() == 1;
            Markdown table = new Markdown("Runs (" + (oneGpu ? Money.hours(hours) + " h"
                    : Money.hours(gpuHours(baseline, hours)) + " GPU-h") + " each)",
                    label(baseline) + " (" + price(baseline, rendering) + ")",
                    label(alternative) + " (" + price(alternative, rendering) + ")", "saving");
            for (RunsRow row : rows) {
                table.row(String.valueOf(row.runs()), Money.usd(row.baselineCost()),
                        Money.usd(row.alternativeCost()),
                        Money.usd(row.saving()) + " (" + versus(row.percentCheaper()) + ")");
            }
            return table.render();
        }
    }
}

package io.jsae.provisioning;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One dated price for renting GPUs from a provider.
 *
 * <p>{@code pricePerHour} is in US dollars per instance-hour (the whole machine, all its GPUs), exactly as
 * quoted by {@code source} on {@code asOf}. {@code gpuMemoryGb} is the memory of one GPU; 0 means the
 * source did not state it.
 *
 * @param provider     who rents the machine, e.g. "Lambda" or "RunPod (Secure Cloud)"
 * @param gpuModel     the GPU model, e.g. "A100"
 * @param gpuCount     GPUs in one instance, at least 1
 * @param gpuMemoryGb  memory of one GPU in GB, or 0 when the source does not say
 * @param pricePerHour US dollars per instance-hour, positive
 * @param pricingModel on-demand, spot or marketplace
 * @param asOf         the day the figure was read
 * @param source       where the figure was read
 * @param notes        free text (instance type, ranges, caveats); never null, may be empty
 */
public record Offer(String provider, String gpuModel, int gpuCount, int gpuMemoryGb, BigDecimal pricePerHour,
                    PricingModel pricingModel, LocalDate asOf, String source, String notes) {

    /**
     * Validates the fields; a bad value names the field and the offer.
     *
     * @param provider who rents the machine, e.g. "Lambda" or "RunPod (Secure Cloud)"
     * @param gpuModel the GPU model, e.g. "A100"
     * @param gpuCount GPUs in one instance, at least 1
     * @param gpuMemoryGb memory of one GPU in GB, or 0 when the source does not say
     * @param pricePerHour US dollars per instance-hour, positive
     * @param pricingModel on-demand, spot or marketplace
     * @param asOf the day the figure was read
     * @param source where the figure was read
     * @param notes free text (instance type, ranges, caveats); never null, may be empty
     */
    public Offer {
        requireText(provider, "provider");
        requireText(gpuModel, "gpuModel");
        Objects.requireNonNull(pricingModel, "pricingModel");
        Objects.requireNonNull(asOf, "asOf");
        requireText(source, "source");
        notes = notes == null ? "" : notes;
        if (gpuCount < 1) {
            throw new IllegalArgumentException("gpuCount of " + provider + " " + gpuModel + " is " + gpuCount
                    + "; an offer has at least 1 GPU");
        }
        if (gpuMemoryGb < 0) {
            throw new IllegalArgumentException("gpuMemoryGb of " + provider + " " + gpuModel + " is " + gpuMemoryGb
                    + "; use 0 when the source does not state the memory");
        }
        Objects.requireNonNull(pricePerHour, "pricePerHour");
        if (pricePerHour.signum() <= 0) {
            throw new IllegalArgumentException("pricePerHour of " + provider + " " + gpuModel + " is " + pricePerHour
                    + "; a price must be positive");
        }
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("offer field " + field + " is empty; give it a value");
        }
    }

    /**
     * Says whether the memory of one GPU is known.
     *
     * @return true when the source stated the memory
     */
    public boolean gpuMemoryKnown() {
        return gpuMemoryGb > 0;
    }

    /**
     * The price of one GPU for one hour: the instance price divided by its GPUs. Offers of different GPU counts
     * compare on this figure (or on the cost of the same work, which comes to the same), never on their
     * instance prices: an 8-GPU instance at $21.96/h costs $2.74 per GPU-hour.
     *
     * @return US dollars per GPU-hour, unrounded
     */
    public BigDecimal pricePerGpuHour() {
        return pricePerHour.divide(BigDecimal.valueOf(gpuCount), Money.CONTEXT);
    }

    /**
     * Age of the figure in whole days.
     *
     * @param today the day to measure from
     * @return days between {@link #asOf()} and {@code today}
     */
    public long ageInDays(LocalDate today) {
        return ChronoUnit.DAYS.between(asOf, today);
    }

    /**
     * Says whether the figure is older than a limit.
     *
     * @param maxAge the largest age still considered fresh; counted in whole days
     * @param today  the day to measure from
     * @return true when the figure is more than {@code maxAge} old
     */
    public boolean isOlderThan(Duration maxAge, LocalDate today) {
        return ageInDays(today) > maxAge.toDays();
    }

    /**
     * Says whether this row names the offer of {@code other} at least as precisely: the same GPU count and
     * pricing model; the provider is the other's, or the other's followed by a qualifier in parentheses
     * ("RunPod (Secure Cloud)" refines "RunPod"); the GPU model is the other's, or the other's followed by more
     * words such as a form factor ("A100 SXM" and "A100 PCIe" refine "A100"; "A100" does not refine "A10");
     * and the memory of one GPU is the other's, or the other does not state it. Names compare ignoring case.
     * A row refines itself and every row with its {@link #key() key}.
     *
     * <p>This is a naming relation: a plain row ("RunPod", "A100") may stand for several precise offers
     * ("RunPod (Secure Cloud)", "A100 SXM"), and which of them a source meant is not recorded.
     *
     * @param other the less (or equally) precise row
     * @return true when this row refines {@code other}
     */
    public boolean refines(Offer other) {
        return gpuCount == other.gpuCount && pricingModel == other.pricingModel
                && (gpuMemoryGb == other.gpuMemoryGb || !other.gpuMemoryKnown())
                && extendsName(provider, other.provider, " (") && extendsName(gpuModel, other.gpuModel, " ");
    }

    /**
     * Says whether this row supersedes {@code older}: it {@link #refines refines} it and is dated later. A
     * superseded row is no longer the latest word on its offer, though its own {@link #key() key} may hold no
     * newer row (a plain guide row "RunPod A100" superseded by "RunPod (Secure Cloud) A100 SXM").
     *
     * @param older the row that may be superseded
     * @return true when this row is newer and names the same offer at least as precisely
     */
    public boolean supersedes(Offer older) {
        return asOf.isAfter(older.asOf) && refines(older);
    }

    /** {@code name} equals {@code base} or continues it after {@code separator}, ignoring case. */
    private static boolean extendsName(String name, String base, String separator) {
        if (name.equalsIgnoreCase(base)) {
            return true;
        }
        String prefix = base + separator;
        return name.length() > prefix.length() && name.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    /**
     * The identity of the offer across dated rows: provider, GPU model, count, memory and pricing model. Rows
     * with the same key are the price history of one offer.
     *
     * @return the key
     */
    public Key key() {
        return new Key(provider, gpuModel, gpuCount, gpuMemoryGb, pricingModel);
    }

    /** A short description such as "1x A100 40GB". */
    @Override
    public String toString() {
        return provider + " " + gpuCount + "x " + gpuModel + (gpuMemoryKnown() ? " " + gpuMemoryGb + "GB" : "")
                + " " + pricingModel + " $" + pricePerHour.toPlainString() + "/h as of " + asOf;
    }

    /**
     * What makes two dated rows the same offer.
     *
     * @param provider     provider
     * @param gpuModel     GPU model
     * @param gpuCount     GPUs per instance
     * @param gpuMemoryGb  memory per GPU, 0 when unknown
     * @param pricingModel pricing model
     */
    public record Key(String provider, String gpuModel, int gpuCount, int gpuMemoryGb, PricingModel pricingModel) {
    }
}

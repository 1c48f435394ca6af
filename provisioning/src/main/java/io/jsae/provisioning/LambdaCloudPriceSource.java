package io.jsae.provisioning;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Current on-demand offers from the Lambda Cloud API: {@code GET /api/v1/instance-types} with a bearer key.
 *
 * <p>The answer maps instance-type names to {@code instance_type} ({@code name}, {@code description},
 * {@code gpu_description} such as "A100 (40 GB SXM4)", {@code price_cents_per_hour}, {@code specs.gpus}) and
 * {@code regions_with_capacity_available} (a list of {@code {name, description}}). Each GPU instance type
 * becomes an on-demand {@link Offer} dated today, priced per instance-hour, with capacity AVAILABLE in the
 * listed regions or UNAVAILABLE when none is listed. CPU-only types are left out.
 *
 * <p>The GPU model keeps the form factor the API states after the memory: "A100 (40 GB PCIe)" becomes model
 * "A100 PCIe", "A100 (40 GB SXM4)" model "A100 SXM4", "GH200 (96 GB)" model "GH200". Lambda lists types that
 * differ only in form factor (and price), and without it two offers would share one {@link Offer#key() key}
 * and day, which {@link PriceCatalog#plus} rejects. Should two types still share a key (same model, form
 * factor, count and memory), each model is suffixed with its instance-type name in parentheses, so that one
 * fetch never holds two rows of one offer. How these rows relate to plain catalog rows such as "A100": see
 * {@link PriceCatalog#supersededBy}.
 *
 * <p>HTTP 403 from this API means that the account is inactive (error code {@code global/account-inactive}),
 * not that the key lacks a permission; the error says so, with Lambda's own message and suggestion.
 */
public final class LambdaCloudPriceSource implements PriceSource {

    /** The public API. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://cloud.lambda.ai");

    static final String PROVIDER = "Lambda";
    /** Error code of Lambda's HTTP 403 answer. */
    static final String ACCOUNT_INACTIVE = "global/account-inactive";
    /** "A100 (40 GB SXM4)": model, memory of one GPU, then an optional form factor. */
    private static final Pattern GPU = Pattern.compile("(.+?)\\s*\\(\\s*(\\d+)\\s*GB\\b\\s*([^)]*?)\\s*\\)");
    private static final Pattern COUNT_PREFIX = Pattern.compile("^\\d+x\\s+");

    private final URI baseUrl;
    private final Clock clock;
    private final JsonHttp http;

    /**
     * A source on the public API with a 30-second timeout and the default retry policy.
     *
     * @param apiKey the Lambda Cloud API key
     */
    public LambdaCloudPriceSource(String apiKey) {
        this(apiKey, DEFAULT_BASE_URL, Duration.ofSeconds(30), RetryPolicy.DEFAULT, Clock.systemUTC());
    }

    /**
     * A source with explicit settings.
     *
     * @param apiKey  the Lambda Cloud API key
     * @param baseUrl the API root, e.g. {@link #DEFAULT_BASE_URL}
     * @param timeout limit for connecting and for each request
     * @param retry   retries of 429 and 5xx answers
     * @param clock   dates the offers
     */
    public LambdaCloudPriceSource(String apiKey, URI baseUrl, Duration timeout, RetryPolicy retry, Clock clock) {
        this(apiKey, baseUrl, timeout, retry, clock, null, JsonHttp.Sleeper.THREAD);
    }

    LambdaCloudPriceSource(String apiKey, URI baseUrl, Duration timeout, RetryPolicy retry, Clock clock,
                           HttpClient client, JsonHttp.Sleeper sleeper) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = new JsonHttp(PROVIDER, apiKey, "check the key at the Lambda Cloud dashboard (API keys) and"
                + " pass a current one", client, timeout, retry, sleeper, clock, this::clientError);
    }

    /**
     * Lambda's 4xx body is {@code {"error": {"code", "message", "suggestion"}}}. A 403 is an inactive account;
     * other 4xx answers go to the generic handling.
     */
    private JsonNode clientError(int status, String body, URI uri) throws PriceSourceException {
        if (status != 403) {
            return null;
        }
        JsonNode error = JsonHttp.tryParse(body);
        error = error == null ? null : error.get("error");
        String code = error == null ? "" : error.path("code").asText("");
        String message = error == null ? "" : http.scrub(error.path("message").asText(""));
        String suggestion = error == null ? "" : http.scrub(error.path("suggestion").asText(""));
        String said = (code.isEmpty() ? "" : ", error " + code) + (message.isEmpty() ? "" : ": " + message);
        if (code.isEmpty() || code.equals(ACCOUNT_INACTIVE)) {
            throw new PriceSourceException(PROVIDER + ": the account is inactive (HTTP 403 from " + uri + said
                    + (code.isEmpty() ? http.detail(body) + "; Lambda answers 403 with " + ACCOUNT_INACTIVE : "")
                    + "); the key itself was accepted, but Lambda serves no requests for an inactive account:"
                    + " reactivate it (billing and account status in the Lambda Cloud dashboard, or Lambda support)"
                    + " and try again" + (suggestion.isEmpty() ? "" : " (Lambda suggests: " + suggestion + ")"),
                    status, null);
        }
        throw new PriceSourceException(PROVIDER + ": request refused (HTTP 403 from " + uri + said + "); "
                + (suggestion.isEmpty() ? "check the account's status and the key at the Lambda Cloud dashboard"
                : suggestion), status, null);
    }

    @Override
    public LiveFetch read() throws PriceSourceException {
        URI uri = baseUrl.resolve("/api/v1/instance-types");
        JsonNode root = http.send(HttpRequest.newBuilder(uri).GET());
        JsonNode data = http.require(root, "data", "");
        if (!data.isObject()) {
            throw http.malformed("data", "is " + data.getNodeType() + ", expected an object of instance types");
        }
        LocalDate today = LocalDate.now(clock);
        List<LiveOffer> offers = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : data.properties()) {
            String path = "data." + entry.getKey();
            JsonNode type = http.require(entry.getValue(), "instance_type", path);
            String typePath = path + ".instance_type";
            String name = http.requireText(type, "name", typePath);
            BigDecimal cents = http.requireNumber(type, "price_cents_per_hour", typePath).decimalValue();
            int gpus = http.requireNumber(http.require(type, "specs", typePath), "gpus", typePath + ".specs").asInt();
            JsonNode regionsNode = http.require(entry.getValue(), "regions_with_capacity_available", path);
            if (!regionsNode.isArray()) {
                throw http.malformed(path + ".regions_with_capacity_available", "is " + regionsNode.getNodeType()
                        + ", expected a list");
            }
            List<String> regions = new ArrayList<>();
            for (int i = 0; i < regionsNode.size(); i++) {
                regions.add(http.requireText(regionsNode.get(i), "name",
                        path + ".regions_with_capacity_available[" + i + "]"));
            }
            if (gpus < 1) {
                continue; // a CPU-only instance type is not a GPU offer
            }
            String description = type.path("description").asText("");
            String gpuDescription = type.hasNonNull("gpu_description") ? type.get("gpu_description").asText()
                    : COUNT_PREFIX.matcher(description).replaceFirst("");
            Matcher gpu = GPU.matcher(gpuDescription.strip());
            String model;
            int memory;
            if (gpu.matches()) {
                model = gpu.group(3).isEmpty() ? gpu.group(1) : gpu.group(1) + " " + gpu.group(3);
                memory = Integer.parseInt(gpu.group(2));
            } else {
                model = gpuDescription.isBlank() ? name : gpuDescription.strip();
                memory = 0;
            }
            Offer offer = new Offer(PROVIDER, model, gpus, memory, cents.movePointLeft(2), PricingModel.ON_DEMAND,
                    today, "Lambda Cloud API GET /api/v1/instance-types", name
                    + (description.isBlank() ? "" : ": " + description));
            offers.add(new LiveOffer(offer, regions.isEmpty() ? LiveOffer.Capacity.UNAVAILABLE
                    : LiveOffer.Capacity.AVAILABLE, regions));
            names.add(name);
        }
        return new LiveFetch(distinctKeys(offers, names), List.of());
    }

    /** Suffixes the model of offers that still share a key with their instance-type name. */
    private static List<LiveOffer> distinctKeys(List<LiveOffer> offers, List<String> names) {
        Map<Offer.Key, Integer> counts = new HashMap<>();
        offers.forEach(o -> counts.merge(o.offer().key(), 1, Integer::sum));
        List<LiveOffer> distinct = new ArrayList<>();
        for (int i = 0; i < offers.size(); i++) {
            LiveOffer live = offers.get(i);
            Offer o = live.offer();
            if (counts.get(o.key()) > 1) {
                o = new Offer(o.provider(), o.gpuModel() + " (" + names.get(i) + ")", o.gpuCount(), o.gpuMemoryGb(),
                        o.pricePerHour(), o.pricingModel(), o.asOf(), o.source(), o.notes());
                live = new LiveOffer(o, live.capacity(), live.regions());
            }
            distinct.add(live);
        }
        return distinct;
    }
}

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
 */
public final class LambdaCloudPriceSource implements PriceSource {

    /** The public API. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://cloud.lambda.ai");

    static final String PROVIDER = "Lambda";
    private static final Pattern GPU = Pattern.compile("(.+?)\\s*\\((\\d+)\\s*GB\\b.*\\)");
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
                + " pass a current one", client, timeout, retry, sleeper, clock);
    }

    @Override
    public List<LiveOffer> fetch() throws PriceSourceException {
        URI uri = baseUrl.resolve("/api/v1/instance-types");
        JsonNode root = http.send(HttpRequest.newBuilder(uri).GET());
        JsonNode data = http.require(root, "data", "");
        if (!data.isObject()) {
            throw http.malformed("data", "is " + data.getNodeType() + ", expected an object of instance types");
        }
        LocalDate today = LocalDate.now(clock);
        List<LiveOffer> offers = new ArrayList<>();
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
            String model = gpu.matches() ? gpu.group(1) : gpuDescription.isBlank() ? name : gpuDescription.strip();
            int memory = gpu.matches() ? Integer.parseInt(gpu.group(2)) : 0;
            Offer offer = new Offer(PROVIDER, model, gpus, memory, cents.movePointLeft(2), PricingModel.ON_DEMAND,
                    today, "Lambda Cloud API GET /api/v1/instance-types", name
                    + (description.isBlank() ? "" : ": " + description));
            offers.add(new LiveOffer(offer, regions.isEmpty() ? LiveOffer.Capacity.UNAVAILABLE
                    : LiveOffer.Capacity.AVAILABLE, regions));
        }
        return offers;
    }
}

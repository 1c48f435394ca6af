package io.jsae.provisioning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Current offers from the RunPod GraphQL API: {@code POST /graphql} with a bearer key and the query
 * {@value #QUERY}.
 *
 * <p>Each GPU type yields up to four offers, one per non-null, positive price: {@code securePrice} and
 * {@code communityPrice} (on-demand), {@code secureSpotPrice} and {@code communitySpotPrice} (spot), for one
 * GPU, dated today, under the providers "RunPod (Secure Cloud)" and "RunPod (Community Cloud)". Capacity
 * comes from {@code lowestPrice}: a null {@code uninterruptablePrice} means no on-demand capacity for one GPU
 * of that type now, a null {@code minimumBidPrice} no spot capacity; without {@code lowestPrice} the capacity
 * is UNKNOWN. GraphQL errors are reported with their messages.
 */
public final class RunPodPriceSource implements PriceSource {

    /** The public API. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://api.runpod.io");

    /** The GraphQL query sent. */
    public static final String QUERY = "query GpuTypes { gpuTypes { id displayName memoryInGb securePrice"
            + " communityPrice secureSpotPrice communitySpotPrice lowestPrice(input: {gpuCount: 1})"
            + " { minimumBidPrice uninterruptablePrice } } }";

    private static final String SECURE = "RunPod (Secure Cloud)";
    private static final String COMMUNITY = "RunPod (Community Cloud)";

    private final URI baseUrl;
    private final Clock clock;
    private final JsonHttp http;

    /**
     * A source on the public API with a 30-second timeout and the default retry policy.
     *
     * @param apiKey the RunPod API key
     */
    public RunPodPriceSource(String apiKey) {
        this(apiKey, DEFAULT_BASE_URL, Duration.ofSeconds(30), RetryPolicy.DEFAULT, Clock.systemUTC());
    }

    /**
     * A source with explicit settings.
     *
     * @param apiKey  the RunPod API key
     * @param baseUrl the API root, e.g. {@link #DEFAULT_BASE_URL}
     * @param timeout limit for connecting and for each request
     * @param retry   retries of 429 and 5xx answers
     * @param clock   dates the offers
     */
    public RunPodPriceSource(String apiKey, URI baseUrl, Duration timeout, RetryPolicy retry, Clock clock) {
        this(apiKey, baseUrl, timeout, retry, clock, null, JsonHttp.Sleeper.THREAD);
    }

    RunPodPriceSource(String apiKey, URI baseUrl, Duration timeout, RetryPolicy retry, Clock clock,
                      HttpClient client, JsonHttp.Sleeper sleeper) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = new JsonHttp("RunPod", apiKey, "check the key under Settings, API Keys in the RunPod console"
                + " and pass a current one", client, timeout, retry, sleeper, clock);
    }

    @Override
    public LiveFetch read() throws PriceSourceException {
        ObjectNode body = JsonHttp.JSON.createObjectNode().put("query", QUERY);
        JsonNode root = http.send(HttpRequest.newBuilder(baseUrl.resolve("/graphql"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        JsonNode errors = root.get("errors");
        if (errors != null && errors.isArray() && !errors.isEmpty()) {
            List<String> messages = new ArrayList<>();
            errors.forEach(e -> messages.add(e.path("message").asText(e.toString())));
            throw new PriceSourceException("RunPod: the GraphQL API answered with errors: "
                    + String.join("; ", messages) + "; check the key and the query", -1, null);
        }
        JsonNode types = http.require(http.require(root, "data", ""), "gpuTypes", "data");
        if (!types.isArray()) {
            throw http.malformed("data.gpuTypes", "is " + types.getNodeType() + ", expected a list");
        }
        LocalDate today = LocalDate.now(clock);
        List<LiveOffer> offers = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            JsonNode type = types.get(i);
            String path = "data.gpuTypes[" + i + "]";
            String id = http.requireText(type, "id", path);
            String name = http.requireText(type, "displayName", path);
            int memory = http.requireNumber(type, "memoryInGb", path).asInt();
            JsonNode lowest = type.get("lowestPrice");
            LiveOffer.Capacity onDemand = capacity(lowest, "uninterruptablePrice");
            LiveOffer.Capacity spot = capacity(lowest, "minimumBidPrice");
            add(offers, type, "securePrice", path, SECURE, PricingModel.ON_DEMAND, name, memory, id, today, onDemand);
            add(offers, type, "communityPrice", path, COMMUNITY, PricingModel.ON_DEMAND, name, memory, id, today,
                    onDemand);
            add(offers, type, "secureSpotPrice", path, SECURE, PricingModel.SPOT, name, memory, id, today, spot);
            add(offers, type, "communitySpotPrice", path, COMMUNITY, PricingModel.SPOT, name, memory, id, today, spot);
        }
        return new LiveFetch(offers, List.of());
    }

    private static LiveOffer.Capacity capacity(JsonNode lowest, String field) {
        if (lowest == null || lowest.isNull() || !lowest.has(field)) {
            return LiveOffer.Capacity.UNKNOWN;
        }
        return lowest.get(field).isNull() ? LiveOffer.Capacity.UNAVAILABLE : LiveOffer.Capacity.AVAILABLE;
    }

    private void add(List<LiveOffer> offers, JsonNode type, String field, String path, String provider,
                     PricingModel model, String name, int memory, String id, LocalDate today,
                     LiveOffer.Capacity capacity) throws PriceSourceException {
        JsonNode price = http.require(type, field, path);
        if (price.isNull()) {
            return; // this cloud does not offer the type
        }
        if (!price.isNumber()) {
            throw http.malformed(path + "." + field, "is " + price.getNodeType() + ", expected a number or null");
        }
        if (price.decimalValue().signum() <= 0) {
            return; // RunPod reports 0 for prices it does not offer
        }
        Offer offer = new Offer(provider, name, 1, Math.max(memory, 0), price.decimalValue(), model, today,
                "RunPod GraphQL API gpuTypes." + field, id);
        offers.add(new LiveOffer(offer, capacity, List.of()));
    }
}

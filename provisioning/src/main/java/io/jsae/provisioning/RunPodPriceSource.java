package io.jsae.provisioning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * GPU, dated today, under the providers "RunPod (Secure Cloud)" and "RunPod (Community Cloud)".
 *
 * <p>Capacity is read per cloud: the query asks {@code lowestPrice} twice under the aliases
 * {@code secureLowestPrice} ({@code secureCloud: true}) and {@code communityLowestPrice}
 * ({@code secureCloud: false}), and each cloud's offers take their capacity from their own answer. A null
 * {@code stockStatus} means out of stock (UNAVAILABLE, for on-demand and spot alike); otherwise a null
 * {@code uninterruptablePrice} means no on-demand capacity for one GPU of that type in that cloud now, a null
 * {@code minimumBidPrice} no spot capacity. Without the cloud's {@code lowestPrice} the capacity is UNKNOWN.
 *
 * <p>GraphQL errors are read from a 2xx answer and from a 4xx one (a GraphQL server answers a query it
 * rejects with HTTP 400 and an {@code errors} body). When the errors leave no usable {@code data.gpuTypes},
 * {@link #read()} fails with their messages; when they concern only part of it (a {@code path} into one type),
 * the usable offers are kept and each error is reported in {@link LiveFetch#problems()} and logged.
 */
public final class RunPodPriceSource implements PriceSource {

    /** The public API. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://api.runpod.io");

    /** The GraphQL query sent. */
    public static final String QUERY = "query GpuTypes { gpuTypes { id displayName memoryInGb securePrice"
            + " communityPrice secureSpotPrice communitySpotPrice"
            + " secureLowestPrice: lowestPrice(input: {gpuCount: 1, secureCloud: true})"
            + " { minimumBidPrice uninterruptablePrice stockStatus }"
            + " communityLowestPrice: lowestPrice(input: {gpuCount: 1, secureCloud: false})"
            + " { minimumBidPrice uninterruptablePrice stockStatus } } }";

    static final String SECURE = "RunPod (Secure Cloud)";
    static final String COMMUNITY = "RunPod (Community Cloud)";
    private static final String PROVIDER = "RunPod";
    private static final Logger LOG = LoggerFactory.getLogger(RunPodPriceSource.class);

    private final URI baseUrl;
    private final Clock clock;
    private final String keyHint;
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
        this.keyHint = "check the key under Settings, API Keys in the RunPod console and pass a current one";
        this.http = new JsonHttp(PROVIDER, apiKey, keyHint, client, timeout, retry, sleeper, clock,
                RunPodPriceSource::graphQlErrors);
    }

    /** A 4xx answer whose body carries GraphQL {@code errors} is a GraphQL answer; 401 and 403 stay key errors. */
    private static JsonNode graphQlErrors(int status, String body, URI uri) {
        if (status == 401 || status == 403) {
            return null;
        }
        JsonNode json = JsonHttp.tryParse(body);
        JsonNode errors = json == null ? null : json.get("errors");
        return errors != null && errors.isArray() && !errors.isEmpty() ? json : null;
    }

    @Override
    public LiveFetch read() throws PriceSourceException {
        ObjectNode body = JsonHttp.JSON.createObjectNode().put("query", QUERY);
        URI uri = baseUrl.resolve("/graphql");
        JsonHttp.Answer answer = http.exchange(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        JsonNode root = answer.json();
        List<String> errors = errorLines(root.get("errors"));
        JsonNode data = root.get("data");
        JsonNode types = data == null || data.isNull() ? null : data.get("gpuTypes");
        if (!errors.isEmpty() && (types == null || types.isNull())) {
            throw new PriceSourceException(PROVIDER + ": the GraphQL API at " + uri + " answered"
                    + (answer.status() >= 300 ? " HTTP " + answer.status() : "") + " with errors: "
                    + String.join("; ", errors) + "; no usable data.gpuTypes came with them. An error about the"
                    + " query (such as 'Cannot query field') means the API changed: update jsae-provisioning or"
                    + " report it; an error about authorisation means the key: " + keyHint,
                    answer.status() >= 300 ? answer.status() : -1, null);
        }
        types = http.require(http.require(root, "data", ""), "gpuTypes", "data");
        if (!types.isArray()) {
            throw http.malformed("data.gpuTypes", "is " + types.getNodeType() + ", expected a list");
        }
        List<String> problems = new ArrayList<>();
        errors.forEach(e -> problems.add(PROVIDER + ": GraphQL error " + e + "; the rest of the answer was used"));
        LocalDate today = LocalDate.now(clock);
        List<LiveOffer> offers = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            JsonNode type = types.get(i);
            String path = "data.gpuTypes[" + i + "]";
            if (type == null || type.isNull()) {
                problems.add(PROVIDER + ": " + path + " is null in the answer; that GPU type is left out");
                continue;
            }
            List<LiveOffer> ofType = new ArrayList<>();
            try {
                addType(ofType, type, path, today);
            } catch (PriceSourceException e) {
                if (errors.isEmpty()) {
                    throw e;
                }
                // The API reported errors, so a field it nulled can break this type: keep the others.
                problems.add(PROVIDER + ": " + path + " left out after the errors above (" + fieldProblem(e) + ")");
                continue;
            }
            offers.addAll(ofType);
        }
        problems.forEach(p -> LOG.warn("{}", p));
        return new LiveFetch(offers, problems);
    }

    /** "field data.gpuTypes[1].displayName is NULL, expected a string" out of a malformed-answer message. */
    private static String fieldProblem(PriceSourceException e) {
        String message = e.getMessage();
        int start = message.indexOf("field ");
        int end = start < 0 ? -1 : message.indexOf(';', start);
        return end < 0 ? message : message.substring(start, end);
    }

    /** "at gpuTypes[3].secureLowestPrice: message" for each GraphQL error; empty when there are none. */
    private List<String> errorLines(JsonNode errors) {
        List<String> lines = new ArrayList<>();
        if (errors == null || !errors.isArray()) {
            return lines;
        }
        for (JsonNode error : errors) {
            StringBuilder where = new StringBuilder();
            for (JsonNode part : error.path("path")) {
                if (part.isNumber()) {
                    where.append('[').append(part.asInt()).append(']');
                } else {
                    where.append(where.isEmpty() ? "" : ".").append(part.asText());
                }
            }
            String message = error.hasNonNull("message") ? error.get("message").asText() : error.toString();
            lines.add(http.scrub((where.isEmpty() ? "" : "at " + where + ": ") + message));
        }
        return lines;
    }

    private void addType(List<LiveOffer> offers, JsonNode type, String path, LocalDate today)
            throws PriceSourceException {
        String id = http.requireText(type, "id", path);
        String name = http.requireText(type, "displayName", path);
        int memory = http.requireNumber(type, "memoryInGb", path).asInt();
        JsonNode secure = type.get("secureLowestPrice");
        JsonNode community = type.get("communityLowestPrice");
        add(offers, type, "securePrice", path, SECURE, PricingModel.ON_DEMAND, name, memory, id, today,
                capacity(secure, "uninterruptablePrice"));
        add(offers, type, "communityPrice", path, COMMUNITY, PricingModel.ON_DEMAND, name, memory, id, today,
                capacity(community, "uninterruptablePrice"));
        add(offers, type, "secureSpotPrice", path, SECURE, PricingModel.SPOT, name, memory, id, today,
                capacity(secure, "minimumBidPrice"));
        add(offers, type, "communitySpotPrice", path, COMMUNITY, PricingModel.SPOT, name, memory, id, today,
                capacity(community, "minimumBidPrice"));
    }

    /** One cloud's capacity for one pricing model, from that cloud's {@code lowestPrice}. */
    private static LiveOffer.Capacity capacity(JsonNode lowest, String field) {
        if (lowest == null || lowest.isNull()) {
            return LiveOffer.Capacity.UNKNOWN;
        }
        JsonNode stock = lowest.get("stockStatus");
        if (stock != null && stock.isNull()) {
            return LiveOffer.Capacity.UNAVAILABLE; // no stock status: out of stock
        }
        if (!lowest.has(field)) {
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

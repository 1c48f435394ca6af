package io.jsae.provisioning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jsae.provisioning.LocalServer.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunPodPriceSourceTest {

    private static final String KEY = "rp_secret_key_0123456789";

    /** The documented answer shape of the gpuTypes query, one lowestPrice per cloud (figures are test data). */
    private static final String GPU_TYPES = """
            {"data": {"gpuTypes": [
              {"id": "NVIDIA A100 80GB PCIe", "displayName": "A100 PCIe", "memoryInGb": 80,
               "securePrice": 1.64, "communityPrice": 1.19, "secureSpotPrice": 0.82, "communitySpotPrice": 0.6,
               "secureLowestPrice": {"minimumBidPrice": 0.82, "uninterruptablePrice": 1.64, "stockStatus": "High"},
               "communityLowestPrice": {"minimumBidPrice": 0.6, "uninterruptablePrice": 1.19, "stockStatus": "Low"}},
              {"id": "NVIDIA H100 80GB HBM3", "displayName": "H100 SXM", "memoryInGb": 80,
               "securePrice": 2.99, "communityPrice": null, "secureSpotPrice": 0, "communitySpotPrice": null,
               "secureLowestPrice": {"minimumBidPrice": null, "uninterruptablePrice": 2.99, "stockStatus": "Medium"},
               "communityLowestPrice": {"minimumBidPrice": null, "uninterruptablePrice": null, "stockStatus": null}},
              {"id": "NVIDIA L4", "displayName": "L4", "memoryInGb": 24,
               "securePrice": 0.43, "communityPrice": null, "secureSpotPrice": null, "communitySpotPrice": null,
               "secureLowestPrice": null, "communityLowestPrice": null}
            ]}}""";

    private LocalServer server;
    private final List<Duration> sleeps = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = new LocalServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RunPodPriceSource source() {
        return new RunPodPriceSource(KEY, server.uri(), LambdaCloudPriceSourceTest.PATIENT, RetryPolicy.DEFAULT,
                LambdaCloudPriceSourceTest.CLOCK, null, sleeps::add);
    }

    private PriceSourceException failure() {
        PriceSourceException e = assertThrows(PriceSourceException.class, () -> source().fetch());
        assertFalse(e.getMessage().contains(KEY), "the key leaked: " + e.getMessage());
        return e;
    }

    @Test
    void mapsEachPriceToAnOfferWithCapacity() throws Exception {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES));

        List<LiveOffer> offers = source().fetch();

        assertEquals(6, offers.size(), "null and 0 prices are not offers");
        LiveOffer secure = offers.get(0);
        assertEquals(new Offer("RunPod (Secure Cloud)", "A100 PCIe", 1, 80, new BigDecimal("1.64"),
                PricingModel.ON_DEMAND, LocalDate.of(2026, 11, 28), "RunPod GraphQL API gpuTypes.securePrice",
                "NVIDIA A100 80GB PCIe"), secure.offer());
        assertEquals(LiveOffer.Capacity.AVAILABLE, secure.capacity());
        LiveOffer communitySpot = offers.get(3);
        assertEquals("RunPod (Community Cloud)", communitySpot.offer().provider());
        assertEquals(PricingModel.SPOT, communitySpot.offer().pricingModel());
        assertEquals(0, communitySpot.offer().pricePerHour().compareTo(new BigDecimal("0.6")));
        LiveOffer h100 = offers.get(4);
        assertEquals("H100 SXM", h100.offer().gpuModel());
        assertEquals(LiveOffer.Capacity.AVAILABLE, h100.capacity());
        assertEquals(LiveOffer.Capacity.UNKNOWN, offers.get(5).capacity(), "no lowestPrice: capacity unknown");
    }

    private static LiveOffer find(List<LiveOffer> offers, String model, String provider, PricingModel pricing) {
        return offers.stream().filter(o -> o.offer().gpuModel().equals(model) && o.offer().provider().equals(provider)
                && o.offer().pricingModel() == pricing).findFirst().orElseThrow();
    }

    @Test
    void capacityIsReadPerCloud() throws Exception {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES.replace(
                "\"communityLowestPrice\": {\"minimumBidPrice\": 0.6, \"uninterruptablePrice\": 1.19, \"stockStatus\": \"Low\"}",
                "\"communityLowestPrice\": {\"minimumBidPrice\": null, \"uninterruptablePrice\": null, \"stockStatus\": null}")));

        List<LiveOffer> offers = source().fetch();

        assertEquals(LiveOffer.Capacity.AVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.SECURE, PricingModel.ON_DEMAND).capacity());
        assertEquals(LiveOffer.Capacity.AVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.SECURE, PricingModel.SPOT).capacity());
        assertEquals(LiveOffer.Capacity.UNAVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.COMMUNITY, PricingModel.ON_DEMAND).capacity(),
                "the Community Cloud answer decides the Community offer, not the Secure one");
        assertEquals(LiveOffer.Capacity.UNAVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.COMMUNITY, PricingModel.SPOT).capacity());
    }

    @Test
    void nullStockStatusMeansOutOfStockWhateverThePrices() throws Exception {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES.replace("\"stockStatus\": \"High\"",
                "\"stockStatus\": null")));

        List<LiveOffer> offers = source().fetch();

        assertEquals(LiveOffer.Capacity.UNAVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.SECURE, PricingModel.ON_DEMAND).capacity());
        assertEquals(LiveOffer.Capacity.UNAVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.SECURE, PricingModel.SPOT).capacity());
        assertEquals(LiveOffer.Capacity.AVAILABLE,
                find(offers, "A100 PCIe", RunPodPriceSource.COMMUNITY, PricingModel.ON_DEMAND).capacity());
    }

    @Test
    void sendsTheDocumentedQueryWithABearerKey() throws Exception {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES));

        source().fetch();

        LocalServer.Request request = server.requests.get(0);
        assertEquals("POST", request.method());
        assertEquals("Bearer " + KEY, request.header("Authorization"));
        assertTrue(request.header("Content-Type").startsWith("application/json"));
        JsonNode body = new ObjectMapper().readTree(request.body());
        String query = body.get("query").asText();
        for (String field : new String[] {"gpuTypes", "securePrice", "communityPrice", "secureSpotPrice",
                "communitySpotPrice", "lowestPrice", "minimumBidPrice", "uninterruptablePrice", "stockStatus",
                "secureLowestPrice: lowestPrice(input: {gpuCount: 1, secureCloud: true})",
                "communityLowestPrice: lowestPrice(input: {gpuCount: 1, secureCloud: false})"}) {
            assertTrue(query.contains(field), field + " in " + query);
        }
    }

    @Test
    void spotCapacityFollowsMinimumBidPrice() throws Exception {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES.replace("\"secureSpotPrice\": 0,",
                "\"secureSpotPrice\": 1.5,")));

        LiveOffer h100Spot = source().fetch().stream()
                .filter(o -> o.offer().gpuModel().equals("H100 SXM") && o.offer().pricingModel() == PricingModel.SPOT)
                .findFirst().orElseThrow();

        assertEquals(LiveOffer.Capacity.UNAVAILABLE, h100Spot.capacity(), "minimumBidPrice null: no spot capacity");
    }

    @Test
    void graphQlErrorsAreReported() {
        server.on("/graphql", (req, ex) -> respond(ex, 200,
                "{\"errors\": [{\"message\": \"Cannot query field \\\"gpuTypez\\\"\"}], \"data\": null}"));

        PriceSourceException e = failure();

        assertTrue(e.getMessage().contains("answered with errors: Cannot query field \"gpuTypez\""), e.getMessage());
    }

    @Test
    void graphQlErrorsInAnHttp400AreReadAsGraphQlErrors() {
        server.on("/graphql", (req, ex) -> respond(ex, 400, "{\"errors\": [{\"message\": \"Cannot query field"
                + " \\\"stockStatuz\\\" on type \\\"LowestPrice\\\".\", \"extensions\": {\"code\":"
                + " \"GRAPHQL_VALIDATION_FAILED\"}}]}"));

        PriceSourceException e = failure();

        assertTrue(e.getMessage().contains("answered HTTP 400 with errors: Cannot query field \"stockStatuz\""),
                e.getMessage());
        assertTrue(e.getMessage().contains("the API changed: update jsae-provisioning"), e.getMessage());
        assertFalse(e.getMessage().contains("check the base URL"), e.getMessage());
        assertEquals(400, e.httpStatus().getAsInt());
        assertEquals(1, server.requests.size(), "a rejected query is not retried");
    }

    @Test
    void anHttp400WithoutGraphQlErrorsStaysAnUnexpectedStatus() {
        server.on("/graphql", (req, ex) -> respond(ex, 400, "<html>bad request</html>"));

        PriceSourceException e = failure();

        assertTrue(e.getMessage().contains("unexpected HTTP 400"), e.getMessage());
        assertTrue(e.getMessage().contains("check the base URL"), e.getMessage());
    }

    @Test
    void errorsAboutPartOfTheDataKeepTheRestAndReportIt() throws Exception {
        String partial = GPU_TYPES.replace(
                "\"communityLowestPrice\": {\"minimumBidPrice\": 0.6, \"uninterruptablePrice\": 1.19, \"stockStatus\": \"Low\"}",
                "\"communityLowestPrice\": null")
                .replace("\"displayName\": \"H100 SXM\"", "\"displayName\": null")
                .replace("]}}", "]}, \"errors\": ["
                        + "{\"message\": \"lowest price unavailable\", \"path\": [\"gpuTypes\", 0, \"communityLowestPrice\"]},"
                        + "{\"message\": \"name lookup failed\", \"path\": [\"gpuTypes\", 1, \"displayName\"]}]}");
        server.on("/graphql", (req, ex) -> respond(ex, 200, partial));

        LiveFetch fetch = source().read();

        assertFalse(fetch.complete());
        assertEquals(5, fetch.offers().size(), "A100 PCIe (4 offers) and L4 are kept; H100 SXM is left out");
        assertEquals(LiveOffer.Capacity.UNKNOWN,
                find(fetch.offers(), "A100 PCIe", RunPodPriceSource.COMMUNITY, PricingModel.ON_DEMAND).capacity(),
                "the errored lowestPrice leaves that cloud's capacity unknown");
        assertEquals(LiveOffer.Capacity.AVAILABLE,
                find(fetch.offers(), "A100 PCIe", RunPodPriceSource.SECURE, PricingModel.ON_DEMAND).capacity());
        assertEquals(3, fetch.problems().size(), fetch.problems().toString());
        assertTrue(fetch.problems().get(0).contains("GraphQL error at gpuTypes[0].communityLowestPrice: lowest price"
                + " unavailable"), fetch.problems().toString());
        assertTrue(fetch.problems().get(1).contains("at gpuTypes[1].displayName: name lookup failed"),
                fetch.problems().toString());
        assertEquals("RunPod: data.gpuTypes[1] left out after the errors above (field data.gpuTypes[1].displayName is"
                + " NULL, expected a string)", fetch.problems().get(2));
        assertEquals(5, source().fetch().size(), "fetch() keeps the usable offers too");
    }

    @Test
    void missingFieldIsNamedByItsPath() {
        server.on("/graphql", (req, ex) -> respond(ex, 200, GPU_TYPES.replace("\"memoryInGb\": 24,", "")));
        assertTrue(failure().getMessage().contains("field data.gpuTypes[2].memoryInGb is missing"));
    }

    @Test
    void missingListIsNamed() {
        server.on("/graphql", (req, ex) -> respond(ex, 200, "{\"data\": {}}"));
        assertTrue(failure().getMessage().contains("field data.gpuTypes is missing"));
    }

    @Test
    void rejectedKeySaysSo() {
        server.on("/graphql", (req, ex) -> respond(ex, 401, "{\"error\": \"Unauthorized\"}"));

        PriceSourceException e = failure();

        assertTrue(e.getMessage().startsWith("RunPod: API key rejected (HTTP 401"), e.getMessage());
    }

    @Test
    void serverErrorsAreRetriedWithBackoff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server.on("/graphql", (req, ex) -> {
            if (calls.incrementAndGet() < 3) {
                respond(ex, 502, "bad gateway");
            } else {
                respond(ex, 200, GPU_TYPES);
            }
        });

        assertEquals(6, source().fetch().size());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), sleeps);
    }
}

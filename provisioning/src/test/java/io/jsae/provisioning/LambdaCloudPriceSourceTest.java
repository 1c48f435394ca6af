package io.jsae.provisioning;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jsae.provisioning.LocalServer.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LambdaCloudPriceSourceTest {

    static final String KEY = "secret_lambda_key_0123456789";
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** The documented answer shape of GET /api/v1/instance-types (figures are test data). */
    static final String INSTANCE_TYPES = """
            {"data": {
              "gpu_1x_a100": {
                "instance_type": {"name": "gpu_1x_a100", "description": "1x A100 (40 GB PCIe)",
                  "gpu_description": "A100 (40 GB PCIe)", "price_cents_per_hour": 129,
                  "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 512, "gpus": 1}},
                "regions_with_capacity_available": [{"name": "us-east-1", "description": "Virginia, USA"}]},
              "gpu_8x_a100": {
                "instance_type": {"name": "gpu_8x_a100", "description": "8x A100 (40 GB SXM4)",
                  "gpu_description": "A100 (40 GB SXM4)", "price_cents_per_hour": 1032,
                  "specs": {"vcpus": 124, "memory_gib": 1800, "storage_gib": 6000, "gpus": 8}},
                "regions_with_capacity_available": []},
              "cpu_4x_general": {
                "instance_type": {"name": "cpu_4x_general", "description": "4x CPU", "price_cents_per_hour": 10,
                  "specs": {"vcpus": 4, "memory_gib": 16, "storage_gib": 64, "gpus": 0}},
                "regions_with_capacity_available": [{"name": "us-west-1", "description": "California, USA"}]}
            }}""";

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

    /**
     * The client's timeout in every test but the timeout test's: long, so that a slow first request on a loaded
     * machine does not fail a test about something else.
     */
    static final Duration PATIENT = Duration.ofSeconds(10);

    private LambdaCloudPriceSource source(RetryPolicy retry) {
        return source(retry, PATIENT);
    }

    private LambdaCloudPriceSource source(RetryPolicy retry, Duration timeout) {
        return new LambdaCloudPriceSource(KEY, server.uri(), timeout, retry, CLOCK, null, sleeps::add);
    }

    private PriceSourceException failure(RetryPolicy retry) {
        return failure(retry, PATIENT);
    }

    private PriceSourceException failure(RetryPolicy retry, Duration timeout) {
        PriceSourceException e = assertThrows(PriceSourceException.class, () -> source(retry, timeout).fetch());
        assertFalse(e.getMessage().contains(KEY), "the key leaked: " + e.getMessage());
        return e;
    }

    @Test
    void mapsGpuInstanceTypesToDatedOffersWithCapacity() throws Exception {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200, INSTANCE_TYPES));

        List<LiveOffer> offers = source(RetryPolicy.DEFAULT).fetch();

        assertEquals(2, offers.size(), "the CPU-only type is left out");
        LiveOffer one = offers.get(0);
        assertEquals(new Offer("Lambda", "A100 PCIe", 1, 40, new BigDecimal("1.29"), PricingModel.ON_DEMAND,
                LocalDate.of(2026, 11, 28), "Lambda Cloud API GET /api/v1/instance-types",
                "gpu_1x_a100: 1x A100 (40 GB PCIe)"), one.offer());
        assertEquals(LiveOffer.Capacity.AVAILABLE, one.capacity());
        assertEquals(List.of("us-east-1"), one.regions());
        LiveOffer eight = offers.get(1);
        assertEquals(8, eight.offer().gpuCount());
        assertEquals("A100 SXM4", eight.offer().gpuModel(), "the form factor stays in the model");
        assertEquals(0, eight.offer().pricePerHour().compareTo(new BigDecimal("10.32")));
        assertEquals(LiveOffer.Capacity.UNAVAILABLE, eight.capacity());

        LocalServer.Request request = server.requests.get(0);
        assertEquals("GET", request.method());
        assertEquals("Bearer " + KEY, request.header("Authorization"));
        assertTrue(sleeps.isEmpty());
    }

    /** Two types that differ only in form factor and price, as Lambda lists them (figures are test data). */
    static final String PCIE_AND_SXM = """
            {"data": {
              "gpu_1x_a100": {
                "instance_type": {"name": "gpu_1x_a100", "description": "1x A100 (40 GB PCIe)",
                  "gpu_description": "A100 (40 GB PCIe)", "price_cents_per_hour": 129,
                  "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 512, "gpus": 1}},
                "regions_with_capacity_available": []},
              "gpu_1x_a100_sxm4": {
                "instance_type": {"name": "gpu_1x_a100_sxm4", "description": "1x A100 (40 GB SXM4)",
                  "gpu_description": "A100 (40 GB SXM4)", "price_cents_per_hour": 148,
                  "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 512, "gpus": 1}},
                "regions_with_capacity_available": [{"name": "us-east-1", "description": "Virginia, USA"}]},
              "gpu_1x_gh200": {
                "instance_type": {"name": "gpu_1x_gh200", "description": "1x GH200 (96 GB)",
                  "price_cents_per_hour": 149,
                  "specs": {"vcpus": 64, "memory_gib": 432, "storage_gib": 4096, "gpus": 1}},
                "regions_with_capacity_available": []}
            }}""";

    @Test
    void pcieAndSxmOfOneModelStayTwoOffersAndJoinTheCatalog() throws Exception {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200, PCIE_AND_SXM));

        List<Offer> live = source(RetryPolicy.DEFAULT).fetch().stream().map(LiveOffer::offer).toList();

        assertEquals(List.of("A100 PCIe", "A100 SXM4", "GH200"), live.stream().map(Offer::gpuModel).toList(),
                "the form factor is kept where the API states it; the description gives it when gpu_description"
                        + " is absent");
        assertEquals(2, live.stream().map(Offer::key).filter(k -> k.gpuModel().startsWith("A100")).distinct()
                .count());
        PriceCatalog catalog = PriceCatalog.bundled().plus(live);
        assertEquals(2, catalog.withProvider("Lambda").withGpuModel("A100").withGpuCount(1).offers().stream()
                .filter(o -> o.asOf().equals(LocalDate.of(2026, 11, 28))).count());
        assertTrue(catalog.history().containsAll(PriceCatalog.bundled().history()), "no bundled row is lost");
        List<PriceCatalog.Superseded> superseded = PriceCatalog.bundled().supersededBy(live);
        assertEquals(1, superseded.size(), superseded.toString());
        assertEquals("Lambda", superseded.get(0).row().provider());
        assertEquals("A100", superseded.get(0).row().gpuModel(), "the plain row of the catalog");
        assertEquals(List.of("A100 PCIe", "A100 SXM4"), superseded.get(0).by().stream().map(Offer::gpuModel)
                .toList(), "both form factors supersede it; GH200 does not");
    }

    @Test
    void typesThatStillShareAKeyAreToldApartByName() throws Exception {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200, PCIE_AND_SXM
                .replace("\"gpu_description\": \"A100 (40 GB SXM4)\"", "\"gpu_description\": \"A100 (40 GB PCIe)\"")));

        List<Offer> live = source(RetryPolicy.DEFAULT).fetch().stream().map(LiveOffer::offer).toList();

        assertEquals(List.of("A100 PCIe (gpu_1x_a100)", "A100 PCIe (gpu_1x_a100_sxm4)", "GH200"),
                live.stream().map(Offer::gpuModel).toList());
        PriceCatalog.of(live); // one row per offer and day
    }

    @Test
    void rejectedKeySaysSo() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 401,
                "{\"error\": {\"code\": \"global/invalid-api-key\", \"message\": \"API key was invalid\"}}"));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().startsWith("Lambda: API key rejected (HTTP 401 from " + server.uri()), e.getMessage());
        assertEquals(401, e.httpStatus().getAsInt());
        assertEquals(1, server.requests.size(), "a rejected key is not retried");
    }

    @Test
    void forbiddenMeansAnInactiveAccountAndSaysSo() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 403, "{\"error\": {\"code\":"
                + " \"global/account-inactive\", \"message\": \"Your account is inactive.\", \"suggestion\":"
                + " \"Make sure you have verified your email address and have a valid payment method.\"}}"));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().startsWith("Lambda: the account is inactive (HTTP 403 from " + server.uri()
                + "/api/v1/instance-types, error global/account-inactive: Your account is inactive.)"), e.getMessage());
        assertTrue(e.getMessage().contains("the key itself was accepted"), e.getMessage());
        assertTrue(e.getMessage().contains("reactivate it"), e.getMessage());
        assertTrue(e.getMessage().contains("Lambda suggests: Make sure you have verified your email address"),
                e.getMessage());
        assertFalse(e.getMessage().contains("lacks permission"), e.getMessage());
        assertEquals(403, e.httpStatus().getAsInt());
        assertEquals(1, server.requests.size(), "an inactive account is not retried");
    }

    @Test
    void forbiddenWithoutABodyStillNamesTheInactiveAccount() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 403, ""));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().startsWith("Lambda: the account is inactive (HTTP 403"), e.getMessage());
        assertTrue(e.getMessage().contains("global/account-inactive"), e.getMessage());
    }

    @Test
    void forbiddenWithAnotherCodeReportsThatCode() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 403, "{\"error\": {\"code\":"
                + " \"global/object-does-not-exist\", \"message\": \"nope " + KEY + "\"}}"));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().startsWith("Lambda: request refused (HTTP 403"), e.getMessage());
        assertTrue(e.getMessage().contains("error global/object-does-not-exist: nope [key]"), e.getMessage());
    }

    @Test
    void rateLimitIsRetriedHonouringRetryAfter() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(NOW.plusSeconds(5),
                ZoneOffset.UTC));
        server.on("/api/v1/instance-types", (req, ex) -> {
            switch (calls.incrementAndGet()) {
                case 1 -> respond(ex, 429, "{}", "Retry-After", "2");
                case 2 -> respond(ex, 429, "{}", "Retry-After", date);
                case 3 -> respond(ex, 429, "{}", "Retry-After", "3600");
                case 4 -> respond(ex, 503, "");
                default -> respond(ex, 200, INSTANCE_TYPES);
            }
        });

        List<LiveOffer> offers = source(new RetryPolicy(4, Duration.ofSeconds(1), Duration.ofSeconds(60))).fetch();

        assertEquals(2, offers.size());
        assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(8)), sleeps, "seconds, an HTTP date, capped at the maximum, then backoff 1*2^3");
    }

    @Test
    void rateLimitGivesUpAfterTheRetryBudget() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 429, "{}"));

        PriceSourceException e = failure(new RetryPolicy(2, Duration.ofSeconds(1), Duration.ofSeconds(10)));

        assertTrue(e.getMessage().contains("still rate limited (HTTP 429)"), e.getMessage());
        assertTrue(e.getMessage().contains("after 2 retries"), e.getMessage());
        assertEquals(3, server.requests.size());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), sleeps);
    }

    @Test
    void missingFieldIsNamedByItsPath() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200,
                INSTANCE_TYPES.replace("\"price_cents_per_hour\": 129,", "")));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().contains("field data.gpu_1x_a100.instance_type.price_cents_per_hour is missing"),
                e.getMessage());
    }

    @Test
    void wrongTypeIsNamed() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200,
                INSTANCE_TYPES.replace("\"price_cents_per_hour\": 129", "\"price_cents_per_hour\": \"129\"")));
        assertTrue(failure(RetryPolicy.DEFAULT).getMessage()
                .contains("data.gpu_1x_a100.instance_type.price_cents_per_hour is STRING, expected a number"));
    }

    @Test
    void htmlInsteadOfJsonIsReported() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 200, "<html>maintenance</html>"));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().contains("is not JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("<html>maintenance</html>"), e.getMessage());
    }

    @Test
    void slowApiTimesOut() {
        server.on("/api/v1/instance-types", (req, ex) -> {
            LocalServer.pause(3000);
            respond(ex, 200, INSTANCE_TYPES);
        });

        PriceSourceException e = failure(RetryPolicy.DEFAULT, Duration.ofMillis(500));

        assertTrue(e.getMessage().contains("within 500 ms (timeout)"), e.getMessage());
    }

    @Test
    void keyEchoedByTheServerIsScrubbed() {
        server.on("/api/v1/instance-types", (req, ex) -> respond(ex, 400, "{\"error\": \"bad key " + KEY + "\"}"));

        PriceSourceException e = failure(RetryPolicy.DEFAULT);

        assertTrue(e.getMessage().contains("bad key [key]"), e.getMessage());
        assertEquals(400, e.httpStatus().getAsInt());
    }

    @Test
    void emptyKeyIsRejectedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> new LambdaCloudPriceSource(" "));
    }
}

package io.jsae.provisioning;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP and JSON plumbing shared by the live price sources: bearer key, bounded timeouts, bounded retries
 * on 429 and 5xx honouring Retry-After, clear errors for rejected keys, and JSON field access that names the
 * missing field. The key never appears in a message or log line.
 */
final class JsonHttp {

    /** Waits between retries; tests replace it to run without sleeping. */
    @FunctionalInterface
    interface Sleeper {
        /** Sleeps on the current thread. */
        Sleeper THREAD = d -> Thread.sleep(d.toMillis());

        void sleep(Duration duration) throws InterruptedException;
    }

    /**
     * A provider's own reading of a 4xx answer (429 aside), consulted before the generic messages: it may take
     * the body as the answer (a GraphQL server puts its {@code errors} in a 400 body), throw a more precise
     * error (an inactive account), or return null to leave the answer to the generic handling.
     */
    @FunctionalInterface
    interface ClientErrors {
        /** No provider-specific reading. */
        ClientErrors NONE = (status, body, uri) -> null;

        JsonNode read(int status, String body, URI uri) throws PriceSourceException;
    }

    /**
     * A JSON answer and the HTTP status it came with: 2xx, or a 4xx that {@link ClientErrors} took as the answer.
     *
     * @param status the HTTP status
     * @param json   the parsed body
     */
    record Answer(int status, JsonNode json) {
    }

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(JsonHttp.class);
    private static final int EXCERPT = 300;

    private final String provider;
    private final String apiKey;
    private final String keyHint;
    private final HttpClient client;
    private final Duration timeout;
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    private final Clock clock;
    private final ClientErrors clientErrors;

    JsonHttp(String provider, String apiKey, String keyHint, HttpClient client, Duration timeout, RetryPolicy retry,
             Sleeper sleeper, Clock clock) {
        this(provider, apiKey, keyHint, client, timeout, retry, sleeper, clock, ClientErrors.NONE);
    }

    JsonHttp(String provider, String apiKey, String keyHint, HttpClient client, Duration timeout, RetryPolicy retry,
             Sleeper sleeper, Clock clock, ClientErrors clientErrors) {
        this.provider = provider;
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        if (apiKey.isBlank()) {
            throw new IllegalArgumentException("the " + provider + " API key is empty; " + keyHint);
        }
        this.keyHint = keyHint;
        this.client = client != null ? client : HttpClient.newBuilder().connectTimeout(timeout).build();
        this.timeout = timeout;
        this.retry = retry;
        this.sleeper = sleeper;
        this.clock = clock;
        this.clientErrors = Objects.requireNonNull(clientErrors, "clientErrors");
    }

    /** Sends the request (retrying 429 and 5xx within the policy) and parses the JSON body of a 2xx answer. */
    JsonNode send(HttpRequest.Builder builder) throws PriceSourceException {
        return exchange(builder).json();
    }

    /**
     * Sends the request (retrying 429 and 5xx within the policy) and returns the JSON body of a 2xx answer, or of
     * a 4xx answer that this source's {@link ClientErrors} takes as the answer, with its status.
     */
    Answer exchange(HttpRequest.Builder builder) throws PriceSourceException {
        HttpRequest request = builder.timeout(timeout).header("Authorization", "Bearer " + apiKey)
                .header("Accept", "application/json").header("User-Agent", "jsae-provisioning").build();
        URI uri = request.uri();
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (HttpTimeoutException e) {
                throw new PriceSourceException(provider + ": no answer from " + uri + " within " + timeout.toMillis()
                        + " ms (timeout); check the network or try again later", -1, e);
            } catch (IOException e) {
                throw new PriceSourceException(provider + ": request to " + uri + " failed: " + scrub(String.valueOf(
                        e.getMessage())) + "; check the network, proxy and base URL", -1, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PriceSourceException(provider + ": interrupted while calling " + uri, -1, e);
            }
            int status = response.statusCode();
            LOG.debug("{} {} -> {} (attempt {})", request.method(), uri, status, attempt + 1);
            if (status >= 200 && status < 300) {
                return new Answer(status, parse(response.body(), uri));
            }
            if (status >= 400 && status < 500 && status != 429) {
                JsonNode taken = clientErrors.read(status, response.body(), uri);
                if (taken != null) {
                    return new Answer(status, taken);
                }
            }
            if (status == 401) {
                throw new PriceSourceException(provider + ": API key rejected (HTTP 401 from " + uri + "); "
                        + keyHint, status, null);
            }
            if (status == 403) {
                throw new PriceSourceException(provider + ": API key lacks permission for " + uri + " (HTTP 403)"
                        + detail(response.body()) + "; " + keyHint, status, null);
            }
            boolean retryable = status == 429 || status >= 500;
            if (!retryable) {
                throw new PriceSourceException(provider + ": unexpected HTTP " + status + " from " + uri
                        + detail(response.body()) + "; check the base URL", status, null);
            }
            if (attempt >= retry.maxRetries()) {
                throw new PriceSourceException(provider + ": " + (status == 429 ? "still rate limited (HTTP 429)"
                        : "server error HTTP " + status) + " from " + uri + " after " + retry.maxRetries()
                        + " retries; wait a few minutes and try again", status, null);
            }
            Duration wait = retryAfter(response).map(this::capped).orElse(retry.backoff(attempt + 1));
            LOG.info("{}: HTTP {} from {}, retrying in {} ms", provider, status, uri, wait.toMillis());
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PriceSourceException(provider + ": interrupted while waiting to retry " + uri, status, e);
            }
        }
    }

    private Duration capped(Duration wait) {
        return wait.compareTo(retry.maxBackoff()) > 0 ? retry.maxBackoff() : wait;
    }

    /** Retry-After as delta-seconds or an HTTP date (RFC 9110, section 10.2.3). */
    private Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> value = response.headers().firstValue("Retry-After").map(String::strip);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            long seconds = Long.parseLong(value.get());
            return Optional.of(Duration.ofSeconds(Math.max(0, seconds)));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.get(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration wait = Duration.between(clock.instant(), at.toInstant());
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (DateTimeParseException ignored) {
                LOG.debug("{}: ignoring unreadable Retry-After '{}'", provider, value.get());
                return Optional.empty();
            }
        }
    }

    private JsonNode parse(String body, URI uri) throws PriceSourceException {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new PriceSourceException(provider + ": the answer from " + uri + " is not JSON ("
                    + e.getOriginalMessage() + ")" + detail(body) + "; check the base URL", -1, e);
        }
    }

    /** The body as JSON, or null when it is empty or not JSON: for reading error bodies, which may be anything. */
    static JsonNode tryParse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** " (answer: …)" with the start of a body, scrubbed of the key. */
    String detail(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String text = body.strip().replaceAll("\\s+", " ");
        return " (answer: " + scrub(text.length() > EXCERPT ? text.substring(0, EXCERPT) + "…" : text) + ")";
    }

    /** The text with the API key replaced by "[key]": for anything a server sent back. */
    String scrub(String text) {
        return text.replace(apiKey, "[key]");
    }

    /** The named child of {@code node}, failing with the full path when it is absent. */
    JsonNode require(JsonNode node, String field, String path) throws PriceSourceException {
        JsonNode child = node == null ? null : node.get(field);
        if (child == null) {
            throw malformed(join(path, field), "is missing");
        }
        return child;
    }

    /** A required number (not null), failing with the full path. */
    JsonNode requireNumber(JsonNode node, String field, String path) throws PriceSourceException {
        JsonNode child = require(node, field, path);
        if (!child.isNumber()) {
            throw malformed(join(path, field), "is " + child.getNodeType() + ", expected a number");
        }
        return child;
    }

    /** A required string (not null), failing with the full path. */
    String requireText(JsonNode node, String field, String path) throws PriceSourceException {
        JsonNode child = require(node, field, path);
        if (!child.isTextual()) {
            throw malformed(join(path, field), "is " + child.getNodeType() + ", expected a string");
        }
        return child.asText();
    }

    static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    PriceSourceException malformed(String path, String problem) {
        return new PriceSourceException(provider + ": unexpected answer: field " + path + " " + problem
                + "; the API may have changed: update jsae-provisioning or report it", -1, null);
    }
}

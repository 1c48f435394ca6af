package io.jsae.provisioning;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RetryPolicyTest {

    @Test
    void backoffDoublesUpToTheCap() {
        RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(500), Duration.ofSeconds(3));
        assertEquals(Duration.ofMillis(500), p.backoff(1));
        assertEquals(Duration.ofSeconds(1), p.backoff(2));
        assertEquals(Duration.ofSeconds(2), p.backoff(3));
        assertEquals(Duration.ofSeconds(3), p.backoff(4));
        assertEquals(Duration.ofSeconds(3), p.backoff(60), "no overflow for large attempt numbers");
    }

    @Test
    void unboundedPoliciesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(-1, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(1, Duration.ofSeconds(5), Duration.ofSeconds(1)));
    }
}

package io.jsae.core.backend;

import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discovery and choice of backends, over fake providers that count what they open. */
class BackendsTest {

    /** A provider whose availability and creation are scripted; records every backend it opens. */
    static final class FakeProvider implements BackendProvider {
        final String name;
        final int rank;
        final boolean selectable;
        final BackendUnavailableException probe;
        final BackendUnavailableException createFails;
        final List<FakeBackend> opened = new ArrayList<>();

        FakeProvider(String name, int rank, boolean selectable, BackendUnavailableException probe,
                     BackendUnavailableException createFails) {
            this.name = name;
            this.rank = rank;
            this.selectable = selectable;
            this.probe = probe;
            this.createFails = createFails;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public boolean selectable() {
            return selectable;
        }

        @Override
        public BackendUnavailableException probe() {
            return probe;
        }

        @Override
        public Backend create(int deviceIndex) {
            if (createFails != null) {
                throw createFails;
            }
            FakeBackend b = new FakeBackend(name, deviceIndex);
            opened.add(b);
            return b;
        }
    }

    static final class FakeBackend implements Backend {
        final String name;
        final int device;
        boolean closed;

        FakeBackend(String name, int device) {
            this.name = name;
            this.device = device;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int deviceIndex() {
            return device;
        }

        @Override
        public String description() {
            return "fake";
        }

        @Override
        public Set<Precision> precisions() {
            return Set.of(Precision.FP32);
        }

        @Override
        public DeviceSae create(SaeConfig config) {
            throw new UnsupportedOperationException("fake");
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static BackendUnavailableException unavailable(String why) {
        return new BackendUnavailableException(why, new UnsatisfiedLinkError("no lib" + why));
    }

    @Test
    void bestTakesTheHighestAvailableRankAndOpensNothingElse() {
        FakeProvider gpu = new FakeProvider("gpu", 100, true, null, null);
        FakeProvider cpu = new FakeProvider("cpu", 0, true, null, null);
        FakeProvider emulated = new FakeProvider("emulated", 1000, false, null, null);
        try (Backend b = Backends.best(List.of(cpu, emulated, gpu), null, 3)) {
            assertEquals("gpu", b.name());
            assertEquals(3, b.deviceIndex());
        }
        assertEquals(1, gpu.opened.size());
        assertTrue(cpu.opened.isEmpty(), "best() must not open backends it does not return");
        assertTrue(emulated.opened.isEmpty(), "a provider that is not selectable is never picked by best()");
    }

    @Test
    void unavailableAndFailingProvidersArePassedOver() {
        FakeProvider noDriver = new FakeProvider("gpu", 100, true, unavailable("driver"), null);
        FakeProvider noDevice = new FakeProvider("other", 50, true, null, unavailable("device"));
        FakeProvider cpu = new FakeProvider("cpu", 0, true, null, null);
        try (Backend b = Backends.best(List.of(noDriver, noDevice, cpu), "", 0)) {
            assertEquals("cpu", b.name());
        }
        BackendUnavailableException none = assertThrows(BackendUnavailableException.class,
                () -> Backends.best(List.of(noDriver, noDevice), null, 0));
        assertTrue(none.getMessage().contains("gpu: driver") && none.getMessage().contains("other: device"),
                none.getMessage());
        assertSame(noDriver.probe, none.getCause(), "the first reason is kept as the cause");
    }

    @Test
    void forcingABackendFailsWithItsCauseInsteadOfFallingBack() {
        FakeProvider noDriver = new FakeProvider("gpu", 100, true, unavailable("driver"), null);
        FakeProvider cpu = new FakeProvider("cpu", 0, true, null, null);
        FakeProvider emulated = new FakeProvider("emulated", 1000, false, null, null);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.best(List.of(noDriver, cpu), "GPU", 0));
        assertTrue(e.getMessage().contains("jsae.backend=GPU") && e.getMessage().contains("driver"), e.getMessage());
        assertSame(noDriver.probe, e.getCause());
        assertTrue(e.getCause().getCause() instanceof UnsatisfiedLinkError, "the chain down to the load failure stays");
        assertTrue(cpu.opened.isEmpty());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Backends.best(List.of(noDriver, cpu), "tpu", 0));
        assertTrue(unknown.getMessage().contains("gpu, cpu"), unknown.getMessage());
        try (Backend b = Backends.best(List.of(cpu, emulated), "emulated", 1)) {
            assertEquals("emulated", b.name(), "a backend that best() never picks can still be forced");
            assertEquals(1, b.deviceIndex());
        }
    }

    @Test
    void theCpuProviderIsFoundThroughTheServiceFile() {
        List<BackendProvider> found = Backends.providers();
        assertTrue(found.stream().anyMatch(p -> p.name().equals("cpu")), "providers: " + found);
        for (int i = 1; i < found.size(); i++) {
            assertTrue(found.get(i - 1).rank() >= found.get(i).rank(), "providers are ordered by rank");
        }
    }

    @Test
    void propertyForcesTheBackendAndTheDevice() {
        System.setProperty(Backends.PROPERTY, "cpu");
        System.setProperty(Backends.DEVICE_PROPERTY, "1");
        try {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, Backends::best);
            assertTrue(e.getMessage().contains("only device 0"), e.getMessage());
        } finally {
            System.clearProperty(Backends.PROPERTY);
            System.clearProperty(Backends.DEVICE_PROPERTY);
        }
    }
}

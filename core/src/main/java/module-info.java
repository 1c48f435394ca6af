/**
 * jsae core: the SAE model and configuration, the float64 reference, the backend SPI and the CPU backend,
 * the trainer, activation sources, file formats and evaluation. The CPU backend's implementation package is
 * not exported: it is reached through {@link io.jsae.core.backend.BackendProvider} like any other backend.
 */
module io.jsae.core {
    requires org.bytedeco.javacpp;
    requires org.bytedeco.pytorch;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    exports io.jsae.core;
    exports io.jsae.core.backend;
    exports io.jsae.core.data;
    exports io.jsae.core.eval;
    exports io.jsae.core.io;
    exports io.jsae.core.reference;
    exports io.jsae.core.train;

    // JavaCPP binds and loads the CPU kernels by reflection; Jackson reads and writes the checkpoint records.
    opens io.jsae.core.backend.cpu to org.bytedeco.javacpp;
    opens io.jsae.core.data to org.bytedeco.javacpp;
    opens io.jsae.core.train to com.fasterxml.jackson.databind;
    opens io.jsae.core.io to com.fasterxml.jackson.databind;

    uses io.jsae.core.backend.BackendProvider;
    provides io.jsae.core.backend.BackendProvider with io.jsae.core.backend.cpu.CpuBackendProvider;
}

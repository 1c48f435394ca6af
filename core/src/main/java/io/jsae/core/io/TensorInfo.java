package io.jsae.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file as its header describes it: name, element type, shape and where its
 * bytes lie. Immutable.
 */
public final class TensorInfo {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long dataBegin;
    private final long dataEnd;
    private final long fileOffset;

    /**
     * @param name       tensor name
     * @param dtype      element type
     * @param shape      dimensions, outermost first; empty for a scalar
     * @param dataBegin  start of the bytes, relative to the data area (the header's {@code data_offsets[0]})
     * @param dataEnd    end of the bytes, exclusive, relative to the data area
     * @param fileOffset absolute byte offset of the tensor's first byte in the file
     */
    public TensorInfo(String name, DType dtype, long[] shape, long dataBegin, long dataEnd, long fileOffset) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.dataBegin = dataBegin;
        this.dataEnd = dataEnd;
        this.fileOffset = fileOffset;
    }

    /** Tensor name. */
    public String name() {
        return name;
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** Dimensions, outermost first (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d; // validated not to overflow when the header was read
        }
        return n;
    }

    /** Number of bytes, {@code dataEnd - dataBegin}. */
    public long byteSize() {
        return dataEnd - dataBegin;
    }

    /** Start of the bytes relative to the data area ({@code data_offsets[0]}). */
    public long dataBegin() {
        return dataBegin;
    }

    /** End of the bytes relative to the data area, exclusive ({@code data_offsets[1]}). */
    public long dataEnd() {
        return dataEnd;
    }

    /** Absolute byte offset of the first byte in the file. */
    public long fileOffset() {
        return fileOffset;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorInfo)) {
            return false;
        }
        TensorInfo t = (TensorInfo) o;
        return name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && dataBegin == t.dataBegin && dataEnd == t.dataEnd && fileOffset == t.fileOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataBegin, dataEnd, fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + dataBegin + ", " + dataEnd + ")";
    }
}

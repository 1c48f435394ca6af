package io.jsae.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * Element types of tensor files, named as in the safetensors header.
 *
 * <p>Every type below can appear in a file and be listed; {@link #decodable()} types can also be read as
 * float32 ({@code F32} exactly, {@code F16}/{@code BF16} exactly, {@code F64} rounded to nearest,
 * {@code I32}/{@code I64} converted as by a Java cast), and {@link #encodable()} types can be written from
 * float32 ({@code F16}/{@code BF16} round to nearest, ties to even). All multi-byte values are
 * little-endian in the file.
 */
public enum DType {
    /** 1-byte boolean. Listed only. */
    BOOL(1),
    /** Unsigned 8-bit integer. Listed only. */
    U8(1),
    /** Signed 8-bit integer. Listed only. */
    I8(1),
    /** 8-bit float, 5 exponent bits. Listed only. */
    F8_E5M2(1),
    /** 8-bit float, 4 exponent bits. Listed only. */
    F8_E4M3(1),
    /** Signed 16-bit integer. Listed only. */
    I16(2),
    /** Unsigned 16-bit integer. Listed only. */
    U16(2),
    /** IEEE 754 binary16. Read and written. */
    F16(2),
    /** bfloat16. Read and written. */
    BF16(2),
    /** Signed 32-bit integer. Read as float. */
    I32(4),
    /** Unsigned 32-bit integer. Listed only. */
    U32(4),
    /** IEEE 754 binary32. Read and written. */
    F32(4),
    /** IEEE 754 binary64. Read as float (rounded). */
    F64(8),
    /** Signed 64-bit integer. Read as float. */
    I64(8),
    /** Unsigned 64-bit integer. Listed only. */
    U64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether {@link #decode} can convert this type to float32. */
    public boolean decodable() {
        return this == F32 || this == F16 || this == BF16 || this == F64 || this == I32 || this == I64;
    }

    /** Whether {@link #encode} can write float32 values as this type. */
    public boolean encodable() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * The type with this safetensors name (case-sensitive, e.g. {@code "F32"}, {@code "BF16"}).
     *
     * @return the type, or {@code null} when the name is not one of the types above
     */
    public static DType fromSafetensorsName(String name) {
        if (name == null || !name.equals(name.toUpperCase(Locale.ROOT))) {
            return null;
        }
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * Decodes {@code count} elements starting at byte {@code srcIndex} of {@code src} (little-endian order)
     * into {@code dst[dstOffset ..]}. Positions of the buffers are not changed.
     *
     * @throws UnsupportedOperationException if this type is not {@link #decodable()}
     * @throws IllegalArgumentException      if {@code src} is not in little-endian order
     */
    public void decode(ByteBuffer src, int srcIndex, float[] dst, int dstOffset, int count) {
        requireLittleEndian(src);
        switch (this) {
            case F32:
                src.slice(srcIndex, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, dstOffset, count);
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = HalfFloats.f16ToFloat(src.getShort(srcIndex + 2 * i));
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = HalfFloats.bf16ToFloat(src.getShort(srcIndex + 2 * i));
                }
                break;
            case F64:
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = (float) src.getDouble(srcIndex + 8 * i);
                }
                break;
            case I32:
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = src.getInt(srcIndex + 4 * i);
                }
                break;
            case I64:
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = src.getLong(srcIndex + 8 * i);
                }
                break;
            default:
                throw notDecodable();
        }
    }

    /**
     * Decodes {@code count} elements starting at byte {@code srcIndex} of {@code src} (little-endian order)
     * as float32 into {@code dst} starting at byte {@code dstIndex}, in {@code dst}'s byte order. Positions
     * of the buffers are not changed. Float32 into a little-endian buffer is a plain byte copy.
     *
     * @throws UnsupportedOperationException if this type is not {@link #decodable()}
     * @throws IllegalArgumentException      if {@code src} is not in little-endian order
     */
    public void decode(ByteBuffer src, int srcIndex, ByteBuffer dst, int dstIndex, int count) {
        requireLittleEndian(src);
        switch (this) {
            case F32:
                if (dst.order() == ByteOrder.LITTLE_ENDIAN) {
                    dst.put(dstIndex, src, srcIndex, count * 4);
                } else {
                    for (int i = 0; i < count; i++) {
                        dst.putFloat(dstIndex + 4 * i, src.getFloat(srcIndex + 4 * i));
                    }
                }
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(dstIndex + 4 * i, HalfFloats.f16ToFloat(src.getShort(srcIndex + 2 * i)));
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(dstIndex + 4 * i, HalfFloats.bf16ToFloat(src.getShort(srcIndex + 2 * i)));
                }
                break;
            case F64:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(dstIndex + 4 * i, (float) src.getDouble(srcIndex + 8 * i));
                }
                break;
            case I32:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(dstIndex + 4 * i, src.getInt(srcIndex + 4 * i));
                }
                break;
            case I64:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(dstIndex + 4 * i, src.getLong(srcIndex + 8 * i));
                }
                break;
            default:
                throw notDecodable();
        }
    }

    /**
     * Decodes {@code count} elements starting at byte {@code srcIndex} of {@code src} (little-endian order)
     * into {@code dst} starting at float index {@code dstIndex}. Positions of the buffers are not changed.
     * Float32 into a buffer of little-endian (on most machines: native) order is a plain memory copy.
     *
     * @throws UnsupportedOperationException if this type is not {@link #decodable()}
     * @throws IllegalArgumentException      if {@code src} is not in little-endian order
     */
    public void decode(ByteBuffer src, int srcIndex, FloatBuffer dst, int dstIndex, int count) {
        requireLittleEndian(src);
        switch (this) {
            case F32:
                dst.put(dstIndex, src.slice(srcIndex, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(), 0, count);
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst.put(dstIndex + i, HalfFloats.f16ToFloat(src.getShort(srcIndex + 2 * i)));
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst.put(dstIndex + i, HalfFloats.bf16ToFloat(src.getShort(srcIndex + 2 * i)));
                }
                break;
            case F64:
                for (int i = 0; i < count; i++) {
                    dst.put(dstIndex + i, (float) src.getDouble(srcIndex + 8 * i));
                }
                break;
            case I32:
                for (int i = 0; i < count; i++) {
                    dst.put(dstIndex + i, src.getInt(srcIndex + 4 * i));
                }
                break;
            case I64:
                for (int i = 0; i < count; i++) {
                    dst.put(dstIndex + i, src.getLong(srcIndex + 8 * i));
                }
                break;
            default:
                throw notDecodable();
        }
    }

    /**
     * Encodes {@code count} floats read from {@code src} at absolute float index {@code srcIndex} into
     * {@code dst} starting at byte {@code dstIndex}, little-endian. Positions are not changed.
     *
     * @throws UnsupportedOperationException if this type is not {@link #encodable()}
     * @throws IllegalArgumentException      if {@code dst} is not in little-endian order
     */
    public void encode(FloatBuffer src, int srcIndex, ByteBuffer dst, int dstIndex, int count) {
        requireLittleEndian(dst);
        switch (this) {
            case F32:
                dst.slice(dstIndex, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(0, src, srcIndex, count);
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst.putShort(dstIndex + 2 * i, HalfFloats.floatToF16(src.get(srcIndex + i)));
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst.putShort(dstIndex + 2 * i, HalfFloats.floatToBf16(src.get(srcIndex + i)));
                }
                break;
            default:
                throw new UnsupportedOperationException(this + " cannot be written from float32; use F32, F16 or BF16");
        }
    }

    private UnsupportedOperationException notDecodable() {
        return new UnsupportedOperationException(this + " cannot be read as float32; readable types are F32, F16, BF16, F64, I32, I64");
    }

    private static void requireLittleEndian(ByteBuffer b) {
        if (b.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("tensor bytes must be viewed in little-endian order");
        }
    }
}

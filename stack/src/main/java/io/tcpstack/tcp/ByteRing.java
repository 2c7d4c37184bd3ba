package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;

/**
 * A bounded ring of bytes: the storage of the send buffer (bytes from snd.una on) and of the
 * receive buffer. Grows its array on demand up to {@code capacity}. Not thread-safe: used under
 * the Tcb lock.
 *
 * <p>In the receive buffer, out-of-order data is stored where it belongs, past the readable bytes
 * ({@link #writeAt}), and becomes readable without a copy when the hole before it fills ({@link
 * #commit}); {@link Reassembly} keeps track of which ranges are there (smoltcp's assembler over
 * its ring buffer works the same way).
 */
final class ByteRing {
    /**
     * Bytes allocated up front; the array doubles as data comes. Small: a short connection (an HTTP
     * request and its answer) fits, and two rings per connection were most of what a stream of
     * short connections allocated (16 KiB each).
     */
    private static final int INITIAL = 2048;

    private byte[] data;
    private int head;
    private int size;
    private int capacity;
    /** Bytes past the readable ones that may hold out-of-order data ({@link #writeAt}). */
    private int ahead;

    ByteRing(int capacity) {
        this.capacity = capacity;
        this.data = new byte[Math.min(capacity, INITIAL)];
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes of array held now (at most the capacity, or the initial allocation). */
    int allocated() {
        return data.length;
    }

    int free() {
        return capacity - size;
    }

    void setCapacity(int capacity) {
        this.capacity = Math.max(capacity, size + ahead);
    }

    /** Appends up to {@code length} bytes from {@code src}; returns how many fit. */
    int write(byte[] src, int offset, int length) {
        int n = Math.min(length, free());
        ensure(size + n);
        int tail = (head + size) % data.length;
        int first = Math.min(n, data.length - tail);
        System.arraycopy(src, offset, data, tail, first);
        System.arraycopy(src, offset + first, data, 0, n - first);
        grow(n);
        return n;
    }

    /** Appends up to {@code length} bytes from {@code src} at absolute index {@code index}; returns how many fit. */
    int write(ByteBuf src, int index, int length) {
        int n = Math.min(length, free());
        ensure(size + n);
        copyIn(src, index, (head + size) % data.length, n);
        grow(n);
        return n;
    }

    /**
     * Stores {@code length} bytes from {@code src} {@code offset} bytes past the readable ones,
     * without making them readable (out-of-order data). {@code offset + length} must not exceed
     * {@link #free()}.
     */
    void writeAt(int offset, ByteBuf src, int index, int length) {
        if (offset < 0 || offset + length > free()) {
            throw new IllegalArgumentException("writeAt " + offset + "+" + length + " > free " + free());
        }
        ensure(size + offset + length);
        copyIn(src, index, (head + size + offset) % data.length, length);
        ahead = Math.max(ahead, offset + length);
    }

    /** Makes the next {@code n} bytes stored by {@link #writeAt} readable. */
    void commit(int n) {
        if (n > ahead) {
            throw new IllegalArgumentException("commit " + n + " > stored ahead " + ahead);
        }
        grow(n);
    }

    private void grow(int n) {
        size += n;
        ahead = Math.max(0, ahead - n);
    }

    private void copyIn(ByteBuf src, int index, int position, int length) {
        int first = Math.min(length, data.length - position);
        src.getBytes(index, data, position, first);
        src.getBytes(index + first, data, 0, length - first);
    }

    /** Copies {@code length} bytes starting {@code skip} bytes after the head into {@code dst} (appends). */
    void copyTo(ByteBuf dst, int skip, int length) {
        int start = (head + skip) % data.length;
        int first = Math.min(length, data.length - start);
        dst.writeBytes(data, start, first);
        dst.writeBytes(data, 0, length - first);
    }

    /** Removes up to {@code length} bytes from the head into {@code dst}; returns how many. */
    int read(byte[] dst, int offset, int length) {
        int n = Math.min(length, size);
        int first = Math.min(n, data.length - head);
        System.arraycopy(data, head, dst, offset, first);
        System.arraycopy(data, 0, dst, offset + first, n - first);
        discard(n);
        return n;
    }

    /** Drops {@code n} bytes from the head. */
    void discard(int n) {
        if (n > size) {
            throw new IllegalArgumentException("discard " + n + " > size " + size);
        }
        head = (head + n) % data.length;
        size -= n;
        if (size == 0 && ahead == 0) {
            head = 0;
        }
    }

    /** Grows the array to hold {@code needed} bytes from the head, keeping the readable and the ahead bytes. */
    private void ensure(int needed) {
        if (needed <= data.length) {
            return;
        }
        int length = data.length;
        while (length < needed) {
            length = (int) Math.min((long) length * 2, Integer.MAX_VALUE - 8);
        }
        // doubling stops at the capacity: a 46 KiB buffer held 64 KiB (SegmentArrivalFuzzTest)
        resize(Math.max(needed, Math.min(length, capacity)));
    }

    /**
     * Cuts the array down to the bytes it holds (at least the initial allocation) when they fill
     * less than half of it: what Linux's tcp_collapse does to truesize, done under memory pressure.
     */
    void trim() {
        int length = Math.max(INITIAL, size + ahead);
        if (length <= data.length >> 1) {
            resize(length);
        }
    }

    /** Forgets stored-ahead bytes past the first {@code keep} (out-of-order data pruned). */
    void forgetAhead(int keep) {
        ahead = Math.max(0, Math.min(ahead, keep));
    }

    /** A new array of {@code length} bytes with the readable and the ahead bytes from its start. */
    private void resize(int length) {
        byte[] resized = new byte[length];
        int kept = size + ahead;
        int first = Math.min(kept, data.length - head);
        System.arraycopy(data, head, resized, 0, first);
        System.arraycopy(data, 0, resized, first, kept - first);
        data = resized;
        head = 0;
    }
}

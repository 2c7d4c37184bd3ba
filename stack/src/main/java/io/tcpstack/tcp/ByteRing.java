package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;

/**
 * A bounded ring of bytes: the storage of the send buffer (bytes from snd.una on) and of the
 * in-order part of the receive buffer. Grows its array on demand up to {@code capacity}. Not
 * thread-safe: used under the Tcb lock.
 */
final class ByteRing {
    private byte[] data;
    private int head;
    private int size;
    private int capacity;

    ByteRing(int capacity) {
        this.capacity = capacity;
        this.data = new byte[Math.min(capacity, 16 * 1024)];
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    int free() {
        return capacity - size;
    }

    void setCapacity(int capacity) {
        this.capacity = Math.max(capacity, size);
    }

    /** Appends up to {@code length} bytes from {@code src}; returns how many fit. */
    int write(byte[] src, int offset, int length) {
        int n = Math.min(length, free());
        ensure(size + n);
        int tail = (head + size) % data.length;
        int first = Math.min(n, data.length - tail);
        System.arraycopy(src, offset, data, tail, first);
        System.arraycopy(src, offset + first, data, 0, n - first);
        size += n;
        return n;
    }

    /** Appends up to {@code length} bytes from {@code src} at absolute index {@code index}; returns how many fit. */
    int write(ByteBuf src, int index, int length) {
        int n = Math.min(length, free());
        ensure(size + n);
        int tail = (head + size) % data.length;
        int first = Math.min(n, data.length - tail);
        src.getBytes(index, data, tail, first);
        src.getBytes(index + first, data, 0, n - first);
        size += n;
        return n;
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
        if (size == 0) {
            head = 0;
        }
    }

    private void ensure(int needed) {
        if (needed <= data.length) {
            return;
        }
        int length = data.length;
        while (length < needed) {
            length = (int) Math.min((long) length * 2, Integer.MAX_VALUE - 8);
        }
        byte[] grown = new byte[length];
        int first = Math.min(size, data.length - head);
        System.arraycopy(data, head, grown, 0, first);
        System.arraycopy(data, 0, grown, first, size - first);
        data = grown;
        head = 0;
    }
}

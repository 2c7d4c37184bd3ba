package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Out-of-order segments waiting for the hole before them to fill (RFC 9293 3.10.7.4, seventh;
 * Linux tcp_data_queue_ofo). Blocks are kept sorted and merged, at most {@code maxBlocks} of them
 * (a bounded number of holes); data is kept as copies. Not thread-safe: used under the Tcb lock.
 */
final class Reassembly {
    /** One contiguous run of received bytes [seq, seq + data.length). */
    private static final class Block {
        int seq;
        byte[] data;

        Block(int seq, byte[] data) {
            this.seq = seq;
            this.data = data;
        }

        int end() {
            return seq + data.length;
        }
    }

    private final List<Block> blocks = new ArrayList<>();
    /** Seq of the block that received the latest segment, for the first SACK block (RFC 2018 4). */
    private int latestSeq;
    private boolean finReceived;
    private int finSeq;

    boolean isEmpty() {
        return blocks.isEmpty() && !finReceived;
    }

    int blockCount() {
        return blocks.size();
    }

    /** Bytes held. */
    int bytes() {
        int n = 0;
        for (Block b : blocks) {
            n += b.data.length;
        }
        return n;
    }

    /** Remembers an out-of-order FIN at {@code seq}. */
    void addFin(int seq) {
        finReceived = true;
        finSeq = seq;
    }

    /**
     * Stores [seq, seq+length) copied from {@code src}. Returns false (nothing stored) when it
     * would need more than {@code maxBlocks} blocks.
     */
    boolean add(int seq, ByteBuf src, int index, int length, int maxBlocks) {
        byte[] data = new byte[length];
        src.getBytes(index, data);
        Block incoming = new Block(seq, data);
        int i = 0;
        while (i < blocks.size() && SeqNum.lt(blocks.get(i).end(), seq)) {
            i++;
        }
        // merge with every block that touches or overlaps [seq, end)
        int j = i;
        while (j < blocks.size() && SeqNum.le(blocks.get(j).seq, incoming.end())) {
            incoming = merge(incoming, blocks.get(j));
            j++;
        }
        if (j == i && blocks.size() >= maxBlocks) {
            return false;
        }
        blocks.subList(i, j).clear();
        blocks.add(i, incoming);
        latestSeq = incoming.seq;
        return true;
    }

    private static Block merge(Block a, Block b) {
        int start = SeqNum.min(a.seq, b.seq);
        int end = SeqNum.max(a.end(), b.end());
        byte[] merged = new byte[end - start];
        System.arraycopy(b.data, 0, merged, b.seq - start, b.data.length);
        System.arraycopy(a.data, 0, merged, a.seq - start, a.data.length);
        return new Block(start, merged);
    }

    /**
     * Moves what became in order at {@code rcvNxt} into {@code ring}; returns the new rcv.nxt
     * (including a FIN that became in order, reported by {@link #takeFin}).
     */
    int drainInto(int rcvNxt, ByteRing ring) {
        while (!blocks.isEmpty() && SeqNum.le(blocks.get(0).seq, rcvNxt)) {
            Block b = blocks.remove(0);
            int skip = rcvNxt - b.seq;
            if (skip < b.data.length) {
                int written = ring.write(b.data, skip, b.data.length - skip);
                rcvNxt += written;
                if (written < b.data.length - skip) {
                    break; // receive buffer full: the rest is dropped and will be retransmitted
                }
            }
        }
        return rcvNxt;
    }

    /** True (and forgets it) if a held FIN is now exactly at {@code rcvNxt}. */
    boolean takeFin(int rcvNxt) {
        if (finReceived && finSeq == rcvNxt && blocks.isEmpty()) {
            finReceived = false;
            return true;
        }
        return false;
    }

    /**
     * Fills {@code out} with up to {@code max} SACK blocks (RFC 2018 4: the block holding the most
     * recent segment first, then the others in order); returns the count.
     */
    int sackBlocks(int[] out, int max) {
        int count = 0;
        for (Block b : blocks) {
            if (b.seq == latestSeq) {
                out[0] = b.seq;
                out[1] = b.end();
                count = 1;
            }
        }
        for (Block b : blocks) {
            if (count >= max) {
                break;
            }
            if (b.seq != latestSeq || count == 0) {
                out[2 * count] = b.seq;
                out[2 * count + 1] = b.end();
                count++;
            }
        }
        return count;
    }

    void clear() {
        blocks.clear();
        finReceived = false;
    }
}

package io.tcpstack.profile;

/**
 * tcp_mem: the stack-wide budget for the bytes connections hold in their receive, out-of-order
 * and send queues, in pages of {@value #PAGE} bytes, as Linux spells it ("LOW PRESSURE HIGH").
 * Below LOW there is no limit; above PRESSURE the stack is under memory pressure (windows stop
 * growing, out-of-order queues are pruned); above HIGH no connection gets memory beyond its
 * minimum (tcp_rmem[0], tcp_wmem[0]).
 */
public record MemoryLimits(long low, long pressure, long high) {
    /** SK_MEM_QUANTUM: PAGE_SIZE on x86. */
    public static final int PAGE = 4096;

    public MemoryLimits {
        if (low < 1 || low > pressure || pressure > high) {
            throw new IllegalArgumentException("tcp_mem must be LOW <= PRESSURE <= HIGH, all >= 1 page, got "
                    + low + " " + pressure + " " + high);
        }
    }

    /**
     * Linux tcp_init_mem with the heap in place of the machine's memory: pressure at a sixteenth
     * of it (nr_free_buffer_pages() / 16, at least 128 pages), low at three quarters of that,
     * high at twice low.
     */
    public static MemoryLimits fromHeap(long heapBytes) {
        long limit = Math.max(heapBytes / PAGE / 16, 128);
        long low = limit / 4 * 3;
        return new MemoryLimits(low, limit, low * 2);
    }

    /** As sysctl prints it: three numbers separated by spaces. */
    @Override
    public String toString() {
        return low + " " + pressure + " " + high;
    }
}

package io.tcpstack.link;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * The context a thread sends from, as a queue number: what a CPU is to Linux. A link reader (or a
 * inbound queue's worker) runs queue q's packets as a NAPI poll runs a CPU's backlog, so what it sends
 * while doing so leaves from context q, as a NIC's XPS map sends a CPU's packets on that CPU's
 * transmit queue. Any other thread (an application, the timers) is a context of its own, numbered
 * by its thread id. Links whose receiving side steers by {@link Steering#SENDING_CPU} deliver a
 * packet on the queue of the context it was sent from.
 */
public final class SendingContext {
    private static final FastThreadLocal<int[]> QUEUE = new FastThreadLocal<>() {
        @Override
        protected int[] initialValue() {
            return new int[] {(int) Thread.currentThread().getId()};
        }
    };

    private SendingContext() {
    }

    /** This thread now runs queue {@code queue}'s packets. */
    public static void enter(int queue) {
        QUEUE.get()[0] = queue;
    }

    /** The queue this thread sends from (taken modulo a link's queue count). */
    public static int queue() {
        return QUEUE.get()[0];
    }
}

package io.tcpstack.tcp;

/**
 * Delivery rate sampling (Linux tcp_rate.c, draft-cheng-iccrg-delivery-rate-estimation), reduced
 * to what ss -ti shows as delivery_rate: each segment remembers how much had been delivered when
 * it was sent; an ACK's sample is what was delivered since, over the time it took. Runs under the
 * Tcb lock.
 */
final class DeliveryRate {
    private DeliveryRate() {}

    /** Rate sampling: the most recently sent of the segments this ACK delivered (Linux tcp_rate_skb_delivered). */
    static void noteDelivered(Tcb tcb, int slot, TcpAck.State st) {
        RetransmitQueue q = tcb.rtx;
        long sent = q.sentNanos(slot);
        if (st.priorSentNanos < 0 || sent > st.priorSentNanos) {
            st.priorSentNanos = sent;
            st.priorDelivered = q.txDelivered(slot);
            st.priorDeliveredNanos = q.txDeliveredNanos(slot);
        }
    }

    /**
     * Linux tcp_rate_gen, reduced to what ss -ti shows: segments delivered since the newest
     * segment this ACK delivered was sent, over the time since the delivery before its sending.
     */
    static void rateSample(Tcb tcb, long newlyDelivered) {
        TcpAck.State st = tcb.ackState;
        if (newlyDelivered > 0) {
            tcb.deliveredNanos = tcb.ackNanos;
        }
        if (st.priorSentNanos < 0 || st.priorDeliveredNanos == 0) {
            return;
        }
        long interval = Math.max(tcb.ackNanos - st.priorDeliveredNanos, tcb.ackNanos - st.priorSentNanos);
        long segments = tcb.delivered - st.priorDelivered;
        if (interval > 0 && segments > 0) {
            tcb.deliveryRateBps = segments * tcb.sndMss * 8L * 1_000_000_000L / interval;
        }
    }
}

package io.tcpstack.wire;

import io.tcpstack.tcp.SeqNum;

/** A wire class that reaches up into TCP, as no main class may: LayersTest's rule must reject it. */
public final class UpwardImportSample {
    private UpwardImportSample() {}

    public static boolean after(int a, int b) {
        return SeqNum.gt(a, b);
    }
}

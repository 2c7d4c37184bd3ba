package io.tcpstack.examples;

import io.tcpstack.tcp.SeqNum;

/** An application class that uses the engine, as none may: ApplicationsUseTheApiTest must reject it. */
final class EngineReachingSample {
    private EngineReachingSample() {}

    static boolean after(int a, int b) {
        return SeqNum.gt(a, b);
    }
}

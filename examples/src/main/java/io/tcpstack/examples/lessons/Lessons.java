package io.tcpstack.examples.lessons;

import java.util.List;
import java.util.Optional;

/** Every lesson, in the order a course would take them. */
public final class Lessons {
    public static final List<Lesson> ALL = List.of(new Handshake(), new LossAndSack(), new RtoBackoff(),
            new ZeroWindow(), new NagleDelayedAck(), new Simultaneous(), new FinAckRace(), new SynSentAck(),
            new TimeWaitReuseRecycle());

    private Lessons() {
    }

    public static Optional<Lesson> find(String name) {
        return ALL.stream().filter(l -> l.name().equals(name)).findFirst();
    }
}

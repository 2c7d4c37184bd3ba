package io.tcpstack.drill;

import java.util.List;
import java.util.Map;

/**
 * A parsed packetdrill script: its {@code --option=value} header and its events in order, each
 * with the line it came from. What the runner cannot do is kept as {@link Unsupported} with the
 * reason, so that the whole script is reported unsupported rather than half run.
 */
record Script(String name, Map<String, String> options, List<Event> events) {

    /** When an event happens (packetdrill's event_time). Microseconds. */
    record Time(Kind kind, long start, long end) {
        enum Kind { ABSOLUTE, RELATIVE, ANY, ABSOLUTE_RANGE, RELATIVE_RANGE }

        boolean relative() {
            return kind == Kind.RELATIVE || kind == Kind.RELATIVE_RANGE;
        }
    }

    record Event(int line, Time time, Action action) {
    }

    sealed interface Action permits Packet, Syscall, Command, Unsupported {
    }

    /** IP ECN codepoints as the script writes them; {@code ANY} when the script does not say. */
    enum Ecn {
        ANY(-1), NOECN(0), ECT1(1), ECT0(2), CE(3), ECT01(-2);

        final int bits;

        Ecn(int bits) {
            this.bits = bits;
        }
    }

    /** A TCP option as written: kind and values (sack blocks as start,end pairs). */
    record Option(String kind, long a, long b, long[] sack) {
        static Option of(String kind) {
            return new Option(kind, 0, 0, null);
        }

        @Override
        public String toString() {
            return switch (kind) {
                case "mss", "wscale" -> kind + " " + a;
                case "TS" -> "TS val " + a + " ecr " + b;
                case "sack" -> {
                    StringBuilder s = new StringBuilder("sack");
                    for (int i = 0; i < sack.length; i += 2) {
                        s.append(' ').append(sack[i]).append(':').append(sack[i + 1]);
                    }
                    yield s.toString();
                }
                default -> kind;
            };
        }
    }

    /**
     * A packet line. {@code options} null means {@code <...>} (any options); {@code ack} and
     * {@code window} null mean "not checked" (outbound) or absent.
     */
    record Packet(boolean inbound, String protocol, Ecn ecn, int tos, String flags, long seq, int length, Long ack,
            Integer window, int urgent, List<Option> options, int srcPort, int dstPort, String icmpType,
            String icmpCode) implements Action {
    }

    /** A system call line; {@code endMicros} is the end of {@code start...end} for blocking calls, else -1. */
    record Syscall(long endMicros, String name, List<Expr> args, Expr result, String errno) implements Action {
    }

    /** A back-quoted shell command. */
    record Command(String text) implements Action {
    }

    /** An event the runner does not execute (a python block, an unknown packet kind...). */
    record Unsupported(String reason) implements Action {
    }

    /** A system call argument or result (packetdrill's expression). */
    sealed interface Expr {
        record Ellipsis() implements Expr {
            @Override
            public String toString() {
                return "...";
            }
        }

        record Num(long value) implements Expr {
            @Override
            public String toString() {
                return Long.toString(value);
            }
        }

        record Word(String name) implements Expr {
            @Override
            public String toString() {
                return name;
            }
        }

        record Str(String text) implements Expr {
            @Override
            public String toString() {
                return '"' + text + '"';
            }
        }

        record Array(List<Expr> items) implements Expr {
            @Override
            public String toString() {
                return items.toString();
            }
        }

        /** {@code A|B|C}. */
        record Or(List<Expr> terms) implements Expr {
            @Override
            public String toString() {
                return String.join("|", terms.stream().map(Object::toString).toList());
            }
        }

        /** {@code {fd=4, events=POLLIN}} or {@code {onoff=1, linger=0}}; also {@code {..., 100}} (iovec). */
        record Struct(Map<String, Expr> fields, List<Expr> positional) implements Expr {
            @Override
            public String toString() {
                return "{" + fields + positional + "}";
            }
        }

        /** {@code htons(8080)}, {@code inet_addr("1.2.3.4")}. */
        record Call(String function, List<Expr> args) implements Expr {
            @Override
            public String toString() {
                return function + args;
            }
        }
    }
}

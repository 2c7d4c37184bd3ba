package io.tcpstack.profile;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How a knob's value is spelled: parsing with validation and formatting back. {@link #parse}
 * throws {@link IllegalArgumentException} with a message that says what is allowed and what was
 * given, without the knob's name (the caller knows where the value came from: a flag, a line of
 * the config file, a control request).
 *
 * @param <T> the parsed value
 */
public abstract class KnobType<T> {
    private final String label;
    private final String allowed;

    protected KnobType(String label, String allowed) {
        this.label = label;
        this.allowed = allowed;
    }

    /** A short placeholder for help texts: N, DURATION, BYTES, a list of choices. */
    public final String label() {
        return label;
    }

    /** What values are allowed, in words: "0..65535", "none or flow". */
    public final String allowed() {
        return allowed;
    }

    public abstract T parse(String text);

    public abstract String format(T value);

    /** The message for a value that is not allowed. */
    protected final IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("must be " + allowed + ", got '" + text + "'");
    }

    /** Whole numbers in {@code [min, max]}. */
    public static KnobType<Integer> integer(int min, int max) {
        return new KnobType<>("N", min + ".." + max) {
            @Override
            public Integer parse(String text) {
                try {
                    int v = Integer.parseInt(text.trim());
                    if (v >= min && v <= max) {
                        return v;
                    }
                } catch (NumberFormatException e) {
                    // reported below with what is allowed
                }
                throw invalid(text);
            }

            @Override
            public String format(Integer value) {
                return value.toString();
            }
        };
    }

    /** 0 or 1, as the Linux sysctls that are switches spell it. */
    public static KnobType<Boolean> flag() {
        return new KnobType<>("0|1", "0 or 1") {
            @Override
            public Boolean parse(String text) {
                return switch (text.trim()) {
                    case "0" -> false;
                    case "1" -> true;
                    default -> throw invalid(text);
                };
            }

            @Override
            public String format(Boolean value) {
                return value ? "1" : "0";
            }
        };
    }

    /**
     * A time in milliseconds, written with a unit (ms, s, m, h) or as a bare number in {@code
     * bareUnit} (the unit of the Linux sysctl: seconds for tcp_fin_timeout, milliseconds for
     * tcp_invalid_ratelimit). Formatted in seconds when whole, else in milliseconds.
     */
    public static KnobType<Long> duration(Unit bareUnit, long minMs, long maxMs) {
        String allowed = "a duration " + formatMillis(minMs) + ".." + formatMillis(maxMs) + " (a number with ms, s, m or h;"
                + " a bare number is in " + bareUnit.word + ")";
        return new KnobType<>("DURATION", allowed) {
            @Override
            public Long parse(String text) {
                String t = text.trim().toLowerCase(Locale.ROOT);
                int digits = 0;
                while (digits < t.length() && Character.isDigit(t.charAt(digits))) {
                    digits++;
                }
                if (digits == 0 || digits > 12) {
                    throw invalid(text);
                }
                long n = Long.parseLong(t.substring(0, digits));
                long ms = switch (t.substring(digits)) {
                    case "" -> n * bareUnit.millis;
                    case "ms" -> n;
                    case "s" -> n * 1000;
                    case "m" -> n * 60_000;
                    case "h" -> n * 3_600_000;
                    default -> throw invalid(text);
                };
                if (ms < minMs || ms > maxMs) {
                    throw invalid(text);
                }
                return ms;
            }

            @Override
            public String format(Long value) {
                return formatMillis(value);
            }
        };
    }

    /** The unit of a bare number in a {@link #duration}. */
    public enum Unit {
        MILLISECONDS("milliseconds", 1),
        SECONDS("seconds", 1000);

        private final String word;
        private final long millis;

        Unit(String word, long millis) {
            this.word = word;
            this.millis = millis;
        }
    }

    static String formatMillis(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** A size in bytes, with an optional k, m or g suffix (powers of 1024). */
    public static KnobType<Integer> bytes(int min, int max) {
        return new KnobType<>("BYTES", "a size " + formatBytes(min) + ".." + formatBytes(max)
                + " (bytes, or a number with k, m or g)") {
            @Override
            public Integer parse(String text) {
                String t = text.trim().toLowerCase(Locale.ROOT);
                int shift = t.endsWith("k") ? 10 : t.endsWith("m") ? 20 : t.endsWith("g") ? 30 : 0;
                String number = shift == 0 ? t : t.substring(0, t.length() - 1);
                try {
                    long n = Long.parseLong(number);
                    if (n >= 0 && n <= (max >> shift) && n << shift >= min) {
                        return (int) (n << shift);
                    }
                } catch (NumberFormatException e) {
                    // reported below with what is allowed
                }
                throw invalid(text);
            }

            @Override
            public String format(Integer value) {
                return formatBytes(value);
            }
        };
    }

    static String formatBytes(int bytes) {
        if (bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "m";
        }
        return bytes % 1024 == 0 ? (bytes >> 10) + "k" : Integer.toString(bytes);
    }

    /** One of {@code values}, each spelled by {@code name}. */
    public static <E> KnobType<E> choice(Function<E, String> name, List<E> values) {
        String names = values.stream().map(name).collect(Collectors.joining(", "));
        String allowed = values.size() == 2 ? name.apply(values.get(0)) + " or " + name.apply(values.get(1))
                : "one of " + names;
        String label = values.stream().map(name).collect(Collectors.joining("|"));
        return new KnobType<>(label, allowed) {
            @Override
            public E parse(String text) {
                for (E v : values) {
                    if (name.apply(v).equals(text.trim())) {
                        return v;
                    }
                }
                throw invalid(text);
            }

            @Override
            public String format(E value) {
                return name.apply(value);
            }
        };
    }

    /** ip_local_port_range: "LOW-HIGH" (or "LOW HIGH", as sysctl prints it), 1..65535, LOW <= HIGH. */
    public static KnobType<PortRange> portRange() {
        return new KnobType<>("LOW-HIGH", "LOW-HIGH within 1..65535 with LOW <= HIGH") {
            @Override
            public PortRange parse(String text) {
                String[] parts = text.trim().split("\\s*-\\s*|\\s+");
                if (parts.length == 2) {
                    try {
                        int low = Integer.parseInt(parts[0]);
                        int high = Integer.parseInt(parts[1]);
                        if (low >= 1 && high <= 65535 && low <= high) {
                            return new PortRange(low, high);
                        }
                    } catch (NumberFormatException e) {
                        // reported below with what is allowed
                    }
                }
                throw invalid(text);
            }

            @Override
            public String format(PortRange value) {
                return value.low() + "-" + value.high();
            }
        };
    }

    /** tcp_rmem / tcp_wmem: "MIN DEFAULT MAX" in bytes (each may carry k, m or g), MIN <= DEFAULT <= MAX. */
    public static KnobType<BufferSizes> bufferSizes() {
        KnobType<Integer> size = bytes(1, 1 << 30);
        return new KnobType<>("MIN DEFAULT MAX", "three sizes MIN DEFAULT MAX with MIN <= DEFAULT <= MAX, each 1..1g") {
            @Override
            public BufferSizes parse(String text) {
                String[] parts = text.trim().split("\\s+");
                if (parts.length == 3) {
                    try {
                        return new BufferSizes(size.parse(parts[0]), size.parse(parts[1]), size.parse(parts[2]));
                    } catch (IllegalArgumentException e) {
                        // reported below with what is allowed
                    }
                }
                throw invalid(text);
            }

            @Override
            public String format(BufferSizes value) {
                return value.toString();
            }
        };
    }

    /** tcp_mem: "LOW PRESSURE HIGH" in pages, LOW <= PRESSURE <= HIGH. */
    public static KnobType<MemoryLimits> memoryLimits() {
        return new KnobType<>("LOW PRESSURE HIGH", "three page counts LOW <= PRESSURE <= HIGH, each 1.."
                + Integer.MAX_VALUE + " (pages of 4096 bytes)") {
            @Override
            public MemoryLimits parse(String text) {
                String[] parts = text.trim().split("\\s+");
                if (parts.length == 3) {
                    try {
                        return new MemoryLimits(pages(parts[0]), pages(parts[1]), pages(parts[2]));
                    } catch (IllegalArgumentException e) {
                        // reported below with what is allowed
                    }
                }
                throw invalid(text);
            }

            private static long pages(String text) {
                long n = Long.parseLong(text);
                if (n > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(text);
                }
                return n;
            }

            @Override
            public String format(MemoryLimits value) {
                return value.toString();
            }
        };
    }

    /** A local port range (ip_local_port_range). */
    public record PortRange(int low, int high) {
    }

    /**
     * Any other spelling: {@code parse} throws IllegalArgumentException with its own message
     * (which should say what is allowed).
     */
    public static <T> KnobType<T> of(String label, String allowed, Function<String, T> parse, Function<T, String> format) {
        return new KnobType<>(label, allowed) {
            @Override
            public T parse(String text) {
                return parse.apply(text.trim());
            }

            @Override
            public String format(T value) {
                return format.apply(value);
            }
        };
    }
}

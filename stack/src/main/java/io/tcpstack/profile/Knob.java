package io.tcpstack.profile;

import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One setting of the stack or of the process that hosts it, with the one place that validates
 * it: the flag {@code --NAME}, the config file line {@code NAME = VALUE}, {@code tcpstack ctl
 * get|set NAME} and the help listing all come from here.
 *
 * <p>Names are lowercase words joined by '-' (the flag spelling); a knob that mirrors a Linux
 * sysctl also answers to that sysctl's name ({@code tcp_fin_timeout}, {@code
 * net.ipv4.tcp_fin_timeout}). In every name '_' and '-' are the same.
 *
 * <p>A <em>live</em> knob is a field of {@link TcpSettings}, which the engine reads when it needs
 * it, so setting it on a running stack takes effect from then on ({@link #appliesTo()} says for
 * what). A <em>host</em> knob configures the process (device, queues, control socket...) and
 * takes effect at the next start.
 */
public final class Knob {
    private final String name;
    private final String sysctl;
    private final KnobType<Object> type;
    private final String help;
    private final String appliesTo;
    private final Function<TcpSettings, Object> getter;
    private final BiConsumer<TcpSettings, Object> setter;
    private final String hostDefault;

    @SuppressWarnings("unchecked")
    private <T> Knob(String name, String sysctl, KnobType<T> type, String help, String appliesTo,
            Function<TcpSettings, T> getter, BiConsumer<TcpSettings, T> setter, String hostDefault) {
        this.name = Objects.requireNonNull(name);
        this.sysctl = sysctl;
        this.type = (KnobType<Object>) type;
        this.help = Objects.requireNonNull(help);
        this.appliesTo = appliesTo;
        this.getter = (Function<TcpSettings, Object>) getter;
        this.setter = (BiConsumer<TcpSettings, Object>) setter;
        this.hostDefault = hostDefault;
    }

    /**
     * A knob backed by a {@link TcpSettings} field.
     *
     * @param sysctl the Linux sysctl it mirrors (without net.ipv4.), or null
     * @param appliesTo when a run-time change is seen: "new connections", "the next unacceptable
     *     ACK in SYN-SENT"...
     */
    public static <T> Knob live(String name, String sysctl, KnobType<T> type, String help, String appliesTo,
            Function<TcpSettings, T> getter, BiConsumer<TcpSettings, T> setter) {
        return new Knob(name, sysctl, type, help, Objects.requireNonNull(appliesTo), Objects.requireNonNull(getter),
                Objects.requireNonNull(setter), null);
    }

    /** A knob of the hosting process, read at start; {@code defaultValue} is already spelled as a value. */
    public static <T> Knob host(String name, KnobType<T> type, String defaultValue, String help) {
        return new Knob(name, null, type, help, null, null, null, Objects.requireNonNull(defaultValue));
    }

    public String name() {
        return name;
    }

    /** The Linux sysctl this knob mirrors (tcp_fin_timeout), or null. */
    public String sysctl() {
        return sysctl;
    }

    public KnobType<Object> type() {
        return type;
    }

    public String help() {
        return help;
    }

    /** True for a {@link TcpSettings} knob, which can be changed on a running stack. */
    public boolean isLive() {
        return setter != null;
    }

    /** When a run-time change takes effect; "restart" for host knobs. */
    public String appliesTo() {
        return isLive() ? appliesTo : "restart";
    }

    /** True if {@code candidate} names this knob: its name or its sysctl's, '_' and '-' alike, any case. */
    public boolean answersTo(String candidate) {
        String c = normalize(candidate);
        if (c.startsWith("net.ipv4.")) {
            c = c.substring("net.ipv4.".length());
        }
        return c.equals(normalize(name)) || (sysctl != null && c.equals(normalize(sysctl)));
    }

    private static String normalize(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The value {@code text} spells; IllegalArgumentException saying what is allowed (without the knob's name). */
    public Object parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("needs a value: " + type.allowed());
        }
        return type.parse(text);
    }

    /** {@code text} in this knob's canonical spelling; validates like {@link #parse}. */
    public String canonical(String text) {
        return type.format(parse(text));
    }

    /** The default, spelled as a value: for live knobs the value a fresh {@link TcpSettings} has. */
    public String defaultValue() {
        return isLive() ? get(new TcpSettings()) : hostDefault;
    }

    /** The current value of a live knob in {@code settings}. */
    public String get(TcpSettings settings) {
        requireLive();
        return type.format(getter.apply(settings));
    }

    /** Validates {@code text} and sets a live knob in {@code settings}; returns the value as now spelled. */
    public String set(TcpSettings settings, String text) {
        requireLive();
        Object value = parse(text);
        setter.accept(settings, value);
        return type.format(value);
    }

    private void requireLive() {
        if (!isLive()) {
            throw new IllegalStateException(name + " is a host knob: it has no TcpSettings field");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}

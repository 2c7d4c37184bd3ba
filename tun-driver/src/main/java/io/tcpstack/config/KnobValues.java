package io.tcpstack.config;

import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Knob values given explicitly (by flags or a config file), validated and in canonical spelling.
 * Knobs not given keep their defaults.
 */
public final class KnobValues {
    private final Map<Knob, String> values = new LinkedHashMap<>();

    /**
     * Validates {@code raw} for {@code knob} and records it; the message of the
     * IllegalArgumentException is prefixed with {@code where} (a flag, a file and line).
     */
    public void put(Knob knob, String raw, String where) {
        try {
            values.put(knob, knob.canonical(raw));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    public Optional<String> get(Knob knob) {
        return Optional.ofNullable(values.get(knob));
    }

    /** The value given, else the knob's default. */
    public String value(Knob knob) {
        return values.getOrDefault(knob, knob.defaultValue());
    }

    public Map<Knob, String> given() {
        return Collections.unmodifiableMap(values);
    }

    /** These values with {@code over}'s on top. */
    public KnobValues overriddenBy(KnobValues over) {
        KnobValues merged = new KnobValues();
        merged.values.putAll(values);
        merged.values.putAll(over.values);
        return merged;
    }

    /** Fresh settings with these values: the profile first, then every other live knob given. */
    public TcpSettings settings() {
        TcpSettings settings = new TcpSettings();
        get(KnobRegistry.PROFILE).ifPresent(p -> KnobRegistry.PROFILE.set(settings, p));
        values.forEach((knob, value) -> {
            if (knob.isLive() && knob != KnobRegistry.PROFILE) {
                knob.set(settings, value);
            }
        });
        return settings;
    }
}

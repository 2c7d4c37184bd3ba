package io.tcpstack.cli;

import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import picocli.CommandLine;

/** Command-line converters for the stack's knob types (values spelled like the knobs). */
final class Knobs {
    private Knobs() {
    }

    static void registerConverters(CommandLine cl) {
        cl.registerConverter(Profile.class, Profile::parse);
        cl.registerConverter(Affinity.class, Affinity::parse);
        cl.registerConverter(SynResend.class, SynResend::parse);
    }

    /** "LOW-HIGH" as two ints. */
    static int[] portRange(String value) {
        String[] parts = value.split("-");
        if (parts.length != 2) {
            throw new IllegalArgumentException("port range must be LOW-HIGH, got '" + value + "'");
        }
        try {
            return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port range must be LOW-HIGH, got '" + value + "'");
        }
    }

    /** Configures slf4j-simple; must run before the first logger is created. */
    static void configureLogging(String level) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
}

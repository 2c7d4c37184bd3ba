package io.tcpstack.cli;

/** slf4j-simple's settings: one line per event, with the time, on stderr. */
final class Logging {
    private Logging() {
    }

    /** Must run before the first logger is created. */
    static void configure(String level) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        // netty's own debug lines (its system properties) say nothing about the stack
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "info");
    }
}

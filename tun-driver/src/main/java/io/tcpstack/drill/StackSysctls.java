package io.tcpstack.drill;

import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import java.util.List;
import java.util.Map;

/**
 * A script's back-quoted commands as the stack sees them: {@code sysctl} settings of
 * net.ipv4.tcp_* become knobs ({@link KnobRegistry}, by their sysctl names); packetdrill's
 * {@code defaults.sh} is applied as the settings it makes. A setting the stack has no knob for
 * is unsupported, unless the stack already behaves that way (listed with the reason in {@link
 * #ALREADY}); a few describe the kernel's environment and do not apply to the stack at all
 * ({@link #NOT_APPLICABLE}: the runner prints them as notes).
 */
final class StackSysctls {
    /** Sysctl values the stack always has: setting them changes nothing. */
    private static final Map<String, String> ALREADY = Map.ofEntries(
            Map.entry("tcp_fack", "0"), Map.entry("tcp_reordering", "3"), Map.entry("tcp_slow_start_after_idle", "0"),
            Map.entry("tcp_notsent_lowat", "4294967295"), Map.entry("tcp_syncookies", "1"),
            Map.entry("tcp_ecn_option", "2"), Map.entry("tcp_moderate_rcvbuf", "1"));

    /**
     * Sysctls of packetdrill's defaults.sh that describe the kernel's environment rather than TCP
     * rules the stack follows: congestion control (the stack has NewReno), RTO recovery and loss
     * probe modes, TSO deferral, pacing, fast open. The script runs; a failure it causes shows
     * as a failure.
     */
    private static final List<String> NOT_APPLICABLE = List.of("tcp_congestion_control", "tcp_frto", "tcp_dsack",
            "tcp_early_retrans", "tcp_recovery", "tcp_tso_win_divisor", "tcp_pacing_ss_ratio", "tcp_pacing_ca_ratio",
            "tcp_fastopen", "tcp_fastopen_key", "tcp_min_tso_segs");

    /** packetdrill's defaults.sh (gtests/net/common and the kernel selftests'): what it sets. */
    private static final String[][] DEFAULTS = {
        {"tcp_rmem", "4096 540000 15728640"}, {"tcp_wmem", "4096 262144 4194304"}, {"tcp_timestamps", "1"},
        {"tcp_syn_retries", "5"}, {"tcp_synack_retries", "5"}, {"tcp_frto", "2"}, {"tcp_sack", "1"},
        {"tcp_dsack", "1"}, {"tcp_fack", "0"}, {"tcp_reordering", "3"}, {"tcp_congestion_control", "cubic"},
        {"tcp_slow_start_after_idle", "0"}, {"tcp_early_retrans", "4"}, {"tcp_recovery", "1"},
        {"tcp_tso_win_divisor", "3"}, {"tcp_ecn", "0"}, {"tcp_pacing_ss_ratio", "200"},
        {"tcp_pacing_ca_ratio", "120"}, {"tcp_notsent_lowat", "4294967295"}, {"tcp_fastopen", "0x3"},
        {"tcp_syncookies", "1"},
    };

    private final TcpSettings settings;
    private final List<String> notes;

    StackSysctls(TcpSettings settings, List<String> notes) {
        this.settings = settings;
        this.notes = notes;
    }

    /** Runs a back-quoted command: lines of sysctl settings, defaults.sh, and harmless set-up. */
    void command(String text) throws Target.UnsupportedFeature {
        for (String raw : text.split("[\n;]|&&")) {
            String line = raw.replaceAll("#.*", "").replaceAll("[0-9]?>\\s*/dev/null", "").replace("2>&1", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (words[0].endsWith("defaults.sh")) {
                for (String[] d : DEFAULTS) {
                    set(d[0], d[1]);
                }
            } else if (words[0].equals("sysctl")) {
                sysctl(line.substring(6).trim());
            } else if (words[0].endsWith("set_sysctls.py")) {
                // the selftests' helper: set_sysctls.py /proc/sys/net/ipv4/NAME=VALUE ...
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("/proc/sys/(\\S+?)=(\"[^\"]*\"|\\S+)")
                        .matcher(line);
                boolean any = false;
                while (m.find()) {
                    any = true;
                    set(m.group(1).replace('/', '.'), m.group(2).replace("\"", ""));
                }
                if (!any) {
                    throw new Target.UnsupportedFeature("command `" + line + "`");
                }
            } else if (line.startsWith("ip tcp_metrics flush") || line.startsWith("tc qdisc")
                    || line.matches("/tmp/sysctl_restore_\\$\\{PPID}\\.sh")) {
                continue; // the kernel's route cache, qdisc, and the helper's restore: nothing for the stack
            } else {
                throw new Target.UnsupportedFeature("command `" + line + "`");
            }
        }
    }

    /** {@code -q -w name=value name2="a b c"}. */
    private void sysctl(String args) throws Target.UnsupportedFeature {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([\\w.]+)=(\"[^\"]*\"|\\S+)").matcher(args);
        boolean any = false;
        while (m.find()) {
            any = true;
            set(m.group(1), m.group(2).replace("\"", ""));
        }
        if (!any) {
            throw new Target.UnsupportedFeature("sysctl " + args);
        }
    }

    void set(String name, String value) throws Target.UnsupportedFeature {
        String shortName = name.replaceFirst("^net\\.ipv4\\.", "");
        if (name.equals(shortName) && name.contains(".")) {
            throw new Target.UnsupportedFeature("sysctl " + name + "=" + value); // net.core.*, net.ipv6.*
        }
        if (value.matches(".*\\$\\(.*")) {
            throw new Target.UnsupportedFeature("sysctl value " + value);
        }
        Knob knob = KnobRegistry.find(shortName).filter(k -> k.sysctl() != null).orElse(null);
        if (knob != null) {
            try {
                knob.set(settings, value);
                return;
            } catch (IllegalArgumentException e) {
                if (!NOT_APPLICABLE.contains(shortName)) {
                    throw new Target.UnsupportedFeature("sysctl " + shortName + "=" + value + ": " + e.getMessage());
                }
            }
        }
        if (value.equals(ALREADY.get(shortName))) {
            return;
        }
        if (NOT_APPLICABLE.contains(shortName)) {
            notes.add(shortName + "=" + value);
            return;
        }
        throw new Target.UnsupportedFeature("sysctl " + name + "=" + value);
    }

}

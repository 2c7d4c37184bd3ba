package io.tcpstack.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The live knobs: each one's validation, defaults, names, and what setting it changes. */
public class KnobRegistryTest {

    /** For every live knob, a value it must refuse and the words its refusal must contain. */
    public static final Map<String, String[]> REFUSED = Map.ofEntries(
            Map.entry("profile", new String[] {"linux-9.9", "one of linux-5.5, linux-5.6, linux-4.9, rss"}),
            Map.entry("affinity", new String[] {"rss", "one of none, flow, spray"}),
            Map.entry("syn-resend", new String[] {"fast", "rto-init or timeout-min"}),
            Map.entry("lookup-delay-us", new String[] {"1000001", "0..1000000"}),
            Map.entry("fin-timeout", new String[] {"soon", "a duration 1ms..3600s"}),
            Map.entry("timewait-len", new String[] {"2h", "a duration 1ms..3600s"}),
            Map.entry("max-tw-buckets", new String[] {"-1", "0..16777216"}),
            Map.entry("tw-reuse", new String[] {"3", "0..2"}),
            Map.entry("tw-reuse-delay", new String[] {"0", "a duration 1ms..600s"}),
            Map.entry("tw-recycle", new String[] {"yes", "0 or 1"}),
            Map.entry("rfc1337", new String[] {"2", "0..1"}),
            Map.entry("port-range", new String[] {"5000-4000", "LOW-HIGH within 1..65535 with LOW <= HIGH"}),
            Map.entry("rmem", new String[] {"4096 131072", "three sizes MIN DEFAULT MAX with MIN <= DEFAULT <= MAX"}),
            Map.entry("wmem", new String[] {"8192 4096 4m", "three sizes MIN DEFAULT MAX with MIN <= DEFAULT <= MAX"}),
            Map.entry("moderate-rcvbuf", new String[] {"on", "0 or 1"}),
            Map.entry("dsack", new String[] {"2", "0 or 1"}),
            Map.entry("early-retrans", new String[] {"5", "0..4"}),
            Map.entry("reordering", new String[] {"0", "1..300"}),
            Map.entry("max-reordering", new String[] {"2000", "1..1024"}),
            Map.entry("slow-start-after-idle", new String[] {"true", "0 or 1"}),
            Map.entry("congestion-control", new String[] {"vegas", "reno or cubic"}),
            Map.entry("syn-retries", new String[] {"0", "1..127"}),
            Map.entry("synack-retries", new String[] {"128", "1..127"}),
            Map.entry("retries2", new String[] {"x", "1..255"}),
            Map.entry("timestamps", new String[] {"2", "0 or 1"}),
            Map.entry("ts-offset", new String[] {"random", "one of per-connection, per-host, none"}),
            Map.entry("ts-hz", new String[] {"500", "one of 1000, 300, 250, 100"}),
            Map.entry("init-rwnd", new String[] {"1001", "0..1000"}),
            Map.entry("sack", new String[] {"on", "0 or 1"}),
            Map.entry("window-scaling", new String[] {"-1", "0 or 1"}),
            Map.entry("keepalive-time", new String[] {"500ms", "a duration 1s..32767s"}),
            Map.entry("keepalive-intvl", new String[] {"32768", "a duration 1s..32767s"}),
            Map.entry("keepalive-probes", new String[] {"128", "1..127"}),
            Map.entry("invalid-ratelimit", new String[] {"5x", "a duration 0s..3600s"}),
            Map.entry("syn-linear-timeouts", new String[] {"128", "0..127"}),
            Map.entry("ecn", new String[] {"3", "0..2"}),
            Map.entry("icmp-ratelimit", new String[] {"1h1", "a duration 0s..3600s"}),
            Map.entry("icmp-ratemask", new String[] {"-1", "0..524287"}),
            Map.entry("ipv6", new String[] {"2", "0 or 1"}),
            Map.entry("icmp6-ratelimit", new String[] {"-1", "a duration 0s..3600s"}),
            Map.entry("challenge-ack-limit", new String[] {"-1", "0..2147483647"}),
            Map.entry("syncookies", new String[] {"3", "0..2"}),
            Map.entry("max-syn-backlog", new String[] {"0", "1..16777216"}),
            Map.entry("somaxconn", new String[] {"0", "1..16777216"}),
            Map.entry("max-orphans", new String[] {"-1", "0..16777216"}),
            Map.entry("orphan-retries", new String[] {"256", "0..255"}),
            Map.entry("tcp-mem", new String[] {"300 200 400", "three page counts LOW <= PRESSURE <= HIGH"}),
            Map.entry("max-connections", new String[] {"0", "1..16777216"}));

    static Iterable<Knob> live() {
        return KnobRegistry.LIVE;
    }

    @Test
    void everyLiveKnobHasARefusalCase() {
        assertThat(REFUSED.keySet()).containsExactlyInAnyOrderElementsOf(
                KnobRegistry.LIVE.stream().map(Knob::name).collect(Collectors.toList()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("live")
    void refusesABadValueSayingWhatIsAllowedAndWhatCame(Knob knob) {
        String[] refused = REFUSED.get(knob.name());
        TcpSettings settings = new TcpSettings();
        String before = knob.get(settings);
        assertThatThrownBy(() -> knob.set(settings, refused[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("must be " + refused[1]).hasMessageEndingWith(", got '" + refused[0] + "'");
        assertThat(knob.get(settings)).as("a refused value changes nothing").isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("live")
    void defaultIsTheFreshSettingsValueAndReadsBackUnchanged(Knob knob) {
        assertThat(knob.defaultValue()).isEqualTo(knob.get(new TcpSettings()));
        assertThat(knob.canonical(knob.defaultValue())).isEqualTo(knob.defaultValue());
        assertThat(knob.isLive()).isTrue();
    }

    @Test
    void linuxDefaultsAreSpelledLikeTheSysctls() {
        TcpSettings s = new TcpSettings();
        assertThat(get("tcp_fin_timeout", s)).isEqualTo("60s");
        assertThat(get("net.ipv4.tcp_tw_reuse", s)).isEqualTo("2");
        assertThat(get("ip_local_port_range", s)).isEqualTo("32768-60999");
        assertThat(get("tcp_rmem", s)).as("Linux 6.18").isEqualTo("4096 131072 33554432");
        assertThat(get("tcp_wmem", s)).isEqualTo("4096 16384 4194304");
        assertThat(get("tcp_invalid_ratelimit", s)).isEqualTo("500ms");
        assertThat(get("profile", s)).isEqualTo("linux-5.6");
    }

    private static String get(String name, TcpSettings s) {
        return KnobRegistry.find(name).orElseThrow().get(s);
    }

    @Test
    void namesAnswerInFlagOrSysctlSpellingWithUnderscoresOrDashes() {
        assertThat(KnobRegistry.find("fin_timeout")).map(Knob::name).contains("fin-timeout");
        assertThat(KnobRegistry.find("TCP_FIN_TIMEOUT")).map(Knob::name).contains("fin-timeout");
        assertThat(KnobRegistry.find("net.ipv4.tcp_max_tw_buckets")).map(Knob::name).contains("max-tw-buckets");
        assertThat(KnobRegistry.find("tcp-syn-resend")).isEmpty();
        assertThat(KnobRegistry.find("fin")).isEmpty();
    }

    @Test
    void settingWritesTheFieldTheEngineReads() {
        TcpSettings s = new TcpSettings();
        set("fin-timeout", "5", s);
        assertThat(s.finTimeoutMs).as("a bare number is in seconds, like tcp_fin_timeout").isEqualTo(5000);
        set("timewait-len", "250ms", s);
        assertThat(s.timewaitLenMs).isEqualTo(250);
        set("tw-reuse-delay", "1500", s);
        assertThat(s.twReuseDelayMs).as("a bare number is in ms, like tcp_tw_reuse_delay").isEqualTo(1500);
        set("keepalive-time", "2m", s);
        assertThat(s.keepaliveTimeMs).isEqualTo(120_000);
        assertThat(set("port-range", "40000 40010", s)).as("sysctl prints the range with a tab").isEqualTo("40000-40010");
        assertThat(s.portRangeLow).isEqualTo(40000);
        assertThat(s.portRangeHigh).isEqualTo(40010);
        assertThat(set("rmem", "1024\t2k 6m", s)).as("sysctl prints tcp_rmem with tabs").isEqualTo("1024 2048 6291456");
        assertThat(s.rmem).isEqualTo(new BufferSizes(1024, 2048, 6 << 20));
        set("tw-recycle", "1", s);
        assertThat(s.twRecycle).isTrue();
        set("syn-resend", "rto-init", s);
        assertThat(s.synResend).isEqualTo(SynResend.RTO_INIT);
        set("affinity", "flow", s);
        assertThat(s.affinity).isEqualTo(Affinity.FLOW);
        set("lookup-delay-us", "200", s);
        assertThat(s.lookupDelayMicros).isEqualTo(200);
        set("ts-offset", "per-host", s);
        assertThat(s.tsOffsetMode).isEqualTo(TsOffsetMode.PER_HOST);
    }

    private static String set(String name, String value, TcpSettings s) {
        return KnobRegistry.find(name).orElseThrow().set(s, value);
    }

    @Test
    void aProfileSetsItsKnobs() {
        TcpSettings s = new TcpSettings();
        set("profile", "linux-4.9", s);
        assertThat(s.profile).isEqualTo(Profile.LINUX_4_9);
        assertThat(s.synResend).isEqualTo(SynResend.RTO_INIT);
        assertThat(s.twRecycle).isTrue();
        assertThat(s.tsOffsetMode).isEqualTo(TsOffsetMode.NONE);
        assertThat(s.tsHz).as("jiffies at Debian's HZ").isEqualTo(250);
        assertThat(s.initRwnd).as("tcp_default_init_rwnd").isEqualTo(20);
        assertThat(s.rmem).hasToString("4096 87380 6291456");
        set("profile", "rss", s);
        assertThat(s.affinity).isEqualTo(Affinity.FLOW);
        assertThat(s.synResend).isEqualTo(SynResend.TIMEOUT_MIN);
        assertThat(s.tsHz).isEqualTo(1000);
        assertThat(s.initRwnd).isZero();
        assertThat(s.rmem).isEqualTo(new TcpSettings().rmem);
    }

    @Test
    void theProfileSaysWhichOfItsKnobsWereOverridden() {
        TcpSettings s = new TcpSettings();
        assertThat(KnobRegistry.describeProfile(s)).isEqualTo("linux-5.6");
        set("sack", "0", s);
        set("tcp_fin_timeout", "30", s);
        assertThat(KnobRegistry.describeProfile(s)).isEqualTo("linux-5.6 (modified: fin-timeout=30s, sack=0)");
        set("profile", "linux-4.9", s);
        set("ts-hz", "1000", s);
        assertThat(KnobRegistry.describeProfile(s)).isEqualTo("linux-4.9 (modified: fin-timeout=30s, ts-hz=1000, sack=0)");
        set("profile", "linux-5.6", s);
        set("fin-timeout", "60s", s);
        set("sack", "1", s);
        assertThat(KnobRegistry.describeProfile(s)).isEqualTo("linux-5.6");
    }

    @Test
    void valueTypesRefuseOverflowAndSignsAndFormatTheirUnits() {
        KnobType<Integer> bytes = KnobType.bytes(1024, 1 << 30);
        assertThat(bytes.parse("1g")).isEqualTo(1 << 30);
        assertThatThrownBy(() -> bytes.parse("9999999999g")).hasMessageContaining("got '9999999999g'");
        assertThatThrownBy(() -> bytes.parse("-4k")).hasMessageContaining("got '-4k'");
        KnobType<Long> duration = KnobType.duration(KnobType.Unit.SECONDS, 0, Long.MAX_VALUE);
        assertThat(duration.parse("2h")).isEqualTo(7_200_000);
        assertThat(duration.format(1500L)).isEqualTo("1500ms");
        assertThatThrownBy(() -> duration.parse("99999999999999h")).hasMessageContaining("must be a duration");
        assertThatThrownBy(() -> duration.parse("1.5s")).hasMessageContaining("got '1.5s'");
        assertThatThrownBy(() -> KnobType.integer(0, 10).parse("")).hasMessage("must be 0..10, got ''");
    }
}

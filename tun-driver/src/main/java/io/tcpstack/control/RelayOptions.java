package io.tcpstack.control;

import io.tcpstack.api.types.SynOptions;
import java.util.List;

/**
 * Per-connection options of a relayed connection ({@code tcpstack nc -o ts=0,sack=0,ws=0,mss=536,
 * nodelay=1}, {@code --linger 0}): what its SYN offers (the stack's knobs otherwise) and its
 * socket options.
 *
 * @param lingerZero close with RST (SO_LINGER {on, 0}) when the client's end of stream comes
 */
record RelayOptions(SynOptions syn, boolean noDelay, boolean lingerZero) {
    static final RelayOptions DEFAULT = new RelayOptions(SynOptions.DEFAULT, false, false);

    /** Words like ts=0 sack=0 ws=0 mss=536 nodelay=1 linger=0 (commas also separate). */
    static RelayOptions parse(List<String> words) {
        Boolean ts = null;
        Boolean sack = null;
        Boolean ws = null;
        int mss = 0;
        boolean noDelay = false;
        boolean lingerZero = false;
        for (String word : String.join(",", words).split(",")) {
            if (word.isBlank()) {
                continue;
            }
            String[] kv = word.split("=", 2);
            String value = kv.length == 2 ? kv[1] : "";
            switch (kv[0]) {
                case "ts" -> ts = flag(word, value);
                case "sack" -> sack = flag(word, value);
                case "ws" -> ws = flag(word, value);
                case "nodelay" -> noDelay = flag(word, value);
                case "mss" -> mss = mss(word, value);
                case "linger" -> {
                    if (!value.equals("0")) {
                        throw new IllegalArgumentException("'" + word + "': only linger=0 (close with RST) is supported");
                    }
                    lingerZero = true;
                }
                default -> throw new IllegalArgumentException("unknown connection option '" + word
                        + "' (ts=0|1, sack=0|1, ws=0|1, mss=N, nodelay=0|1, linger=0)");
            }
        }
        try {
            return new RelayOptions(new SynOptions(ts, sack, ws, mss), noDelay, lingerZero);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("connection option " + e.getMessage(), e);
        }
    }

    private static boolean flag(String word, String value) {
        return switch (value) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new IllegalArgumentException("'" + word + "' takes 0 or 1");
        };
    }

    private static int mss(String word, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + word + "': mss takes a number of bytes");
        }
    }
}

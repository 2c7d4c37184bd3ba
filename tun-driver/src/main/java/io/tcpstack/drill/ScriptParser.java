package io.tcpstack.drill;

import io.tcpstack.drill.Lexer.Kind;
import io.tcpstack.drill.Lexer.Token;
import io.tcpstack.drill.Script.Ecn;
import io.tcpstack.drill.Script.Event;
import io.tcpstack.drill.Script.Expr;
import io.tcpstack.drill.Script.Option;
import io.tcpstack.drill.Script.Packet;
import io.tcpstack.drill.Script.Time;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * packetdrill's grammar (parser.y), by recursive descent: {@code script: options events}, {@code
 * event: event_time action}, where an action is a packet ({@code < S 0:0(0) win 32792 <mss
 * 1000>}), a system call ({@code bind(3, ..., ...) = 0}) or a back-quoted command. A construct it
 * does not know becomes an {@link Script.Unsupported} event or a {@link ParseException}.
 */
final class ScriptParser {
    /** A syntax error, with the script line it is on. */
    static final class ParseException extends Exception {
        final int line;

        ParseException(int line, String message) {
            super("line " + line + ": " + message);
            this.line = line;
        }
    }

    private final List<Token> tokens;
    private int pos;

    private ScriptParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static Script parse(String name, String text) throws ParseException {
        return new ScriptParser(Lexer.tokens(text)).script(name);
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token take() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.END) {
            pos++;
        }
        return t;
    }

    private boolean accept(String s) {
        if (peek().is(s)) {
            pos++;
            return true;
        }
        return false;
    }

    private Token expect(String s) throws ParseException {
        if (!peek().is(s)) {
            throw error("expected '" + s + "' but found " + peek());
        }
        return take();
    }

    private ParseException error(String message) {
        return new ParseException(peek().line(), message);
    }

    private Script script(String name) throws ParseException {
        Map<String, String> options = new LinkedHashMap<>();
        while (peek().kind() == Kind.OPTION) {
            String text = take().text();
            int eq = text.indexOf('=');
            options.put(eq < 0 ? text : text.substring(0, eq), eq < 0 ? "" : text.substring(eq + 1));
        }
        List<Event> events = new ArrayList<>();
        while (peek().kind() != Kind.END) {
            if (peek().kind() == Kind.BACKQUOTE) {
                // packetdrill's init and cleanup commands: before the first event, after the last
                Token t = take();
                Time at = events.isEmpty() ? new Time(Time.Kind.ABSOLUTE, 0, -1) : new Time(Time.Kind.RELATIVE, 0, -1);
                events.add(new Event(t.line(), at, new Script.Command(t.text())));
                continue;
            }
            events.add(event());
        }
        return new Script(name, options, events);
    }

    private Event event() throws ParseException {
        int line = peek().line();
        Time time = time();
        long end = -1;
        if (peek().kind() == Kind.ELLIPSIS) {
            take();
            end = seconds(take());
        }
        Token t = peek();
        Script.Action action;
        if (t.is("<") || t.is(">")) {
            action = packet();
        } else if (t.kind() == Kind.BACKQUOTE) {
            action = new Script.Command(take().text());
        } else if (t.kind() == Kind.CODE) {
            take();
            action = new Script.Unsupported("%{ python }% code blocks");
        } else if (t.kind() == Kind.WORD && peek(1).is("(")) {
            action = syscall(end);
        } else {
            throw error("expected a packet, a system call or a command but found " + t);
        }
        return new Event(line, time, action);
    }

    private Time time() throws ParseException {
        if (accept("*")) {
            return new Time(Time.Kind.ANY, 0, 0);
        }
        boolean relative = accept("+");
        long start = seconds(take());
        if (accept("~")) {
            boolean endRelative = accept("+");
            long end = seconds(take());
            if (relative != endRelative) {
                throw error("a time range must be both relative or both absolute");
            }
            return new Time(relative ? Time.Kind.RELATIVE_RANGE : Time.Kind.ABSOLUTE_RANGE, start, end);
        }
        return new Time(relative ? Time.Kind.RELATIVE : Time.Kind.ABSOLUTE, start, -1);
    }

    /** packetdrill time: seconds as an integer or a fraction, in microseconds. */
    private long seconds(Token t) throws ParseException {
        if (t.kind() != Kind.INT && t.kind() != Kind.FLOAT) {
            throw new ParseException(t.line(), "expected a time but found " + t);
        }
        double s = Double.parseDouble(t.text());
        if (s < 0) {
            throw new ParseException(t.line(), "negative time");
        }
        return Math.round(s * 1_000_000);
    }

    // ---- packets

    private Script.Action packet() throws ParseException {
        boolean inbound = take().is("<");
        Ecn ecn = Ecn.ANY;
        int tos = -1;
        if (peek().is("[") || (peek().is("(") && !peek(1).is(")"))) {
            String close = take().is("[") ? "]" : ")";
            while (!peek().is(close)) {
                Token t = take();
                switch (t.text()) {
                    case "noecn" -> ecn = Ecn.NOECN;
                    case "ect0" -> ecn = Ecn.ECT0;
                    case "ect1" -> ecn = Ecn.ECT1;
                    case "ce" -> ecn = Ecn.CE;
                    case "ect01" -> ecn = Ecn.ECT01;
                    case "tos" -> tos = (int) number(take());
                    case "," -> { }
                    default -> {
                        skipTo(close);
                        skipPacketRest();
                        return new Script.Unsupported("IP header field [" + t.text() + "] (flow label, TTL)");
                    }
                }
                if (t.kind() == Kind.END) {
                    throw error("unterminated IP info");
                }
            }
            take();
        }
        if (peek().is("ipv4") || peek().is("ipv6") || peek().is("encap") || peek().is("mpls") || peek().is("gre")) {
            String what = take().text();
            skipPacketRest();
            return new Script.Unsupported("encapsulated packets (" + what + ")");
        }
        if (peek().is("udp")) {
            take();
            int[] ports = ports();
            expect("(");
            int length = (int) number(take());
            expect(")");
            return new Packet(inbound, "udp", ecn, tos, "", 0, length, null, null, 0, List.of(), ports[0], ports[1],
                    null, null);
        }
        if (peek().is("icmp")) {
            take();
            String type = take().text();
            String code = peek().kind() == Kind.WORD && !peek().is("mtu") && !peek().is("id") ? take().text() : null;
            skipPacketRest();
            return new Packet(inbound, "icmp", ecn, tos, "", 0, 0, null, null, 0, List.of(), 0, 0, type, code);
        }
        int[] ports = ports();
        String flags = flags();
        long seq = number(take());
        expect(":");
        long endSeq = number(take());
        expect("(");
        int length = (int) number(take());
        expect(")");
        if (endSeq - seq != length && ((endSeq - seq) & 0xffffffffL) != length) {
            throw error("inconsistent TCP sequence numbers and payload size");
        }
        Long ack = null;
        Integer window = null;
        int urgent = 0;
        while (true) {
            if (accept("ack")) {
                ack = number(take());
            } else if (accept("win")) {
                window = (int) number(take());
            } else if (accept("urg")) {
                urgent = (int) number(take());
            } else {
                break;
            }
        }
        List<Option> options = List.of();
        if (peek().is("<")) {
            take();
            if (peek().kind() == Kind.ELLIPSIS && peek(1).is(">")) {
                take();
                take();
                options = null;
            } else {
                options = new ArrayList<>();
                do {
                    Option o = option();
                    if (o == null) {
                        skipTo(">");
                        take();
                        return new Script.Unsupported("TCP option " + tokens.get(pos - 1).text() + " in line "
                                + tokens.get(pos - 1).line());
                    }
                    options.add(o);
                } while (accept(","));
                expect(">");
            }
        }
        if (ecn == Ecn.ECT01 && inbound) {
            throw error("[ect01] can only be used with outbound packets");
        }
        return new Packet(inbound, "tcp", ecn, tos, flags, seq, length, ack, window, urgent, options, ports[0],
                ports[1], null, null);
    }

    /** Optional {@code SRC > DST} ports before the flags. */
    private int[] ports() throws ParseException {
        if (peek().kind() == Kind.INT && peek(1).is(">")) {
            int src = (int) number(take());
            take();
            int dst = (int) number(take());
            return new int[] {src, dst};
        }
        return new int[] {0, 0};
    }

    /** Flags: letters (S F R P . E W U), {@code .} alone, or {@code -} for none. */
    private String flags() throws ParseException {
        if (accept("-")) {
            return "";
        }
        if (accept(".")) {
            return ".";
        }
        Token t = take();
        if (t.kind() != Kind.WORD || !t.text().matches("[SFRPEWUA]+")) {
            throw new ParseException(t.line(), "expected TCP flags but found " + t);
        }
        String flags = t.text();
        if (peek().is(".")) {
            take();
            flags += ".";
        }
        return flags;
    }

    private Option option() throws ParseException {
        Token t = take();
        switch (t.text()) {
            case "nop", "eol", "sackOK" -> {
                return Option.of(t.text());
            }
            case "mss", "wscale" -> {
                return new Option(t.text(), number(take()), 0, null);
            }
            case "TS" -> {
                expect("val");
                long val = number(take());
                expect("ecr");
                long ecr = number(take());
                return new Option("TS", val, ecr, null);
            }
            case "sack" -> {
                List<Long> blocks = new ArrayList<>();
                while (peek().kind() == Kind.INT && peek(1).is(":")) {
                    blocks.add(number(take()));
                    take();
                    blocks.add(number(take()));
                }
                return new Option("sack", 0, 0, blocks.stream().mapToLong(Long::longValue).toArray());
            }
            default -> {
                return null;
            }
        }
    }

    private void skipTo(String close) {
        while (!peek().is(close) && peek().kind() != Kind.END) {
            take();
        }
    }

    /** Skips what is left of a packet line we do not parse: up to the start of the next event. */
    private void skipPacketRest() {
        int line = tokens.get(pos - 1).line();
        while (peek().kind() != Kind.END && peek().line() == line) {
            take();
        }
    }

    private long number(Token t) throws ParseException {
        try {
            return switch (t.kind()) {
                case INT -> Long.parseLong(t.text());
                case HEX -> Long.parseLong(t.text().substring(2), 16);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException e) {
            throw new ParseException(t.line(), "expected a number but found " + t);
        }
    }

    // ---- system calls

    private Script.Action syscall(long end) throws ParseException {
        String name = take().text();
        expect("(");
        List<Expr> args = expressions(")");
        expect("=");
        Expr result = expression();
        String errno = null;
        if (peek().kind() == Kind.WORD && peek().text().startsWith("E") && peek().text().equals(
                peek().text().toUpperCase(java.util.Locale.ROOT))) {
            errno = take().text();
        }
        if (peek().is("(")) {
            // the note: (Operation now in progress)
            int depth = 0;
            do {
                Token t = take();
                depth += t.is("(") ? 1 : t.is(")") ? -1 : 0;
            } while (depth > 0 && peek().kind() != Kind.END);
        }
        return new Script.Syscall(end, name, args, result, errno);
    }

    /** Comma-separated expressions up to and including {@code close}. */
    private List<Expr> expressions(String close) throws ParseException {
        List<Expr> list = new ArrayList<>();
        if (!accept(close)) {
            do {
                list.add(expression());
            } while (accept(","));
            expect(close);
        }
        return list;
    }

    private Expr expression() throws ParseException {
        Expr first = term();
        if (!peek().is("|")) {
            return first;
        }
        List<Expr> terms = new ArrayList<>(List.of(first));
        while (accept("|")) {
            terms.add(term());
        }
        return new Expr.Or(terms);
    }

    private Expr term() throws ParseException {
        Token t = peek();
        switch (t.kind()) {
            case ELLIPSIS -> {
                take();
                return new Expr.Ellipsis();
            }
            case INT, HEX -> {
                return new Expr.Num(number(take()));
            }
            case STRING -> {
                take();
                if (peek().kind() == Kind.ELLIPSIS) {
                    take();
                }
                return new Expr.Str(t.text());
            }
            case WORD -> {
                take();
                if (accept("(")) {
                    return new Expr.Call(t.text(), expressions(")"));
                }
                return new Expr.Word(t.text());
            }
            case PUNCT -> {
                if (accept("[")) {
                    return new Expr.Array(expressions("]"));
                }
                if (accept("{")) {
                    return struct();
                }
                if (accept("-") && peek().kind() == Kind.INT) {
                    return new Expr.Num(-number(take()));
                }
            }
            default -> {
            }
        }
        throw error("unexpected " + t + " in a system call");
    }

    /** {@code {name=expr, name(n)=expr, expr}} up to the closing brace. */
    private Expr struct() throws ParseException {
        Map<String, Expr> fields = new LinkedHashMap<>();
        List<Expr> positional = new ArrayList<>();
        if (accept("}")) {
            return new Expr.Struct(fields, positional);
        }
        do {
            if (peek().kind() == Kind.WORD && (peek(1).is("=") || (peek(1).is("(") && isFieldWithCount()))) {
                String field = take().text();
                if (accept("(")) {
                    expression();
                    expect(")");
                }
                expect("=");
                fields.put(field, expression());
            } else {
                positional.add(expression());
            }
        } while (accept(","));
        expect("}");
        return new Expr.Struct(fields, positional);
    }

    /** {@code msg_iov(1)=...}: a field name with a count, followed by '='. */
    private boolean isFieldWithCount() {
        int i = pos + 1;
        int depth = 0;
        do {
            Token t = tokens.get(Math.min(i, tokens.size() - 1));
            if (t.kind() == Kind.END) {
                return false;
            }
            depth += t.is("(") ? 1 : t.is(")") ? -1 : 0;
            i++;
        } while (depth > 0);
        return tokens.get(Math.min(i, tokens.size() - 1)).is("=");
    }
}

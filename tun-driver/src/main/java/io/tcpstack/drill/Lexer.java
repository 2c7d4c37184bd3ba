package io.tcpstack.drill;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a packetdrill script into tokens, as packetdrill's lexer.l does: numbers (decimal,
 * hex, fractions), words, punctuation, {@code ...}, quoted and back-quoted strings, {@code
 * --option=value} lines and {@code %{ code }%} blocks; comments ({@code //}, {@code /* *\/}) and
 * white space are dropped. Each token keeps its line.
 */
final class Lexer {
    enum Kind { WORD, INT, FLOAT, HEX, STRING, BACKQUOTE, CODE, OPTION, ELLIPSIS, PUNCT, IPV4, END }

    record Token(Kind kind, String text, int line) {
        boolean is(String s) {
            return (kind == Kind.PUNCT || kind == Kind.WORD || kind == Kind.ELLIPSIS) && text.equals(s);
        }

        @Override
        public String toString() {
            return kind == Kind.END ? "end of script" : "'" + text + "'";
        }
    }

    private final String src;
    private int pos;
    private int line = 1;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokens(String script) {
        Lexer l = new Lexer(script);
        List<Token> out = new ArrayList<>();
        Token t;
        do {
            t = l.next();
            out.add(t);
        } while (t.kind != Kind.END);
        return out;
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < src.length() ? src.charAt(i) : '\0';
    }

    private void skipSpaceAndComments() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '/' && peek(1) == '/') {
                while (pos < src.length() && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == '/' && peek(1) == '*') {
                int end = src.indexOf("*/", pos + 2);
                end = end < 0 ? src.length() : end + 2;
                countLines(pos, end);
                pos = end;
            } else {
                return;
            }
        }
    }

    private void countLines(int from, int to) {
        for (int i = from; i < to; i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
    }

    private Token next() {
        skipSpaceAndComments();
        if (pos >= src.length()) {
            return new Token(Kind.END, "", line);
        }
        int start = pos;
        int startLine = line;
        char c = src.charAt(pos);
        if (c == '%' && peek(1) == '{') {
            int end = src.indexOf("}%", pos + 2);
            end = end < 0 ? src.length() : end + 2;
            countLines(pos, end);
            pos = end;
            return new Token(Kind.CODE, src.substring(start + 2, Math.max(start + 2, end - 2)), startLine);
        }
        if (c == '"' || c == '`') {
            pos++;
            while (pos < src.length() && src.charAt(pos) != c) {
                if (src.charAt(pos) == '\\') {
                    pos++;
                }
                pos++;
            }
            pos = Math.min(pos + 1, src.length());
            countLines(start, pos);
            String body = src.substring(start + 1, Math.max(start + 1, pos - 1));
            return new Token(c == '"' ? Kind.STRING : Kind.BACKQUOTE, body, startLine);
        }
        if (c == '.' && peek(1) == '.' && peek(2) == '.') {
            pos += 3;
            return new Token(Kind.ELLIPSIS, "...", startLine);
        }
        if (c == '-' && peek(1) == '-' && isWordChar(peek(2))) {
            pos += 2;
            while (pos < src.length() && !Character.isWhitespace(src.charAt(pos))) {
                pos++;
            }
            return new Token(Kind.OPTION, src.substring(start + 2, pos), startLine);
        }
        if (c == '0' && (peek(1) == 'x' || peek(1) == 'X') && isHex(peek(2))) {
            pos += 2;
            while (isHex(peek(0))) {
                pos++;
            }
            if (!isWordChar(peek(0))) {
                return new Token(Kind.HEX, src.substring(start, pos), startLine);
            }
            pos = start;
        }
        if (Character.isDigit(c) || ((c == '-' || c == '.') && (Character.isDigit(peek(1))
                || (c == '-' && peek(1) == '.' && Character.isDigit(peek(2)))))) {
            Token number = number(start, startLine);
            if (number != null) {
                return number;
            }
        }
        if (isWordChar(c)) {
            while (isWordChar(peek(0))) {
                pos++;
            }
            return new Token(Kind.WORD, src.substring(start, pos), startLine);
        }
        pos++;
        return new Token(Kind.PUNCT, String.valueOf(c), startLine);
    }

    /** A decimal integer, a fraction ({@code .1}, {@code 0.100}) or a dotted IPv4 address. */
    private Token number(int start, int startLine) {
        if (src.charAt(pos) == '-') {
            pos++;
        }
        while (Character.isDigit(peek(0))) {
            pos++;
        }
        int dots = 0;
        while (peek(0) == '.' && Character.isDigit(peek(1))) {
            dots++;
            pos++;
            while (Character.isDigit(peek(0))) {
                pos++;
            }
        }
        if (isWordChar(peek(0))) {
            // a word that starts with digits (sequence#, 3rd): not a number
            pos = start;
            if (src.charAt(pos) == '-') {
                return null;
            }
            while (isWordChar(peek(0))) {
                pos++;
            }
            return new Token(Kind.WORD, src.substring(start, pos), startLine);
        }
        String text = src.substring(start, pos);
        return new Token(dots == 0 ? Kind.INT : dots == 1 ? Kind.FLOAT : Kind.IPV4, text, startLine);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '#';
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}

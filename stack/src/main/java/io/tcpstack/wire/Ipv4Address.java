package io.tcpstack.wire;

/** IPv4 addresses as big-endian ints: parsing and formatting without allocation on the hot path. */
public final class Ipv4Address {
    private Ipv4Address() {}

    /** Parses a dotted quad ("198.18.0.2"); throws IllegalArgumentException with the reason. */
    public static int parse(String dotted) {
        String[] parts = dotted.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
        }
        int address = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            }
            if (part.isEmpty() || part.length() > 3 || octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "."
                + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }
}

/*
 * spoof: a bounded generator of spoofed TCP segments, for the SYN flood and blind-attack
 * benchmarks (scripts/bench/synflood.sh, scripts/bench/blind.sh). It sends from a raw socket in the
 * namespace it runs in, paced to --rate segments a second, and stops by itself after --count
 * segments or --seconds, whichever comes first. Every address it sends from or to must lie in
 * 198.18.0.0/15 (RFC 2544 benchmarking space); anything else is refused.
 *
 *   spoof syn   --dst A --dport P --src-net 198.18.0.0/24 --rate R --seconds S [--count N] [--seed N]
 *       SYNs (MSS 1460, SACK, timestamps, window scale 7, Linux's layout) from random hosts of
 *       --src-net (not .0, .1, .2 or the broadcast address) and random ports
 *   spoof blind --dst A --dport P --src A --sport LO-HI --rate R --count N [--seconds S] [--seed N]
 *       in turn an RST, a SYN and 32 bytes of data with ACK, each with random sequence (and
 *       acknowledgment) numbers, from a random port of LO-HI
 *
 * Prints one line: what it sent, in how long, at what rate.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_PACKET 96
#define BENCH_NET 0xc6120000u  /* 198.18.0.0 */
#define BENCH_MASK 0xfffe0000u /* /15 */

static uint64_t rng;

static uint64_t next_random(void) {
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static void die(const char *what) {
    fprintf(stderr, "spoof: %s\n", what);
    exit(2);
}

static uint32_t parse_addr(const char *text) {
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1) {
        die("not an IPv4 address");
    }
    uint32_t host = ntohl(a.s_addr);
    if ((host & BENCH_MASK) != BENCH_NET) {
        fprintf(stderr, "spoof: %s is outside 198.18.0.0/15: refused\n", text);
        exit(2);
    }
    return host;
}

static uint16_t checksum_add(uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

static uint32_t sum_bytes(const uint8_t *p, int n, uint32_t sum) {
    for (int i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        sum += (uint32_t) (p[n - 1] << 8);
    }
    return sum;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}

/* An IPv4 + TCP segment in p; returns its length. The kernel fills the IP checksum and ID. */
static int build(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
                 uint32_t ack, uint8_t flags, const uint8_t *options, int options_len, int payload_len) {
    int tcp_len = 20 + options_len + payload_len;
    int total = 20 + tcp_len;
    memset(p, 0, (size_t) total);
    p[0] = 0x45;
    put16(p + 2, (uint16_t) total);
    p[8] = 64;
    p[9] = IPPROTO_TCP;
    put32(p + 12, src);
    put32(p + 16, dst);
    uint8_t *t = p + 20;
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t) (((20 + options_len) / 4) << 4);
    t[13] = flags;
    put16(t + 14, 64240);
    memcpy(t + 20, options, (size_t) options_len);
    for (int i = 0; i < payload_len; i++) {
        t[20 + options_len + i] = (uint8_t) "SPOOFED DATA, NEVER ECHO THIS. "[i % 31];
    }
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IPPROTO_TCP + (uint32_t) tcp_len;
    put16(t + 16, checksum_add(sum_bytes(t, tcp_len, sum)));
    return total;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *arg(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    if (fallback == NULL) {
        fprintf(stderr, "spoof: %s is required\n", name);
        exit(2);
    }
    return fallback;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "syn") != 0 && strcmp(argv[1], "blind") != 0)) {
        fprintf(stderr, "usage: spoof syn|blind --dst A --dport P ... (see the comment at the top of spoof.c)\n");
        return 2;
    }
    int syn_mode = strcmp(argv[1], "syn") == 0;
    uint32_t dst = parse_addr(arg(argc, argv, "--dst", NULL));
    uint16_t dport = (uint16_t) atoi(arg(argc, argv, "--dport", NULL));
    double rate = atof(arg(argc, argv, "--rate", NULL));
    double seconds = atof(arg(argc, argv, "--seconds", syn_mode ? NULL : "600"));
    long count = atol(arg(argc, argv, "--count", syn_mode ? "100000000" : NULL));
    rng = (uint64_t) atoll(arg(argc, argv, "--seed", "0"));
    if (rng == 0) {
        rng = (uint64_t) time(NULL) * 2654435761u ^ (uint64_t) getpid();
    }
    if (rate <= 0 || seconds <= 0 || seconds > 3600 || count <= 0) {
        die("--rate, --seconds (at most 3600) and --count must be positive");
    }

    uint32_t src_base = 0, src_hosts = 0, src = 0;
    int sport_lo = 0, sport_hi = 0;
    if (syn_mode) {
        char net[64];
        snprintf(net, sizeof net, "%s", arg(argc, argv, "--src-net", NULL));
        char *slash = strchr(net, '/');
        if (slash == NULL) {
            die("--src-net must be ADDR/LEN");
        }
        *slash = '\0';
        int len = atoi(slash + 1);
        if (len < 16 || len > 29) {
            die("--src-net: prefix length must be 16..29");
        }
        src_hosts = 1u << (32 - len);
        src_base = parse_addr(net) & ~(src_hosts - 1);
        parse_addr(inet_ntoa((struct in_addr) {htonl(src_base + src_hosts - 1)})); /* the whole range is inside */
    } else {
        src = parse_addr(arg(argc, argv, "--src", NULL));
        if (sscanf(arg(argc, argv, "--sport", NULL), "%d-%d", &sport_lo, &sport_hi) != 2 || sport_lo < 1
                || sport_hi > 65535 || sport_lo > sport_hi) {
            die("--sport must be LO-HI within 1-65535");
        }
    }

    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("spoof: raw socket (needs root)");
        return 1;
    }
    static uint8_t packets[BATCH][MAX_PACKET];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(dst)};
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = packets[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    /* Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7 */
    uint8_t syn_options[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};

    long sent = 0, errors = 0;
    long kinds[3] = {0, 0, 0};
    double start = now_seconds();
    double deadline = start + seconds;
    while (sent < count) {
        double now = now_seconds();
        if (now >= deadline) {
            break;
        }
        double due = start + (double) sent / rate;
        if (due > now) {
            double wait = due - now;
            struct timespec ts = {(time_t) wait, (long) ((wait - (time_t) wait) * 1e9)};
            nanosleep(&ts, NULL);
            continue;
        }
        int n = (int) (count - sent < BATCH ? count - sent : BATCH);
        for (int i = 0; i < n; i++) {
            uint64_t r = next_random();
            int len;
            if (syn_mode) {
                uint32_t host = 3 + (uint32_t) (r % (src_hosts - 4)); /* not .0 .1 .2 or broadcast */
                uint16_t sport = (uint16_t) (1024 + (r >> 16) % 64512);
                put32(syn_options + 8, (uint32_t) (r >> 32));
                len = build(packets[i], src_base + host, dst, sport, dport, (uint32_t) next_random(), 0, 0x02,
                            syn_options, 20, 0);
            } else {
                int kind = (int) ((sent + i) % 3);
                uint16_t sport = (uint16_t) (sport_lo + (int) (r % (uint64_t) (sport_hi - sport_lo + 1)));
                uint64_t r2 = next_random();
                uint8_t flags = kind == 0 ? 0x04 : kind == 1 ? 0x02 : 0x18; /* R, S, P. */
                len = build(packets[i], src, dst, sport, dport, (uint32_t) r2, kind == 2 ? (uint32_t) (r2 >> 32) : 0,
                            flags, syn_options, kind == 1 ? 20 : 0, kind == 2 ? 32 : 0);
            }
            iov[i].iov_len = (size_t) len;
        }
        int done = sendmmsg(fd, msgs, (unsigned) n, 0);
        if (done < 0) {
            if (errno != ENOBUFS && errno != EAGAIN) {
                perror("spoof: sendmmsg");
                return 1;
            }
            errors++;
            done = 0;
            nanosleep(&(struct timespec) {0, 100000}, NULL);
        }
        for (int i = 0; i < done; i++) {
            kinds[(sent + i) % 3]++;
        }
        sent += done;
    }
    double took = now_seconds() - start;
    if (syn_mode) {
        printf("spoof: sent %ld SYNs in %.2f s (%.0f/s), send errors %ld\n", sent, took, sent / took, errors);
    } else {
        printf("spoof: sent %ld segments (%ld RST, %ld SYN, %ld data) in %.2f s (%.0f/s), send errors %ld\n", sent,
               kinds[0], kinds[1], kinds[2], took, sent / took, errors);
    }
    return 0;
}

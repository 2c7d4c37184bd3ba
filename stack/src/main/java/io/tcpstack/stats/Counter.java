package io.tcpstack.stats;

/**
 * Stack-wide counters, named exactly as Linux's {@code nstat} shows them (MIB names from
 * include/uapi/linux/snmp.h with the nstat prefix), so a reader can put ours beside the kernel's.
 * Counters of our own that Linux has no name for carry the {@code TcpExt} prefix and say so.
 */
public enum Counter {
    // IP-MIB (RFC 4293), Linux ipv4 SNMP
    IpInReceives,
    IpInHdrErrors,
    IpInAddrErrors,
    IpInUnknownProtos,
    IpInDiscards,
    IpInDelivers,
    IpOutRequests,
    IpReasmReqds,
    IpReasmFails,
    // ICMP-MIB
    IcmpInMsgs,
    IcmpInErrors,
    IcmpInCsumErrors,
    IcmpInEchos,
    IcmpInDestUnreachs,
    IcmpOutMsgs,
    IcmpOutEchoReps,
    IcmpOutDestUnreachs,
    // TCP-MIB
    TcpActiveOpens,
    TcpPassiveOpens,
    TcpAttemptFails,
    TcpEstabResets,
    TcpInSegs,
    TcpOutSegs,
    TcpRetransSegs,
    TcpInErrs,
    TcpOutRsts,
    TcpInCsumErrors,
    // TcpExt (Linux LINUX_MIB_*)
    TcpExtTW,
    TcpExtTWRecycled,
    TcpExtTWKilled,
    TcpExtPAWSActive,
    TcpExtPAWSPassive,
    TcpExtPAWSEstab,
    TcpExtDelayedACKs,
    TcpExtListenOverflows,
    TcpExtListenDrops,
    TcpExtTCPTimeWaitOverflow,
    TcpExtTCPChallengeACK,
    TcpExtTCPSYNChallenge,
    TcpExtTCPACKSkippedChallenge,
    TcpExtTCPACKSkippedPAWS,
    TcpExtTCPACKSkippedSeq,
    TcpExtTCPACKSkippedFinWait2,
    TcpExtTCPACKSkippedTimeWait,
    TcpExtTCPACKSkippedSynRecv,
    TcpExtTCPAbortOnData,
    TcpExtTCPAbortOnClose,
    TcpExtTCPAbortOnTimeout,
    TcpExtTCPAbortOnLinger,
    TcpExtTCPTimeouts,
    TcpExtTCPSynRetrans,
    TcpExtTCPFastRetrans,
    TcpExtTCPLossProbes,
    TcpExtTCPRenoRecovery,
    TcpExtTCPSackRecovery,
    TcpExtTCPOFOQueue,
    TcpExtTCPOFODrop,
    TcpExtTCPRcvQDrop,
    TcpExtTCPZeroWindowDrop,
    TcpExtTCPWinProbe,
    TcpExtTCPKeepAlive,
    TcpExtTCPSACKReneging,
    TcpExtTCPDSACKRecv,
    TcpExtTCPSackShifted,
    TcpExtTCPFINWAIT2Expired,
    // SYN floods and resource limits (Linux tcp_conn_request, syncookies.c, tcp_check_oom)
    TcpExtSyncookiesSent,
    TcpExtSyncookiesRecv,
    TcpExtSyncookiesFailed,
    TcpExtTCPReqQFullDoCookies,
    TcpExtTCPReqQFullDrop,
    TcpExtTCPAbortOnMemory,
    /** Ours: a SYN dropped, or a connect refused, because max-connections control blocks exist. */
    TcpExtTCPMaxConnectionsDrop,
    /** Ours, no Linux name: a segment that looked up a Tcb which was closed/replaced before it got the lock. */
    TcpExtStaleLookupDrop,
    /** Ours: IPv6 packets the link received and dropped (no IPv6 yet). */
    Ip6InDiscardsNoIpv6;
}

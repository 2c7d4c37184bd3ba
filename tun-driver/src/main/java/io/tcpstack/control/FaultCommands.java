package io.tcpstack.control;

import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.FaultRule;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fault add|list|clear}: the fault rules of the stack's link, changed while it runs
 * ({@link FaultRule} has the words of a rule). Every change is logged with who made it.
 */
final class FaultCommands {
    private static final Logger log = LoggerFactory.getLogger(FaultCommands.class);
    static final String USAGE = "fault takes add DIRECTION MATCH ACTION [OPTIONS], list, or clear [ID]";

    private final FaultInjectingLink faults;

    FaultCommands(FaultInjectingLink faults) {
        this.faults = faults;
    }

    List<String> handle(Peer peer, List<String> args) {
        String what = args.isEmpty() ? "" : args.get(0);
        List<String> rest = args.subList(Math.min(1, args.size()), args.size());
        return switch (what) {
            case "add" -> {
                FaultRule rule = faults.add(FaultRule.parse(rest));
                log.info("control: {} added fault rule {}: {}", peer, rule.id(), rule);
                yield List.of("fault " + rule.id() + ": " + rule);
            }
            case "list" -> {
                if (!rest.isEmpty()) {
                    throw new IllegalArgumentException("fault list takes no arguments");
                }
                yield list();
            }
            case "clear" -> clear(peer, rest);
            default -> throw new IllegalArgumentException(USAGE);
        };
    }

    /** "1 out :80 data drop once fresh-only (matched 57, dropped 1)", one line per rule in order. */
    private List<String> list() {
        List<String> lines = new ArrayList<>();
        for (FaultRule r : faults.rules()) {
            lines.add(r.id() + " " + r + " (matched " + r.matched() + ", " + r.action().done() + " " + r.acted() + ")");
        }
        return lines.isEmpty() ? List.of("no fault rules") : lines;
    }

    private List<String> clear(Peer peer, List<String> ids) {
        List<FaultRule> removed = new ArrayList<>();
        if (ids.isEmpty()) {
            removed.addAll(faults.clear());
        } else {
            for (String id : ids) {
                FaultRule r;
                try {
                    r = faults.remove(Integer.parseInt(id));
                } catch (NumberFormatException e) {
                    r = null;
                }
                if (r == null) {
                    throw new IllegalArgumentException("no fault rule " + id + " (fault list shows them)");
                }
                removed.add(r);
            }
        }
        List<String> lines = new ArrayList<>();
        for (FaultRule r : removed) {
            log.info("control: {} cleared fault rule {}: {}", peer, r.id(), r);
            lines.add("cleared fault " + r.id() + ": " + r + " (matched " + r.matched() + ", " + r.action().done() + " "
                    + r.acted() + ")");
        }
        return lines.isEmpty() ? List.of("no fault rules") : lines;
    }
}

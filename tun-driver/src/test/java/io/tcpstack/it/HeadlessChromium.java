package io.tcpstack.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium driven through the DevTools protocol over a pipe ({@code
 * --remote-debugging-pipe}: requests on its fd 3, replies on fd 4, each a JSON text ended by a
 * NUL), so nothing listens on a port; it runs inside a network namespace with only loopback, and
 * opens a local file. Started with the flags that keep it off the network.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final long REPLY_SECONDS = 60;

    private final Process process;
    private final OutputStream requests;
    private final BlockingQueue<Map<String, Object>> replies = new LinkedBlockingQueue<>();
    private final Path stderr;
    private int nextId;
    private String session;

    private HeadlessChromium(Process process, OutputStream requests, InputStream events, Path stderr) {
        this.process = process;
        this.requests = requests;
        this.stderr = stderr;
        Thread reader = new Thread(() -> read(events), "devtools-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts Chromium in {@code ns} on {@code page} (a local file), with a fresh profile in {@code dir}. */
    static HeadlessChromium open(Netns ns, Path page, Path dir, int width, int height) throws Exception {
        Path in = dir.resolve("devtools.in");
        Path out = dir.resolve("devtools.out");
        Netns.run(10, "mkfifo", in.toString(), out.toString()).ok();
        Path profile = Files.createDirectories(dir.resolve("profile"));
        String chromium = String.join(" ", "exec chromium --headless --no-sandbox --disable-gpu --disable-quic",
                "--no-first-run --disable-background-networking --disable-component-update --disable-sync",
                "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "--remote-debugging-pipe",
                "about:blank", "3<" + in, "4>" + out);
        Path stderr = dir.resolve("chromium.err");
        Process p = ns.start(dir.resolve("chromium.out"), stderr, "bash", "-c", chromium);
        // O_RDWR: opening a FIFO this way never blocks, whether or not Chromium got as far as its end
        OutputStream requests = Channels.newOutputStream(new RandomAccessFile(in.toFile(), "rw").getChannel());
        InputStream events = Channels.newInputStream(new RandomAccessFile(out.toFile(), "rw").getChannel());
        HeadlessChromium c = new HeadlessChromium(p, requests, events, stderr);
        c.attachToPage();
        c.call("Page.enable", "{}");
        c.call("Page.navigate", "{\"url\":" + Json.quote("file://" + page.toAbsolutePath()) + "}");
        return c;
    }

    private void read(InputStream events) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = events.read()) >= 0) {
                if (b != 0) {
                    message.write(b);
                    continue;
                }
                Object m = Json.parse(message.toString(StandardCharsets.UTF_8));
                message.reset();
                if (m instanceof Map<?, ?> map && map.containsKey("id")) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> reply = (Map<String, Object>) map;
                    replies.add(reply);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the browser went away; a waiting call times out and says so
        }
    }

    /** Sends a command (to the attached page once there is one) and returns its result. */
    Map<String, Object> call(String method, String params) throws Exception {
        int id = ++nextId;
        String request = "{\"id\":" + id + (session != null ? ",\"sessionId\":" + Json.quote(session) : "")
                + ",\"method\":" + Json.quote(method) + ",\"params\":" + params + "}";
        requests.write(request.getBytes(StandardCharsets.UTF_8));
        requests.write(0);
        requests.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REPLY_SECONDS);
        while (System.nanoTime() < deadline) {
            Map<String, Object> reply = replies.poll(200, TimeUnit.MILLISECONDS);
            if (reply != null && ((Number) reply.get("id")).intValue() == id) {
                if (reply.containsKey("error")) {
                    fail(method + " failed: " + reply.get("error"));
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> result = (Map<String, Object>) reply.get("result");
                return result;
            }
            if (!process.isAlive()) {
                fail("chromium exited with " + process.exitValue() + ":\n" + DaemonProcess.read(stderr));
            }
        }
        fail("no reply to " + method + " within " + REPLY_SECONDS + " s:\n" + DaemonProcess.read(stderr));
        return null;
    }

    private void attachToPage() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REPLY_SECONDS);
        while (System.nanoTime() < deadline) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> targets = (List<Map<String, Object>>) call("Target.getTargets", "{}").get("targetInfos");
            for (Map<String, Object> t : targets) {
                if ("page".equals(t.get("type"))) {
                    session = (String) call("Target.attachToTarget", "{\"targetId\":" + Json.quote((String) t.get("targetId"))
                            + ",\"flatten\":true}").get("sessionId");
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("chromium opened no page");
    }

    /** The value of a JavaScript expression in the page. */
    Object eval(String expression) throws Exception {
        Map<String, Object> r = call("Runtime.evaluate", "{\"expression\":" + Json.quote(expression)
                + ",\"returnByValue\":true}");
        return Json.at(r, "result.value");
    }

    /** A key press (down and up) as the keyboard would send it. */
    void press(String key, int keyCode) throws Exception {
        for (String type : List.of("keyDown", "keyUp")) {
            call("Input.dispatchKeyEvent", "{\"type\":\"" + type + "\",\"key\":" + Json.quote(key) + ",\"code\":"
                    + Json.quote(key) + ",\"windowsVirtualKeyCode\":" + keyCode + "}");
        }
    }

    /** A PNG of what the page shows. */
    byte[] screenshot() throws Exception {
        String data = (String) call("Page.captureScreenshot", "{\"format\":\"png\"}").get("data");
        return java.util.Base64.getDecoder().decode(data);
    }

    @Override
    public void close() throws Exception {
        try {
            session = null;
            if (process.isAlive()) {
                int id = ++nextId;
                requests.write(("{\"id\":" + id + ",\"method\":\"Browser.close\",\"params\":{}}").getBytes(StandardCharsets.UTF_8));
                requests.write(0);
                requests.flush();
            }
        } catch (IOException e) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        requests.close();
    }
}

import { describe, expect, it, vi } from "vitest";
import { SseParser, parseSse, type SseItem } from "./sse";
import { LiveConnection, backoffDelay, type LiveState } from "./liveNotifications";

const events = (items: SseItem[]) => items.filter((i) => i.kind === "event");

describe("parseSse", () => {
  it("reads the notification stream's events, their ids and the heartbeat", () => {
    const text =
      'event: unread\ndata: {"unread_count": 2}\n\n' +
      ": ping\n\n" +
      'event: notification\nid: 17\ndata: {"notification": {"id": "n1"}, "unread_count": 3}\n\n';
    expect(parseSse(text)).toEqual([
      { kind: "event", event: "unread", data: '{"unread_count": 2}', id: "" },
      { kind: "comment", text: "ping" },
      { kind: "event", event: "notification", data: '{"notification": {"id": "n1"}, "unread_count": 3}', id: "17" },
    ]);
  });

  it("joins data lines with LF and defaults the event type to message", () => {
    expect(parseSse("data: a\ndata:b\ndata:  c\n\n")).toEqual([{ kind: "event", event: "message", data: "a\nb\n c", id: "" }]);
  });

  it("accepts CRLF and CR line ends", () => {
    expect(events(parseSse("event: x\r\ndata: 1\r\n\r\nevent: y\rdata: 2\r\r"))).toEqual([
      { kind: "event", event: "x", data: "1", id: "" },
      { kind: "event", event: "y", data: "2", id: "" },
    ]);
  });

  it("keeps the last event id for later events, and an id with NUL is ignored", () => {
    const items = events(parseSse("id: 5\ndata: a\n\ndata: b\n\nid: 6\0\ndata: c\n\nid\ndata: d\n\n"));
    expect(items.map((e) => (e.kind === "event" ? [e.data, e.id] : []))).toEqual([
      ["a", "5"],
      ["b", "5"],
      ["c", "5"],
      ["d", ""],
    ]);
  });

  it("does not dispatch an event without data, but takes its id", () => {
    const parser = new SseParser();
    expect(parser.feed("id: 9\nevent: notification\n\n")).toEqual([]);
    expect(parser.lastEventId).toBe("9");
    expect(parser.feed("data:\n\n")).toEqual([{ kind: "event", event: "message", data: "", id: "9" }]);
  });

  it("drops an unfinished event at the end of the stream, and a leading BOM", () => {
    expect(parseSse("\ufeffdata: one\n\ndata: half")).toEqual([{ kind: "event", event: "message", data: "one", id: "" }]);
  });

  it("reports retry, ignores unknown fields and a retry that is not a number", () => {
    expect(parseSse("retry: 3000\nretry: soon\nfoo: bar\ndata: x\n\n")).toEqual([
      { kind: "retry", ms: 3000 },
      { kind: "event", event: "message", data: "x", id: "" },
    ]);
  });

  it("a field name alone is a field with an empty value", () => {
    expect(parseSse("data\ndata\n\n")).toEqual([{ kind: "event", event: "message", data: "\n", id: "" }]);
  });
});

describe("SseParser fed in chunks", () => {
  const stream =
    ': ping\r\n\r\nevent: notification\r\nid: 41\r\ndata: {"title": "关于催办的通知"}\r\n\r\nevent: unread\r\ndata: {"unread_count": 0}\r\n\r\n';

  it("gives the same items however the text is split, even between CR and LF", () => {
    const whole = parseSse(stream);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const items: SseItem[] = [];
      for (let i = 0; i < stream.length; i += size) items.push(...parser.feed(stream.slice(i, i + size)));
      parser.end();
      expect(items).toEqual(whole);
    }
    expect(events(whole)).toHaveLength(2);
  });

  it("a CR at the end of a chunk and an LF at the start of the next are one line end", () => {
    const parser = new SseParser();
    expect(parser.feed("data: a\r")).toEqual([]);
    expect(parser.feed("\n\r")).toEqual([{ kind: "event", event: "message", data: "a", id: "" }]);
    expect(parser.feed("\ndata: b\n\n")).toEqual([{ kind: "event", event: "message", data: "b", id: "" }]);
  });

  it("starts from a last event id given when resuming", () => {
    const parser = new SseParser("40");
    expect(parser.feed("data: x\n\n")).toEqual([{ kind: "event", event: "message", data: "x", id: "40" }]);
  });
});

// -- the connection (liveNotifications.ts), over a fake fetch -------------------------------------

interface FakeStream {
  push(text: string): void;
  close(): void;
  fail(): void;
}

interface Call {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** A fetch whose answers the test scripts, one per call: a status, or an open SSE stream. */
function fakeServer() {
  const calls: Call[] = [];
  const answers: Array<(call: Call) => Response | Promise<Response> | Error> = [];
  const streams: FakeStream[] = [];
  let waiting: (() => void) | null = null;
  const fetchFn = (async (url: string, init: RequestInit) => {
    const call = { url, headers: { ...(init.headers as Record<string, string>) }, signal: init.signal! };
    calls.push(call);
    waiting?.();
    const answer = answers.shift() ?? (() => new Error("no answer scripted"));
    const out = await answer(call);
    if (out instanceof Error) throw new TypeError(out.message);
    return out;
  }) as unknown as typeof fetch;
  const encoder = new TextEncoder();
  return {
    calls,
    streams,
    fetch: fetchFn,
    status(status: number) {
      answers.push(() => new Response(JSON.stringify({ error: { code: "x", message: "x" } }), { status }));
    },
    down() {
      answers.push(() => new Error("network down"));
    },
    stream() {
      answers.push((call) => {
        let controller!: ReadableStreamDefaultController<Uint8Array>;
        const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
        const stream: FakeStream = {
          push: (text) => controller.enqueue(encoder.encode(text)),
          close: () => controller.close(),
          fail: () => controller.error(new TypeError("network error")),
        };
        call.signal.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
        streams.push(stream);
        return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream; charset=utf-8" } });
      });
    },
    /** until fetch has been called n times */
    async called(n: number) {
      while (calls.length < n) await new Promise<void>((resolve) => (waiting = resolve));
    },
  };
}

const note = (id: string, title = "催办") =>
  ({ id, kind: "urge", kind_label: "催办通知", title, body: "", created_at: "2026-11-20T10:00:00+08:00" }) as never;
const sse = (event: string, data: unknown, id?: number) =>
  `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A connection to the fake server that records what it hands on; the refresh gives "t2". */
function connect(
  server: ReturnType<typeof fakeServer>,
  extra: { refresh?: () => Promise<boolean>; heartbeatTimeoutMs?: number } = {},
) {
  const got = { notes: [] as Array<[string, number | null, string]>, unread: [] as number[], states: [] as LiveState[], expired: 0, delays: [] as number[] };
  let token = "t1";
  const connection = new LiveConnection(
    {
      onNotification: (n, count, id) => got.notes.push([(n as { id: string }).id, count, id]),
      onUnread: (count) => got.unread.push(count),
      onState: (state) => got.states.push(state),
    },
    {
      fetch: server.fetch,
      accessToken: () => token,
      refresh:
        extra.refresh ??
        (async () => {
          token = "t2";
          return true;
        }),
      expired: () => got.expired++,
      heartbeatTimeoutMs: extra.heartbeatTimeoutMs ?? 10_000,
      delay: (attempt) => {
        got.delays.push(attempt);
        return 1;
      },
    },
  );
  return { connection, got };
}

describe("backoffDelay", () => {
  it("waits 1 s, 2 s, 4 s, 8 s, then 15 s at most, shortened by up to a fifth", () => {
    expect([0, 1, 2, 3, 4, 5, 30].map((n) => backoffDelay(n, () => 0))).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(backoffDelay(4, () => 1)).toBe(12000);
  });
});

describe("LiveConnection", () => {
  it("sends the bearer token, hands on notifications and counts, and resumes with Last-Event-ID", async () => {
    const server = fakeServer();
    server.stream();
    server.stream();
    const { connection, got } = connect(server);
    connection.start();
    await server.called(1);
    expect(server.calls[0].url).toBe("/api/v1/notifications/stream");
    expect(server.calls[0].headers).toEqual({ Accept: "text/event-stream", Authorization: "Bearer t1" });
    await tick();
    const [first] = server.streams;
    first.push(sse("unread", { unread_count: 2 }));
    first.push(": ping\n\n");
    first.push(sse("notification", { notification: note("a"), unread_count: 3 }, 7).slice(0, 20));
    await tick();
    expect(got.unread).toEqual([2]);
    expect(got.notes).toEqual([]);
    first.push(sse("notification", { notification: note("a"), unread_count: 3 }, 7).slice(20));
    await tick();
    expect(got.notes).toEqual([["a", 3, "7"]]);
    expect(connection.lastEventId).toBe("7");
    expect(connection.state).toBe("open");

    // half an event, then the network drops: the half is not taken, the resume asks after 7
    first.push("event: notification\nid: 8\ndata: {");
    first.fail();
    await server.called(2);
    expect(server.calls[1].headers["Last-Event-ID"]).toBe("7");
    await tick();
    server.streams[1].push(sse("notification", { notification: note("b"), unread_count: 4 }, 8));
    await tick();
    expect(got.notes.map((n) => n[0])).toEqual(["a", "b"]);
    expect(got.states).toEqual(["connecting", "open", "down", "connecting", "open"]);
    await connection.stop();
    expect(connection.state).toBe("stopped");
    expect(server.calls).toHaveLength(2);
  });

  it("backs off 1 s, 2 s, … while the server cannot be reached, from 1 s again once one connected", async () => {
    const server = fakeServer();
    server.down();
    server.status(503);
    server.status(404);
    server.stream();
    server.stream();
    const { connection, got } = connect(server);
    connection.start();
    await server.called(4);
    await tick();
    expect(got.delays).toEqual([0, 1, 2]);
    server.streams[0].push(sse("unread", { unread_count: 0 }));
    await tick();
    server.streams[0].close(); // the server ended it (it restarts)
    await server.called(5);
    expect(got.delays).toEqual([0, 1, 2, 0]);
    await connection.stop();
  });

  it("a 401 refreshes the token once and reconnects at once with the new one", async () => {
    const server = fakeServer();
    server.status(401);
    server.stream();
    const { connection, got } = connect(server);
    connection.start();
    await server.called(2);
    expect(server.calls.map((c) => c.headers.Authorization)).toEqual(["Bearer t1", "Bearer t2"]);
    expect(got.delays).toEqual([]);
    expect(got.expired).toBe(0);
    await connection.stop();
  });

  it("when the refresh fails, or the new token is refused too, the session has ended", async () => {
    let server = fakeServer();
    server.status(401);
    let made = connect(server, { refresh: async () => false });
    made.connection.start();
    await server.called(1);
    await tick();
    expect(made.got.expired).toBe(1);
    expect(made.connection.state).toBe("stopped");
    expect(server.calls).toHaveLength(1);

    server = fakeServer();
    server.status(401);
    server.status(401);
    made = connect(server);
    made.connection.start();
    await server.called(2);
    await tick();
    expect(made.got.expired).toBe(1);
    expect(server.calls).toHaveLength(2);
  });

  it("a 403 ends it without ending the session; a 422 (a bad position) starts again from now", async () => {
    let server = fakeServer();
    server.status(403);
    let made = connect(server);
    made.connection.start();
    await server.called(1);
    await tick();
    expect(made.connection.state).toBe("stopped");
    expect(made.got.expired).toBe(0);
    expect(server.calls).toHaveLength(1);

    server = fakeServer();
    server.status(422);
    server.stream();
    made = connect(server);
    made.connection.lastEventId = "abc";
    made.connection.start();
    await server.called(2);
    expect(server.calls[0].headers["Last-Event-ID"]).toBe("abc");
    expect(server.calls[1].headers["Last-Event-ID"]).toBeUndefined();
    await made.connection.stop();
  });

  it("a silent connection (no heartbeat) is dropped and opened again", async () => {
    const server = fakeServer();
    server.stream();
    server.stream();
    const { connection } = connect(server, { heartbeatTimeoutMs: 30 });
    connection.start();
    await server.called(2);
    expect(server.calls[0].signal.aborted).toBe(true);
    await connection.stop();
  });

  it("stop() ends the stream and no reconnection follows; reconnectNow() skips the wait", async () => {
    const server = fakeServer();
    server.stream();
    server.stream();
    const { connection, got } = connect(server);
    connection.start();
    await server.called(1);
    await tick();
    connection.reconnectNow();
    await server.called(2);
    expect(server.calls[0].signal.aborted).toBe(true);
    expect(got.delays).toEqual([]);
    await connection.stop();
    expect(server.calls[1].signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.calls).toHaveLength(2);
  });

  it("opened again without a position (none came before it dropped), it asks for a resync", async () => {
    const server = fakeServer();
    server.stream();
    server.stream();
    server.stream();
    let resyncs = 0;
    const connection = new LiveConnection(
      { onNotification: () => undefined, onUnread: () => undefined, onResync: () => resyncs++ },
      { fetch: server.fetch, accessToken: () => "t", refresh: async () => true, expired: () => undefined, delay: () => 1 },
    );
    connection.start();
    await server.called(1);
    await tick();
    expect(resyncs).toBe(0); // the first connection starts now: nothing to catch up
    server.streams[0].push(sse("unread", { unread_count: 0 }));
    server.streams[0].fail();
    await server.called(2);
    await tick();
    expect(server.calls[1].headers["Last-Event-ID"]).toBeUndefined();
    expect(resyncs).toBe(1);
    server.streams[1].push(sse("notification", { notification: note("n"), unread_count: 1 }, 12));
    await tick();
    server.streams[1].fail();
    await server.called(3);
    await tick();
    expect(server.calls[2].headers["Last-Event-ID"]).toBe("12");
    expect(resyncs).toBe(1);
    await connection.stop();
  });

  it("drop() (offline) drops the connection and reconnects after the backoff, resuming", async () => {
    const server = fakeServer();
    server.stream();
    server.stream();
    const { connection, got } = connect(server);
    connection.start();
    await server.called(1);
    await tick();
    server.streams[0].push(sse("notification", { notification: note("a"), unread_count: 1 }, 3));
    await tick();
    connection.drop();
    await server.called(2);
    expect(server.calls[0].signal.aborted).toBe(true);
    expect(got.delays).toEqual([0]);
    expect(server.calls[1].headers["Last-Event-ID"]).toBe("3");
    await connection.stop();
  });

  it("a handler's failure or data that is not JSON does not drop the stream", async () => {
    const server = fakeServer();
    server.stream();
    const seen: string[] = [];
    const connection = new LiveConnection(
      {
        onNotification: (n) => {
          seen.push((n as { id: string }).id);
          throw new Error("boom");
        },
        onUnread: () => undefined,
      },
      { fetch: server.fetch, accessToken: () => "t", refresh: async () => true, expired: () => undefined, delay: () => 1 },
    );
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    connection.start();
    await server.called(1);
    await tick();
    server.streams[0].push("event: notification\nid: 1\ndata: nope\n\n");
    server.streams[0].push(sse("notification", { notification: note("x"), unread_count: 1 }, 2));
    server.streams[0].push(sse("notification", { notification: note("y"), unread_count: 2 }, 3));
    await tick();
    expect(seen).toEqual(["x", "y"]);
    expect(connection.lastEventId).toBe("3");
    expect(server.calls).toHaveLength(1);
    await connection.stop();
    quiet.mockRestore();
    warn.mockRestore();
  });
});

/**
 * Server-Sent Events as pure parsing (the WHATWG "event stream" format), so that a
 * stream read with fetch and a ReadableStream reader — which, unlike EventSource, can
 * send the Authorization header — turns into events.
 *
 * Text comes in chunks as they arrive (split anywhere, even between a CR and its LF);
 * lines end with LF, CR or CRLF; a leading BOM is dropped. A line `field: value` adds to
 * the event being built (`data` lines are joined with LF; `event`, `id`, `retry`), a line
 * starting with `:` is a comment (the server's heartbeat `: ping`), an empty line
 * dispatches the event. An event without data is not dispatched (as in EventSource),
 * but its `id` still becomes the last event id. An `id` containing NUL is ignored.
 */

export interface SseMessage {
  kind: "event";
  /** `event:` (default "message") */
  event: string;
  /** the `data:` lines joined with LF */
  data: string;
  /** the last event id in force when it was dispatched ("" when none yet) */
  id: string;
}

export interface SseComment {
  kind: "comment";
  text: string;
}

export interface SseRetry {
  kind: "retry";
  /** the reconnection time the server asks for, in milliseconds */
  ms: number;
}

export type SseItem = SseMessage | SseComment | SseRetry;

export class SseParser {
  private buffer = "";
  private started = false;
  private pendingCR = false;
  private eventType = "";
  private data: string[] = [];
  private hasData = false;
  /** the last event id seen so far (persists across events, as in EventSource) */
  lastEventId: string;

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
  }

  /** Parse one more chunk of text; the complete items it finished, in order. */
  feed(chunk: string): SseItem[] {
    let text = chunk;
    if (!this.started && text.length) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCR) {
      // a CR ended the previous chunk: an LF right after it belongs to the same line end
      if (text.startsWith("\n")) text = text.slice(1);
      this.pendingCR = false;
    }
    const out: SseItem[] = [];
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      this.line(this.buffer.slice(start, i), out);
      if (ch === "\r") {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: an event not terminated by an empty line is discarded (spec). */
  end(): void {
    this.buffer = "";
    this.pendingCR = false;
    this.resetEvent();
  }

  private resetEvent(): void {
    this.eventType = "";
    this.data = [];
    this.hasData = false;
  }

  private line(line: string, out: SseItem[]): void {
    if (line === "") {
      if (this.hasData) {
        out.push({ kind: "event", event: this.eventType || "message", data: this.data.join("\n"), id: this.lastEventId });
      }
      this.resetEvent();
      return;
    }
    if (line.startsWith(":")) {
      out.push({ kind: "comment", text: line.slice(1).replace(/^ /, "") });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) out.push({ kind: "retry", ms: Number(value) });
        break;
      default:
        break; // unknown fields are ignored
    }
  }
}

/** All the items of a complete text (for tests and one-off parsing). */
export function parseSse(text: string): SseItem[] {
  const parser = new SseParser();
  const items = parser.feed(text);
  parser.end();
  return items;
}

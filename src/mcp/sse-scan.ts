import { JsonRpcScanner, type ResponseVerdict } from "./response-scan.ts";

// Reading an upstream's text/event-stream as it passes through (HTML Living Standard §9.2.6, "event
// stream interpretation"): lines end in CRLF, LF or CR; a blank line dispatches the event; only `data`
// fields matter here, and their bytes go straight to a JsonRpcScanner. The stream is never buffered or
// re-framed: the client receives the upstream's own bytes, chunk by chunk.

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = [0x64, 0x61, 0x74, 0x61]; // "data"

const AT_LINE_START = 0;
const IN_FIELD = 1;
const AFTER_DATA_COLON = 2;
const IN_DATA = 3;
const IN_OTHER_VALUE = 4;

export class SseScanner {
  /** Events dispatched so far (including the priming event and notifications). */
  events = 0;
  /** The first event that carried a JSON-RPC response: the answer to the POSTed request. */
  response: ResponseVerdict | undefined;

  private readonly json: JsonRpcScanner;
  private state = AT_LINE_START;
  /** How much of "data" the field name has matched; -1 once it cannot be "data". */
  private fieldMatch = 0;
  private eventHasData = false;
  private afterCR = false;

  constructor(watchToolErrors: boolean) {
    this.json = new JsonRpcScanner(watchToolErrors);
  }

  /** Next CR at or after the read position in the current chunk; -1: none left. CR line ends are rare. */
  private nextCR = -1;

  feed(chunk: Uint8Array): void {
    const end = chunk.length;
    let i = 0;
    this.nextCR = chunk.indexOf(CR);
    while (i < end && this.response === undefined) {
      const c = chunk[i]!;
      if (this.afterCR) {
        this.afterCR = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (this.state === IN_DATA || this.state === IN_OTHER_VALUE) {
        if (this.nextCR !== -1 && this.nextCR < i) this.nextCR = chunk.indexOf(CR, i);
        const lf = chunk.indexOf(LF, i);
        let lineEnd = lf === -1 ? end : lf;
        if (this.nextCR !== -1 && this.nextCR < lineEnd) lineEnd = this.nextCR;
        if (this.state === IN_DATA) this.json.feed(chunk, i, lineEnd);
        if (lineEnd === end) return;
        this.endLine();
        this.afterCR = chunk[lineEnd] === CR;
        i = lineEnd + 1;
        continue;
      }
      if (c === LF || c === CR) {
        this.endLine();
        this.afterCR = c === CR;
        i++;
        continue;
      }
      if (this.state === AT_LINE_START) {
        this.state = IN_FIELD;
        this.fieldMatch = 0;
      }
      if (this.state === IN_FIELD) {
        if (c === COLON) {
          // Several data lines make one value joined by LF; JSON reads the joins as whitespace.
          this.eventHasData ||= this.fieldMatch === DATA.length;
          this.state = this.fieldMatch === DATA.length ? AFTER_DATA_COLON : IN_OTHER_VALUE;
        } else this.fieldMatch = this.fieldMatch >= 0 && this.fieldMatch < DATA.length && DATA[this.fieldMatch] === c ? this.fieldMatch + 1 : -1;
        i++;
        continue;
      }
      // AFTER_DATA_COLON: one leading space is not part of the value.
      this.state = IN_DATA;
      if (c === SPACE) i++;
    }
  }

  private endLine(): void {
    if (this.state === AT_LINE_START) {
      this.dispatch();
      return;
    }
    // A line "data" with no colon is a data field with an empty value.
    if (this.state === IN_FIELD && this.fieldMatch === DATA.length) this.eventHasData = true;
    this.state = AT_LINE_START;
  }

  private dispatch(): void {
    this.events++;
    if (this.eventHasData && this.json.responses > 0) {
      const { responses, errors, toolErrors, errorCode } = this.json;
      this.response = { responses, errors, toolErrors, errorCode };
    }
    this.eventHasData = false;
    this.json.reset();
  }
}

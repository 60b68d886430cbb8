// Classifying an upstream response for analytics (success vs application_error) without building it:
// the bytes go to the client untouched, and this reads just enough of them to find the message's
// top-level "result" or "error" member, error.code, and a tools/call result's isError. It is fed chunk
// by chunk, so the same code serves a buffered JSON body, a streamed one and the data lines of SSE
// events. Bytes inside strings are skipped with indexOf (native memchr), so long tool output costs
// almost nothing; and once the verdict cannot change the scanner stops reading. A key spelled with
// escapes ("res\u0075lt") is not recognised; no serializer writes these keys so. A whole JSON answer
// up to 64 KiB is read with parsedVerdict (JSON.parse) first, which is faster at that size; the
// scanner decides for larger bodies and for anything JSON.parse rejects.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

const MEMBER_NONE = 0;
const MEMBER_RESULT = 1;
const MEMBER_ERROR = 2;
const MEMBER_OTHER = 3;

const LITERAL_NONE = 0;
const LITERAL_CODE = 1;
const LITERAL_IS_ERROR = 2;

const KEY_OTHER = 0;
const KEY_RESULT = 1;
const KEY_ERROR = 2;
const KEY_CODE = 3;
const KEY_IS_ERROR = 4;

/** The keys the scanner acts on, by id, as text and as bytes. */
const KEY_NAMES = ["", "result", "error", "code", "isError"];
const KEYS = KEY_NAMES.map((name) => [...name].map((ch) => ch.charCodeAt(0)));

function keyIdOf(chunk: Uint8Array, from: number, to: number): number {
  const length = to - from;
  for (let id = 1; id < KEYS.length; id++) {
    const key = KEYS[id]!;
    if (key.length !== length) continue;
    let same = true;
    for (let k = 0; k < length && same; k++) same = chunk[from + k] === key[k];
    if (same) return id;
  }
  return KEY_OTHER;
}

/** Longest key the scanner needs to recognise ("isError"); longer keys are not kept. */
const MAX_KEY = 8;

export interface ResponseVerdict {
  /** Messages with a top-level result or error member: 1 for a response, one per element of a batch. */
  readonly responses: number;
  /** Of those, how many carry an error object. */
  readonly errors: number;
  /** tools/call results with `isError: true` (a tool execution error reported inside a result). */
  readonly toolErrors: number;
  /** The first error.code seen. */
  readonly errorCode: number | undefined;
}

/** parsedVerdict's reading: the verdict and the parsed body, so no one parses the same bytes twice. */
export interface ParsedVerdict extends ResponseVerdict {
  /** The parsed JSON; undefined when JSON.parse rejected the body. */
  readonly value: unknown;
}

const utf8 = new TextDecoder();

/**
 * The verdict from JSON.parse: the slow path, for a whole body in which the scan found no response,
 * before the gateway declares it not MCP.
 */
export function parsedVerdict(body: Uint8Array, watchToolErrors: boolean): ParsedVerdict {
  const verdict = { responses: 0, errors: 0, toolErrors: 0, errorCode: undefined as number | undefined, value: undefined as unknown };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    return verdict;
  }
  verdict.value = value;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  for (const message of Array.isArray(value) ? value : [value]) {
    if (!isObject(message)) continue;
    if ("result" in message) {
      verdict.responses++;
      if (watchToolErrors && isObject(message.result) && message.result.isError === true) verdict.toolErrors++;
    } else if (isObject(message.error)) {
      verdict.responses++;
      verdict.errors++;
      const code = message.error.code;
      if (verdict.errorCode === undefined && typeof code === "number" && Number.isInteger(code)) verdict.errorCode = code;
    }
  }
  return verdict;
}

/**
 * Whether a body JSON.parse rejected can still be one whole JSON text (Python's `NaN` inside, say): every
 * string and bracket it opens is closed. A body cut short (an upstream that died or stalled mid-answer,
 * issue 18's fault storm) is not, and no client could read it. `tailOnly` looks at the last byte only
 * (for bodies too large to walk twice).
 */
export function closesLikeJson(body: Uint8Array, tailOnly = false): boolean {
  let end = body.length;
  while (end > 0 && (body[end - 1] === SPACE || body[end - 1] === TAB || body[end - 1] === LF || body[end - 1] === CR)) end--;
  const last = body[end - 1];
  if (last !== RBRACE && last !== RBRACKET) return false;
  if (tailOnly) return true;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < end; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return depth === 0 && !inString;
}

const isDelimiter = (c: number) => c === COMMA || c === RBRACE || c === RBRACKET || c === SPACE || c === TAB || c === LF || c === CR;

export class JsonRpcScanner implements ResponseVerdict {
  responses = 0;
  errors = 0;
  toolErrors = 0;
  errorCode: number | undefined = undefined;

  /** Open containers. */
  private depth = 0;
  /** Depth of a message object's members: 1 for a single message, 2 inside a batch array, 0 before the first token. */
  private messageDepth = 0;
  /** Bit d set: the container at depth d is an object (depths above 31 are never message-level). */
  private objects = 0;
  private inString = false;
  private escaped = false;
  private wantKey = false;
  private capturingKey = false;
  /** A key split across chunks or holding escapes, read byte by byte (the rare path). */
  private key = "";
  private lastKey = KEY_OTHER;
  private member = MEMBER_NONE;
  private memberValuePending = false;
  private literalTarget = LITERAL_NONE;
  private inLiteral = false;
  private literal = "";
  /** Next backslash at or after the read position in the current chunk; -1: none left; -2: not looked yet. */
  private nextBackslash = -2;

  /** @param watchToolErrors read into results for isError (only tools/call results have it) */
  constructor(private readonly watchToolErrors: boolean) {}

  /** No byte still to come can change the verdict (a single message whose deciding member was read). */
  done = false;

  private settle(): void {
    if (this.messageDepth !== 1 || this.responses === 0) return;
    this.done = this.errors > 0 ? this.errorCode !== undefined : !this.watchToolErrors;
  }

  reset(): void {
    this.responses = this.errors = this.toolErrors = 0;
    this.errorCode = undefined;
    this.depth = this.messageDepth = this.objects = 0;
    this.inString = this.escaped = this.wantKey = this.capturingKey = false;
    this.key = this.literal = "";
    this.lastKey = KEY_OTHER;
    this.done = false;
    this.member = MEMBER_NONE;
    this.memberValuePending = this.inLiteral = false;
    this.literalTarget = LITERAL_NONE;
  }

  feed(chunk: Uint8Array, start = 0, end = chunk.length): void {
    this.nextBackslash = -2;
    let i = start;
    while (i < end) {
      if (this.done) return;
      if (this.inString) {
        i = this.capturingKey ? this.readKey(chunk, i, end) : this.skipString(chunk, i, end);
        continue;
      }
      const c = chunk[i]!;
      if (this.inLiteral) {
        if (!isDelimiter(c)) {
          if (this.literal.length < 24) this.literal += String.fromCharCode(c);
          i++;
          continue;
        }
        this.finishLiteral();
      }
      this.token(c);
      i++;
    }
  }

  private token(c: number): void {
    switch (c) {
      case QUOTE:
        if (this.wantKey) {
          this.capturingKey = this.depth === this.messageDepth || this.depth === this.messageDepth + 1;
          this.key = "";
          this.wantKey = false;
        } else {
          this.valueStart(c);
          this.capturingKey = false;
        }
        this.inString = true;
        return;
      case LBRACE:
      case LBRACKET:
        this.valueStart(c);
        // The first token decides the shape: an object is one message, an array a batch of them.
        if (this.messageDepth === 0) this.messageDepth = c === LBRACE ? 1 : 2;
        this.depth++;
        if (this.depth < 32) this.objects = c === LBRACE ? this.objects | (1 << this.depth) : this.objects & ~(1 << this.depth);
        this.wantKey = c === LBRACE;
        if (this.depth === this.messageDepth) this.member = MEMBER_NONE;
        return;
      case RBRACE:
      case RBRACKET:
        this.depth--;
        this.wantKey = false;
        return;
      case COMMA:
        this.wantKey = this.depth < 32 && (this.objects & (1 << this.depth)) !== 0;
        return;
      case COLON:
        if (this.depth === this.messageDepth) {
          this.member = this.lastKey === KEY_RESULT ? MEMBER_RESULT : this.lastKey === KEY_ERROR ? MEMBER_ERROR : MEMBER_OTHER;
          this.memberValuePending = true;
        } else if (this.depth === this.messageDepth + 1) {
          if (this.member === MEMBER_ERROR && this.lastKey === KEY_CODE) this.literalTarget = LITERAL_CODE;
          else if (this.member === MEMBER_RESULT && this.lastKey === KEY_IS_ERROR && this.watchToolErrors) this.literalTarget = LITERAL_IS_ERROR;
        }
        return;
      case SPACE:
      case TAB:
      case LF:
      case CR:
        return;
      default:
        // The first byte of a number, true, false or null.
        this.valueStart(c);
        if (this.literalTarget !== LITERAL_NONE) {
          this.inLiteral = true;
          this.literal = String.fromCharCode(c);
        }
    }
  }

  private valueStart(c: number): void {
    if (this.memberValuePending) {
      this.memberValuePending = false;
      if (this.member === MEMBER_RESULT) this.responses++;
      else if (this.member === MEMBER_ERROR && c === LBRACE) {
        this.responses++;
        this.errors++;
      }
      this.settle();
    }
    if (c === QUOTE || c === LBRACE || c === LBRACKET) this.literalTarget = LITERAL_NONE;
  }

  private finishLiteral(): void {
    if (this.literalTarget === LITERAL_CODE) {
      const code = Number(this.literal);
      if (this.errorCode === undefined && Number.isInteger(code)) this.errorCode = code;
    } else if (this.literalTarget === LITERAL_IS_ERROR && this.literal === "true") {
      this.toolErrors++;
    }
    this.inLiteral = false;
    this.literal = "";
    this.literalTarget = LITERAL_NONE;
    this.settle();
  }

  /** Inside a value string (or a key nobody needs): jump to its closing quote. */
  private skipString(chunk: Uint8Array, i: number, end: number): number {
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    while (i < end) {
      const quote = chunk.indexOf(QUOTE, i);
      if (this.nextBackslash !== -1 && this.nextBackslash < i) this.nextBackslash = chunk.indexOf(BACKSLASH, i);
      const backslash = this.nextBackslash !== -1 && this.nextBackslash < end ? this.nextBackslash : -1;
      const close = quote !== -1 && quote < end ? quote : -1;
      if (backslash !== -1 && (close === -1 || backslash < close)) {
        // An escape: the next byte (perhaps in the next chunk) is part of the string whatever it is.
        if (backslash + 1 >= end) {
          this.escaped = true;
          return end;
        }
        i = backslash + 2;
        continue;
      }
      if (close === -1) return end;
      this.inString = false;
      return close + 1;
    }
    return end;
  }

  /** Inside a message- or member-level key: note which of the few keys that matter it is. */
  private readKey(chunk: Uint8Array, i: number, end: number): number {
    if (this.key === "" && !this.escaped) {
      // The usual case: the whole key, without escapes, in this chunk.
      const quote = chunk.indexOf(QUOTE, i);
      if (this.nextBackslash !== -1 && this.nextBackslash < i) this.nextBackslash = chunk.indexOf(BACKSLASH, i);
      if (quote !== -1 && quote < end && (this.nextBackslash === -1 || this.nextBackslash > quote)) {
        this.lastKey = keyIdOf(chunk, i, quote);
        this.inString = false;
        this.capturingKey = false;
        return quote + 1;
      }
    }
    while (i < end) {
      const c = chunk[i]!;
      if (this.escaped) {
        // No key that matters has an escape in it.
        this.escaped = false;
        this.key = "\u0000";
      } else if (c === BACKSLASH) {
        this.escaped = true;
      } else if (c === QUOTE) {
        this.lastKey = KEY_NAMES.indexOf(this.key);
        if (this.lastKey === -1) this.lastKey = KEY_OTHER;
        this.key = "";
        this.inString = false;
        this.capturingKey = false;
        return i + 1;
      } else if (this.key.length <= MAX_KEY) {
        this.key += String.fromCharCode(c);
      }
      i++;
    }
    return end;
  }
}

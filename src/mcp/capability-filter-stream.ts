import { createParser, type EventSourceMessage } from "eventsource-parser";

// Zuplo passes text/event-stream responses through unfiltered, so a hidden tool still reaches the client
// when the upstream answers in SSE. We filter event by event while the stream flows: each complete event
// is parsed, rewritten if it is a list response, and written out before the next chunk is read — the
// stream is never buffered whole.

/** Rewrites one event's `data` (a JSON-RPC message); return the same string to leave it untouched. */
export type SseDataRewrite = (data: string) => string;

function serializeEvent(e: EventSourceMessage, data: string): string {
  let out = "";
  if (e.id !== undefined) out += `id: ${e.id}\n`;
  if (e.event !== undefined) out += `event: ${e.event}\n`;
  for (const line of data.split("\n")) out += `data: ${line}\n`;
  return out + "\n";
}

/**
 * Rewrites a stream event by event. An event that grows past `maxEventChars` before it ends (a huge
 * list, or an endless event) is not buffered further: the stream ends with one event carrying
 * `tooLarge()`'s data, and the upstream's stream is cancelled.
 */
export function rewriteSseStream(body: ReadableStream<Uint8Array>, rewrite: SseDataRewrite, limit: { readonly maxEventChars: number; readonly tooLarge: () => string }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let controllerRef: TransformStreamDefaultController<Uint8Array>;
  let overflowed = false;
  const parser = createParser({
    onEvent: (e) => controllerRef.enqueue(encoder.encode(serializeEvent(e, rewrite(e.data)))),
    onRetry: (ms) => controllerRef.enqueue(encoder.encode(`retry: ${ms}\n\n`)),
    // Keep-alive comments carry no data; passing them on keeps idle timeouts downstream honest.
    onComment: (c) => controllerRef.enqueue(encoder.encode(`:${c}\n\n`)),
    onError: (err) => {
      if (err.type !== "max-buffer-size-exceeded") return;
      overflowed = true;
      controllerRef.enqueue(encoder.encode(serializeEvent({ event: "message", data: "", id: undefined }, limit.tooLarge())));
      controllerRef.terminate();
    },
    maxBufferSize: limit.maxEventChars,
  });
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        controllerRef = controller;
      },
      transform(chunk) {
        if (!overflowed) parser.feed(decoder.decode(chunk, { stream: true }));
      },
      flush() {
        if (overflowed) return;
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
      },
    }),
  );
}

/** A problem with the gateway's store: a stable code users can grep in the docs, and what to do. */
export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

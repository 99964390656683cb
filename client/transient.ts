// Which failures to talk to Temporal are worth waiting out: the server restarting or briefly
// unreachable, a call that ran out of time. A promotion waits for days; a CLI following it must
// not mistake a blip for its outcome.

/** gRPC status codes that say "try again later", not "this is wrong". */
const TRANSIENT_CODES = new Set([
  1, // CANCELLED: the connection went away under the call
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED: rate limited
  10, // ABORTED
  14, // UNAVAILABLE: the server is down or restarting
]);

/** The gRPC status code anywhere in an error's cause chain (the SDK wraps them in ServiceError). */
export function grpcCode(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function isTransient(error: unknown): boolean {
  const code = grpcCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** The first line of an error's message, short enough for one line of stderr. */
export function briefly(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}

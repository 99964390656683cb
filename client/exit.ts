// How `ferry` ends: process.exit() drops whatever a pipe has not taken yet, so `ferry status
// --json | jq` got the first 64 KiB of a large status. Exit only once stdout and stderr are drained.

export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    let drained = false;
    const once = () => {
      if (drained) return;
      drained = true;
      done();
    };
    // A reader that went away (`ferry list | head -1`) must not turn the exit into an EPIPE crash.
    stream.once('error', once);
    if (stream.writableEnded || stream.destroyed) once();
    else stream.write('', once);
  }
}

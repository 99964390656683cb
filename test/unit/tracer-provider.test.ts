// An unreachable collector costs a warning on stderr, never the command's outcome: the CLI's and
// the worker's tracing shutdown (which sends the last spans) does not fail.
import net from 'node:net';
import { trace } from '@opentelemetry/api';
import { startTracing } from '../../client/tracer-provider';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('shutdown with spans for a collector nobody listens on resolves, with one line on stderr and no endpoint credentials', async () => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://collector-user:collector-password@127.0.0.1:${await closedPort()}`;
  const written: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
  const error = jest.spyOn(console, 'error').mockImplementation((...args) => void written.push(args.map(String).join(' ')));
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args) => void written.push(args.map(String).join(' ')));
  try {
    const tracing = startTracing({ protocol: 'http/protobuf' }, 'ferry-test');
    trace.getTracer('test').startSpan('lost').end();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  } finally {
    write.mockRestore();
    error.mockRestore();
    warn.mockRestore();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  }
  const ours = written.filter((line) => line.startsWith('ferry: '));
  expect(ours).toEqual([expect.stringMatching(/^ferry: traces not sent: .+\n$/)]);
  expect(written.join('')).not.toMatch(/collector-user|collector-password/);
});

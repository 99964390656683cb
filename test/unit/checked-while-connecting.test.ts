import type { NativeConnection } from '@temporalio/worker';
import { checkedWhileConnecting } from '../../worker/run-worker';

const connectionThatCloses = () => {
  const close = jest.fn(async () => undefined);
  return { connection: { close } as unknown as NativeConnection, close };
};

describe('a check made while the worker connects', () => {
  it("answers the check's value and leaves the connection to the caller", async () => {
    const { connection, close } = connectionThatCloses();
    const connecting = Promise.resolve(connection);
    expect(checkedWhileConnecting(connecting, () => 'the bundle')).toBe('the bundle');
    await connecting;
    expect(close).not.toHaveBeenCalled();
  });

  it('throws what the check threw and closes the connection once it is made', async () => {
    const { connection, close } = connectionThatCloses();
    let connected!: (c: NativeConnection) => void;
    const connecting = new Promise<NativeConnection>((resolve) => (connected = resolve));
    expect(() =>
      checkedWhileConnecting(connecting, () => {
        throw new Error('EISDIR: workflow-bundle.json');
      }),
    ).toThrow('EISDIR: workflow-bundle.json');
    expect(close).not.toHaveBeenCalled();
    connected(connection);
    await new Promise((resolve) => setImmediate(resolve));
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('leaves no unhandled rejection when the connection fails too', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const connecting = Promise.reject(new Error('connection refused'));
      expect(() =>
        checkedWhileConnecting(connecting, () => {
          throw new Error('the check failed');
        }),
      ).toThrow('the check failed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

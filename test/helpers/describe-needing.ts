// Tests that need something the machine may lack (a cluster, a binary): a skip that says what to
// install, or in CI a failing test, so CI never passes without having run them.

export function describeNeeding<T>(name: string, needed: T | undefined, missing: string, body: (needed: T) => void): void {
  if (needed !== undefined) {
    describe(name, () => body(needed));
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      test('has what it needs, and CI must run these tests', () => {
        throw new Error(missing);
      });
    });
    return;
  }
  console.warn(`${name}: skipped, ${missing}`);
  describe(name, () => {
    test.skip(missing, () => undefined);
  });
}

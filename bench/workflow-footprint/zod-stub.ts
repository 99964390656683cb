// The experiment's stand-in for zod: every call and property is the stub again, so schema
// definitions evaluate to nothing. Only for a bundle that measures what zod and the schemas cost;
// a workflow run on it must receive no message.
const stub: unknown = new Proxy(function stubbed() {}, {
  get: (_target, key) => (typeof key === 'symbol' || key === 'then' ? undefined : stub),
  apply: () => stub,
});

export const z = stub;
export default stub;

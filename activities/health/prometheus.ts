// Prometheus instant queries: one number per query, e.g. the version's error rate.
import { z } from 'zod';

const sample = z.tuple([z.number(), z.string()]);

const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ value: sample })) }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.array(z.unknown()) }),
    ]),
  }),
  z.object({ status: z.literal('error'), error: z.string() }),
]);

/** The query's value, or undefined when it has no data (no samples yet, or 0/0). */
/** `headers`: the values of `analysis.prometheus.headersEnv`, read on this worker (headers.ts). */
export async function queryPrometheus(baseUrl: string, query: string, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<number | undefined> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  const timeout = AbortSignal.timeout(10_000);
  const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers }).catch((error: Error) => {
    if (signal?.aborted) throw signal.reason;
    throw new Error(`Prometheus at ${baseUrl} did not answer: ${error.cause ?? error.message}`);
  });
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new Error(`Prometheus at ${baseUrl} answered ${response.status} (not authorized: see analysis.prometheus.headersEnv)`);
  }
  const answer = answerSchema.safeParse(await response.json().catch(() => undefined));
  if (!answer.success) throw new Error(`Prometheus at ${baseUrl} answered ${response.status} with something that is not a query result`);
  if (answer.data.status === 'error') throw new Error(`Prometheus rejected "${query}": ${answer.data.error}`);
  const { data } = answer.data;
  if (data.resultType === 'matrix' || data.resultType === 'string') {
    throw new Error(`"${query}" returns a ${data.resultType}; Ferry needs one number (an instant vector or a scalar)`);
  }
  if (data.resultType === 'vector' && data.result.length > 1) {
    throw new Error(`"${query}" returned ${data.result.length} series; Ferry needs one number (wrap it in sum())`);
  }
  const raw = data.resultType === 'scalar' ? data.result[1] : data.result[0]?.value[1];
  const value = Number(raw ?? NaN);
  return Number.isFinite(value) ? value : undefined;
}

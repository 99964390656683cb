// Headers whose values are secrets: the config names a worker variable per header
// (`headersEnv: { Authorization: PROM_AUTH }`); the value is read here, on the worker, and
// never appears in an error, a reason or history.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../common/errors';

/** What fetch accepts as a header value: no line breaks or other control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The headers `headersEnv` names, with their values read from `env`. A missing or unusable
 * variable is a configuration error on this worker: retrying cannot help.
 */
export function headersFromEnv(headersEnv: Record<string, string> | undefined, field: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [header, variable] of Object.entries(headersEnv ?? {})) {
    const value = env[variable];
    if (!value) {
      throw ApplicationFailure.nonRetryable(`${variable} is not set on this worker (${field} names it for ${header})`, FailureType.InvalidInput);
    }
    if (!HEADER_VALUE.test(value)) {
      throw ApplicationFailure.nonRetryable(
        `${variable} holds a value that cannot be sent as a header (a line break or other control character): ${field} names it for ${header}`,
        FailureType.InvalidInput,
      );
    }
    headers[header] = value;
  }
  return headers;
}

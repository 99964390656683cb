// Temporal's default converter, except that a payload it cannot decode becomes a value the
// workflow can refuse instead of an exception. Without this, one signal sent from the Web UI
// as plain text (`json/plain` holding `olivia approves`) or in an encoding the default converter
// does not know (`json/protobuf`) fails every workflow task from then on: no status, no
// approval, no abort. Loaded by the worker, the replayer and the client alike.
import { DefaultPayloadConverter, type ConverterHint, type Payload, type PayloadConverter, type SerializationContext } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/encoding';
import { ENCODING_CHARS, PROBLEM_CHARS, UNDECODABLE, type Undecodable } from './undecodable';

class TolerantPayloadConverter implements PayloadConverter {
  private readonly inner = new DefaultPayloadConverter();

  toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
    return this.inner.toPayload(value, context, hint);
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
    try {
      return this.inner.fromPayload<T>(payload, context, hint);
    } catch (error) {
      const raw = payload.metadata?.encoding;
      const undecodable: Undecodable = {
        [UNDECODABLE]: {
          encoding: raw?.length ? decode(raw).slice(0, ENCODING_CHARS) : '(none)',
          bytes: payload.data?.length ?? 0,
          problem: (error instanceof Error ? error.message : String(error)).slice(0, PROBLEM_CHARS),
        },
      };
      return undecodable as T;
    }
  }
}

export const payloadConverter: PayloadConverter = new TolerantPayloadConverter();

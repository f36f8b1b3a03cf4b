import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { describeDecodeErrors } from './decode-errors.js';

/** A message on the bus that does not decode with the expected codec. */
export interface InvalidEvent {
  readonly code: 'INVALID_EVENT';
  /** One line per problem: `path: expected Type, got value`. */
  readonly reason: string;
  /** The io-ts errors; empty when the bytes were not JSON at all. */
  readonly errors: t.Errors;
}

/** The bytes published for `value`: codec.encode, then JSON. */
export function encodeEvent<A, O>(codec: t.Encoder<A, O>, value: A): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(codec.encode(value)));
}

const textDecoder = new TextDecoder();

export function decodeEvent<A>(codec: t.Decoder<unknown, A>, data: Uint8Array): Either<InvalidEvent, A> {
  return decodeEventText(codec, textDecoder.decode(data));
}

/**
 * A codec that can decode stored text faster than JSON.parse + decode (e.g. memoising within
 * one read). Its decoder must accept exactly what `decode` accepts, with equal values, and
 * answers undefined when it leaves the text to `decode` (which then reports any problem).
 * It is also handed the bytes the text was decoded from.
 */
export interface StoredTextDecoding<A> {
  readonly storedTextDecoder: () => (text: string, bytes?: Uint8Array) => A | undefined;
}

const hasStoredTextDecoding = <A>(codec: t.Decoder<unknown, A>): codec is t.Decoder<unknown, A> & StoredTextDecoding<A> =>
  typeof (codec as Partial<StoredTextDecoding<A>>).storedTextDecoder === 'function';

/** decodeEvent for one read of a stream: uses the codec's stored-text path when it has one. */
export function eventDecoder<A>(codec: t.Decoder<unknown, A>): (data: Uint8Array) => Either<InvalidEvent, A> {
  if (!hasStoredTextDecoding(codec)) return (data) => decodeEvent(codec, data);
  const fast = codec.storedTextDecoder();
  return (data) => {
    const text = textDecoder.decode(data);
    const value = fast(text, data);
    return value !== undefined ? right(value) : decodeEventText(codec, text);
  };
}

function decodeEventText<A>(codec: t.Decoder<unknown, A>, text: string): Either<InvalidEvent, A> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return left({ code: 'INVALID_EVENT', reason: `not JSON: ${(err as Error).message}`, errors: [] });
  }
  const decoded = codec.decode(json);
  return decoded._tag === 'Right' ? right(decoded.right) : left({ code: 'INVALID_EVENT', reason: describeDecodeErrors(decoded.left).join('; '), errors: decoded.left });
}

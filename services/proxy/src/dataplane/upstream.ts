import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ReplayableBody } from './request-body.js';

/** One request as an upstream attempt sends it. */
export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  /** End-to-end headers, lowercased. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: ReplayableBody;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  /** Resolves when the body ended, with the trailers if any. */
  readonly trailers: Promise<IncomingHttpHeaders | undefined>;
  /** Stops the attempt (timeout, downstream gone). */
  abort(): void;
}

/** Why an attempt produced no response; the names are Envoy's retry conditions. */
export type UpstreamFailureKind = 'connect-failure' | 'reset' | 'refused-stream' | 'timeout' | 'overflow';

export interface UpstreamFailure {
  readonly kind: UpstreamFailureKind;
  readonly message: string;
}

export type AttemptResult = { readonly ok: true; readonly response: UpstreamResponse } | { readonly ok: false; readonly failure: UpstreamFailure };

/** Sends one attempt to one address; resolves at the response headers or the failure. */
export type UpstreamDialer = (req: UpstreamRequest, signal: AbortSignal) => Promise<AttemptResult>;

export const failed = (kind: UpstreamFailureKind, message: string): AttemptResult => ({ ok: false, failure: { kind, message } });

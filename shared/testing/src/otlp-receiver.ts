import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP JSON carries it (ids in hex, kind as OTLP's number: 2 server, 3 client). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: readonly { readonly key: string; readonly value: Readonly<Record<string, unknown>> }[];
}

/** The spans of one resource in one export request, with the resource's `service.name`. */
export interface OtlpResourceSpans {
  readonly service: string | undefined;
  readonly spans: readonly OtlpSpan[];
}

export interface OtlpReceiver {
  /** The traces endpoint, `http://127.0.0.1:<port>/v1/traces`. */
  readonly url: string;
  /** What was received, in arrival order. */
  readonly received: OtlpResourceSpans[];
  /** Every span received, each with its resource's service. */
  spans(): (OtlpSpan & { readonly service: string | undefined })[];
  /** Export requests that arrived (answered or held). */
  requests(): number;
  /** From now on, keep requests unanswered (a collector that hangs) until `release`. */
  hold(): void;
  /** Answers every held request and goes back to answering at once. */
  release(): void;
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A local OTLP/HTTP collector for tests: takes the JSON the OTLP exporter POSTs and answers 200. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: OtlpResourceSpans[] = [];
  let requests = 0;
  let holding = false;
  const held: ServerResponse[] = [];
  const ok = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  const server = createServer((req, res) => {
    requests += 1;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const json = JSON.parse(body) as ExportRequest;
      for (const rs of json.resourceSpans) {
        const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
        received.push({ service, spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      if (holding) held.push(res);
      else ok(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = (): void => {
    holding = false;
    for (const res of held.splice(0)) ok(res);
  };
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    received,
    spans: () => received.flatMap((r) => r.spans.map((s) => ({ ...s, service: r.service }))),
    requests: () => requests,
    hold: () => (holding = true),
    release,
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

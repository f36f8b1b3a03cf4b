import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractContext, formatTraceparent, injectContext, parseB3Multi, parseB3Single, parseTraceparent, TraceHeaders, type OutgoingContext } from '../src/tracing/trace-context.js';
import { childContext, type TraceEntropy } from '../src/tracing/tracer.js';

type HeaderValue = string | string[] | number | undefined;
type Headers = Record<string, HeaderValue>;

const HEX = '0123456789abcdef'.split('');
const hex = (digits: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...HEX), { minLength: digits, maxLength: digits }).map((ds) => ds.join(''));
const nonZeroHex = (digits: number): fc.Arbitrary<string> => hex(digits).filter((id) => !/^0+$/.test(id));
const traceIds = nonZeroHex(32);
const spanIds = nonZeroHex(16);
/** A W3C tracestate: 1-5 `key=value` members, as vendors write them. */
const traceStates = fc
  .array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,8}$/), fc.stringMatching(/^[a-zA-Z0-9_.:;!~+-]{1,12}$/)), { minLength: 1, maxLength: 5 })
  .map((ms) => ms.map(([k, v]) => `${k}=${v}`).join(','));
const outgoing: fc.Arbitrary<OutgoingContext> = fc.record(
  { traceId: traceIds, spanId: spanIds, parentSpanId: spanIds, sampled: fc.boolean(), traceState: traceStates },
  { requiredKeys: ['traceId', 'spanId', 'sampled'] },
).filter((c) => c.parentSpanId !== c.spanId);

/** Entropy that always draws the same: the new trace and span ids a test can recognise. */
const fixedEntropy = (random = 0.5): TraceEntropy => ({ traceId: () => 'feedfacefeedfacefeedfacefeedface', spanId: () => '5ca1ab1e5ca1ab1e', random: () => random });

describe('trace-context.traceparent', () => {
  it('a version-00 traceparent with non-zero ids gives its ids, and sampled is bit 0 of the flags (property)', () => {
    fc.assert(
      fc.property(traceIds, spanIds, fc.integer({ min: 0, max: 255 }), (traceId, spanId, flags) => {
        const value = `00-${traceId}-${spanId}-${flags.toString(16).padStart(2, '0')}`;
        assert.deepEqual(parseTraceparent(value), { traceId, spanId, sampled: (flags & 1) === 1 });
      }),
    );
  });

  it('a later version is read by its first four fields, extra fields and all; version 00 with extra fields and version ff are refused (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 254 }), traceIds, spanIds, fc.boolean(), fc.stringMatching(/^[0-9a-z-]{0,20}$/), (version, traceId, spanId, sampled, extra) => {
        const flags = sampled ? '01' : '00';
        const v = version.toString(16).padStart(2, '0');
        assert.deepEqual(parseTraceparent(`${v}-${traceId}-${spanId}-${flags}-${extra}`), { traceId, spanId, sampled });
        assert.equal(parseTraceparent(`00-${traceId}-${spanId}-${flags}-${extra}`), undefined);
        assert.equal(parseTraceparent(`ff-${traceId}-${spanId}-${flags}`), undefined);
      }),
    );
  });

  it('an all-zero trace id or span id, uppercase hex or a wrong length is refused, and the request starts a new trace (property)', () => {
    const zeroTrace = '0'.repeat(32);
    const zeroSpan = '0'.repeat(16);
    fc.assert(
      fc.property(traceIds, spanIds, (traceId, spanId) => {
        const bad = [
          `00-${zeroTrace}-${spanId}-01`,
          `00-${traceId}-${zeroSpan}-01`,
          `00-A${traceId.slice(1)}-${spanId}-01`,
          `00-${traceId.slice(1)}-${spanId}-01`,
          `00-${traceId}-${spanId}0-01`,
          `00-${traceId}-${spanId}-1`,
        ];
        for (const value of bad) {
          assert.equal(parseTraceparent(value), undefined, value);
          const child = childContext({ [TraceHeaders.traceparent]: value }, 100, fixedEntropy());
          assert.equal(child.traceId, 'feedfacefeedfacefeedfacefeedface', `a new trace for ${value}`);
          assert.equal(child.parentSpanId, undefined);
        }
      }),
    );
  });

  it('tracestate is passed through unchanged to the next hop, several headers joined as one list (property)', () => {
    fc.assert(
      fc.property(traceIds, spanIds, fc.array(traceStates, { minLength: 1, maxLength: 3 }), (traceId, spanId, states) => {
        const headers: Headers = { [TraceHeaders.traceparent]: `00-${traceId}-${spanId}-01`, [TraceHeaders.tracestate]: states.length === 1 ? states[0] : states };
        const joined = states.join(',');
        const found = extractContext(headers);
        assert.equal(found.context?.traceState, joined.length <= 512 ? joined : undefined);
        const child = childContext(headers, 0, fixedEntropy());
        const next: Headers = {};
        injectContext(next, child);
        assert.equal(next[TraceHeaders.tracestate], joined.length <= 512 ? joined : undefined);
      }),
    );
  });

  it('tracestate without a valid traceparent is not carried, and an old tracestate is removed by inject', () => {
    const headers: Headers = { [TraceHeaders.tracestate]: 'vendor=abc', [TraceHeaders.traceparent]: 'garbage' };
    assert.equal(extractContext(headers).context, undefined);
    const next: Headers = { [TraceHeaders.tracestate]: 'stale=1' };
    injectContext(next, childContext(headers, 100, fixedEntropy()));
    assert.equal(next[TraceHeaders.tracestate], undefined);
  });
});

describe('trace-context.b3', () => {
  const sampledValues = fc.constantFrom(['1', true], ['true', true], ['d', true], ['0', false], ['false', false]) as fc.Arbitrary<[string, boolean]>;

  it('multi headers give the trace (a 64-bit id left-padded to 128), span, parent and decision; x-b3-flags 1 samples (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(traceIds, nonZeroHex(16)),
        spanIds,
        fc.option(spanIds, { nil: undefined }),
        fc.option(sampledValues, { nil: undefined }),
        fc.boolean(),
        (traceId, spanId, parentSpanId, sampled, debug) => {
          const headers: Headers = {
            [TraceHeaders.b3TraceId]: traceId,
            [TraceHeaders.b3SpanId]: spanId,
            ...(parentSpanId !== undefined ? { [TraceHeaders.b3ParentSpanId]: parentSpanId } : {}),
            ...(sampled !== undefined ? { [TraceHeaders.b3Sampled]: sampled[0] } : {}),
            ...(debug ? { [TraceHeaders.b3Flags]: '1' } : {}),
          };
          const decision = debug ? true : sampled?.[1];
          const context = extractContext(headers).context;
          assert.ok(context !== undefined);
          assert.equal(context.traceId, traceId.padStart(32, '0'));
          assert.equal(context.spanId, spanId);
          assert.equal(context.parentSpanId, parentSpanId);
          assert.equal(context.sampled, decision);
          assert.equal(context.format, 'b3');
        },
      ),
    );
  });

  it('the single header {trace}-{span}[-{sampled}[-{parent}]] gives the same as the multi headers would (property)', () => {
    fc.assert(
      fc.property(fc.oneof(traceIds, nonZeroHex(16)), spanIds, fc.option(sampledValues, { nil: undefined }), fc.option(spanIds, { nil: undefined }), (traceId, spanId, sampled, parentSpanId) => {
        const parts = [traceId, spanId, ...(sampled !== undefined ? [sampled[0]] : []), ...(sampled !== undefined && parentSpanId !== undefined ? [parentSpanId] : [])];
        const context = parseB3Single(parts.join('-'))?.context;
        assert.ok(context !== undefined);
        assert.equal(context.traceId, traceId.padStart(32, '0'));
        assert.equal(context.spanId, spanId);
        assert.equal(context.sampled, sampled?.[1]);
        assert.equal(context.parentSpanId, sampled !== undefined ? parentSpanId : undefined);
        assert.equal(context.format, 'b3-single');
      }),
    );
  });

  it('a lone decision (b3: 0 / 1 / d, or x-b3-sampled alone) carries no context but decides sampling', () => {
    assert.deepEqual(parseB3Single('0'), { sampled: false });
    assert.deepEqual(parseB3Single('d'), { sampled: true });
    assert.deepEqual(extractContext({ [TraceHeaders.b3]: '1' }), { sampled: true });
    assert.deepEqual(parseB3Multi({ [TraceHeaders.b3Sampled]: '0' }), { sampled: false });
    // The caller said "do not sample": even at 100% the new trace is not sampled.
    const child = childContext({ [TraceHeaders.b3]: '0' }, 100, fixedEntropy());
    assert.equal(child.sampled, false);
    assert.equal(child.traceId, 'feedfacefeedfacefeedfacefeedface');
  });

  it('traceparent wins over b3, and b3 over the multi headers', () => {
    const w3c = '0af7651916cd43dd8448eb211c80319c';
    const single = '80f198ee56343ba864fe8b2a57d3eff7';
    const multi = '463ac35c9f6413ad48485a3953bb6124';
    const all: Headers = {
      [TraceHeaders.traceparent]: `00-${w3c}-b7ad6b7169203331-01`,
      [TraceHeaders.b3]: `${single}-e457b5a2e4d86bd1-1`,
      [TraceHeaders.b3TraceId]: multi,
      [TraceHeaders.b3SpanId]: 'a2fb4a1d1a96d312',
    };
    assert.equal(extractContext(all).context?.traceId, w3c);
    assert.equal(extractContext({ ...all, [TraceHeaders.traceparent]: undefined }).context?.traceId, single);
    assert.equal(extractContext({ ...all, [TraceHeaders.traceparent]: 'nonsense', [TraceHeaders.b3]: 'nonsense' }).context?.traceId, multi);
  });
});

describe('trace-context.round-trip', () => {
  it('what inject writes, every format alone reads back as the same context (property)', () => {
    fc.assert(
      fc.property(outgoing, (c) => {
        const headers: Headers = {};
        injectContext(headers, c);
        assert.equal(headers[TraceHeaders.traceparent], formatTraceparent(c));
        const w3c = extractContext(headers).context;
        assert.deepEqual(w3c, { traceId: c.traceId, spanId: c.spanId, sampled: c.sampled, format: 'w3c', ...(c.traceState !== undefined ? { traceState: c.traceState } : {}) });
        const expectB3 = { traceId: c.traceId, spanId: c.spanId, sampled: c.sampled, ...(c.parentSpanId !== undefined ? { parentSpanId: c.parentSpanId } : {}) };
        assert.deepEqual(extractContext({ ...headers, [TraceHeaders.traceparent]: undefined }).context, { ...expectB3, format: 'b3-single' });
        assert.deepEqual(extractContext({ ...headers, [TraceHeaders.traceparent]: undefined, [TraceHeaders.b3]: undefined }).context, { ...expectB3, format: 'b3' });
      }),
    );
  });

  it('continue then format: the next hop reads this hop\'s span as its parent, in the same trace with the same decision (property)', () => {
    fc.assert(
      fc.property(outgoing, spanIds, fc.integer({ min: 0, max: 100 }), (caller, drawn, percent) => {
        const incoming: Headers = {};
        injectContext(incoming, caller);
        // The first draw may collide with the caller's span; the proxy then draws again.
        const draws = [drawn, caller.spanId === '5ca1ab1e5ca1ab1e' ? '0ddba11c0ffee000' : '5ca1ab1e5ca1ab1e'];
        const entropy: TraceEntropy = { ...fixedEntropy(), spanId: () => draws.shift() ?? '5ca1ab1e5ca1ab1e' };
        const hop = childContext(incoming, percent, entropy);
        assert.equal(hop.traceId, caller.traceId);
        assert.equal(hop.parentSpanId, caller.spanId);
        assert.equal(hop.sampled, caller.sampled, 'the caller\'s decision is kept whatever the sampling percentage');
        assert.notEqual(hop.spanId, caller.spanId, 'a span is never its own parent');
        const outgoingHeaders: Headers = { [TraceHeaders.b3Flags]: '1' };
        injectContext(outgoingHeaders, hop);
        const next = childContext(outgoingHeaders, percent, fixedEntropy());
        assert.equal(next.traceId, caller.traceId);
        assert.equal(next.parentSpanId, hop.spanId);
        assert.equal(next.sampled, caller.sampled, 'a stale debug flag does not override the decision');
      }),
    );
  });
});

describe('trace-context.errors', () => {
  const junk = fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9a-f-]{0,70}$/), fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }), fc.integer(), fc.constant(undefined));
  const traceHeaderNames = Object.values(TraceHeaders);

  it('any header values at all never throw: the hop gets well-formed ids, a child only of a well-formed context (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...traceHeaderNames), junk), fc.integer({ min: 0, max: 100 }), (headers, percent) => {
        const found = extractContext(headers);
        const hop = childContext(headers, percent, fixedEntropy());
        assert.match(hop.traceId, /^[0-9a-f]{32}$/);
        assert.match(hop.spanId, /^[0-9a-f]{16}$/);
        assert.doesNotMatch(hop.traceId, /^0+$/);
        if (found.context === undefined) {
          assert.equal(hop.traceId, 'feedfacefeedfacefeedfacefeedface');
          assert.equal(hop.parentSpanId, undefined);
        } else {
          assert.equal(hop.parentSpanId, found.context.spanId);
          assert.match(found.context.spanId, /^[0-9a-f]{16}$/);
        }
        const next: Headers = { ...headers };
        injectContext(next, hop);
        assert.equal(extractContext(next).context?.spanId, hop.spanId);
      }),
    );
  });
});

describe('tracer.sampling', () => {
  it('without a decision from the caller, a new trace is sampled exactly when the draw falls under the percentage (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (percent, draw) => {
        const hop = childContext({}, percent, fixedEntropy(draw));
        assert.equal(hop.sampled, percent >= 100 || (percent > 0 && draw * 100 < percent));
      }),
    );
  });

  it('a caller context without a decision (B3 with no x-b3-sampled) is continued and sampled by the percentage', () => {
    const headers: Headers = { [TraceHeaders.b3TraceId]: '463ac35c9f6413ad', [TraceHeaders.b3SpanId]: 'a2fb4a1d1a96d312' };
    const at0 = childContext(headers, 0, fixedEntropy());
    const at100 = childContext(headers, 100, fixedEntropy());
    assert.deepEqual([at0.traceId, at0.parentSpanId, at0.sampled], ['0000000000000000463ac35c9f6413ad', 'a2fb4a1d1a96d312', false]);
    assert.equal(at100.sampled, true);
  });

  it('an unsampled W3C parent (flags 00) stays unsampled at 100%, a sampled one (01) stays sampled at 0%', () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331';
    assert.equal(childContext({ [TraceHeaders.traceparent]: `${parent}-00` }, 100, fixedEntropy()).sampled, false);
    assert.equal(childContext({ [TraceHeaders.traceparent]: `${parent}-01` }, 0, fixedEntropy()).sampled, true);
  });
});

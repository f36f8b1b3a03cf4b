import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { parseCertificateRequest } from '../src/certificate-request.js';
import { toPem } from '../src/certificate-builder.js';
import { buildCertificateRequest } from '../src/csr-builder.js';
import {
  MalformedDer,
  bitString,
  children,
  octetString,
  oid,
  readBitString,
  readBytes,
  readOid,
  readTime,
  readUnsignedInteger,
  readWhole,
  sequence,
  time,
  unsignedInteger,
} from '../src/der.js';

const oidArb = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 8 }))
  .map(([a, b, rest]) => [a, b, ...rest].join('.'));

describe('der.properties', () => {
  test('der.properties: an OID reads back as written', () => {
    fc.assert(fc.property(oidArb, (dotted) => readOid(readWhole(oid(dotted))) === dotted));
  });

  test('der.properties: an unsigned INTEGER reads back as written and is minimal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const encoded = unsignedInteger(Buffer.from(bytes));
        const value = readUnsignedInteger(readWhole(encoded));
        assert.equal(value, bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`));
      }),
    );
  });

  test('der.properties: a time (1950-9999, whole seconds) reads back as written', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
        assert.equal(readTime(readWhole(time(whole))).getTime(), whole.getTime());
      }),
    );
  });

  test('der.properties: nested sequences of octet and bit strings of any length read back', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 4 }), (parts) => {
        const encoded = sequence(...parts.map((p, i) => (i % 2 === 0 ? octetString(p) : bitString(p))));
        const read = children(readWhole(encoded));
        assert.equal(read.length, parts.length);
        read.forEach((node, i) => assert.deepEqual(i % 2 === 0 ? readBytes(node) : readBitString(node).bytes, Buffer.from(parts[i]!)));
      }),
      { numRuns: 30 },
    );
  });

  test('der.properties: random bytes never crash the reader with anything but MalformedDer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const node = readWhole(Buffer.from(bytes));
          if ((node.tag & 0x20) !== 0) children(node);
        } catch (err) {
          assert.ok(err instanceof MalformedDer, String(err));
        }
      }),
    );
  });
});

describe('csr.fuzz', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const good = Buffer.from(
    buildCertificateRequest({ privateKey: key, uris: ['spiffe://cluster.local/ns/a/sa/b'] })
      .replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );

  test('csr.fuzz: any corruption of a valid request is refused with reasons, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), async (edits, cut) => {
        const bytes = Buffer.from(good);
        for (const [at, value] of edits) bytes[at] = value;
        const mangled = bytes.subarray(0, Math.max(cut, 1));
        const parsed = await parseCertificateRequest(toPem(mangled, 'CERTIFICATE REQUEST'));
        if (parsed._tag === 'Left') {
          assert.ok(parsed.left.length > 0);
          for (const r of parsed.left) assert.ok(r.reason.length > 0 && r.code.length > 0);
        } else {
          // A few edits land where they change nothing the signature covers (e.g. a DER-equivalent byte); then it must still be the same key.
          assert.deepEqual(parsed.right.names.uris.length <= 1, true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('csr.fuzz: random text is refused with reasons', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), async (text) => (await parseCertificateRequest(text))._tag === 'Left'));
  });
});

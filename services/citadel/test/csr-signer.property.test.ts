import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { X509Certificate, generateKeyPairSync, sign } from 'node:crypto';
import { CLOCK_SKEW_BACKDATE_MS, issueCertificate, signedLeaf, unsignedLeaf } from '../src/csr-signer.js';
import { createSelfSignedRoot } from '../src/root-certificate.js';
import { loadSigningAuthority, type SigningAuthority } from '../src/signing-authority.js';

const DAY_MS = 86_400_000;
const CA_CREATED = new Date('2030-01-01T00:00:00Z');
const CA_TTL_MS = 365 * DAY_MS;

function authorityFor(algorithm: 'ecdsa-p256' | 'rsa-2048'): SigningAuthority {
  const loaded = loadSigningAuthority(createSelfSignedRoot({ algorithm, trustDomain: 'cluster.local', ttlMs: CA_TTL_MS, now: CA_CREATED }));
  if (loaded._tag === 'Left') throw new Error(loaded.left.join('; '));
  return loaded.right;
}

const subjectPublicKeyInfo = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

const leafArb = fc.record({
  // From the CA's first day to past its end: a leaf must never outlive the CA.
  nowMs: fc.integer({ min: CA_CREATED.getTime(), max: CA_CREATED.getTime() + CA_TTL_MS + DAY_MS }),
  ttlMs: fc.integer({ min: 1000, max: 90 * DAY_MS }),
  serial: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)),
  ns: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  sa: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
});

for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
  describe(`csr-signer.properties (${algorithm} CA)`, () => {
    const authority = authorityFor(algorithm);
    const caPublicKey = authority.chainCertificates[0]!.publicKey;
    const caNotAfter = authority.certificate.notAfter.getTime();

    test(`csr-signer.properties: a thread-pool-signed leaf verifies with the CA key and carries the serial, identity and validity asked (${algorithm})`, async () => {
      await fc.assert(
        fc.asyncProperty(leafArb, async ({ nowMs, ttlMs, serial, ns, sa }) => {
          const uri = `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
          const issued = await issueCertificate(authority, { subjectPublicKeyInfo, names: { uris: [uri] }, ttlMs }, new Date(nowMs), serial);
          const leaf = new X509Certificate(issued.der);
          assert.ok(leaf.verify(caPublicKey), 'signed by the CA key');
          assert.ok(leaf.checkIssued(authority.chainCertificates[0]!));
          assert.equal(leaf.serialNumber, issued.serialHex);
          assert.equal(leaf.subjectAltName, `URI:${uri}`);
          assert.equal(Date.parse(leaf.validFrom), floorSecond(nowMs - CLOCK_SKEW_BACKDATE_MS));
          assert.equal(Date.parse(leaf.validTo), floorSecond(Math.min(nowMs + ttlMs, caNotAfter)), 'never beyond the CA');
          assert.deepEqual(issued.chainPems, [issued.pem, ...authority.chainPems]);
        }),
        { numRuns: algorithm === 'rsa-2048' ? 30 : 100 },
      );
    });

    test(`csr-signer.properties: the same leaf signed on this thread (as the bench's synchronous row does) is an equally valid certificate (${algorithm})`, () => {
      fc.assert(
        fc.property(leafArb, ({ nowMs, ttlMs, serial, ns, sa }) => {
          const unsigned = unsignedLeaf(authority, { subjectPublicKeyInfo, names: { uris: [`spiffe://cluster.local/ns/${ns}/sa/${sa}`] }, ttlMs }, new Date(nowMs), serial);
          const issued = signedLeaf(authority, unsigned, sign(authority.template.issuer.signature.hash, unsigned.tbs, authority.privateKey));
          assert.ok(new X509Certificate(issued.der).verify(caPublicKey));
          assert.ok(issued.der.includes(unsigned.tbs), 'the certificate holds the TBS that was signed');
        }),
        { numRuns: algorithm === 'rsa-2048' ? 30 : 100 },
      );
    });
  });
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CaAuditSubjects } from '@jetmesh/bus';
import { CA_TOKEN_AUDIENCE, MESH_TOKEN_ALGORITHM, MESH_TOKEN_ISSUER } from '@jetmesh/rpc';
import { SignJWT, base64url } from 'jose';
import { CaKeys, openCaStore } from '../src/ca-store.js';
import { pemToDer, toPem } from '../src/certificate-builder.js';
import { buildCertificateRequest, type CsrOptions } from '../src/csr-builder.js';
import { createTokenIssuer, generateTokenSigningKey, type TokenIssuer } from '../src/token-issuer.js';
import { failureOf, spiffe, startCitadelHarness, type CitadelHarness } from './citadel-harness.js';

/*
 * The bad-input catalogue: every way a CSR, a validity or a credential can be
 * wrong, each with the exact status and lines the caller sees.
 */

const WEB = spiffe('default', 'web');
const NO_CREDENTIAL =
  'no credential: send authorization: Bearer <token from jetmesh token create>, or renew over mutual TLS with a current certificate from a trusted root';

const keys = {
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  ec2: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  p521: generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey,
  k256: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey,
  rsa1024: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
  rsa2048: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
};

const csr = (opts: Partial<CsrOptions> & { privateKey?: KeyObject } = {}): string => buildCertificateRequest({ privateKey: keys.ec, uris: [WEB], ...opts });
const der = (pem: string): Buffer => pemToDer(pem);
const pem = (bytes: Buffer): string => toPem(bytes, 'CERTIFICATE REQUEST');

interface Case {
  readonly name: string;
  /** Which credential: a token for default/web (default), none, or a specific token. */
  readonly auth?: 'none' | ((ctx: Ctx) => Promise<string>);
  readonly csr: string | (() => string);
  readonly validity?: number;
  readonly status: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED' | 'UNAUTHENTICATED';
  readonly lines: readonly string[] | ((ctx: Ctx) => readonly string[]);
}

interface Ctx {
  readonly h: CitadelHarness;
  readonly issuer: TokenIssuer;
  readonly foreignIssuer: TokenIssuer;
}

const valid = der(csr());
/** The header length and declared content length of the outer SEQUENCE. */
const outer = valid[1] === 0x81 ? { header: 3, length: valid[2]! } : { header: 4, length: valid.readUInt16BE(2) };
const hugePem = `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(70_000)}\n-----END CERTIFICATE REQUEST-----\n`;
const cases: Case[] = [
  // --- PEM and DER
  { name: 'empty csr', csr: '', status: 'INVALID_ARGUMENT', lines: ['csr: required: a PEM certificate request'] },
  { name: 'csr that is not PEM', csr: 'hello', status: 'INVALID_ARGUMENT', lines: ['csr: not PEM: expected -----BEGIN CERTIFICATE REQUEST-----'] },
  {
    name: 'a certificate instead of a request',
    csr: () => toPem(valid, 'CERTIFICATE'),
    status: 'INVALID_ARGUMENT',
    lines: ['csr: PEM block is a CERTIFICATE, not a CERTIFICATE REQUEST'],
  },
  { name: 'two requests in one PEM', csr: () => csr() + csr(), status: 'INVALID_ARGUMENT', lines: ['csr: holds 2 PEM blocks; expected exactly one certificate request'] },
  {
    name: 'PEM body that is not base64',
    csr: '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n',
    status: 'INVALID_ARGUMENT',
    lines: ['csr: PEM body is not valid base64'],
  },
  {
    name: 'truncated DER',
    csr: () => pem(valid.subarray(0, 100)),
    status: 'INVALID_ARGUMENT',
    lines: [`csr: not a valid DER certificate request: element at byte 0 runs past its container (${outer.length} bytes)`],
  },
  {
    name: 'trailing bytes after the DER',
    csr: () => pem(Buffer.concat([valid, Buffer.from([0, 0])])),
    status: 'INVALID_ARGUMENT',
    lines: ['csr: not a valid DER certificate request: 2 trailing bytes'],
  },
  {
    name: 'BER indefinite length',
    csr: () => pem(Buffer.concat([Buffer.from([0x30, 0x80]), valid.subarray(outer.header), Buffer.from([0, 0])])),
    status: 'INVALID_ARGUMENT',
    lines: ['csr: not a valid DER certificate request: indefinite length at byte 0'],
  },
  {
    name: 'request larger than 64 KiB',
    csr: hugePem,
    status: 'INVALID_ARGUMENT',
    lines: [`csr: ${hugePem.length} bytes is larger than the 65536 accepted`],
  },
  { name: 'version 1', csr: () => csr({ version: 1 }), status: 'INVALID_ARGUMENT', lines: ['csr.version: must be 0 (v1), got 1'] },
  // --- keys and signatures
  {
    name: 'RSA 1024 key',
    csr: () => csr({ privateKey: keys.rsa1024 }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.publicKey: RSA key of 1024 bits is too weak; at least 2048 required'],
  },
  {
    name: 'RSA key with an even public exponent',
    csr: () => {
      const bytes = der(csr({ privateKey: keys.rsa2048 }));
      // e = 65537 is encoded 02 03 01 00 01; make it 65536.
      const at = bytes.indexOf(Buffer.from([0x02, 0x03, 0x01, 0x00, 0x01]));
      bytes[at + 4] = 0x00;
      return pem(bytes);
    },
    status: 'INVALID_ARGUMENT',
    lines: ['csr.publicKey: RSA public exponent 65536 is unsafe; use 65537'],
  },
  {
    name: 'EC P-521 key',
    csr: () => csr({ privateKey: keys.p521, hash: 'sha512' }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.publicKey: EC curve p521 is not accepted; use P-256 or P-384'],
  },
  {
    name: 'EC secp256k1 key',
    csr: () => csr({ privateKey: keys.k256 }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.publicKey: EC curve secp256k1 is not accepted; use P-256 or P-384'],
  },
  {
    name: 'Ed25519 key',
    csr: () => csr({ privateKey: keys.ed25519 }),
    status: 'INVALID_ARGUMENT',
    lines: [
      'csr.publicKey: ed25519 keys are not accepted; use RSA (2048 bits or more) or ECDSA P-256/P-384',
      'csr.signatureAlgorithm: ed25519 is not accepted; sign with SHA-256 or stronger (RSA PKCS#1 v1.5 or ECDSA)',
    ],
  },
  {
    name: 'SHA-1 RSA signature',
    csr: () => csr({ privateKey: keys.rsa2048, hash: 'sha1' }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.signatureAlgorithm: sha1WithRsa is not accepted; sign with SHA-256 or stronger (RSA PKCS#1 v1.5 or ECDSA)'],
  },
  {
    name: 'SHA-1 ECDSA signature',
    csr: () => csr({ hash: 'sha1' }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.signatureAlgorithm: ecdsaWithSha1 is not accepted; sign with SHA-256 or stronger (RSA PKCS#1 v1.5 or ECDSA)'],
  },
  {
    name: 'signature bytes tampered',
    csr: () => {
      const bytes = Buffer.from(valid);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x01;
      return pem(bytes);
    },
    status: 'INVALID_ARGUMENT',
    lines: ["csr.signature: does not verify with the request's own public key"],
  },
  {
    name: 'request signed by a different key than the one it names',
    csr: () => csr({ publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }),
    status: 'INVALID_ARGUMENT',
    lines: ["csr.signature: does not verify with the request's own public key"],
  },
  {
    name: 'requested name tampered after signing',
    csr: () => {
      const bytes = Buffer.from(valid);
      const at = bytes.indexOf(Buffer.from('/sa/web'));
      bytes.write('/sa/wex', at, 'latin1');
      return pem(bytes);
    },
    status: 'INVALID_ARGUMENT',
    lines: ["csr.signature: does not verify with the request's own public key"],
  },
  // --- what is asked for
  { name: 'CA:true', csr: () => csr({ ca: true }), status: 'INVALID_ARGUMENT', lines: ['csr.basicConstraints: CA:true requested; workload certificates are never CAs'] },
  {
    name: 'keyCertSign usage',
    csr: () => csr({ keyCertSign: true }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.keyUsage: keyCertSign/cRLSign requested; workload certificates are never CAs'],
  },
  { name: 'no SAN', csr: () => csr({ uris: [] }), status: 'INVALID_ARGUMENT', lines: ['csr.subjectAltName: must hold the SPIFFE ID as its one URI name; found none'] },
  {
    name: 'two URI SANs',
    csr: () => csr({ uris: [WEB, spiffe('default', 'db')] }),
    status: 'INVALID_ARGUMENT',
    lines: [`csr.subjectAltName: must hold exactly one URI name; found 2 (${WEB}, ${spiffe('default', 'db')})`],
  },
  {
    name: 'extra DNS SAN',
    csr: () => csr({ dnsNames: ['web.example.com'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: DNS names are not granted to workloads (found web.example.com)'],
  },
  {
    name: 'extra IP SAN',
    csr: () => csr({ ipAddresses: ['10.0.0.7'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: IP addresses are not granted to workloads (found 10.0.0.7)'],
  },
  {
    name: 'extra email SAN',
    csr: () => csr({ emails: ['ops@example.com'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: email addresses are not granted to workloads (found ops@example.com)'],
  },
  {
    name: 'URI that is not a SPIFFE ID',
    csr: () => csr({ uris: ['https://example.com/web'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: "https://example.com/web" is not a workload SPIFFE ID (expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)'],
  },
  {
    name: 'SPIFFE ID without ns/sa',
    csr: () => csr({ uris: ['spiffe://cluster.local/web'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: "spiffe://cluster.local/web" is not a workload SPIFFE ID (expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)'],
  },
  {
    name: 'SPIFFE ID with an invalid namespace',
    csr: () => csr({ uris: ['spiffe://cluster.local/ns/Default/sa/web'] }),
    status: 'INVALID_ARGUMENT',
    lines: ['csr.subjectAltName: "spiffe://cluster.local/ns/Default/sa/web": namespace "Default" must be a DNS-1123 label (a-z 0-9 -, at most 63)'],
  },
  // --- validity
  {
    name: 'validity above the 90-day maximum',
    csr: () => csr(),
    validity: 91 * 86_400,
    status: 'INVALID_ARGUMENT',
    lines: ['validity_duration: 7862400 seconds is longer than the maximum of 7776000 seconds (90d)'],
  },
  {
    name: 'negative validity',
    csr: () => csr(),
    validity: -5,
    status: 'INVALID_ARGUMENT',
    lines: ['validity_duration: must be a whole number of seconds >= 0 (0 means the default, 1d), got -5'],
  },
  {
    name: 'several problems at once are all reported',
    csr: () => csr({ ca: true, dnsNames: ['a.example.com'] }),
    validity: 100 * 86_400,
    status: 'INVALID_ARGUMENT',
    lines: [
      'validity_duration: 8640000 seconds is longer than the maximum of 7776000 seconds (90d)',
      'csr.basicConstraints: CA:true requested; workload certificates are never CAs',
      'csr.subjectAltName: DNS names are not granted to workloads (found a.example.com)',
    ],
  },
  // --- identity
  {
    name: 'token for default/web asking for payments/web',
    csr: () => csr({ uris: [spiffe('payments', 'web')] }),
    status: 'PERMISSION_DENIED',
    lines: [`csr.subjectAltName: asks for ${spiffe('payments', 'web')} but the caller is ${WEB}; a workload may only request its own identity`],
  },
  {
    name: 'token for default/web asking for default/admin',
    csr: () => csr({ uris: [spiffe('default', 'admin')] }),
    status: 'PERMISSION_DENIED',
    lines: [`csr.subjectAltName: asks for ${spiffe('default', 'admin')} but the caller is ${WEB}; a workload may only request its own identity`],
  },
  {
    name: 'another trust domain',
    csr: () => csr({ uris: ['spiffe://evil.example/ns/default/sa/web'] }),
    status: 'PERMISSION_DENIED',
    lines: [`csr.subjectAltName: asks for spiffe://evil.example/ns/default/sa/web but the caller is ${WEB}; a workload may only request its own identity`],
  },
  // --- credentials
  { name: 'no credential at all', auth: 'none', csr: () => csr(), status: 'UNAUTHENTICATED', lines: [NO_CREDENTIAL] },
  {
    name: 'expired token',
    auth: async ({ issuer }) =>
      (await issuer.mint({ subject: WEB, audience: CA_TOKEN_AUDIENCE, ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' }, new Date('2024-01-01T00:00:00Z'))).token,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token expired at 2024-01-01T00:01:00.000Z'],
  },
  {
    name: 'token for another audience',
    auth: async ({ issuer }) => (await issuer.mint({ subject: WEB, audience: 'jetmesh-config', ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' })).token,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token audience is not "istio-ca"'],
  },
  {
    name: 'token payload tampered (namespace changed)',
    auth: async ({ h }) => {
      const [header, payload, signature] = (await h.mintToken('default', 'web')).split('.') as [string, string, string];
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
      return [header, base64url.encode(JSON.stringify({ ...claims, ns: 'payments', sub: spiffe('payments', 'web') })), signature].join('.');
    },
    csr: () => csr({ uris: [spiffe('payments', 'web')] }),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token signature does not verify'],
  },
  {
    name: 'token signed by a key citadel does not know',
    auth: async ({ foreignIssuer }) =>
      (await foreignIssuer.mint({ subject: WEB, audience: CA_TOKEN_AUDIENCE, ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' })).token,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token was not signed by a mesh token key'],
  },
  {
    name: 'token that is not a JWT',
    auth: async () => 'not-a-token',
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token is malformed: Invalid Compact JWS'],
  },
  {
    name: 'unsigned token (alg none)',
    auth: async () => `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(JSON.stringify({ sub: WEB, aud: 'istio-ca', ns: 'default', sa: 'web' }))}.`,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token algorithm must be ES256'],
  },
  {
    name: 'HS256 token keyed with guessable text (algorithm confusion)',
    auth: async () =>
      new SignJWT({ ns: 'default', sa: 'web' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(MESH_TOKEN_ISSUER)
        .setSubject(WEB)
        .setAudience(CA_TOKEN_AUDIENCE)
        .setExpirationTime('1h')
        .setJti('x')
        .sign(new TextEncoder().encode('a guessable shared secret, 32+ bytes long')),
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token algorithm must be ES256'],
  },
  {
    name: 'token without namespace/service-account scope',
    auth: async ({ issuer }) => (await issuer.mint({ subject: WEB, audience: CA_TOKEN_AUDIENCE, ttlSeconds: 60 })).token,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: ['authorization: token is not scoped to a namespace and service account (claims ns, sa)'],
  },
  {
    name: 'token whose subject disagrees with its scope',
    auth: async ({ issuer }) =>
      (await issuer.mint({ subject: spiffe('default', 'admin'), audience: CA_TOKEN_AUDIENCE, ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' })).token,
    csr: () => csr(),
    status: 'UNAUTHENTICATED',
    lines: [`authorization: token subject ${spiffe('default', 'admin')} does not match its scope ${WEB}`],
  },
];

describe('csr.errors', () => {
  let ctx: Ctx;
  let webToken: string;
  before(async () => {
    const h = await startCitadelHarness();
    const store = await openCaStore(h.bus);
    const key = await store.tokenKey.get(CaKeys.tokenKey);
    assert.ok(key !== undefined);
    const foreignKey = await generateTokenSigningKey(new Date());
    ctx = { h, issuer: await createTokenIssuer(key.value), foreignIssuer: await createTokenIssuer({ ...foreignKey, kid: `${foreignKey.kid}-x` }) };
    webToken = await h.mintToken('default', 'web');
  });
  after(() => ctx.h.dispose());

  test('csr.errors: the catalogue holds at least 30 cases', () => {
    assert.ok(cases.length >= 30, `${cases.length} cases`);
    assert.equal(MESH_TOKEN_ALGORITHM, 'ES256');
  });

  for (const c of cases) {
    test(`csr.errors: ${c.name} → ${c.status}`, async () => {
      const token = c.auth === 'none' ? undefined : c.auth === undefined ? webToken : await c.auth(ctx);
      const client = await ctx.h.ca(token === undefined ? {} : { token });
      const failure = await failureOf(client.createCertificate({ csr: typeof c.csr === 'string' ? c.csr : c.csr(), validityDuration: c.validity ?? 3600 }));
      assert.equal(failure.name, c.status);
      assert.deepEqual(failure.lines, typeof c.lines === 'function' ? c.lines(ctx) : c.lines);
    });
  }

  test('csr.errors: a request for another identity is recorded as CertificateDenied with the caller and what it asked', async () => {
    const events = await ctx.h.auditEvents(CaAuditSubjects.identity('default', 'web'));
    const denied = events.find((e) => e.type === 'CertificateDenied' && e.code === 'IDENTITY_MISMATCH' && e.requested === spiffe('payments', 'web'));
    assert.ok(denied !== undefined && denied.type === 'CertificateDenied');
    assert.equal(denied.identity, WEB);
    assert.equal(denied.status, 'PERMISSION_DENIED');
    assert.match(denied.reason, /asks for spiffe:\/\/cluster.local\/ns\/payments\/sa\/web but the caller is/);
    assert.equal(denied.replica, 'citadel-0');
  });

  test('csr.errors: unauthenticated requests are recorded under the unknown caller', async () => {
    const events = await ctx.h.auditEvents(CaAuditSubjects.certificateDenied(undefined));
    const codes = new Set(events.map((e) => (e.type === 'CertificateDenied' ? e.code : '')));
    for (const code of ['NO_CREDENTIAL', 'TOKEN_EXPIRED', 'TOKEN_AUDIENCE', 'TOKEN_SIGNATURE', 'TOKEN_INVALID']) assert.ok(codes.has(code), `${code} recorded`);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeRegistrationReply, decodeWorkloadRegistration, registrationSigningBytes, type UnsignedRegistration } from '../src/index.js';

const request: UnsignedRegistration = {
  op: 'register',
  namespace: 'default',
  name: 'reviews-1',
  workload: { address: '10.0.0.1', labels: { app: 'reviews' }, serviceAccount: 'reviews' },
  at: '2025-01-01T00:00:00.000Z',
  nonce: 'n-1',
  certChain: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
};

test('the signed bytes are the same whatever order the fields came in, and leave the signature out', () => {
  fc.assert(
    fc.property(fc.shuffledSubarray(Object.keys(request), { minLength: Object.keys(request).length }), (keys) => {
      const shuffled = Object.fromEntries(keys.map((k) => [k, request[k as keyof UnsignedRegistration]])) as UnsignedRegistration;
      assert.deepEqual(registrationSigningBytes({ ...shuffled, signature: 'x' } as UnsignedRegistration), registrationSigningBytes(request));
    }),
  );
  assert.equal(registrationSigningBytes(request).toString(), JSON.stringify(JSON.parse(registrationSigningBytes(request).toString())));
});

test('a request decodes strictly: every bad field at once, unknown fields refused', () => {
  assert.equal(decodeWorkloadRegistration({ ...request, signature: 'c2ln' })._tag, 'Right');
  const bad = decodeWorkloadRegistration({ ...request, op: 'steal', name: 'Not_A_Name', signature: 'x', admin: true });
  assert.ok(bad._tag === 'Left');
  assert.deepEqual(bad.left.map((e) => e.path).sort(), ['admin', 'name', 'op']);
});

test('replies decode as accepted or refused, nothing in between', () => {
  assert.deepEqual(decodeRegistrationReply({ ok: true, sequence: 4 }), { _tag: 'Right', right: { ok: true, sequence: 4 } });
  assert.equal(decodeRegistrationReply({ ok: false, code: 'NOT_FOUND', reason: 'gone' })._tag, 'Right');
  assert.equal(decodeRegistrationReply({ ok: true, code: 'NOT_FOUND', reason: 'gone' })._tag, 'Left');
  assert.equal(decodeRegistrationReply({ ok: false, code: 'MAYBE', reason: 'x' })._tag, 'Left');
});

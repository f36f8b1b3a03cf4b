import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { decodeEnv } from '@jetmesh/runtime';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { ipAddressOctets, ipAddressText, isIpAddress } from '../src/ip-address.js';
import { buildCertificateRequest } from '../src/csr-builder.js';
import { parseCertificateRequest } from '../src/certificate-request.js';
import { CitadelEnv } from '../src/env.js';

/** Node's own address matcher as the oracle: does `text` name the same address as `original`? */
const sameAddress = (original: string, text: string, family: 'ipv4' | 'ipv6'): boolean => {
  const list = new BlockList();
  list.addAddress(original, family);
  return list.check(text, family);
};

describe('ip-address.properties', () => {
  test('ip-address.properties: any IPv4 gives its four octets, which read back as the same address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const octets = ipAddressOctets(ip);
        assert.deepEqual([...octets], ip.split('.').map(Number));
        assert.ok(sameAddress(ip, ipAddressText(octets), 'ipv4'));
      }),
    );
  });

  test('ip-address.properties: any IPv6 (also with an IPv4 tail) gives 16 octets naming the same address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const octets = ipAddressOctets(ip);
        assert.equal(octets.length, 16);
        assert.ok(sameAddress(ip, ipAddressText(octets), 'ipv6'), `${ip} → ${ipAddressText(octets)}`);
      }),
    );
  });

  test('ip-address.properties: text that is no address is refused, never wrapped into one', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        if (isIpAddress(text)) return;
        assert.throws(() => ipAddressOctets(text), RangeError);
      }),
    );
  });
});

describe('ip-address.errors', () => {
  test('ip-address.errors: 999.1.1.1 is refused with the text named, not read as 231.1.1.1', () => {
    assert.equal(isIpAddress('999.1.1.1'), false);
    assert.throws(() => ipAddressOctets('999.1.1.1'), { name: 'RangeError', message: /not an IP address: "999\.1\.1\.1"/ });
  });

  test('ip-address.errors: a zoned IPv6 address has no place in a certificate', () => {
    assert.throws(() => ipAddressOctets('fe80::1%eth0'), /not an IP address: "fe80::1%eth0"/);
  });

  test('ip-address.errors: JETMESH_CITADEL_SERVER_NAMES with 999.1.1.1 stops citadel naming the variable', () => {
    const decoded = decodeEnv(CitadelEnv, { JETMESH_CITADEL_SERVER_NAMES: 'localhost,999.1.1.1' });
    assert.ok(isLeft(decoded));
    assert.deepEqual(decoded.left.map((e) => e.variable), ['JETMESH_CITADEL_SERVER_NAMES']);
    assert.ok(isRight(decodeEnv(CitadelEnv, { JETMESH_CITADEL_SERVER_NAMES: 'localhost,::ffff:127.0.0.1,10.0.0.1' })));
  });
});

describe('ip-address.happy', () => {
  test('ip-address.happy: ::ffff:127.0.0.1 is the IPv4-mapped address ::ffff:7f00:1', () => {
    assert.equal(ipAddressOctets('::ffff:127.0.0.1').toString('hex'), '00000000000000000000ffff7f000001');
    assert.equal(ipAddressText(ipAddressOctets('::ffff:127.0.0.1')), '0:0:0:0:0:ffff:7f00:1');
  });

  test('ip-address.happy: IP SANs of a CSR read back as the addresses written', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = buildCertificateRequest({ privateKey, uris: ['spiffe://cluster.local/ns/a/sa/b'], ipAddresses: ['10.0.0.7', '::ffff:127.0.0.1', '2001:db8::1'] });
    const parsed = await parseCertificateRequest(pem);
    assert.ok(isRight(parsed));
    assert.deepEqual(parsed.right.names.ipAddresses, ['10.0.0.7', '0:0:0:0:0:ffff:7f00:1', '2001:db8:0:0:0:0:0:1']);
  });
});

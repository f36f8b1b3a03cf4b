import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { natsUserClaims, parseCreds, writeMeshAccountDir, type NatsUserPermissions } from '../src/index.js';

const pilot: NatsUserPermissions = { publish: ['$JS.API.INFO'], subscribe: ['_INBOX.pilot.>'], responses: true };
const permissions = new Map([['pilot', pilot], ['proxy', pilot]]);

test('account-dir.keep: a second call reuses the account (its streams live under its key) and mints fresh users; secrets 0600, the dir 0700', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jetmesh-account-'));
  try {
    const first = writeMeshAccountDir(dir, { permissions, skipUsers: ['proxy'] });
    const creds = readFileSync(first.credsFile('pilot'), 'utf8');
    const second = writeMeshAccountDir(dir, { permissions, skipUsers: ['proxy'] });
    assert.deepEqual([first.created, second.created], [true, false]);
    assert.equal(second.accountPublicKey, first.accountPublicKey);
    assert.equal(second.citadelEnv.JETMESH_CITADEL_NATS_ACCOUNT, first.accountPublicKey);
    assert.notEqual(readFileSync(second.credsFile('pilot'), 'utf8'), creds, 'a new user each call');
    assert.equal(natsUserClaims(parseCreds(readFileSync(second.credsFile('pilot'), 'utf8')).jwt).name, 'pilot');
    assert.equal(natsUserClaims(parseCreds(readFileSync(second.bootstrapCredsFile, 'utf8')).jwt).name, 'proxy-bootstrap');
    assert.throws(() => statSync(second.credsFile('proxy')), /ENOENT/, 'a skipped user gets no creds');
    for (const secret of ['account.json', 'pilot.creds', 'proxy-bootstrap.creds', 'citadel-account.env']) assert.equal(statSync(join(dir, secret)).mode & 0o777, 0o600, secret);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(readFileSync(second.accountsConf, 'utf8'), new RegExp(`^operator: "${join(dir, 'operator.jwt')}"$`, 'm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('account-dir.errors: account.json that is not a mesh account is refused, naming the file and what is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jetmesh-account-'));
  try {
    writeFileSync(join(dir, 'account.json'), '{"operatorJwt": "x"}');
    assert.throws(() => writeMeshAccountDir(dir, { permissions }), new RegExp(`^Error: ${join(dir, 'account.json')}: not the keys of a mesh account \\(missing accountPublicKey, accountJwt, signingKeySeed, systemAccountPublicKey, systemAccountJwt\\)$`));
    writeFileSync(join(dir, 'account.json'), 'not json');
    assert.throws(() => writeMeshAccountDir(dir, { permissions }), /account\.json: not the keys of a mesh account \(.*\); remove the directory to create a new account/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

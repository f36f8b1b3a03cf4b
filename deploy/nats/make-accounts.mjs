#!/usr/bin/env node
// Mints a mesh's NATS operator, account and users for a server in operator mode (decentralized
// JWT auth, nats-server 2.9: resolver MEMORY). Needs `npm run build -w @jetmesh/bus` first.
//
//   node deploy/nats/make-accounts.mjs OUT_DIR [SERVER_DIR]
//
// OUT_DIR gets: nats-server.conf and accounts.conf (run `nats-server -c OUT_DIR/nats-server.conf`;
// SERVER_DIR is where the server will find operator.jwt, default OUT_DIR), one <user>.creds per
// component of mesh-users.conf with that user's allow lists (galley, pilot, citadel, telemetry,
// admin), proxy-bootstrap.creds (every sidecar: the trust bundle only; its own user comes from
// citadel), and citadel-account.env (the account and its signing key, citadel's to mint workload
// users). The .creds files and citadel-account.env are secrets (mode 0600).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bus = await import(join(here, '..', '..', 'shared', 'bus', 'dist', 'src', 'index.js'));
const [outArg, serverArg] = process.argv.slice(2);
if (outArg === undefined) {
  process.stderr.write('usage: node deploy/nats/make-accounts.mjs OUT_DIR [SERVER_DIR]\n');
  process.exit(2);
}
const out = resolve(outArg);
const serverDir = serverArg ?? out;
mkdirSync(out, { recursive: true, mode: 0o700 });
const keys = bus.createMeshAccount();
const secret = (file, text) => writeFileSync(join(out, file), text, { mode: 0o600 });
writeFileSync(join(out, 'operator.jwt'), keys.operatorJwt);
writeFileSync(join(out, 'accounts.conf'), bus.meshAccountServerConfig(keys, join(serverDir, 'operator.jwt')));
writeFileSync(join(out, 'nats-server.conf'), '# Jetmesh on NATS JWT users (operator mode); written by deploy/nats/make-accounts.mjs.\nport: 4222\njetstream {}\ninclude "accounts.conf"\n');
const permissions = bus.parseMeshUserPermissions(readFileSync(join(here, 'mesh-users.conf'), 'utf8'));
for (const [user, allowed] of permissions) {
  // The shared proxy user has no JWT twin: each sidecar gets its own user from citadel.
  if (user === 'proxy') continue;
  secret(`${user}.creds`, bus.formatCreds(bus.mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: user, permissions: allowed })));
}
secret('proxy-bootstrap.creds', bus.formatCreds(bus.mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'proxy-bootstrap', permissions: bus.bootstrapPermissions() })));
secret('citadel-account.env', `JETMESH_CITADEL_NATS_ACCOUNT=${keys.accountPublicKey}\nJETMESH_CITADEL_NATS_SIGNING_KEY=${keys.signingKeySeed}\n`);
process.stdout.write(`${out}: nats-server.conf, accounts.conf, operator.jwt, ${[...permissions.keys()].filter((u) => u !== 'proxy').map((u) => `${u}.creds`).join(', ')}, proxy-bootstrap.creds, citadel-account.env\n`);

#!/usr/bin/env node
// Mints a mesh's NATS operator, account and users for a server in operator mode (decentralized
// JWT auth, nats-server 2.9: resolver MEMORY). Needs `npm run build -w @jetmesh/bus` first.
//
//   node deploy/nats/make-accounts.mjs OUT_DIR [SERVER_DIR] [--shared-proxy-user]
//
// OUT_DIR gets: nats-server.conf and cluster.conf (this directory's nats-server.conf and
// cluster.conf.example, each including accounts.conf beside it), accounts.conf (SERVER_DIR is
// where the server will find operator.jwt, default OUT_DIR), one <user>.creds per component of
// mesh-users.conf with that user's allow lists (galley, pilot, citadel, telemetry, admin),
// proxy-bootstrap.creds (every sidecar: the trust bundle only; its own user comes from citadel),
// and citadel-account.env (the account and its signing key, citadel's to mint workload users).
// Run again on the same OUT_DIR, it keeps the account (account.json: nats-server stores the
// streams under it) and mints fresh users. The .creds files, account.json and
// citadel-account.env are secrets (mode 0600, the directory 0700).
//
// --shared-proxy-user also writes proxy.creds, mesh-users.conf's PROXY_PERMISSIONS as one user:
// only the test helpers use it (suites that check that list); no deployment gives it out.
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bus = await import(join(here, '..', '..', 'shared', 'bus', 'dist', 'src', 'index.js'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [outArg, serverArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = flags.filter((f) => f !== '--shared-proxy-user');
if (outArg === undefined || unknown.length > 0) {
  process.stderr.write(`${unknown.length > 0 ? `unknown option ${unknown.join(', ')}\n` : ''}usage: node deploy/nats/make-accounts.mjs OUT_DIR [SERVER_DIR] [--shared-proxy-user]\n`);
  process.exit(2);
}
const out = resolve(outArg);
const permissions = bus.parseMeshUserPermissions(readFileSync(join(here, 'mesh-users.conf'), 'utf8'));
const account = bus.writeMeshAccountDir(out, {
  permissions,
  ...(serverArg === undefined ? {} : { serverDir: serverArg }),
  skipUsers: flags.includes('--shared-proxy-user') ? [] : ['proxy'],
});
copyFileSync(join(here, 'nats-server.conf'), join(out, 'nats-server.conf'));
copyFileSync(join(here, 'cluster.conf.example'), join(out, 'cluster.conf'));
const users = [...permissions.keys()].filter((u) => u !== 'proxy' || flags.includes('--shared-proxy-user'));
process.stdout.write(
  `${out}: ${account.created ? 'a new account' : 'the account already there'} (${account.accountPublicKey}); nats-server.conf, cluster.conf, accounts.conf, operator.jwt, ${users.map((u) => `${u}.creds`).join(', ')}, ${bus.BOOTSTRAP_USER}.creds, ${bus.CITADEL_ACCOUNT_ENV_FILE}\n`,
);

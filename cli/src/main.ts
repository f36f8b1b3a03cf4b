import { runCli } from './program.js';

// `jetmesh history | head`: the reader left, so there is nobody to tell; end quietly as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Wiring only: the real process streams and environment.
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// A finished command must not hang on a handle a library left open (a gRPC channel, stdin);
// unref'd, this fires only in that case.
if (process.argv[2] !== 'up') setTimeout(() => process.exit(code), 200).unref();

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Logger } from '@jetmesh/log';
import { listenHttp, type HttpListener } from '@jetmesh/runtime';
import { isRefusal, type ConsoleAccess } from './console-access.js';
import { apiError, refusalReply, type ApiReply, type ApiRequest } from './console-api.js';

export const API_PREFIX = '/api/v1';

export interface ConsoleServerOptions {
  readonly port: number;
  readonly host: string;
  /** The built SPA: index.html and its assets. */
  readonly assetsDir: string;
  readonly access: Pick<ConsoleAccess, 'identify'>;
  readonly api: (req: ApiRequest) => Promise<ApiReply>;
}

export type ConsoleServer = HttpListener;

/** A rollback request carries a reason and little else. */
const MAX_BODY_BYTES = 64 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

// The SPA loads only its own files; nothing may frame it (clickjacking a rollback button).
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function sendJson(res: ServerResponse, reply: ApiReply): void {
  res.writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(`${JSON.stringify(reply.body)}\n`);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The API answers only a bearer token in `authorization` (never a cookie, so another site's page
 * cannot ride on a logged-in browser), and a POST only as `application/json` (which a plain HTML
 * form cannot send without a CORS preflight this server never grants).
 */
async function serveApi(req: IncomingMessage, res: ServerResponse, url: URL, opts: ConsoleServerOptions): Promise<void> {
  const user = await opts.access.identify(req.headers.authorization);
  if (isRefusal(user)) return sendJson(res, refusalReply(user));
  let body: unknown;
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return sendJson(res, apiError(415, 'UNSUPPORTED_MEDIA_TYPE', ['a POST must be content-type: application/json']));
    const text = await readBody(req);
    if (text === undefined) return sendJson(res, apiError(413, 'TOO_LARGE', [`the body is over ${MAX_BODY_BYTES} bytes`]));
    try {
      body = JSON.parse(text);
    } catch {
      return sendJson(res, apiError(400, 'INVALID', ['the body is not JSON']));
    }
  } else if (req.method !== 'GET') {
    return sendJson(res, apiError(405, 'METHOD_NOT_ALLOWED', [`${req.method ?? ''} is not allowed`]));
  }
  sendJson(res, await opts.api({ method: req.method, path: url.pathname.slice(API_PREFIX.length) || '/', query: url.searchParams, body, user }));
}

/** A file of the SPA; any other path is the SPA's index (its views are client-side). */
async function serveAsset(res: ServerResponse, url: URL, assetsDir: string): Promise<void> {
  const root = normalize(assetsDir);
  let path = normalize(join(root, decodeURIComponent(url.pathname)));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) path = join(root, 'index.html');
  let file = await stat(path).catch(() => undefined);
  if (file === undefined || file.isDirectory()) {
    path = join(root, 'index.html');
    file = await stat(path).catch(() => undefined);
  }
  if (file === undefined) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`the console's web app is not built (${assetsDir} has no index.html): run npm run build\n`);
    return;
  }
  res.writeHead(200, { 'content-type': contentTypes[extname(path)] ?? 'application/octet-stream', 'content-length': file.size, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  createReadStream(path).pipe(res);
}

/** One node:http server: the JSON API under /api/v1 and the SPA everywhere else. */
export async function serveConsole(opts: ConsoleServerOptions, log: Logger): Promise<ConsoleServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const handled = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`) ? serveApi(req, res, url, opts) : serveAsset(res, url, opts.assetsDir);
    handled.catch((err: unknown) => {
      // A lost bus or a bug: the user gets one line, the operator the stack.
      log.error({ err, url: req.url }, 'console request failed');
      if (!res.headersSent) sendJson(res, apiError(500, 'INTERNAL', [`the console failed: ${(err as Error).message}`]));
      else res.destroy();
    });
  });
  const listener = await listenHttp(server, opts.port, opts.host);
  log.info({ host: opts.host, port: listener.port }, 'console listening');
  return listener;
}

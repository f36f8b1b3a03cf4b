import type { NatsUserPermissions } from './nats-user-jwt.js';

/**
 * The allow lists of deploy/nats/mesh-users.conf, read from its text, so the JWT users of a mesh
 * in operator mode get exactly what the password users get: one list per component, one file.
 * Reads the file's own shape only: `NAME_PERMISSIONS = { publish: { allow: [...] } subscribe:
 * { allow: [...] } allow_responses: true }` at the start of a line, `#` comments.
 */
export function parseMeshUserPermissions(confText: string): Map<string, NatsUserPermissions> {
  const text = confText.replace(/#[^\n]*/g, '');
  const users = new Map<string, NatsUserPermissions>();
  for (const block of text.matchAll(/^([A-Z]+)_PERMISSIONS = \{([\s\S]*?)^\}/gm)) {
    const [, name = '', body = ''] = block;
    const list = (section: string): string[] => {
      const found = new RegExp(`${section}: \\{\\s*allow: \\[([\\s\\S]*?)\\]`).exec(body);
      if (found === null) throw new TypeError(`${name}_PERMISSIONS has no ${section} allow list`);
      return [...(found[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
    };
    users.set(name.toLowerCase(), { publish: list('publish'), subscribe: list('subscribe'), responses: /\ballow_responses: true\b/.test(body) });
  }
  return users;
}

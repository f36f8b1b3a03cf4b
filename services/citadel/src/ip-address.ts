import { isIP } from 'node:net';

/**
 * IP addresses as an iPAddress SAN holds them (RFC 5280 4.2.1.6): 4 or 16
 * octets. Node's `isIP` decides what is an address, so `999.1.1.1` is refused
 * rather than wrapped and `::ffff:127.0.0.1` is read rather than refused.
 */
export const isIpAddress = (text: string): boolean => ipFamily(text) !== 0;

/** 4 (IPv4), 6 (IPv6) or 0; a zone (`fe80::1%eth0`) has no place in a certificate. */
const ipFamily = (text: string): 0 | 4 | 6 => (text.includes('%') ? 0 : (isIP(text) as 0 | 4 | 6));

/** The octets of `text`; throws a RangeError naming the text when it is not an IP address. */
export function ipAddressOctets(text: string): Buffer {
  const family = ipFamily(text);
  if (family === 4) return Buffer.from(text.split('.').map(Number));
  if (family === 6) return ipv6Octets(text);
  throw new RangeError(`not an IP address: ${JSON.stringify(text)} (expected IPv4 dotted quad or IPv6 text)`);
}

/** Text that `isIP` already accepted: expand `::`, read a dotted IPv4 tail as the last two groups. */
function ipv6Octets(text: string): Buffer {
  const lastColon = text.lastIndexOf(':');
  const dotted = text.includes('.');
  const v4Tail = dotted ? text.slice(lastColon + 1).split('.').map(Number) : [];
  // Keep "::" whole when the IPv4 tail follows it directly ("::1.2.3.4").
  const hexText = dotted ? text.slice(0, text.endsWith('::', lastColon + 1) ? lastColon + 1 : lastColon) : text;
  const [head = '', tail] = hexText.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const width = 8 - v4Tail.length / 2;
  const all = tail === undefined ? front : [...front, ...Array<string>(width - front.length - back.length).fill('0'), ...back];
  return Buffer.concat([Buffer.from(all.map((g) => g.padStart(4, '0')).join(''), 'hex'), Buffer.from(v4Tail)]);
}

/** Readable text of SAN octets: dotted IPv4, or eight IPv6 groups; another length says so. */
export function ipAddressText(octets: Buffer): string {
  if (octets.length === 4) return [...octets].join('.');
  if (octets.length === 16) return (octets.toString('hex').match(/.{4}/g) ?? []).map((g) => g.replace(/^0{1,3}/, '')).join(':');
  return `<${octets.length} bytes>`;
}

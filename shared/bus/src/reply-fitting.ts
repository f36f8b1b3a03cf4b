// Room for a reply's envelope (the fields beside its rows) and the NATS headers.
const ENVELOPE_BYTES = 4096;

/**
 * A scatter-gather reply cut to what one NATS message carries: the longest prefix of its rows
 * (`rowsKey`) whose JSON fits in `limit` bytes (the server's max_payload), and how many rows were
 * left out (`omitted`), so the asker can say the answer is partial instead of getting none.
 */
export function fitReply<T extends { readonly omitted?: number }, K extends keyof T>(reply: T, rowsKey: K, limit: number): T {
  const rows = reply[rowsKey] as unknown as readonly unknown[];
  let bytes = ENVELOPE_BYTES;
  let count = 0;
  for (const row of rows) {
    bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
    if (bytes > limit) break;
    count += 1;
  }
  return count === rows.length ? reply : { ...reply, [rowsKey]: rows.slice(0, count), omitted: rows.length - count };
}

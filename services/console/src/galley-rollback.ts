import { createConfigClient } from '@jetmesh/rpc';
import type { GalleyRollback } from './console-api.js';

/** A client per call, carrying the user's token and name: galley authorizes and records them, not the console. */
export const galleyRollback =
  (address: string): GalleyRollback =>
  async (user, req) => {
    const client = createConfigClient(address, { token: user.token, actor: user.actor });
    try {
      return await client.rollback(req);
    } finally {
      client.close();
    }
  };

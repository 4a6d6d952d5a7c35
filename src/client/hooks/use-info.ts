/** The capability manifest (GET /api/info as tRPC system.info): the only source of form controls. */
import { trpc } from '../lib/trpc.js';

export function useInfo() {
  // Capabilities change only when the server restarts with another backend.
  return trpc.system.info.useQuery(undefined, { staleTime: 5 * 60_000 });
}

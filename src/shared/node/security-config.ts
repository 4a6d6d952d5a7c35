/**
 * Parsing of the security settings that are more than a number: TRUST_PROXY and
 * ISENGARD_ALLOWED_HOSTS. Kept apart from config.ts so the rules sit next to their explanations.
 */
import net from 'node:net';
import { z } from 'zod';

/**
 * `off` (default): X-Forwarded-For is ignored, the peer address is the client.
 * A hop count `N`: the N proxies nearest to the API are trusted, whatever their address.
 * CIDRs or addresses (`127.0.0.1/32,10.0.0.0/8,::1`): a hop is trusted when its address is listed.
 */
export type TrustProxy = { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'cidrs'; cidrs: string[] };

function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A BlockList holding the trusted ranges; IPv4 ranges also match their IPv4-mapped IPv6 form. */
export function trustedRanges(cidrs: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of cidrs) {
    const c = parseCidr(entry);
    if (c) list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}

export const trustProxySchema = z
  .string()
  .trim()
  .transform((value, ctx): TrustProxy => {
    const v = value.toLowerCase();
    if (v === '' || v === 'off' || v === 'false' || v === '0') return { kind: 'off' };
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 32) return { kind: 'hops', hops };
      ctx.addIssue({ code: 'custom', message: 'a hop count must be at most 32' });
      return z.NEVER;
    }
    const cidrs = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = cidrs.find((c) => parseCidr(c) === null);
    if (bad !== undefined || cidrs.length === 0) {
      ctx.addIssue({ code: 'custom', message: `must be off, a hop count or a comma-separated list of IP addresses/CIDRs (bad entry ${JSON.stringify(bad ?? value)})` });
      return z.NEVER;
    }
    return { kind: 'cidrs', cidrs };
  });

const HOST_NAME = /^(\*\.)?(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/;

export const allowedHostsSchema = z
  .string()
  .transform((value, ctx): string[] => {
    const hosts = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const bad = hosts.find((h) => !HOST_NAME.test(h));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of host names without port (e.g. abc123-8000.proxy.runpod.net,*.example.com); bad entry ${JSON.stringify(bad)}` });
      return z.NEVER;
    }
    return hosts.map((h) => h.replace(/\.$/, ''));
  });

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/node/config.js';
import { createClientAddress } from './trust-proxy.js';

function req(peer: string, ...xff: string[]): IncomingMessage {
  return { socket: { remoteAddress: peer }, headersDistinct: xff.length ? { 'x-forwarded-for': xff } : {}, headers: {} } as unknown as IncomingMessage;
}
const addressFor = (trust: string) => createClientAddress(parseConfig({ TRUST_PROXY: trust }).TRUST_PROXY);

describe('client address (TRUST_PROXY)', () => {
  it('off by default: X-Forwarded-For is ignored, even from loopback', () => {
    const address = createClientAddress(parseConfig({}).TRUST_PROXY);
    expect(address(req('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(address(req('::ffff:127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
  });

  it('a hop count takes the entry that many hops from the API, never a client-written one further left', () => {
    const one = addressFor('1');
    expect(one(req('127.0.0.1', '203.0.113.7, 198.51.100.1'))).toBe('198.51.100.1');
    expect(one(req('127.0.0.1', '203.0.113.7', '198.51.100.1'))).toBe('198.51.100.1'); // two header lines, one list
    expect(one(req('127.0.0.1'))).toBe('127.0.0.1');
    const two = addressFor('2');
    expect(two(req('127.0.0.1', '203.0.113.7, 198.51.100.1, 10.0.0.2'))).toBe('198.51.100.1');
    expect(two(req('127.0.0.1', '10.0.0.2'))).toBe('10.0.0.2'); // shorter chain than hops: the leftmost there is
  });

  it('CIDRs: the rightmost hop that is not a trusted proxy is the client', () => {
    const cidr = addressFor('127.0.0.0/8, 10.0.0.0/8, ::1');
    expect(cidr(req('127.0.0.1', '203.0.113.7, 198.51.100.1, 10.1.2.3'))).toBe('198.51.100.1');
    expect(cidr(req('::1', '198.51.100.1'))).toBe('198.51.100.1');
    expect(cidr(req('::ffff:127.0.0.1', '198.51.100.1'))).toBe('198.51.100.1');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(cidr(req('192.0.2.5', '198.51.100.1'))).toBe('192.0.2.5');
    // Every hop trusted: the leftmost one.
    expect(cidr(req('127.0.0.1', '10.0.0.9'))).toBe('10.0.0.9');
    expect(cidr(req('127.0.0.1', 'garbage, 10.0.0.9'))).toBe('garbage');
  });
});

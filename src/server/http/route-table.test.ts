import { describe, expect, it } from 'vitest';
import { apiPath } from '../../shared/http-api.js';
import { RouteTable, type Route } from './route-table.js';

const route = (path: Route['path'], methods: string[]): Route => ({ path, methods, handle: () => undefined });
const table = new RouteTable([route('jobLogs', ['GET', 'HEAD']), route('characterImages', ['POST']), route('characterImage', ['GET'])]);

describe('RouteTable and apiPath', () => {
  it('matches the paths the shared builders produce, parameters decoded back', () => {
    const odd = 'a b/../%2e?#';
    const built = apiPath('characterImage', { id: 'char-0123456789ab', name: odd });
    expect(built).toBe('/api/characters/char-0123456789ab/images/a%20b%2F..%2F%252e%3F%23');
    expect(table.match('GET', built)).toMatchObject({ route: { path: 'characterImage' }, params: { id: 'char-0123456789ab', name: odd } });
    expect(table.match('HEAD', apiPath('jobLogs', { jobId: 'training-0123456789ab' }))?.params).toEqual({ jobId: 'training-0123456789ab' });
  });

  it('refuses other methods, extra segments and undecodable escapes stay judgeable', () => {
    expect(table.match('DELETE', '/api/jobs/x/logs')).toBeNull();
    expect(table.match('GET', '/api/jobs/x/logs/more')).toBeNull();
    expect(table.match('GET', '/api/jobs/%E0%A4%A/logs')?.params).toEqual({ jobId: '%invalid%' });
  });
});

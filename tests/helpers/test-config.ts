import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig, type Config } from '../../src/shared/node/config.js';

export function tempDir(prefix = 'isengard-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Fast-test config on a private Redis and a temp VOLUME_ROOT. */
export function testEnv(redisUrl: string, volumeRoot: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ISENGARD_MODE: 'fast-test',
    REDIS_URL: redisUrl,
    VOLUME_ROOT: volumeRoot,
    LOG_LEVEL: 'warn',
    MOCK_STEP_MS: '2',
    ...extra,
  };
}

export function testConfig(redisUrl: string, volumeRoot: string, extra: Record<string, string> = {}): Config {
  return parseConfig(testEnv(redisUrl, volumeRoot, extra));
}

export const silentLogger = () => pino({ level: 'silent' });

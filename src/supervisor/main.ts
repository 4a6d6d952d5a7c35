/**
 * `./start.sh` hands over to this process once installing and building are done. It checks the
 * configuration (a bad value stops here, naming the variable), starts Redis when asked to (`--redis`:
 * none answered at REDIS_URL), then one worker per GPU and the API, and supervises them all.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../shared/node/config.js';
import { Supervisor, type ChildSpec } from './supervisor.js';

const config = loadConfigOrExit();
const root = fileURLToPath(new URL('../..', import.meta.url));
const say = (line: string) => process.stderr.write(`\x1b[1m[isengard]\x1b[0m ${line}\n`);
const startRedis = process.argv.includes('--redis');
const node = process.execPath;

const redisUrl = new URL(config.REDIS_URL);
const redisHost = redisUrl.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
const redisPort = Number(redisUrl.port || 6379);
const redisDir = path.join(config.VOLUME_ROOT, 'redis');

const redis: ChildSpec = {
  name: 'redis',
  command: 'redis-server',
  // Same port and AOF folder on every restart, so a restarted Redis has every job record back.
  args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no',
    '--logfile', path.join(redisDir, 'redis.log')],
  stopTimeoutMs: 15_000,
};
const gpus = (process.env.ISENGARD_GPUS ?? '').split(',').map((g) => g.trim()).filter(Boolean);
const workerStopMs = (config.WORKER_STOP_GRACE_SECONDS + 15) * 1000;
const workers: ChildSpec[] = (gpus.length > 0 ? gpus : [null]).map((gpu) => ({
  name: gpu === null ? 'worker' : `worker-gpu${gpu}`,
  command: node,
  args: [path.join(root, 'dist/worker/main.js')],
  cwd: root,
  env: gpu === null ? {} : { CUDA_VISIBLE_DEVICES: gpu },
  stopTimeoutMs: workerStopMs,
}));
const api: ChildSpec = { name: 'api', command: node, args: [path.join(root, 'dist/server/main.js')], cwd: root, stopTimeoutMs: 15_000 };

const supervisor = new Supervisor({ stages: [workers, [api], startRedis ? [redis] : []], say });
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (signals++ === 0) say(`${signal}: stopping workers, then the API${startRedis ? ', then Redis' : ''}`);
    void supervisor.stop(0);
  });
}

if (startRedis) {
  fs.mkdirSync(redisDir, { recursive: true });
  say(`starting redis-server on port ${redisPort} (AOF in ${redisDir})`);
  supervisor.start('redis');
  if (!(await until(() => redisAnswers(redisHost, redisPort), 10_000))) {
    say(`redis-server did not answer within 10 s; see ${path.join(redisDir, 'redis.log')}`);
    await supervisor.stop(1);
  }
}
for (const worker of workers) supervisor.start(worker.name);
supervisor.start('api');

// The URL line comes once the API really listens, so it is the moment the link works.
const probeHost = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '::1' : config.HOST;
void until(() => connects(probeHost, config.PORT), 120_000).then((up) => {
  if (up) say(`Isengard (${config.ISENGARD_MODE}) at http://${config.HOST}:${config.PORT}  — Ctrl-C stops everything`);
});

process.exit(await supervisor.finished);

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** PING → +PONG (or -NOAUTH: a Redis that wants a password still answers). */
function redisAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (d) => {
      socket.destroy();
      resolve(/^(\+PONG|-NOAUTH|-LOADING)/.test(d.toString()));
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

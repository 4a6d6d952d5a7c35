/**
 * Runs the studio's processes and keeps them running. A child that exits on its own is restarted
 * with backoff (RestartPolicy), and whatever it left behind (a detached trainer group) is ended
 * first. Too many crashes, or a stop signal, stop everything in stages: workers first, so a job in
 * its grace period can still record its end, then the API, then Redis.
 *
 * Each child runs in its own process group, so a Ctrl-C in the terminal reaches only the supervisor,
 * which then decides the order. Children write straight to the terminal: nothing is hidden.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { endTagged, TAG_VAR } from './tagged-processes.js';

export interface ChildSpec {
  /** Shown in every line about it: `api`, `worker`, `worker-gpu1`, `redis`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long a SIGTERM may take before the group gets SIGKILL. */
  stopTimeoutMs: number;
}

export interface SupervisorOptions {
  /** Children in stop order: every child of a stage stops before the next stage is asked to. */
  stages: ChildSpec[][];
  say: (line: string) => void;
  policy?: RestartPolicyOptions;
  /** How long a tagged leftover (a trainer group) gets between SIGTERM and SIGKILL. */
  orphanGraceMs?: number;
}

interface Running {
  spec: ChildSpec;
  policy: RestartPolicy;
  proc: ChildProcess | null;
  startedAt: number;
  incarnation: number;
  tag: string;
  exited: Promise<void>;
  restartTimer: NodeJS.Timeout | null;
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `was killed by ${signal}` : `exited with code ${code}`;

export class Supervisor {
  private readonly children = new Map<string, Running>();
  private stopping: Promise<number> | null = null;
  private forced = false;
  private readonly say: (line: string) => void;
  private readonly orphanGraceMs: number;
  private resolveFinished: (code: number) => void = () => undefined;
  /** Resolves with the exit code to end with, once everything has stopped (a stop signal or giving up). */
  readonly finished = new Promise<number>((resolve) => (this.resolveFinished = resolve));

  constructor(private readonly opts: SupervisorOptions) {
    this.say = opts.say;
    this.orphanGraceMs = opts.orphanGraceMs ?? 5000;
    for (const spec of opts.stages.flat()) {
      this.children.set(spec.name, {
        spec,
        policy: new RestartPolicy(opts.policy ?? DEFAULT_RESTART_POLICY),
        proc: null,
        startedAt: 0,
        incarnation: 0,
        tag: '',
        exited: Promise.resolve(),
        restartTimer: null,
      });
    }
  }

  /** Starts one child by name (the caller orders starts, e.g. Redis before the rest). */
  start(name: string): void {
    const child = this.children.get(name);
    if (!child || this.stopping) return;
    const { spec } = child;
    child.incarnation++;
    child.tag = `${process.pid}-${spec.name}-${child.incarnation}`;
    child.startedAt = Date.now();
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, [TAG_VAR]: child.tag },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    child.proc = proc;
    child.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        this.say(`${spec.name} could not start: ${err.message}`);
        resolve();
      });
      proc.once('exit', (code, signal) => {
        resolve();
        void this.onExit(child, proc, code, signal);
      });
    });
    if (proc.pid) this.say(`started ${spec.name} (pid ${proc.pid})`);
  }

  pidOf(name: string): number | undefined {
    return this.children.get(name)?.proc?.pid;
  }


  private async onExit(child: Running, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    if (child.proc !== proc) return;
    child.proc = null;
    const what = describeExit(code, signal);
    if (this.stopping) return;
    const decision = child.policy.crashed(Date.now(), child.startedAt);
    const leftovers = endTagged(child.tag, this.orphanGraceMs);
    if (decision.action === 'give-up') {
      this.say(
        `${child.spec.name} (pid ${proc.pid}) ${what}: ${decision.crashes} crashes within ${decision.windowMs / 60_000} minutes; giving up and stopping everything`,
      );
      await leftovers;
      void this.stop(1);
      return;
    }
    this.say(`${child.spec.name} (pid ${proc.pid}) ${what}; restart ${decision.restartCount} in ${decision.delayMs / 1000} s`);
    const [groups] = await Promise.all([leftovers, new Promise((r) => (child.restartTimer = setTimeout(r, decision.delayMs)))]);
    if (groups.length > 0) this.say(`ended ${groups.length} process group(s) ${child.spec.name} left behind (${groups.join(', ')})`);
    child.restartTimer = null;
    if (!this.stopping) this.start(child.spec.name);
  }

  /**
   * Stops everything in stage order and resolves with `exitCode`. A second call while stopping
   * (a second Ctrl-C) kills what is still running instead of waiting for grace periods.
   */
  stop(exitCode: number): Promise<number> {
    if (this.stopping) {
      if (!this.forced) {
        this.forced = true;
        this.say('stopping now (SIGKILL)');
        for (const child of this.children.values()) signalGroup(child.proc, 'SIGKILL');
      }
      return this.stopping;
    }
    this.stopping = (async () => {
      for (const child of this.children.values()) if (child.restartTimer) clearTimeout(child.restartTimer);
      for (const stage of this.opts.stages) {
        await Promise.all(stage.map((spec) => this.stopChild(this.children.get(spec.name)!)));
      }
      this.resolveFinished(exitCode);
      return exitCode;
    })();
    return this.stopping;
  }

  private async stopChild(child: Running): Promise<void> {
    const proc = child.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      signalGroup(proc, this.forced ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), child.spec.stopTimeoutMs);
      await child.exited;
      clearTimeout(timer);
      // The group may outlive its leader (a child that ignored SIGTERM): no orphans.
      signalGroup(proc, 'SIGKILL');
      this.say(`stopped ${child.spec.name}`);
    }
    if (child.tag) {
      const groups = await endTagged(child.tag, this.forced ? 0 : this.orphanGraceMs);
      if (groups.length > 0) this.say(`ended ${groups.length} process group(s) ${child.spec.name} left behind (${groups.join(', ')})`);
    }
  }
}

function signalGroup(proc: ChildProcess | null, signal: NodeJS.Signals): void {
  if (!proc?.pid) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // the group is gone
  }
}

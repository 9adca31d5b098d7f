/**
 * deploy/: the Kubernetes manifests, the compose file, the Dockerfile and the systemd units agree
 * with each other and with mfawatch: the ConfigMap's config is valid with the Secret's variables,
 * every path and port the manifests use is the one the config and the image use, the daemon
 * runs once (one replica, Recreate), and the units pass `systemd-analyze verify` where systemd is
 * installed (and a parse of their sections and keys everywhere).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DEPLOY = join(ROOT, 'deploy');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

type Doc = Record<string, unknown>;
/** A value at a dotted path ("spec.template.spec"), numbers index arrays; undefined when absent. */
function at(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
function yamlFile(rel: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, rel), 'utf8'));
  for (const d of docs) expect(d.errors, rel).toEqual([]);
  return docs.map((d) => d.toJS() as Doc);
}
function one(rel: string, kind: string): Doc {
  const found = yamlFile(rel).filter((d) => d.kind === kind);
  expect(found, `${rel}: one ${kind}`).toHaveLength(1);
  return found[0] as Doc;
}

const configMap = one('kubernetes/configmap.yaml', 'ConfigMap');
const secret = one('kubernetes/secret.example.yaml', 'Secret');
const pvc = one('kubernetes/pvc.yaml', 'PersistentVolumeClaim');
const configText = (at(configMap, 'data') as Record<string, unknown>)['mfawatch.json'];
const config = JSON.parse(typeof configText === 'string' ? configText : 'null') as { database: string; observability: { listen: string } };
const CONFIG_PATH = '/etc/mfawatch/mfawatch.json';
const STATE_DIR = dirname(config.database);
const PORT = Number(config.observability.listen.split(':').at(-1));

interface Container {
  image: string;
  args: string[];
  envFrom?: Array<{ secretRef?: { name: string } }>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  securityContext?: Record<string, unknown>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: Record<string, unknown>;
}
interface Volume {
  name: string;
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}

/** The checks a pod of either workload must pass: config, secrets, state, read-only root, non-root. */
function checkPod(podSpec: unknown, command: 'start' | 'run'): Container {
  const containers = at(podSpec, 'containers') as Container[];
  expect(containers).toHaveLength(1);
  const c = containers[0] as Container;
  expect(c.image).toBe(`mfawatch:${pkg.version}`);
  expect(c.args).toEqual([command, '--config', CONFIG_PATH]);
  expect(c.envFrom).toEqual([{ secretRef: { name: at(secret, 'metadata.name') } }]);
  const volumes = at(podSpec, 'volumes') as Volume[];
  const mountOf = (volume: Volume | undefined) => c.volumeMounts.find((m) => m.name === volume?.name);
  const configVolume = volumes.find((v) => v.configMap?.name === at(configMap, 'metadata.name'));
  expect(mountOf(configVolume)).toEqual({ name: configVolume?.name, mountPath: dirname(CONFIG_PATH), readOnly: true });
  const stateVolume = volumes.find((v) => v.persistentVolumeClaim?.claimName === at(pvc, 'metadata.name'));
  expect(mountOf(stateVolume)?.mountPath).toBe(STATE_DIR);
  expect(mountOf(stateVolume)?.readOnly).not.toBe(true);
  // SQLite may spill temporary files to /tmp: writable although the root filesystem is not.
  expect(mountOf(volumes.find((v) => v.emptyDir !== undefined))?.mountPath).toBe('/tmp');
  expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  expect(at(podSpec, 'securityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
  return c;
}

describe('Kubernetes manifests', () => {
  it('give a valid config, its secrets from the Secret and its database on the PVC', () => {
    const env = Object.fromEntries(Object.entries(at(secret, 'stringData') as Record<string, string>));
    const resolved = resolveConfig(config, env, join(dirname(CONFIG_PATH), 'mfawatch.json'));
    expect(resolved.monitors.length).toBeGreaterThan(0);
    expect(resolved.notifiers.length).toBeGreaterThan(0);
    // Every variable the config references comes from the Secret, and nothing else is needed.
    expect(() => resolveConfig(config, {}, CONFIG_PATH)).toThrow(/GITHUB_TOKEN/);
    expect(config.database.startsWith('/')).toBe(true);
    expect(config.observability.listen).toBe(`0.0.0.0:${PORT}`);
    expect(at(pvc, 'spec.accessModes')).toEqual(['ReadWriteOnce']);
  });

  it('run the daemon once: one replica, Recreate, ready only while /healthz is green', () => {
    const deployment = one('kubernetes/deployment.yaml', 'Deployment');
    expect(at(deployment, 'spec.replicas')).toBe(1);
    expect(at(deployment, 'spec.strategy')).toEqual({ type: 'Recreate' });
    const c = checkPod(at(deployment, 'spec.template.spec'), 'start');
    const port = c.ports?.find((p) => p.containerPort === PORT);
    expect(port).toBeDefined();
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/healthz', port: port?.name ?? PORT });
    // Liveness must not be /healthz: a provider outage would restart the pod in a loop.
    expect(JSON.stringify(c.livenessProbe ?? {})).not.toContain('/healthz');
  });

  it('offer a CronJob for `run` that never overlaps itself', () => {
    const cron = one('kubernetes/cronjob.yaml', 'CronJob');
    expect(at(cron, 'spec.concurrencyPolicy')).toBe('Forbid');
    expect(at(cron, 'spec.jobTemplate.spec.template.spec.restartPolicy')).toBe('Never');
    checkPod(at(cron, 'spec.jobTemplate.spec.template.spec'), 'run');
  });

  it('are listed by the kustomization', () => {
    const k = one('kubernetes/kustomization.yaml', 'Kustomization');
    const resources = at(k, 'resources') as string[];
    for (const r of resources) expect(existsSync(join(DEPLOY, 'kubernetes', r)), r).toBe(true);
    expect(resources).toEqual(expect.arrayContaining(['configmap.yaml', 'pvc.yaml', 'deployment.yaml']));
  });
});

describe('the compose example', () => {
  it('builds deploy/Dockerfile and runs it read-only with the config and state mounted', () => {
    const compose = yamlFile('compose.yaml')[0] as Doc;
    const service = at(compose, 'services.mfawatch') as Record<string, unknown>;
    expect(at(service, 'build.dockerfile')).toBe('deploy/Dockerfile');
    // The context is relative to the compose file's folder, the Dockerfile to the context.
    expect(existsSync(join(DEPLOY, String(at(service, 'build.context')), 'deploy/Dockerfile'))).toBe(true);
    expect(service.read_only).toBe(true);
    expect(service.volumes).toEqual(expect.arrayContaining([`./mfawatch.json:${CONFIG_PATH}:ro`, `state:${STATE_DIR}`]));
    expect(service.ports).toEqual([`127.0.0.1:${PORT}:${PORT}`]);
  });
});

/** The Dockerfile's instructions, continuation lines joined, comments dropped, split into stages. */
function dockerStages(): Array<Array<{ op: string; args: string }>> {
  const lines = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  const stages: Array<Array<{ op: string; args: string }>> = [];
  for (const line of lines.map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    if (op === 'FROM') stages.push([]);
    stages.at(-1)?.push({ op, args: rest.join(' ') });
  }
  return stages;
}

describe('the Dockerfile', () => {
  const source = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const stages = dockerStages();
  const runtime = stages.at(-1) ?? [];
  const build = stages.slice(0, -1).flat();
  const args = (op: string, stage = runtime) => stage.filter((i) => i.op === op).map((i) => i.args);

  it('builds on a current Node.js LTS slim image in stages, and the final one has no build tools', () => {
    expect(source).toMatch(/^ARG NODE_IMAGE=node:(22|24)-slim$/m);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(args('FROM', stages.flat())).toEqual([...stages.slice(0, -1).map(() => '${NODE_IMAGE} AS build'), '${NODE_IMAGE}']);
    expect(args('RUN').join(' ')).not.toMatch(/apt-get|g\+\+|make|python/);
    expect(args('COPY')).toEqual(['--from=build /opt/mfawatch /opt/mfawatch']);
  });

  it('installs the package as the pack-and-install test does', () => {
    const steps = args('RUN', build).join(' && ');
    // test/package/pack.test.ts: `npm pack` (prepack builds), the tarball extracted in place,
    // the production dependencies of package-lock.json beside it, the bin linked.
    expect(steps).toMatch(/npm pack --pack-destination \/tmp\/pack/);
    expect(steps).toMatch(/tar xzf \/tmp\/pack\/mfawatch-\*\.tgz --strip-components=1/);
    expect(steps).toMatch(/cp \/src\/package-lock\.json \. && npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3/);
    expect(readFileSync(join(ROOT, 'test/package/pack.test.ts'), 'utf8')).toContain("'--strip-components=1'");
    expect(args('RUN').join(' ')).toContain(`ln -s /opt/mfawatch/${pkg.bin.mfawatch} /usr/local/bin/mfawatch`);
    expect(args('ENTRYPOINT')).toEqual(['["mfawatch"]']);
  });

  it('runs as a non-root user with the database on a volume and /healthz as its health check', () => {
    const user = args('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args('VOLUME')).toEqual([`["${STATE_DIR}"]`]);
    expect(args('ENV').join(' ')).toContain(`MFAWATCH_CONFIG=${CONFIG_PATH}`);
    expect(args('HEALTHCHECK').join(' ')).toContain(`http://127.0.0.1:${PORT}/healthz`);
    expect(args('EXPOSE')).toEqual([String(PORT)]);
  });
});

/** A unit file's sections and keys, as systemd reads them (no inline comments exist). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a key=value line of a section: ${line}`);
    const values = current.get(kv[1] as string) ?? [];
    values.push(kv[2] as string);
    current.set(kv[1] as string, values);
  }
  return sections;
}

describe('the systemd units', () => {
  const UNITS = ['mfawatch.service', 'mfawatch-run.service', 'mfawatch-run.timer'];
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it('parse, carry no comment after a value, install, and run sandboxed as a dynamic user', () => {
    for (const name of UNITS) {
      const text = readFileSync(join(DEPLOY, 'systemd', name), 'utf8');
      // systemd has no inline comments: "EnvironmentFile=/etc/x  # note" names a file "/etc/x  # note".
      for (const line of text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l))) expect(line, name).not.toMatch(/\s[#;]/);
      const unit = parseUnit(text);
      expect(unit.get('Unit')?.get('Description'), name).toBeDefined();
      if (name.endsWith('.timer')) {
        expect(unit.get('Install')?.get('WantedBy')).toEqual(['timers.target']);
        continue;
      }
      const service = unit.get('Service');
      const one = (key: string) => service?.get(key)?.join(' ');
      expect(one('ExecStart')).toBe(`/usr/local/bin/mfawatch ${name === 'mfawatch.service' ? 'start' : 'run'} --config ${CONFIG_PATH}`);
      expect({ DynamicUser: one('DynamicUser'), ProtectSystem: one('ProtectSystem'), StateDirectory: one('StateDirectory'), WorkingDirectory: one('WorkingDirectory') }).toEqual({
        DynamicUser: 'yes',
        ProtectSystem: 'strict',
        StateDirectory: 'mfawatch',
        WorkingDirectory: STATE_DIR,
      });
      expect(one('NoNewPrivileges')).toBe('yes');
      expect(one('CapabilityBoundingSet')).toBe('');
      if (name === 'mfawatch.service') expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
    }
  });

  it('pass systemd-analyze verify where systemd is installed', () => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      // Not installed (a container CI image): the parse test above is the whole check here.
      expect((probe.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      return;
    }
    // A root with the host's own units, the units under test and an executable at ExecStart's path.
    const root = dir.path;
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/local/bin/mfawatch'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/local/bin/mfawatch'), 0o755);
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(DEPLOY, 'systemd'), join(root, 'etc/systemd/system'), { recursive: true });
    const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...UNITS], { encoding: 'utf8' });
    expect({ status: verify.status, stderr: verify.stderr.trim() }).toEqual({ status: 0, stderr: '' });

    // And it does catch a mistake: a misspelt sandboxing value.
    const broken = readFileSync(join(DEPLOY, 'systemd/mfawatch.service'), 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=strickt');
    writeFileSync(join(root, 'etc/systemd/system/mfawatch.service'), broken);
    expect(spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'mfawatch.service'], { encoding: 'utf8' }).stderr).toContain('strickt');
  });
});

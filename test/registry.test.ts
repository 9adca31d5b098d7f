import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MONITORS } from '../monitors/index.js';
import { NOTIFIERS } from '../notifiers/index.js';
import { RESPONDERS } from '../responders/index.js';

const folders = (dir: string) =>
  readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isDirectory())
    .sort();

describe('module registries', () => {
  it.each([
    ['monitors', MONITORS],
    ['notifiers', NOTIFIERS],
    ['responders', RESPONDERS],
  ] as const)('%s: the registry lists exactly the module folders, each keyed by its folder name', (dir, registry) => {
    expect([...registry.keys()].sort()).toEqual(folders(dir));
    for (const [key, module] of registry) expect(module.type).toBe(key);
  });

  it.each(['monitors', 'notifiers', 'responders'])('%s: every module folder has index.ts, config.ts and README.md', (dir) => {
    for (const folder of folders(dir)) {
      const files = readdirSync(join(dir, folder));
      expect(files, `${dir}/${folder}`).toEqual(expect.arrayContaining(['index.ts', 'config.ts', 'README.md']));
    }
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/app/config.js';
import { KUSTOMIZE_DIR } from '../helpers/kustomize.js';

const EXAMPLE = KUSTOMIZE_DIR + 'base/ouwatch.yaml';

/* Enough of zod's definitions to walk the configuration schema. */
interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
}

/** Every field path of the schema (`respond.guards.neverEnd.dns`...), objects inside arrays included. */
function fieldPaths(def: SchemaDef, prefix: string[] = []): string[][] {
  if (def.type === 'object') {
    return Object.entries(def.shape ?? {}).flatMap(([key, child]) => [[...prefix, key], ...fieldPaths(child._zod.def, [...prefix, key])]);
  }
  const inner = def.innerType ?? def.element ?? def.in;
  return inner ? fieldPaths(inner._zod.def, prefix) : [];
}

test('the example configuration (the ConfigMap of every mode) is valid and sets the in-pod values', () => {
  const config = loadConfig(EXAMPLE);
  assert.equal(config.store.path, '/var/lib/ouwatch/ouwatch.db', 'the database on the data volume');
  assert.equal(config.server.listen, '0.0.0.0:9464', 'reachable by the kubelet and Prometheus');
  assert.deepEqual(config.sources.files, [], 'no source: each workload names its own with flags');
  assert.equal(config.sources.kubernetes, undefined);
  assert.equal(config.sources.node, undefined);
  assert.equal(config.respond.mode, 'dry-run', 'nothing is called until someone decides so');
});

test('the example shows every setting of the schema, in its section (commented out where it has no default)', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  // Each top-level section's text, comments included: optional blocks (email, kubernetes...) are comments.
  const sections = new Map<string, string>();
  for (const block of text.split(/^(?=[a-z]+:)/m)) sections.set(block.slice(0, block.indexOf(':')), block);
  const missing = fieldPaths((configSchema as unknown as { _zod: { def: SchemaDef } })._zod.def)
    .filter(([section, ...rest]) => {
      const body = sections.get(section);
      if (body === undefined) return true;
      const leaf = rest.at(-1);
      return leaf !== undefined && !new RegExp(`(^|[\\s{,#])${leaf}:`, 'm').test(body);
    })
    .map((p) => p.join('.'));
  assert.deepEqual(missing, [], 'settings missing from deploy/kustomize/base/ouwatch.yaml');
});

test('the base generates the ConfigMap ouwatch-config from that file, under a fixed name', () => {
  const k = parse(readFileSync(KUSTOMIZE_DIR + 'base/kustomization.yaml', 'utf8')) as {
    configMapGenerator: Array<{ name: string; files: string[] }>;
    generatorOptions: { disableNameSuffixHash: boolean };
  };
  assert.deepEqual(k.configMapGenerator, [{ name: 'ouwatch-config', files: ['ouwatch.yaml'] }]);
  assert.equal(k.generatorOptions.disableNameSuffixHash, true, "the sidecar's patch of OpenUnison's Deployment names it");
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ENDSESSION, OIDC_SESSIONS } from '../../src/components/sinks/end-session/manifest.js';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace: string }>;
}

const file = fileURLToPath(new URL('../../deploy/responder-rbac.yaml', import.meta.url));
const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  assert.deepEqual(d.errors, []);
  return d.toJS() as Doc;
});

test('deploy/responder-rbac.yaml: a ServiceAccount, a Role and a RoleBinding in openunison', () => {
  assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace}/${d.metadata.name}`), [
    'v1 ServiceAccount openunison/ouwatch',
    'rbac.authorization.k8s.io/v1 Role openunison/ouwatch-responder',
    'rbac.authorization.k8s.io/v1 RoleBinding openunison/ouwatch-responder',
  ]);
});

test('the Role grants exactly what the two steps need (openunison-facts.md), nothing more', () => {
  const role = docs.find((d) => d.kind === 'Role')!;
  const grants = new Map<string, string[]>();
  for (const r of role.rules!) {
    assert.deepEqual(r.apiGroups, [OIDC_SESSIONS.group]);
    for (const res of r.resources) grants.set(res, [...r.verbs].sort());
  }
  assert.deepEqual(Object.fromEntries(grants), {
    [OIDC_SESSIONS.plural]: ['delete', 'deletecollection', 'list'],
    [ENDSESSION.plural]: ['create', 'get'],
  });
  assert.ok(!role.rules!.some((r) => r.verbs.includes('*') || r.resources.includes('*')), 'no wildcards');
});

test('the RoleBinding binds that Role to that ServiceAccount', () => {
  const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
  const binding = docs.find((d) => d.kind === 'RoleBinding')!;
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ouwatch-responder' });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
});

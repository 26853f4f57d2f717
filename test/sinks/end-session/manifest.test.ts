import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { dnSha1 } from '../../../src/core/identity.js';
import { checkTarget, endSessionYaml, kubectlDeleteCommand, shellQuote, TargetError, type EndSessionTarget } from '../../../src/components/sinks/end-session/manifest.js';
import { endSessionNameForAlert, endSessionNameForPerson, isRfc1123Label } from '../../../src/components/sinks/end-session/names.js';
import { HOSTILE_DNS } from '../../helpers/alerts.js';

const target = (dn: string, over: Partial<EndSessionTarget> = {}): EndSessionTarget => ({
  dn,
  dnSha1: dnSha1(dn),
  name: endSessionNameForAlert('a1', dn),
  namespace: 'openunison',
  context: null,
  alertId: 'a1',
  ...over,
});

describe('EndSession manifest', () => {
  test('is one EndSession document (openunison.tremolo.io/v1) with spec.dn exactly the DN', () => {
    const t = target('uid=mmosley,ou=shadow,o=Tremolo');
    const docs = parseAllDocuments(endSessionYaml(t));
    assert.equal(docs.length, 1);
    assert.deepEqual(docs[0].toJS(), {
      apiVersion: 'openunison.tremolo.io/v1',
      kind: 'EndSession',
      metadata: { name: t.name, namespace: 'openunison', labels: { 'app.kubernetes.io/managed-by': 'ouwatch' }, annotations: { 'ouwatch.io/alert': 'a1' } },
      spec: { dn: 'uid=mmosley,ou=shadow,o=Tremolo' },
    });
  });

  test('names the delete step in a # comment with the label SHA-1 (test vector) and the namespace', () => {
    const yaml = endSessionYaml(target('uid=mmosley,ou=shadow,o=Tremolo', { namespace: 'idp' }));
    const comments = yaml.split('\n').filter((l) => l.startsWith('#'));
    assert.ok(comments.some((l) => l.includes('kubectl delete oidc-sessions -l tremolo.io/user-dn=5204c08a79c11dbdc2fdda1e07bc866fb4f22888 -n idp')), yaml);
  });

  for (const dn of HOSTILE_DNS) {
    test(`hostile DN ${JSON.stringify(dn)} round-trips exactly, in YAML 1.2 and 1.1, and stays out of the comments`, () => {
      const yaml = endSessionYaml(target(dn));
      for (const version of ['1.2', '1.1'] as const) {
        const docs = parseAllDocuments(yaml, { version });
        assert.equal(docs.length, 1, 'exactly one document');
        assert.deepEqual(docs[0].errors, []);
        assert.equal((docs[0].toJS() as { spec: { dn: string } }).spec.dn, dn);
        assert.equal((docs[0].toJS() as { kind: string }).kind, 'EndSession');
      }
      // line breaks of every flavour, and invisible or control characters, are escaped: the DN is one line
      const dnLine = yaml.split('\n').find((l) => l.startsWith('  dn: '));
      assert.ok(dnLine, yaml);
      assert.equal(parse(`x: ${dnLine.slice(6)}`).x, dn);
      assert.doesNotMatch(yaml, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/);
      for (const l of yaml.split('\n').filter((x) => x.startsWith('#'))) assert.ok(!l.includes(dn.slice(0, 8)), `comment ${l} quotes the DN`);
    });
  }

  test('a context with quotes is shell-quoted in the commands; control characters are refused', () => {
    assert.equal(shellQuote(`prod'eu`), `'prod'\\''eu'`);
    assert.equal(kubectlDeleteCommand({ dnSha1: 'ab', namespace: 'openunison', context: 'kind-prod' }), 'kubectl --context kind-prod delete oidc-sessions -l tremolo.io/user-dn=ab -n openunison');
    assert.throws(() => checkTarget({ name: 'x', namespace: 'openunison', context: 'a\nb' }), TargetError);
    assert.throws(() => checkTarget({ name: 'x', namespace: 'Open_Unison', context: null }), /RFC 1123/);
  });
});

describe('EndSession object names', () => {
  test('are RFC 1123 labels whatever the alert id', () => {
    for (const id of ['a1', 'ALERT/42', '---', 'x'.repeat(300), 'é中', '']) {
      const n = endSessionNameForAlert(id, 'uid=a,o=T');
      assert.ok(isRfc1123Label(n), n);
    }
  });

  test('are the same for a retry of the same alert, different for another alert or DN', () => {
    assert.equal(endSessionNameForAlert('a1', 'uid=a,o=T'), endSessionNameForAlert('a1', 'uid=a,o=T'));
    assert.notEqual(endSessionNameForAlert('a1', 'uid=a,o=T'), endSessionNameForAlert('a2', 'uid=a,o=T'));
    assert.notEqual(endSessionNameForAlert('a1', 'uid=a,o=T'), endSessionNameForAlert('a1', 'uid=b,o=T'));
  });

  test("a person's actions get a fresh name each time", () => {
    const a = endSessionNameForPerson('uid=a,o=T', 1000);
    const b = endSessionNameForPerson('uid=a,o=T', 1000);
    assert.ok(isRfc1123Label(a) && isRfc1123Label(b));
    assert.notEqual(a, b);
  });
});

import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The TypeScript program of the whole project (tsconfig.json: src, tests, benchmarks,
 * scripts), built once: type-checked as `tsc --noEmit` would, then searched for what nothing uses.
 *
 * `noUnusedLocals` finds unused locals and private members; it cannot see an exported function
 * or a public method nobody calls. Those are found here: every export of src/ and every public
 * member of its classes must be named somewhere else in the project (src, tests, benchmarks).
 * A member that implements an interface or overrides a base class is called through that type
 * and is not counted, nor is one named `_…` (an internal method of a JavaScript library's class,
 * overridden: descriptor-tail.ts), nor one whose name is used through an interface or object
 * type, which a class may satisfy without saying so. A name used only on other classes does not
 * count.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OBJECT_MEMBERS: ReadonlySet<string> = new Set(['toString', 'toJSON', 'valueOf']);

let built: ts.Program | undefined;

/** The project as tsconfig.json makes it, built once for both tests of this file. */
function program(): ts.Program {
  if (built !== undefined) return built;
  const parsed = ts.getParsedCommandLineOfConfigFile(`${ROOT}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
  assert.ok(parsed !== undefined);
  built = ts.createProgram(parsed.fileNames, parsed.options);
  return built;
}

// What `tsc --noEmit` checks (npm run typecheck), here so that npm test builds the program
// once: checked first, the symbols the next test asks for are already resolved.
test('the project type-checks under tsconfig.json (strict, no unused locals or parameters)', () => {
  const p = program();
  const diagnostics = ts.getPreEmitDiagnostics(p);
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  assert.equal(diagnostics.length, 0, ts.formatDiagnostics(diagnostics, host));
  assert.ok(p.getSourceFiles().filter((sf) => sf.fileName.startsWith(`${ROOT}src/`)).length > 200, 'the program holds src/');
});

const isExported = (node: ts.Node) => (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;

/** Whether the class's base class or an interface it implements has a member of this name. */
function inherited(checker: ts.TypeChecker, cls: ts.ClassLikeDeclaration, name: string): boolean {
  for (const clause of cls.heritageClauses ?? []) {
    for (const t of clause.types) {
      const base = checker.getTypeAtLocation(t);
      // An untyped base (a JavaScript library's class): any member may override one of its.
      if ((base.flags & ts.TypeFlags.Any) !== 0 || base.getProperty(name) !== undefined) return true;
    }
  }
  return false;
}

/**
 * The declarations to look for, with their names. Keyed by declaration, not by symbol: a
 * member of a generic class is a different symbol on each instantiation, all declared here.
 */
function candidates(p: ts.Program, checker: ts.TypeChecker): Map<ts.Node, ts.Identifier> {
  const out = new Map<ts.Node, ts.Identifier>();
  const add = (name: ts.Node | undefined) => {
    if (name !== undefined && ts.isIdentifier(name)) out.set(name.parent, name);
  };
  for (const sf of p.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${ROOT}src/`)) continue;
    const visit = (node: ts.Node): void => {
      if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && isExported(node)) add(node.name);
      if (ts.isVariableStatement(node) && isExported(node)) for (const d of node.declarationList.declarations) add(d.name);
      if ((ts.isMethodDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isGetAccessorDeclaration(node)) && ts.isClassDeclaration(node.parent)) {
        const flags = ts.getCombinedModifierFlags(node);
        const name = node.name;
        const hidden = (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 || !ts.isIdentifier(name);
        if (!hidden && !OBJECT_MEMBERS.has(name.text) && !name.text.startsWith('_') && !inherited(checker, node.parent, name.text)) add(name);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** `x.name`, `{ name: … }`, `{ name }` or a destructured `name`: where a member is named. */
function isMemberName(node: ts.Identifier): boolean {
  const p = node.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === node) ||
    (ts.isPropertyAssignment(p) && p.name === node) ||
    ts.isShorthandPropertyAssignment(p) ||
    (ts.isBindingElement(p) && (p.propertyName ?? p.name) === node)
  );
}

function declaredOnSrcClass(symbol: ts.Symbol | undefined): boolean {
  const d = symbol?.declarations ?? [];
  return d.length > 0 && d.every((x) => ts.isClassElement(x) && x.getSourceFile().fileName.startsWith(`${ROOT}src/`));
}

test('every export of src/ and every public member of its classes is used somewhere', () => {
  const p = program();
  const checker = p.getTypeChecker();
  const wanted = candidates(p, checker);
  const declarations = new Set(wanted.values());
  // Only an identifier spelled like a candidate can name one (an import's `foo as bar` names
  // `foo`): the checker resolves those alone, not every identifier of the project.
  const names = new Set([...declarations].map((n) => n.text));
  const used = new Set<ts.Node>();
  /** Names used through something other than a class of src/ (an interface, an object type, a library's type). */
  const structural = new Set<string>();
  for (const sf of p.getSourceFiles()) {
    if (!sf.fileName.startsWith(ROOT) || sf.fileName.includes('/node_modules/')) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && names.has(node.text) && !declarations.has(node)) {
        let symbol = checker.getSymbolAtLocation(node);
        // `const { name } = await import('./module.js')`: the export, through the module's type.
        if (ts.isBindingElement(node.parent) && (node.parent.propertyName ?? node.parent.name) === node) {
          symbol = checker.getTypeAtLocation(node.parent.parent).getProperty(node.text) ?? symbol;
        }
        // An import or a re-export names an alias; the declaration is behind it.
        if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
        const found = (symbol?.declarations ?? []).filter((d) => wanted.has(d));
        for (const d of found) used.add(d);
        if (found.length === 0 && isMemberName(node) && !declaredOnSrcClass(symbol)) structural.add(node.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const unused = [...wanted]
    .filter(([declaration, name]) => !used.has(declaration) && !(ts.isClassElement(declaration) && structural.has(name.text)))
    .map(([, name]) => {
      const sf = name.getSourceFile();
      return `${relative(ROOT, sf.fileName)}:${sf.getLineAndCharacterOfPosition(name.getStart(sf)).line + 1} ${name.text}`;
    });
  assert.deepEqual(unused, [], `named nowhere (remove them, or use them):\n${unused.join('\n')}`);
  assert.ok(wanted.size > 500, `the check saw ${wanted.size} exports and members`);
});

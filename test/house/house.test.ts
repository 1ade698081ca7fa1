// The house rules of the agent and the bridge that a reader checks by eye, checked here so they
// stay true (issue 25): every file in pi-agent/src and bridge/src sits in a folder whose README
// names the folder's concern and gives each of its files a line (a file that fits no line is a
// file with two concerns, or a folder missing);
// folders import each other one way only (no cycle on value imports; core/ imports no other folder);
// no function over 80 lines, measured on the TypeScript syntax tree; and the Node packages take the
// code they share with the page by its package name (@pigeon/signal …), never by a path into src/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = new URL('../../', import.meta.url);

interface House {
  src: string;
  /** The files allowed at the top of src/: the entries (and the agent's package-dir seam). */
  top: string[];
  /** Fewer files than this and the listing went wrong. */
  atLeast: number;
}

const HOUSES: House[] = [
  { src: 'pi-agent/src', top: ['cli.ts', 'package-dir.ts'], atLeast: 40 },
  { src: 'bridge/src', top: ['cli.ts', 'sea-entry.ts'], atLeast: 15 },
];

for (const house of HOUSES) {
  const { src } = house;
  /** The package's sources, relative to its src/ ("viewers/offers.ts"). */
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', `${src}/*.ts`], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((name) => name !== '' && existsSync(new URL(name, ROOT)))
    .map((name) => relative(src, name));
  const read = (name: string): string => readFileSync(new URL(`${src}/${name}`, ROOT), 'utf8');
  const folderOf = (name: string): string => dirname(name);
  /** A node of the import graph: the folder, or the file itself at the top (cli.ts …). */
  const nodeOf = (name: string): string => (folderOf(name) === '.' ? name : folderOf(name));

  test(`${src}: every file is in a folder whose README names its concern and gives the file a line`, () => {
    assert.ok(files.length >= house.atLeast, `found ${files.length} files`);
    const topLevel = files.filter((name) => folderOf(name) === '.');
    assert.deepEqual(topLevel.sort(), house.top, 'only the entries sit at the top');
    const folders = [...new Set(files.map(folderOf).filter((folder) => folder !== '.'))];
    const top = read('README.md');
    const problems: string[] = [];
    for (const folder of folders) {
      if (!top.includes(`\`${folder}/\` — `)) problems.push(`${src}/README.md has no line for ${folder}/`);
      const readme = `${folder}/README.md`;
      if (!existsSync(new URL(`${src}/${readme}`, ROOT))) {
        problems.push(`${folder}/ has no README.md`);
        continue;
      }
      const text = read(readme);
      const [title, blank, concern] = text.split('\n');
      if (title !== `# ${src}/${folder}/` || blank !== '' || !concern || concern.length < 40) problems.push(`${readme} does not open with its title and a line of concern`);
      const listed = [...text.matchAll(/^- `([^`]+\.ts)` — \S/gm)].map((match) => match[1]!);
      const here = files.filter((name) => folderOf(name) === folder).map((name) => name.slice(folder.length + 1));
      for (const name of here) if (!listed.includes(name)) problems.push(`${readme} gives ${name} no line`);
      for (const name of listed) if (!here.includes(name)) problems.push(`${readme} lists ${name}, which is not there`);
    }
    assert.deepEqual(problems, []);
  });

  /** The files `name` imports as values (type-only imports are not dependencies at run time). */
  const valueImports = (name: string): string[] => {
    const source = ts.createSourceFile(name, read(name), ts.ScriptTarget.Latest, true);
    const targets: string[] = [];
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const from = statement.moduleSpecifier.text;
      if (!from.startsWith('.')) continue;
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (!clause.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((element) => element.isTypeOnly)));
      if (!typeOnly) targets.push(normalize(join(dirname(name), from)));
    }
    return targets;
  };

  test(`${src}: folders import each other one way only: no cycle, and core/ imports no other folder`, () => {
    const edges = new Map<string, Map<string, string>>();
    for (const name of files) {
      for (const target of valueImports(name)) {
        const [from, to] = [nodeOf(name), nodeOf(target)];
        if (from === to) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        edges.get(from)!.set(to, `${name} → ${target}`);
      }
    }
    assert.deepEqual([...(edges.get('core')?.values() ?? [])], [], 'core/ is what every part speaks: it imports nothing else of the package');
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (folder: string, path: string[]): void => {
      state.set(folder, 'open');
      for (const [next, why] of edges.get(folder) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path, why].join(', then '));
        else if (!state.has(next)) visit(next, [...path, why]);
      }
      state.set(folder, 'done');
    };
    for (const folder of edges.keys()) if (!state.has(folder)) visit(folder, []);
    assert.ok(edges.size >= 4, `the folder graph has ${edges.size} importing folders`);
    assert.deepEqual(cycles, []);
  });

  test(`${src}: no file imports another in a cycle (value imports)`, () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      state.set(name, 'open');
      for (const next of valueImports(name)) {
        if (state.get(next) === 'open') cycles.push([...path, name, next].join(' → '));
        else if (!state.has(next) && files.includes(next)) visit(next, [...path, name]);
      }
      state.set(name, 'done');
    };
    for (const name of files) if (!state.has(name)) visit(name, []);
    assert.deepEqual(cycles, []);
  });

  test(`${src}: no function is over 80 lines`, () => {
    const long: string[] = [];
    for (const name of files) {
      const source = ts.createSourceFile(name, read(name), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (last - first + 1 > 80) long.push(`${name}:${first + 1} (${last - first + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(long, []);
  });
}

test('pi-agent, the bridge, the engine and node-common import the shared code by name, not by a path into src/', () => {
  const sources = execFileSync('git', ['ls-files', 'pi-agent/src/*.ts', 'bridge/src/*.ts', 'engine/src/*.ts', 'node-common/src/*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(sources.length > 40, `found ${sources.length} files`);
  const reaching = sources.flatMap((name) =>
    [...readFileSync(new URL(name, ROOT), 'utf8').matchAll(/from '((?:\.\.\/)+(?:src|pi-agent|bridge|engine|node-common)\/[^']*)'/g)].map((match) => `${name}: ${match[1]}`),
  );
  assert.deepEqual(reaching, [], 'scripts/imports-by-name.sh rewrites imports of src/; the others are workspace packages');
});

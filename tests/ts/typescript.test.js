// tsc --strict over the subscriptions fixture (./subscriptions, generated from the hand-written
// ./subscriptions/openrpc.json by rpcview-contract's tests): its own program, since its api.d.ts
// declares `window.api` as the other generated files do, and one program cannot hold two.
// And the text of the errors a frontend developer gets for a misspelled name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The errors of the project `config` (a path relative to this folder), as tsc prints them. */
function errors(config) {
  const path = fileURLToPath(new URL(config, import.meta.url));
  const problems = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(path, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => problems.push(d),
  });
  if (!parsed) return format(problems);
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
  });
  return format([...ts.getConfigFileParsingDiagnostics(parsed), ...ts.getPreEmitDiagnostics(program)]);
}

/** @param {readonly import('typescript').Diagnostic[]} diagnostics */
function format(diagnostics) {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getNewLine: () => '\n',
  });
}

test('tsconfig.subscriptions.json compiles (every @ts-expect-error in subscriptions.check.ts fails)', () => {
  assert.equal(errors('./tsconfig.subscriptions.json'), '');
});

/**
 * The diagnostics of `source`, compiled as a file `name` of this folder with the options of
 * tsconfig.json (strict), on its own.
 * @param {string} name
 * @param {string} source
 */
function diagnosticsOf(name, source) {
  const config = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
  const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed) throw new Error('tsconfig.json does not parse');
  const file = fileURLToPath(new URL(name, import.meta.url));
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, language, ...rest) =>
    f === file ? ts.createSourceFile(f, source, language) : getSourceFile(f, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => f === file || fileExists(f);
  const program = ts.createProgram({ rootNames: [file], options: parsed.options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    line: d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0,
    text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}

test('a misspelled method or notification name is named in the error, with what it should be', () => {
  const found = diagnosticsOf('misspelled.ts', [
    'import type { Api } from "../../schema/api";',
    'declare const api: Api;',
    'export async function f(): Promise<void> {',
    '  await api.invoke("notes.sav", { title: "a", body: "b" });',
    '  api.notify("app.lg", { level: "info", message: "m" });',
    '  await api.subscribe("notes.exprt");',
    '  await api.invoke("notes.save", { title: "a" });',
    '}',
  ].join('\n'));
  assert.deepEqual(found.map((d) => d.line), [4, 5, 6, 7], JSON.stringify(found, null, 1));
  assert.equal(found[0].text, `Argument of type '"notes.sav"' is not assignable to parameter of type 'keyof Methods'.`);
  // With a single notification (subscription), TypeScript names it rather than the map.
  assert.equal(found[1].text, `Argument of type '"app.lg"' is not assignable to parameter of type '"app.log"'.`);
  assert.equal(found[2].text, `Argument of type '"notes.exprt"' is not assignable to parameter of type '"notes.export"'.`);
  // A well-spelled name with wrong params: the error is about the params.
  assert.match(found[3].text, /Property 'body' is missing in type '\{ title: string; \}'/);
  assert.doesNotMatch(found.map((d) => d.text).join('\n'), /rpc\.discover|No overload/);
});

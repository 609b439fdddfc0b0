// tsc --strict over the subscriptions fixture (./subscriptions, generated from the hand-written
// ./subscriptions/openrpc.json by rpcview-contract's tests): its own program, since its api.d.ts
// declares `window.api` as the other generated files do, and one program cannot hold two.
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

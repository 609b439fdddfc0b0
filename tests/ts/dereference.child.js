// Run by interop.test.js in a child process, under a memory cap and a timeout: the OpenRPC
// project's dereferencing may never return (it runs out of memory on recursive types), and
// the test suite must survive that. Reads JSON on standard input and writes the result as
// JSON on standard output.
//   node dereference.child.js document   dereferenceDocument (@open-rpc/schema-utils-js)
//   node dereference.child.js schema     the dereferencer it uses (@json-schema-tools/dereferencer)
import { readFileSync } from 'node:fs';
import { dereferenceDocument } from '@open-rpc/schema-utils-js';
import Dereferencer from '@json-schema-tools/dereferencer';

const input = JSON.parse(readFileSync(0, 'utf8'));
const tool = process.argv[2];
let out;
if (tool === 'document') {
  out = await dereferenceDocument(input);
} else if (tool === 'schema') {
  const D = /** @type {any} */ (Dereferencer).default ?? Dereferencer;
  out = await new D(input).resolve();
} else {
  throw new Error(`usage: node dereference.child.js document|schema < input.json (got ${tool})`);
}
process.stdout.write(JSON.stringify(out));

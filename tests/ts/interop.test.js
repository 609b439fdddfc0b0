// The generated OpenRPC documents with the JavaScript ecosystem's own tools:
// - ajv 8 in its default strict mode (with ajv-formats), as teams use it: every schema compiles;
// - the OpenRPC project's MethodCallValidator and dereferenceDocument
//   (@open-rpc/schema-utils-js), whose dereferencing runs out of memory on a recursive type:
//   it runs in a child process under a memory cap and a timeout, and ajv is the workaround.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { MethodCallValidator } from '@open-rpc/schema-utils-js';

/** @param {string} path relative to this folder */
const json = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
/** @param {string} pkg */
const version = (pkg) => json(`./node_modules/${pkg}/package.json`).version;

const DEMO = '../../schema/openrpc.json';
const SHAPES = './shapes/openrpc.json';
const RECURSIVE = './recursive/openrpc.json';
const HELLO = '../../host/examples/hello/web/schema/openrpc.json';
const AJV = `ajv ${version('ajv')} + ajv-formats ${version('ajv-formats')}`;
const SCHEMA_UTILS = `@open-rpc/schema-utils-js ${version('@open-rpc/schema-utils-js')}`;
const DEREFERENCER = `@json-schema-tools/dereferencer ${version('@json-schema-tools/dereferencer')}`;

// ---- ajv 8, default strict mode ---------------------------------------------------------

/**
 * An ajv in its default strict mode, with the standard formats, holding `doc` under the id
 * `openrpc.json` so that the `$ref`s of its schemas (`#/components/schemas/...`) resolve.
 * The document itself is not a JSON Schema: its top-level members (`openrpc`, `methods`, ...)
 * are declared as keywords so that it may be the root; every schema in it is compiled in
 * strict mode.
 * @param {any} doc
 */
function documentAjv(doc) {
  const ajv = new Ajv();
  addFormats(ajv);
  for (const key of Object.keys(doc)) ajv.addKeyword(key);
  ajv.addSchema(doc, 'openrpc.json');
  /** @type {Map<string, import('ajv').ValidateFunction>} */
  const compiled = new Map();
  /** The validator of the schema at `pointer` in the document (compiled once). */
  const at = (/** @type {string} */ pointer) => {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `openrpc.json#${pointer}` });
      compiled.set(pointer, validate);
    }
    return validate;
  };
  return { ajv, at };
}

/**
 * Every schema of `doc`, as JSON pointers: components, params and results of methods,
 * subscriptions' params and items, events' payloads.
 * @param {any} doc
 */
function schemaPointers(doc) {
  const out = Object.keys(doc.components?.schemas ?? {}).map((k) => `/components/schemas/${k}`);
  for (const list of ['methods', 'x-subscriptions']) {
    (doc[list] ?? []).forEach((/** @type {any} */ m, /** @type {number} */ i) => {
      m.params.forEach((/** @type {any} */ _, /** @type {number} */ j) => out.push(`/${list}/${i}/params/${j}/schema`));
      if (m.result) out.push(`/${list}/${i}/result/schema`);
      if (m.item) out.push(`/${list}/${i}/item/schema`);
    });
  }
  (doc['x-events'] ?? []).forEach((/** @type {any} */ _, /** @type {number} */ i) => out.push(`/x-events/${i}/schema`));
  return out;
}

for (const path of [DEMO, SHAPES, RECURSIVE, HELLO]) {
  test(`every schema of ${path} compiles in ${AJV}, default strict mode`, () => {
    const doc = json(path);
    const { at } = documentAjv(doc);
    const warnings = [];
    const warn = console.warn;
    console.warn = (...args) => warnings.push(args.join(' '));
    try {
      const pointers = schemaPointers(doc);
      assert.ok(pointers.length > 3, 'the document has schemas');
      for (const pointer of pointers) {
        assert.doesNotThrow(() => at(pointer), `${path}#${pointer}`);
      }
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [], 'strict mode logs nothing either (strictTypes, strictTuples)');
  });
}

test(`the integer bounds replace the formats: ${AJV} refuses what serde would`, () => {
  const demo = documentAjv(json(DEMO));
  const modified = demo.at('/components/schemas/Note/properties/modified_ms');
  assert.equal(modified(1700000000000), true);
  assert.equal(modified(-1), false, 'a u64 is at least 0');
  assert.equal(modified(1.5), false, 'a u64 is an integer');
  const doc = json(SHAPES);
  const shapes = documentAjv(doc);
  const pair = doc.methods.findIndex((/** @type {any} */ m) => m.name === 'shapes.pair');
  const count = shapes.at(`/methods/${pair}/params/1/schema`);
  assert.equal(count(255), true);
  assert.equal(count(256), false, 'a u8 is at most 255');
  const int32 = shapes.at('/components/schemas/External/oneOf/1/properties/A');
  assert.equal(int32(2 ** 31), false, 'an i32 is at most 2^31 - 1');
  assert.equal(int32(-(2 ** 31)), true);
  assert.doesNotMatch(JSON.stringify(json(DEMO)) + JSON.stringify(doc), /"format":"u?int|"format":"(float|double)"/);
});

test(`the examples of ${DEMO} are valid by its schemas (${AJV})`, () => {
  const doc = json(DEMO);
  const { at } = documentAjv(doc);
  let checked = 0;
  doc.methods.forEach((/** @type {any} */ m, /** @type {number} */ i) => {
    for (const example of m.examples ?? []) {
      for (const p of example.params) {
        const j = m.params.findIndex((/** @type {any} */ d) => d.name === p.name);
        const validate = at(`/methods/${i}/params/${j}/schema`);
        assert.ok(validate(p.value), `${m.name} ${example.name} ${p.name}: ${JSON.stringify(validate.errors)}`);
      }
      const validate = at(`/methods/${i}/result/schema`);
      assert.ok(validate(example.result.value), `${m.name} ${example.name} result: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
  });
  assert.ok(checked >= 2, 'the demo has examples');
});

// ---- The OpenRPC project's tools, in a child process --------------------------------------

const CAP_MB = 128;
const TIMEOUT_MS = 60_000;

/**
 * Runs dereference.child.js on `input` (`tool`: `document` for dereferenceDocument, `schema`
 * for the dereferencer it uses) under a heap cap of CAP_MB and a timeout of TIMEOUT_MS.
 * @param {'document' | 'schema'} tool
 * @param {unknown} input
 * @returns {Promise<{ok: boolean, outOfMemory: boolean, timedOut: boolean, output: any, stderr: string, ms: number}>}
 */
function dereference(tool, input) {
  const started = Date.now();
  const child = spawn(process.execPath, [`--max-old-space-size=${CAP_MB}`, 'dereference.child.js', tool], {
    cwd: new URL('.', import.meta.url),
    timeout: TIMEOUT_MS,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(JSON.stringify(input));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const ok = code === 0;
      resolve({
        ok,
        outOfMemory: /heap out of memory/.test(stderr),
        timedOut: signal === 'SIGTERM',
        output: ok ? JSON.parse(stdout) : undefined,
        stderr: stderr.slice(-2000),
        ms: Date.now() - started,
      });
    });
  });
}

/**
 * A minimal OpenRPC document, written by hand: one method taking and returning a `Tree` whose
 * `children` are `Tree`s (`recursive`), or `Leaf`s (not).
 * @param {boolean} recursive
 */
function handWritten(recursive) {
  const ref = (/** @type {string} */ name) => ({ $ref: `#/components/schemas/${name}` });
  return {
    openrpc: '1.3.2',
    info: { title: 'hand-written', version: '1.0.0' },
    methods: [{ name: 'tree.echo', params: [{ name: 'tree', required: true, schema: ref('Tree') }], result: { name: 'result', schema: ref('Tree') } }],
    components: {
      schemas: {
        Tree: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: ref(recursive ? 'Tree' : 'Leaf') } }, required: ['name', 'children'] },
        Leaf: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
    },
  };
}

// Started together (each is a process of its own), awaited by the tests below.
const runs = {
  demo: dereference('document', json(DEMO)),
  recursive: dereference('document', json(RECURSIVE)),
  handRecursive: dereference('document', handWritten(true)),
  handFlat: dereference('document', handWritten(false)),
  schemaRecursive: dereference('schema', {
    $ref: '#/definitions/Tree',
    definitions: { Tree: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/Tree' } } } } },
  }),
};

/**
 * Asserts that a run did not finish: out of memory under the cap, or past the timeout.
 * @param {Awaited<typeof runs.demo>} run
 */
function assertNeverFinishes(run) {
  assert.equal(run.ok, false, 'it finished: the tool handles recursion now; update the README (The schema is the contract) and these tests');
  assert.ok(run.outOfMemory || run.timedOut, `it failed otherwise:\n${run.stderr}`);
}

/**
 * Valid params of every method of the demo: from its examples, else written here.
 * @type {Record<string, Record<string, unknown>>}
 */
const BY_HAND = {
  'app.log': { level: 'info', message: 'hello' },
  'app.new_window': {},
  'notes.delete': { id: 'groceries' },
  'notes.list': {},
  'rpcview.relay': { to: 'second', event: 'notes.synced', payload: { id: 'groceries', notes: 1 } },
};

test(`${SCHEMA_UTILS}: dereferenceDocument, then MethodCallValidator accepts a valid call of every method of ${DEMO}, by name and by position`, async () => {
  const run = await runs.demo;
  assert.ok(run.ok, run.stderr);
  const doc = run.output;
  const validator = new MethodCallValidator(doc);
  for (const m of json(DEMO).methods) {
    const example = m.examples?.[0];
    const byName = example ? Object.fromEntries(example.params.map((/** @type {any} */ p) => [p.name, p.value])) : BY_HAND[m.name];
    assert.ok(byName, `${m.name}: no example in the document and none by hand; add one to BY_HAND`);
    assert.deepEqual(validator.validate(m.name, byName), [], `${m.name} by name`);
    const byPosition = m.params.map((/** @type {any} */ p) => byName[p.name]);
    while (byPosition.length && byPosition[byPosition.length - 1] === undefined) byPosition.pop();
    assert.deepEqual(validator.validate(m.name, byPosition), [], `${m.name} by position`);
  }
});

test(`${SCHEMA_UTILS}: MethodCallValidator refuses invalid calls of ${DEMO}`, async () => {
  const run = await runs.demo;
  assert.ok(run.ok, run.stderr);
  const validator = new MethodCallValidator(run.output);
  /** @param {unknown} result */
  const refusal = (result) => (Array.isArray(result) ? result.map((e) => e.name) : /** @type {any} */ (result)?.name);
  assert.deepEqual(refusal(validator.validate('notes.save', { title: 1, body: 'b' })), ['ParameterValidationError'], 'a wrong type');
  assert.deepEqual(refusal(validator.validate('notes.save', { title: 'a\nb', body: 'b' })), ['ParameterValidationError'], 'a pattern');
  assert.deepEqual(refusal(validator.validate('notes.save', { body: 'b' })), ['ParameterValidationError'], 'a missing param');
  assert.deepEqual(refusal(validator.validate('app.log', { level: 'loud', message: 'm' })), ['ParameterValidationError'], 'not in the enum');
  assert.equal(refusal(validator.validate('notes.sav', {})), 'MethodNotFoundError', 'a misspelled method');
});

test(`${SCHEMA_UTILS}: dereferenceDocument never finishes on ${RECURSIVE} (a Tree whose children are Trees): out of memory under ${CAP_MB} MB`, async () => {
  assertNeverFinishes(await runs.recursive);
});

test(`${SCHEMA_UTILS}: it is the tool, not rpcview's document: a minimal hand-written document with a recursive type never finishes either, and the same document without the recursion is dereferenced`, async () => {
  assertNeverFinishes(await runs.handRecursive);
  const flat = await runs.handFlat;
  assert.ok(flat.ok, flat.stderr);
  assert.deepEqual(flat.output.methods[0].params[0].schema.properties.children.items, handWritten(false).components.schemas.Leaf);
});

test(`the cause is ${DEREFERENCER}, which dereferenceDocument uses: alone, on a plain JSON Schema with a recursive definition, it never finishes`, async () => {
  // Its sub-dereferencer for `#/definitions/Tree` starts another one for the same reference
  // before caching it, without end.
  assertNeverFinishes(await runs.schemaRecursive);
});

test(`workaround: ${AJV} validates the calls of ${RECURSIVE} from the document as it is (recursive $ref), at any depth`, () => {
  const doc = json(RECURSIVE);
  const { at } = documentAjv(doc);
  /**
   * The errors of a call's params, as MethodCallValidator would give them; none when valid.
   * @param {string} method
   * @param {unknown[] | Record<string, unknown>} params
   */
  const validate = (method, params) => {
    const i = doc.methods.findIndex((/** @type {any} */ m) => m.name === method);
    if (i < 0) return [`no method ${method}`];
    return doc.methods[i].params.flatMap((/** @type {any} */ p, /** @type {number} */ j) => {
      const value = Array.isArray(params) ? params[j] : params[p.name];
      if (value === undefined) return p.required ? [`${p.name} is required`] : [];
      const check = at(`/methods/${i}/params/${j}/schema`);
      return check(value) ? [] : (check.errors ?? []).map((e) => `${p.name}${e.instancePath}: ${e.message}`);
    });
  };
  /** @param {number} depth */
  const deep = (depth) => {
    let tree = { name: `n${depth}`, children: /** @type {unknown[]} */ ([]) };
    for (let d = depth - 1; d >= 0; d--) tree = { name: `n${d}`, children: [tree, { name: 'leaf', children: [] }] };
    return tree;
  };
  assert.deepEqual(validate('tree.count', deep(200)), []);
  assert.deepEqual(validate('tree.count', ['root', []]), []);
  assert.deepEqual(validate('tree.leaf', ['x']), []);
  const bad = deep(50);
  /** @type {any} */ (bad).children[0].children[0].children[1].name = 7;
  assert.deepEqual(validate('tree.count', bad), ['children/0/children/0/children/1/name: must be string']);
  assert.deepEqual(validate('tree.count', { name: 'root' }), ['children is required']);
  // The result too.
  const count = doc.methods.findIndex((/** @type {any} */ m) => m.name === 'tree.leaf');
  assert.equal(at(`/methods/${count}/result/schema`)(deep(20)), true);
});

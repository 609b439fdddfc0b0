// The generated documents are valid OpenRPC, by the OpenRPC project's own validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateOpenRPCDocument } from '@open-rpc/schema-utils-js';

for (const path of ['../../schema/openrpc.json', './shapes/openrpc.json', './subscriptions/openrpc.json', './recursive/openrpc.json', '../../schema/baseline/openrpc.json']) {
  test(`${path} is a valid OpenRPC document`, () => {
    const doc = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
    const result = validateOpenRPCDocument(doc);
    assert.equal(result, true, result === true ? '' : String(result.message || JSON.stringify(result)));
  });
}

// Unit tests of extension.js with stand-ins for the `vscode` and `vscode-languageclient`
// modules (run with `node --test test/`; no VS Code needed).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { test, beforeEach, afterEach } = require('node:test');

const extensionPath = path.resolve(__dirname, '..', 'extension.js');

function makeFakes(settings) {
  const calls = { warnings: [], errors: [], clients: [], commands: {}, openedSettings: [] };
  const vscode = {
    workspace: {
      workspaceFolders: settings.workspace ? [{ uri: { fsPath: settings.workspace } }] : undefined,
      getConfiguration: () => ({ get: (key, dflt) => (key === 'path' && settings.path !== undefined ? settings.path : dflt) }),
      createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
      onDidChangeConfiguration: (listener) => {
        calls.configListener = listener;
        return { dispose() {} };
      },
    },
    window: {
      showWarningMessage: async (message, ...items) => {
        calls.warnings.push({ message, items });
        return settings.warningChoice;
      },
      showErrorMessage: async (message) => {
        calls.errors.push(message);
      },
    },
    commands: {
      registerCommand: (name, fn) => {
        calls.commands[name] = fn;
        return { dispose() {} };
      },
      executeCommand: async (name, arg) => {
        calls.openedSettings.push([name, arg]);
      },
    },
  };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
      calls.clients.push(this);
    }
    async start() {
      this.started = true;
    }
    async stop() {
      this.stopped = true;
    }
  }
  const languageClient = { LanguageClient, TransportKind: { stdio: 0 } };
  return { vscode, languageClient, calls };
}

let originalLoad;
let scratch;

function loadExtension(fakes) {
  Module._load = function load(request, parent, isMain) {
    if (request === 'vscode') {
      return fakes.vscode;
    }
    if (request === 'vscode-languageclient/node') {
      return fakes.languageClient;
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  delete require.cache[extensionPath];
  return require(extensionPath);
}

function makeExecutable(dir, name) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(file, 0o755);
  return file;
}

function fakeContext() {
  return { subscriptions: [] };
}

beforeEach(() => {
  originalLoad = Module._load;
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-ext-'));
});

afterEach(() => {
  Module._load = originalLoad;
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('findExecutable looks a bare name up on PATH', { skip: process.platform === 'win32' }, () => {
  const { findExecutable } = loadExtension(makeFakes({}));
  const bin = path.join(scratch, 'bin');
  fs.mkdirSync(bin);
  const egressc = makeExecutable(bin, 'egressc');
  const env = { PATH: ['/nonexistent', bin].join(path.delimiter) };
  assert.equal(findExecutable('egressc', { env }), egressc);
  assert.equal(findExecutable('', { env }), egressc, 'empty setting means the default name');
  assert.equal(findExecutable('egressc-other', { env }), undefined);
});

test('findExecutable takes paths as they are, relative to the workspace', { skip: process.platform === 'win32' }, () => {
  const { findExecutable } = loadExtension(makeFakes({}));
  const egressc = makeExecutable(scratch, 'egressc');
  assert.equal(findExecutable(egressc, { env: { PATH: '' } }), egressc);
  assert.equal(findExecutable('./egressc', { env: { PATH: '' }, baseDir: scratch }), egressc);
  assert.equal(findExecutable('./missing', { env: { PATH: '' }, baseDir: scratch }), undefined);
  const notExecutable = path.join(scratch, 'plain');
  fs.writeFileSync(notExecutable, '');
  fs.chmodSync(notExecutable, 0o644);
  assert.equal(findExecutable(notExecutable, { env: { PATH: '' } }), undefined);
});

test('a missing binary gives one warning and no client', async () => {
  const fakes = makeFakes({ path: path.join(scratch, 'no-such-egressc'), warningChoice: 'Open Settings' });
  const extension = loadExtension(fakes);
  await extension.activate(fakeContext());
  await extension.activate(fakeContext());
  assert.equal(fakes.calls.warnings.length, 1, 'a single warning');
  assert.match(fakes.calls.warnings[0].message, /egressc was not found/);
  assert.match(fakes.calls.warnings[0].message, /cargo install --path \./, 'it says how to install egressc');
  assert.deepEqual(fakes.calls.openedSettings, [['workbench.action.openSettings', 'egressc.path']]);
  assert.equal(fakes.calls.clients.length, 0);
  await extension.deactivate();
});

test('a found binary is started as `egressc lsp` over stdio', { skip: process.platform === 'win32' }, async () => {
  const egressc = makeExecutable(scratch, 'egressc');
  const fakes = makeFakes({ path: egressc });
  const extension = loadExtension(fakes);
  await extension.activate(fakeContext());
  assert.equal(fakes.calls.warnings.length, 0);
  assert.equal(fakes.calls.clients.length, 1);
  const client = fakes.calls.clients[0];
  assert.equal(client.id, 'egressc');
  assert.deepEqual(client.serverOptions.run, { command: egressc, args: ['lsp'], transport: 0 });
  assert.deepEqual(client.clientOptions.documentSelector.map((s) => s.language), ['egress', 'egress']);
  assert.equal(client.started, true);
  assert.ok(fakes.calls.commands['egressc.restartServer'], 'restart command registered');

  await fakes.calls.commands['egressc.restartServer']();
  assert.equal(client.stopped, true, 'restart stops the old client');
  assert.equal(fakes.calls.clients.length, 2, 'and starts a new one');

  await extension.deactivate();
  assert.equal(fakes.calls.clients[1].stopped, true);
});

test('changing egressc.path restarts the client', { skip: process.platform === 'win32' }, async () => {
  const egressc = makeExecutable(scratch, 'egressc');
  const fakes = makeFakes({ path: egressc });
  const extension = loadExtension(fakes);
  await extension.activate(fakeContext());
  await fakes.calls.configListener({ affectsConfiguration: (key) => key === 'egressc.path' });
  assert.equal(fakes.calls.clients.length, 2);
  await fakes.calls.configListener({ affectsConfiguration: () => false });
  assert.equal(fakes.calls.clients.length, 2, 'other settings do not restart it');
  await extension.deactivate();
});

test('every snippet expands to source the TextMate grammar knows', async () => {
  const { expandAll } = require('./expand-snippets');
  const { loadGrammar, checkFile } = require('./tokenize-examples');
  const text = expandAll();
  for (const keyword of ['namespace', 'app', 'pods', 'def', 'default deny', 'cluster', 'expect']) {
    assert.match(text, new RegExp(`^${keyword}\\b`, "m"), `a snippet starts with ${keyword}`);
  }
  const file = path.join(scratch, 'snippets.egress');
  fs.writeFileSync(file, text);
  const grammar = await loadGrammar();
  assert.deepEqual(checkFile(grammar, file), []);
});

test('snippet expansion uses defaults, first choices and mirrors', () => {
  const { expand } = require('./expand-snippets');
  assert.equal(expand('def ${2:name}(${3:db}: ${4|cidr,host|}) = ${5:$3:5432/tcp}$0'), 'def name(db: cidr) = db:5432/tcp');
  assert.equal(expand('app ${1:x} -> ${2:dns}${3: deny ${4:metadata}}'), 'app x -> dns deny metadata');
});

test('the manifest names the egress language, its files and settings', () => {
  const root = path.resolve(__dirname, '..');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const [language] = manifest.contributes.languages;
  assert.equal(language.id, 'egress');
  assert.deepEqual(language.extensions, ['.egress']);
  const [grammar] = manifest.contributes.grammars;
  assert.equal(grammar.scopeName, 'source.egress');
  const tmGrammar = JSON.parse(fs.readFileSync(path.join(root, grammar.path), 'utf8'));
  assert.equal(tmGrammar.scopeName, 'source.egress');
  for (const file of [language.configuration, manifest.contributes.snippets[0].path, 'extension.js']) {
    assert.ok(fs.existsSync(path.join(root, file)), `${file} exists`);
  }
  // The entry point is the esbuild bundle of extension.js, made when the package is built
  // (`vscode:prepublish`); the vsix smoke test checks that the package holds it.
  assert.equal(manifest.main, './dist/extension.js');
  assert.equal(manifest.scripts['vscode:prepublish'], 'npm run bundle');
  assert.match(manifest.scripts.bundle, /^esbuild extension\.js --bundle --outfile=dist\/extension\.js /);
  assert.equal(manifest.contributes.configuration.properties['egressc.path'].default, 'egressc');
  assert.match(manifest.devDependencies['@vscode/vsce'], /^[~^]?3\.9\./);
});

test('the language configuration comments with # and its patterns compile', () => {
  const root = path.resolve(__dirname, '..');
  const config = JSON.parse(fs.readFileSync(path.join(root, 'language-configuration.json'), 'utf8'));
  assert.equal(config.comments.lineComment, '#');
  assert.deepEqual(config.brackets, [['(', ')'], ['{', '}'], ['[', ']']]);
  assert.ok(config.autoClosingPairs.some((p) => p.open === '"'));
  const word = new RegExp(config.wordPattern);
  assert.equal('x payments-api y'.match(word)[0], 'x');
  assert.equal('**.s3.amazonaws.com'.match(word)[0], '**.s3.amazonaws.com');
  const [docRule, continueRule] = config.onEnterRules.map((r) => new RegExp(r.beforeText));
  assert.ok(docRule.test('## A PostgreSQL database'));
  assert.ok(continueRule.test('app ledger -> dns,'));
  assert.ok(continueRule.test('def dns ='));
  assert.ok(!continueRule.test('    pods{app=payments-api}:8443,'), 'continuation lines keep their indent');
  new RegExp(config.indentationRules.increaseIndentPattern);
  new RegExp(config.indentationRules.decreaseIndentPattern);
});

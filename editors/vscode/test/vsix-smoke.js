#!/usr/bin/env node
// Smoke test of a packaged .vsix: it holds the manifest, grammar, snippets, language
// configuration and the extension bundled by esbuild (dist/extension.js, vscode-languageclient
// inside: no node_modules, no unbundled JavaScript), which loads against a stand-in for the
// `vscode` module and warns once, saying how to install egressc, when it cannot find it.
//
// Usage: node test/vsix-smoke.js FILE.vsix
'use strict';

const fs = require('fs');
const Module = require('module');
const os = require('os');
const path = require('path');
const yauzl = require('yauzl');

function extract(vsix, dest) {
  return new Promise((resolve, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (err, zip) => {
      if (err) {
        reject(err);
        return;
      }
      const names = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(names));
      zip.on('entry', (entry) => {
        names.push(entry.fileName);
        const target = path.join(dest, entry.fileName);
        if (!target.startsWith(dest + path.sep)) {
          reject(new Error(`bad entry ${entry.fileName}`));
          return;
        }
        if (entry.fileName.endsWith('/')) {
          fs.mkdirSync(target, { recursive: true });
          zip.readEntry();
          return;
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) {
            reject(streamErr);
            return;
          }
          stream.pipe(fs.createWriteStream(target)).on('finish', () => zip.readEntry());
        });
      });
      zip.readEntry();
    });
  });
}

// A `vscode` stand-in: every property is a callable proxy, except the few calls we watch.
function fakeVscode(warnings) {
  const handler = {
    get: (target, prop) => (prop === '__esModule' ? false : new Proxy(function stub() {}, handler)),
    apply: () => new Proxy(function stub() {}, handler),
    construct: () => new Proxy(function stub() {}, handler),
  };
  const any = () => new Proxy(function stub() {}, handler);
  return new Proxy({
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: () => ({ get: () => '/nonexistent/egressc' }),
      onDidChangeConfiguration: () => ({ dispose() {} }),
      createFileSystemWatcher: any,
    },
    window: {
      showWarningMessage: async (message) => {
        warnings.push(message);
        return undefined;
      },
      showErrorMessage: async () => undefined,
    },
    commands: { registerCommand: () => ({ dispose() {} }), executeCommand: async () => undefined },
  }, {
    get: (target, prop) => (prop in target ? target[prop] : any()),
  });
}

async function main() {
  const vsix = process.argv[2];
  if (!vsix) {
    console.error('usage: node test/vsix-smoke.js FILE.vsix');
    return 2;
  }
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-vsix-'));
  try {
    const names = await extract(path.resolve(vsix), dest);
    const required = [
      'extension/package.json',
      'extension/dist/extension.js',
      'extension/language-configuration.json',
      'extension/syntaxes/egress.tmLanguage.json',
      'extension/snippets/egress.json',
    ];
    const missing = required.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      console.error(`vsix lacks: ${missing.join(', ')}`);
      return 1;
    }
    const scripts = names.filter((name) => name.endsWith('.js'));
    if (scripts.length !== 1) {
      console.error(`vsix holds ${scripts.length} JavaScript files, not the one bundle: ${scripts.slice(0, 5).join(', ')}`);
      return 1;
    }
    const leaked = names.filter((name) => name.startsWith('extension/test/') || name.includes('node_modules/'));
    if (leaked.length > 0) {
      console.error(`vsix holds files it should not: ${leaked.slice(0, 5).join(', ')}`);
      return 1;
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(dest, 'extension/package.json'), 'utf8'));
    const grammar = manifest.contributes.grammars[0];
    if (manifest.main !== './dist/extension.js' || manifest.dependencies) {
      console.error('the manifest must run the bundle and declare no runtime dependency');
      return 1;
    }
    if (manifest.contributes.languages[0].id !== 'egress' || grammar.scopeName !== 'source.egress') {
      console.error('unexpected language id or grammar scope in the manifest');
      return 1;
    }

    const warnings = [];
    const vscode = fakeVscode(warnings);
    const originalLoad = Module._load;
    Module._load = function load(request, parent, isMain) {
      return request === 'vscode' ? vscode : originalLoad.call(this, request, parent, isMain);
    };
    try {
      // Outside the repository's node_modules: the bundle must need nothing but `vscode`.
      const extension = require(path.join(dest, 'extension/dist/extension.js'));
      await extension.activate({ subscriptions: [] });
      await extension.deactivate();
    } finally {
      Module._load = originalLoad;
    }
    if (warnings.length !== 1 || !/cargo install/.test(warnings[0])) {
      console.error(`expected one warning saying how to install egressc, got ${JSON.stringify(warnings)}`);
      return 1;
    }
    console.log(`vsix ok: ${names.length} entries, extension loads, one warning without egressc`);
    return 0;
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});

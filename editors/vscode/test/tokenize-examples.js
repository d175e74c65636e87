#!/usr/bin/env node
// Tokenizes every .egress file under examples/ and stdlib/ (globbed at run time, so new
// examples are picked up) with the TextMate grammar, through vscode-textmate and
// vscode-oniguruma as VS Code does, and fails if any non-whitespace text gets only the root
// scope `source.egress` (the grammar does not know it) or any `invalid.*` scope.
//
// Usage: node test/tokenize-examples.js [FILE_OR_DIR...]   (default: <repo>/examples <repo>/stdlib)
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const extensionDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(extensionDir, '..', '..');
const grammarPath = path.join(extensionDir, 'syntaxes', 'egress.tmLanguage.json');
const ROOT_SCOPE = 'source.egress';

function egressFiles(targets) {
  const files = [];
  for (const target of targets) {
    const stat = fs.statSync(target);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(target).sort()) {
        if (entry.endsWith('.egress')) {
          files.push(path.join(target, entry));
        }
      }
    } else {
      files.push(target);
    }
  }
  return files;
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== ROOT_SCOPE) {
        return null;
      }
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
    },
  });
  return registry.loadGrammar(ROOT_SCOPE);
}

function checkFile(grammar, file) {
  const problems = [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r\n|\r|\n/);
  let ruleStack = vsctm.INITIAL;
  lines.forEach((line, index) => {
    const result = grammar.tokenizeLine(line, ruleStack);
    for (const token of result.tokens) {
      const text = line.slice(token.startIndex, token.endIndex);
      if (text.trim() === '') {
        continue;
      }
      const where = `${path.relative(repoRoot, file)}:${index + 1}:${token.startIndex + 1}`;
      if (token.scopes.length === 1 && token.scopes[0] === ROOT_SCOPE) {
        problems.push(`${where}: ${JSON.stringify(text)} has only the root scope ${ROOT_SCOPE}`);
      }
      const invalid = token.scopes.filter((scope) => scope.startsWith('invalid'));
      if (invalid.length > 0) {
        problems.push(`${where}: ${JSON.stringify(text)} is scoped ${invalid.join(' ')}`);
      }
    }
    ruleStack = result.ruleStack;
  });
  return problems;
}

async function main() {
  const args = process.argv.slice(2);
  const targets = args.length > 0
    ? args.map((a) => path.resolve(a))
    : [path.join(repoRoot, 'examples'), path.join(repoRoot, 'stdlib')];
  const files = egressFiles(targets);
  if (files.length === 0) {
    console.error(`no .egress files found in ${targets.join(', ')}`);
    process.exit(1);
  }
  const grammar = await loadGrammar();
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const problems = checkFile(grammar, file);
    if (problems.length === 0) {
      passed += 1;
      console.log(`ok   ${path.relative(repoRoot, file)}`);
    } else {
      failed += 1;
      console.log(`FAIL ${path.relative(repoRoot, file)}`);
      for (const problem of problems) {
        console.log(`     ${problem}`);
      }
    }
  }
  console.log(`tokenize: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

module.exports = { loadGrammar, checkFile, egressFiles };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

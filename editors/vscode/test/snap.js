#!/usr/bin/env node
// Snapshot tests of the TextMate grammar over every .egress file in <repo>/examples and
// <repo>/stdlib, run with vscode-tmgrammar-snap.
//
// The directories are read at run time, so a new example is picked up without a change here.
// vscode-tmgrammar-snap keeps `FILE.snap` beside `FILE`, and examples/ and stdlib/ belong to
// the compiler, so this script copies the sources into a scratch directory next to their
// committed snapshots (test/snapshots/<dir>/<file>.snap), runs the tool there and copies new
// or updated snapshots back.
//
// The snapshots guard the grammar, not the examples:
//   - a snapshot whose scopes differ for the same source text fails the test (the grammar
//     changed how it colours that text: look at the diff, then run with -u if it is right);
//   - an example without a snapshot, or whose text changed since its snapshot was taken,
//     fails too: a snapshot that is never committed guards nothing. With -u the fresh
//     snapshots are written to test/snapshots/, to be read and committed. The tokenize check
//     (tokenize-examples.js) is what rejects text the grammar does not know.
//
// Usage: node test/snap.js [-u|--updateSnapshot]
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { parseSnap } = require('vscode-tmgrammar-test/dist/snapshot/index');

const extensionDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(extensionDir, '..', '..');
const grammarPath = path.join(extensionDir, 'syntaxes', 'egress.tmLanguage.json');
const snapshotRoot = path.join(__dirname, 'snapshots');
const SOURCE_DIRS = ['examples', 'stdlib'];

const update = process.argv.includes('-u') || process.argv.includes('--updateSnapshot');

function sourceLines(text) {
  return text.split(/\r\n|\n/);
}

function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-snap-'));
  const cases = [];
  const notes = [];
  try {
    for (const dir of SOURCE_DIRS) {
      const sourceDir = path.join(repoRoot, dir);
      const snapDir = path.join(snapshotRoot, dir);
      const files = fs.existsSync(sourceDir)
        ? fs.readdirSync(sourceDir).filter((f) => f.endsWith('.egress')).sort()
        : [];
      fs.mkdirSync(path.join(scratch, dir), { recursive: true });
      for (const file of files) {
        const text = fs.readFileSync(path.join(sourceDir, file), 'utf8');
        const copy = path.join(scratch, dir, file);
        fs.writeFileSync(copy, text);
        const committed = path.join(snapDir, `${file}.snap`);
        let status = 'new';
        if (fs.existsSync(committed)) {
          const snap = fs.readFileSync(committed, 'utf8');
          const snapSource = parseSnap(snap).map((line) => line.src);
          if (JSON.stringify(snapSource) === JSON.stringify(sourceLines(text))) {
            fs.writeFileSync(`${copy}.snap`, snap);
            status = 'checked';
          } else {
            status = 'changed';
          }
        }
        if (status === 'new') {
          notes.push(`no snapshot of ${dir}/${file}: run \`node test/snap.js -u\` in editors/vscode, read and commit editors/vscode/test/snapshots/${dir}/${file}.snap`);
        } else if (status === 'changed') {
          notes.push(`${dir}/${file} changed since its snapshot: run \`node test/snap.js -u\` in editors/vscode, read the diff and commit it`);
        }
        cases.push({ dir, file, copy, committed, status });
      }
      if (fs.existsSync(snapDir)) {
        for (const snap of fs.readdirSync(snapDir).filter((f) => f.endsWith('.snap'))) {
          if (!files.includes(snap.replace(/\.snap$/, ''))) {
            notes.push(`obsolete snapshot (its source is gone): editors/vscode/test/snapshots/${dir}/${snap}`);
          }
        }
      }
    }
    if (cases.length === 0) {
      console.error(`no .egress files found in ${SOURCE_DIRS.map((d) => path.join(repoRoot, d)).join(', ')}`);
      return 1;
    }

    const cli = require.resolve('vscode-tmgrammar-test/dist/snapshot.js');
    const args = [cli, '-g', grammarPath, '-s', 'source.egress'];
    if (update) {
      args.push('--updateSnapshot');
    }
    args.push(path.join(scratch, '**', '*.egress'));
    const run = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    process.stdout.write(run.stdout || '');
    process.stderr.write(run.stderr || '');
    const ok = run.status === 0;
    const output = run.stdout || '';
    const passedCount = (output.match(/run successfully\.|^Generating snapshot|^Updating snapshot/gm) || []).length;

    if (ok && update) {
      for (const c of cases) {
        fs.mkdirSync(path.dirname(c.committed), { recursive: true });
        fs.copyFileSync(`${c.copy}.snap`, c.committed);
      }
    }
    for (const note of notes) {
      console.log(`note: ${note}`);
    }
    const checked = cases.filter((c) => c.status === 'checked').length;
    const fresh = cases.length - checked;
    if (ok && fresh > 0 && !update) {
      console.log(`snapshots: ${checked} passed, ${fresh} failed (missing or out of date)`);
      return 1;
    }
    if (ok) {
      console.log(`snapshots: ${cases.length} passed, 0 failed (${checked} compared, ${fresh} written)`);
      return 0;
    }
    console.log('snapshot test failed: if the new scopes are right, run `node test/snap.js -u` in editors/vscode and commit the .snap files');
    const failedCount = Math.max(cases.length - passedCount, 1);
    console.log(`snapshots: ${cases.length - failedCount} passed, ${failedCount} failed`);
    return 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

process.exit(main());

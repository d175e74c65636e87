// VS Code client for the egress-policy language.
//
// Highlighting and snippets are declarative (package.json); this file starts the language
// server, `egressc lsp`, over stdio when the `egressc` binary can be found (setting
// `egressc.path`, default `egressc` on PATH). Diagnostics, hover, go to definition,
// references, rename, code actions, formatting, semantic tokens and completion come from the
// server. Without the binary the extension shows one warning, saying how to install it, and
// keeps the rest working. The published extension is this file bundled by esbuild
// (`npm run bundle`: dist/extension.js, with vscode-languageclient inside).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const CONFIG_SECTION = 'egressc';
const DEFAULT_COMMAND = 'egressc';
/** How to install egressc, for the warning shown when it is not found. */
const INSTALL = 'Install it with `cargo install --path .` in a checkout of the egressc repository ' +
  '(Rust from rustup.rs), which puts it in ~/.cargo/bin, or set `egressc.path` to the binary.';

/** @type {import('vscode-languageclient/node').LanguageClient | undefined} */
let client;
let warnedMissing = false;

function isExecutableFile(file) {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves the configured `egressc.path` to an executable file, or returns undefined.
 * A bare name (`egressc`) is looked up on PATH; a path (`~/bin/egressc`, `./target/debug/egressc`)
 * is taken as it is, relative paths against `baseDir` (the first workspace folder).
 *
 * @param {string | undefined} configured
 * @param {{ env?: NodeJS.ProcessEnv, baseDir?: string, platform?: string }} [options]
 * @returns {string | undefined}
 */
function findExecutable(configured, options = {}) {
  const env = options.env || process.env;
  const platform = options.platform || process.platform;
  let command = (configured || '').trim() || DEFAULT_COMMAND;
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = path.join(os.homedir(), command.slice(1));
  }
  const extensions = platform === 'win32'
    ? ['', ...(env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  const hasSeparator = command.includes('/') || (platform === 'win32' && command.includes('\\'));
  if (hasSeparator || path.isAbsolute(command)) {
    const full = path.isAbsolute(command) ? command : path.resolve(options.baseDir || process.cwd(), command);
    return extensions.map((ext) => full + ext).find(isExecutableFile);
  }
  const dirs = (env.PATH || env.Path || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function workspaceBaseDir(vscode) {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 ? folders[0].uri.fsPath : undefined;
}

async function startClient(context, vscode) {
  const configured = vscode.workspace.getConfiguration(CONFIG_SECTION).get('path', DEFAULT_COMMAND);
  const command = findExecutable(configured, { baseDir: workspaceBaseDir(vscode) });
  if (!command) {
    if (!warnedMissing) {
      warnedMissing = true;
      const choice = await vscode.window.showWarningMessage(
        `egressc was not found (egressc.path = "${configured}"): highlighting and snippets work, ` +
          'but diagnostics, hover, go to definition and the other language features need `egressc lsp`. ' +
          INSTALL,
        'Open Settings',
      );
      if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'egressc.path');
      }
    }
    return undefined;
  }

  const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'egress' },
      { scheme: 'untitled', language: 'egress' },
    ],
    synchronize: {
      // Unopened files of a program, and its project file, kept in sync.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.egress,egressc.toml}'),
    },
    outputChannelName: 'egressc',
  };
  const newClient = new LanguageClient('egressc', 'egressc language server', serverOptions, clientOptions);
  try {
    await newClient.start();
  } catch (err) {
    vscode.window.showErrorMessage(`egressc lsp (${command}) failed to start: ${err && err.message ? err.message : err}`);
    return undefined;
  }
  return newClient;
}

async function stopClient() {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch {
      // The server may already be gone.
    }
  }
}

async function restart(context, vscode) {
  await stopClient();
  client = await startClient(context, vscode);
}

/** @param {import('vscode').ExtensionContext} context */
async function activate(context) {
  const vscode = require('vscode');
  context.subscriptions.push(
    vscode.commands.registerCommand('egressc.restartServer', () => {
      warnedMissing = false;
      return restart(context, vscode);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${CONFIG_SECTION}.path`)) {
        warnedMissing = false;
        return restart(context, vscode);
      }
      return undefined;
    }),
  );
  client = await startClient(context, vscode);
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate, findExecutable };

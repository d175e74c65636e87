#!/usr/bin/env node
// Expands every snippet of snippets/egress.json with its default values (first choice of a
// `${1|a,b|}`, the text of a `${1:text}`, mirrors of `$1`) into one .egress file, so that the
// tests can check that each snippet gives valid source: editors/test.sh parses the file with
// tree-sitter and tokenizes it with the TextMate grammar.
//
// Usage: node test/expand-snippets.js OUT.egress
'use strict';

const fs = require('fs');
const path = require('path');

const snippetsPath = path.resolve(__dirname, '..', 'snippets', 'egress.json');

// Snippets that expand to a destination, not a statement, get a statement around them.
const WRAP_DESTINATION = (text) => `app snippet-test -> ${text}`;

/** Expands one snippet body (a string) with default values. */
function expand(body) {
  const values = {};
  let pos = 0;

  function parse(stopAt) {
    let out = '';
    while (pos < body.length) {
      const c = body[pos];
      if (stopAt && c === stopAt) {
        return out;
      }
      if (c === '\\' && pos + 1 < body.length) {
        out += body[pos + 1];
        pos += 2;
      } else if (c === '$' && body[pos + 1] === '{') {
        pos += 2;
        const m = /^(\d+)/.exec(body.slice(pos));
        if (!m) {
          throw new Error(`unsupported snippet syntax at ${pos} in ${JSON.stringify(body)}`);
        }
        const index = m[1];
        pos += m[1].length;
        let value = '';
        if (body[pos] === ':') {
          pos += 1;
          value = parse('}');
        } else if (body[pos] === '|') {
          const end = body.indexOf('|}', pos + 1);
          value = body.slice(pos + 1, end).split(',')[0];
          pos = end + 1;
        }
        if (body[pos] !== '}') {
          throw new Error(`unterminated placeholder in ${JSON.stringify(body)}`);
        }
        pos += 1;
        if (!(index in values)) {
          values[index] = value;
        }
        out += values[index];
      } else if (c === '$' && /\d/.test(body[pos + 1] || '')) {
        const m = /^(\d+)/.exec(body.slice(pos + 1));
        pos += 1 + m[1].length;
        out += values[m[1]] || '';
      } else {
        out += c;
        pos += 1;
      }
    }
    return out;
  }

  return parse(null);
}

function expandAll() {
  const snippets = JSON.parse(fs.readFileSync(snippetsPath, 'utf8'));
  const parts = [];
  for (const [name, snippet] of Object.entries(snippets)) {
    const body = Array.isArray(snippet.body) ? snippet.body.join('\n') : snippet.body;
    let text = expand(body).replace(/\s+$/, '');
    if (/^pods[({]/.test(text)) {
      text = WRAP_DESTINATION(text);
    }
    parts.push(`# snippet: ${name}\n${text}\n`);
  }
  return parts.join('\n');
}

module.exports = { expand, expandAll };

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node test/expand-snippets.js OUT.egress');
    process.exit(2);
  }
  fs.writeFileSync(out, expandAll());
}

// External scanner for tree-sitter-egress: decides which line breaks end a statement.
//
// The grammar treats every line break as whitespace, except where the parser could end a
// statement; there it asks this scanner for a `_newline` token. The scanner refuses (and the
// line break stays whitespace) when the next non-blank, non-comment line starts with the
// keyword `deny`: `app x -> dns` followed by a line `deny metadata` is one statement, as in
// grammar/egress.pest (`deny_clause = { nl* ~ kw_deny ~ dest_list }`).

#include "tree_sitter/parser.h"

#include <stdbool.h>

enum TokenType {
  NEWLINE,
  ERROR_SENTINEL,
};

void *tree_sitter_egress_external_scanner_create(void) { return NULL; }

void tree_sitter_egress_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_egress_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_egress_external_scanner_deserialize(void *payload, const char *buffer,
                                                    unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static bool is_ident_char(int32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

static bool is_blank(int32_t c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

static bool is_line_break(int32_t c) { return c == '\n' || c == '\r'; }

// Consumes one line break (`\n`, `\r\n` or `\r`).
static void advance_line_break(TSLexer *lexer) {
  if (lexer->lookahead == '\r') {
    lexer->advance(lexer, false);
    if (lexer->lookahead == '\n') {
      lexer->advance(lexer, false);
    }
  } else {
    lexer->advance(lexer, false);
  }
}

bool tree_sitter_egress_external_scanner_scan(void *payload, TSLexer *lexer,
                                             const bool *valid_symbols) {
  (void)payload;
  if (!valid_symbols[NEWLINE]) {
    return false;
  }

  while (is_blank(lexer->lookahead)) {
    lexer->advance(lexer, true);
  }
  if (!is_line_break(lexer->lookahead)) {
    // A comment, the end of the file or more of the statement: not ours.
    return false;
  }
  advance_line_break(lexer);
  lexer->mark_end(lexer);
  lexer->result_symbol = NEWLINE;

  // Look ahead (past blank and comment-only lines) for a continuation line `deny ...`.
  for (;;) {
    while (is_blank(lexer->lookahead) || is_line_break(lexer->lookahead)) {
      lexer->advance(lexer, false);
    }
    if (lexer->lookahead == '#') {
      while (!is_line_break(lexer->lookahead) && !lexer->eof(lexer)) {
        lexer->advance(lexer, false);
      }
      if (lexer->eof(lexer)) {
        return true;
      }
      continue;
    }
    break;
  }

  static const char keyword[] = "deny";
  for (const char *k = keyword; *k != '\0'; k++) {
    if (lexer->lookahead != *k) {
      return true;
    }
    lexer->advance(lexer, false);
  }
  if (is_ident_char(lexer->lookahead)) {
    // `denylist ...`: a name, not the keyword.
    return true;
  }
  // The statement goes on with a deny clause: this line break is whitespace.
  return false;
}

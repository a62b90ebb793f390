/**
 * Every module a source file refers to, for the architecture test: static imports (`import type`
 * included), `export … from`, dynamic `import('…')`, type-position `import('…')` (as in
 * `typeof import('node:fs')`) and `new URL('…', import.meta.url)` (how workers and wasm files are
 * referenced). Svelte files are scanned in their `<script>` blocks only.
 *
 * The file is parsed with the TypeScript compiler rather than matched with regular expressions, so
 * multi-line imports are read whole and look-alikes in comments, strings and markup are never
 * taken for imports. A specifier that is not a literal (`import(id)`) names no module and is
 * skipped: that is how Node-only code hides builtins from bundlers on purpose.
 */
import ts from 'typescript';

export type ImportKind = 'import' | 'import type' | 'export from' | 'import()' | 'type import()' | 'new URL';

export interface ImportRef {
  /** The specifier as written, e.g. '../core/types' or '@cornerstonejs/core'. */
  specifier: string;
  kind: ImportKind;
  /** 1-based line of the specifier in the file. */
  line: number;
}

/** The `<script>` blocks of a Svelte component, each with the 0-based line it starts on. */
function svelteScripts(text: string): { code: string; firstLine: number }[] {
  const out: { code: string; firstLine: number }[] = [];
  for (const m of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script\s*>/g)) {
    const start = (m.index ?? 0) + m[0].indexOf('>') + 1;
    out.push({ code: m[1], firstLine: text.slice(0, start).split('\n').length - 1 });
  }
  return out;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

function isImportMetaUrl(node: ts.Node | undefined): boolean {
  return (
    !!node &&
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'url' &&
    ts.isMetaProperty(node.expression) &&
    node.expression.keywordToken === ts.SyntaxKind.ImportKeyword
  );
}

function scanCode(path: string, code: string, firstLine: number, out: ImportRef[]): void {
  const file = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const add = (node: ts.Node, specifier: string | undefined, kind: ImportKind) => {
    if (specifier === undefined) return;
    const line = firstLine + file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    out.push({ specifier, kind, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(
        node.moduleSpecifier,
        literalText(node.moduleSpecifier),
        node.importClause?.isTypeOnly ? 'import type' : 'import',
      );
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, literalText(node.moduleSpecifier), 'export from');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0] ?? node, literalText(node.arguments[0]), 'import()');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument, literalText(node.argument.literal), 'type import()');
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      isImportMetaUrl(node.arguments?.[1])
    ) {
      add(node.arguments![0], literalText(node.arguments![0]), 'new URL');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

/** The module references of one file (`path` decides .svelte handling), in source order. */
export function scanImports(path: string, text: string): ImportRef[] {
  const out: ImportRef[] = [];
  if (path.endsWith('.svelte')) for (const s of svelteScripts(text)) scanCode(path, s.code, s.firstLine, out);
  else scanCode(path, text, 0, out);
  return out;
}

import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell';

let parser: Parser | undefined;

export interface ParseProblem {
  kind: 'ERROR' | 'MISSING';
  line: number;
  column: number;
  text: string;
}

/** Parses PowerShell with tree-sitter-powershell; returns every ERROR and MISSING node. */
export function parsePowerShell(source: string): ParseProblem[] {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(PowerShell as unknown as Parser.Language);
  }
  // The callback form: the string form has a size limit that large scripts exceed.
  const tree = parser.parse((index: number) => source.slice(index, index + 4096));
  const problems: ParseProblem[] = [];
  const lines = source.split('\n');
  const walk = (node: Parser.SyntaxNode) => {
    if (node.type === 'ERROR' || node.isMissing) {
      problems.push({
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        line: node.startPosition.row + 1,
        column: node.startPosition.column,
        text: lines[node.startPosition.row] ?? '',
      });
    }
    if (node.hasError || node.isMissing) for (const child of node.children) walk(child);
  };
  walk(tree.rootNode);
  return problems;
}

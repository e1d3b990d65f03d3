// The package ships types only under bindings/node without a "types" entry NodeNext can find.
declare module 'tree-sitter-powershell' {
  const language: unknown;
  export default language;
}

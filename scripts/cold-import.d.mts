export declare const median: (values: ReadonlyArray<number>) => number
export declare const importTime: (specifier: string, cwd: string) => number
export declare const coldImports: (
  specifiers: ReadonlyArray<string>,
  rounds: number,
  cwd: string
) => Array<Array<number>>
export declare const effectModulesOf: (entry: string) => Array<string>

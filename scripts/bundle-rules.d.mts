export declare const nodeOnly: RegExp
export declare const heavyPackages: ReadonlyArray<string>
export declare const packageOf: (input: string) => string | undefined
